#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/os/os.hpp>
#include <geventpp/runtime/detail/park.hpp>
#include <geventpp/runtime/threadpool.hpp>

#include "../net/detail/libc.hpp"
#include "detail/child_wait.hpp"
#include "detail/fd_io.hpp"

namespace gev::os {

namespace libc = net::detail::libc;

void throw_os_error(int err, const std::string& what) {
    switch (err) {
        case ENOENT:
        case ENOTDIR:
            throw FileNotFoundError(err, what);
        case EACCES:
        case EPERM:
            throw PermissionError(err, what);
        case EEXIST:
            throw FileExistsError(err, what);
        case EPIPE:
            throw BrokenPipeError(err, what);
        default:
            throw OSError(err, what);
    }
}

ssize_t detail::write_nosigpipe(int fd, const void* data, std::size_t n) noexcept {
    // A write to a pipe whose reader is gone raises SIGPIPE, which would end the whole process:
    // block it for the call, and take away the one the write made (unless one was pending).
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigset_t pending;
    sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t r;
    do {
        r = libc::write(fd, data, n);
    } while (r < 0 && errno == EINTR);
    const int err = errno;
    if (r < 0 && err == EPIPE && !was_pending) {
        const timespec zero{};
        while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = err;
    return r;
}

ssize_t detail::read_waiting(int fd, void* buffer, std::size_t n) {
    for (;;) {
        const ssize_t r = libc::read(fd, buffer, n);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (!libc::would_block(errno)) return r;
        gev::wait_read(fd);
    }
}

std::string detail::read_blocking(int fd, std::size_t n, const std::string& call) {
    std::string out(n, '\0');
    ssize_t r;
    do {
        r = libc::read(fd, out.data(), n);
    } while (r < 0 && errno == EINTR);
    if (r < 0) throw_os_error(errno, call);
    out.resize(static_cast<std::size_t>(r));
    return out;
}

void detail::write_blocking(int fd, const char* data, std::size_t n, const std::string& call) {
    for (std::size_t done = 0; done < n;) {
        const ssize_t r = write_nosigpipe(fd, data + done, n - done);
        if (r < 0) throw_os_error(errno, call);
        done += static_cast<std::size_t>(r);
    }
}

ssize_t detail::write_waiting(int fd, const void* data, std::size_t n) {
    for (;;) {
        const ssize_t r = write_nosigpipe(fd, data, n);
        if (r >= 0 || !libc::would_block(errno)) return r;
        gev::wait_write(fd);
    }
}

namespace {
std::string fd_call(const char* call, int fd) {
    return std::string(call) + "(fd " + std::to_string(fd) + ")";
}

}  // namespace

bool make_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) throw_os_error(errno, fd_call("make_nonblocking", fd));
    if (flags & O_NONBLOCK) return false;
    if (::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_os_error(errno, fd_call("make_nonblocking", fd));
    return true;
}

std::string nb_read(int fd, std::size_t n) {
    std::string out(n, '\0');
    const ssize_t r = detail::read_waiting(fd, out.data(), n);
    if (r < 0) throw_os_error(errno, fd_call("nb_read", fd));
    out.resize(static_cast<std::size_t>(r));
    return out;
}

std::size_t nb_write(int fd, std::string_view data) {
    const ssize_t r = detail::write_waiting(fd, data.data(), data.size());
    if (r < 0) throw_os_error(errno, fd_call("nb_write", fd));
    return static_cast<std::size_t>(r);
}

ThreadPool& default_threadpool() {
    static ThreadPool pool(10);
    return pool;
}

std::string tp_read(int fd, std::size_t n) {
    return default_threadpool().apply(detail::read_blocking, fd, n, fd_call("tp_read", fd));
}

std::size_t tp_write(int fd, std::string_view data) {
    default_threadpool().apply([fd, copy = std::string(data)] {
        detail::write_blocking(fd, copy.data(), copy.size(), fd_call("tp_write", fd));
    });
    return data.size();
}

std::pair<pid_t, int> waitpid(pid_t pid, int options) {
    const auto try_wait = [&](int opts) -> std::pair<pid_t, int> {
        int status = 0;
        pid_t r;
        do {
            r = ::waitpid(pid, &status, opts);
        } while (r < 0 && errno == EINTR);
        if (r < 0) throw_os_error(errno, "waitpid(" + std::to_string(pid) + ")");
        return {r, r == 0 ? 0 : status};
    };
    if (options & WNOHANG) return try_wait(options);
    gev::detail::require_hub("gev::os::waitpid");
    return detail::wait_for_child(
        pid, options, [&] { return try_wait(options | WNOHANG); }, std::pair<pid_t, int>{0, 0});
}

}  // namespace gev::os
