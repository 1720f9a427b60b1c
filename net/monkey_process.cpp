// The patched child waits and system(): inside a greenlet, waiting for a child parks the
// greenlet. A wait for one child (pid > 0) sleeps on the child's pidfd, which becomes readable
// when it exits; a wait for any child, a process group, or stops and continues (WUNTRACED,
// WCONTINUED), which a pidfd does not report, asks libc with WNOHANG between growing pauses of
// 1 to 50 ms. libc answers every call itself, so status, rusage, siginfo and errno are its own.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <geventpp/runtime/sleep.hpp>
#include <optional>

#include "detail/fd_wait.hpp"
#include "detail/libc.hpp"
#include "detail/monkey.hpp"

extern char** environ;

namespace libc = gev::net::detail::libc;
namespace monkey = gev::monkey::detail;

namespace {

class Pidfd {
public:
    explicit Pidfd(pid_t pid) noexcept : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
    ~Pidfd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Pidfd(const Pidfd&) = delete;
    Pidfd& operator=(const Pidfd&) = delete;
    int fd() const noexcept { return fd_; }

private:
    int fd_;
};

// Calls try_once() (libc's call with WNOHANG) until it reports a child or an error: `none` is
// what it returns while no child has changed state.
template <class Try>
auto wait_cooperatively(pid_t pid, int options, Try try_once, decltype(try_once()) none) {
    constexpr int exit_only = ~(WUNTRACED | WCONTINUED);
    std::optional<Pidfd> pidfd;
    if (pid > 0 && (options | exit_only) == exit_only) pidfd.emplace(pid);
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        const auto r = try_once();
        if (r != none) return r;
        if (pidfd && pidfd->fd() >= 0) {
            gev::net::detail::wait_fd(pidfd->fd(), POLLIN, gev::detail::forever);
        } else {
            gev::sleep(pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(50));
        }
    }
}

bool cooperative_wait(int options) noexcept {
    return !(options & WNOHANG) && monkey::cooperative(monkey::os);
}

}  // namespace

extern "C" {

pid_t waitpid(pid_t pid, int* status, int options) {
    if (!cooperative_wait(options)) return libc::waitpid(pid, status, options);
    return wait_cooperatively(
        pid, options, [&] { return libc::waitpid(pid, status, options | WNOHANG); }, 0);
}

pid_t wait(int* status) {
    return waitpid(-1, status, 0);
}

pid_t wait4(pid_t pid, int* status, int options, struct rusage* usage) {
    if (!cooperative_wait(options)) return libc::wait4(pid, status, options, usage);
    return wait_cooperatively(
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
    wait_cooperatively(
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
