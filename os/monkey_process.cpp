// The patched child waits and system(): inside a greenlet, waiting for a child parks the
// greenlet, as gev::os::waitpid does (detail/child_wait.hpp). libc answers every call itself,
// with WNOHANG, so status, rusage, siginfo and errno are its own.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "../net/detail/libc.hpp"
#include "../net/detail/monkey.hpp"
#include "detail/child_wait.hpp"

extern char** environ;

namespace libc = gev::net::detail::libc;
namespace monkey = gev::monkey::detail;

namespace {

using gev::os::detail::wait_for_child;

bool cooperative_wait(int options) noexcept {
    return !(options & WNOHANG) && monkey::cooperative(monkey::os);
}

}  // namespace

extern "C" {

pid_t waitpid(pid_t pid, int* status, int options) {
    if (!cooperative_wait(options)) return libc::waitpid(pid, status, options);
    return wait_for_child(
        pid, options, [&] { return libc::waitpid(pid, status, options | WNOHANG); }, 0);
}

pid_t wait(int* status) {
    return waitpid(-1, status, 0);
}

pid_t wait4(pid_t pid, int* status, int options, struct rusage* usage) {
    if (!cooperative_wait(options)) return libc::wait4(pid, status, options, usage);
    return wait_for_child(
        pid, options, [&] { return libc::wait4(pid, status, options | WNOHANG, usage); }, 0);
}

pid_t wait3(int* status, int options, struct rusage* usage) {
    return wait4(-1, status, options, usage);
}

int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) {
    if (!cooperative_wait(options) || !info) return libc::waitid(idtype, id, info, options);
    // With WNOHANG, "no child yet" is 0 with si_pid 0; a real answer is 0 with a pid, or -1.
    const pid_t pid = idtype == P_PID ? static_cast<pid_t>(id) : -1;
    int r = 0;
    wait_for_child(
        pid, options,
        [&] {
            info->si_pid = 0;
            r = libc::waitid(idtype, id, info, options | WNOHANG);
            return r != 0 || info->si_pid != 0;
        },
        false);
    return r;
}

// POSIX's system(): /bin/sh -c command, waited for. The parent leaves SIGINT and SIGQUIT alone
// while it waits (libc ignores them): the hub's other greenlets keep their signals.
int system(const char* command) {
    if (!monkey::cooperative(monkey::subprocess)) return libc::system(command);
    if (!command) return 1;  // there is a shell
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    char sh[] = "sh", dash_c[] = "-c";
    char* argv[] = {sh, dash_c, const_cast<char*>(command), nullptr};
    pid_t pid = -1;
    const int err = ::posix_spawn(&pid, "/bin/sh", nullptr, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (err == ENOENT || err == EACCES) return 127 << 8;  // as a shell that could not be run
    if (err) {
        errno = err;
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

}  // extern "C"
