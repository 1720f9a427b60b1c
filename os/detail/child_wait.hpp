// Waiting for a child process without blocking the hub: the one mechanism under
// gev::os::waitpid and libgeventpp_monkey's patched waitpid/wait/wait3/wait4/waitid.
//
// The caller's own call, with WNOHANG, decides; between tries the greenlet waits. For one child
// (pid > 0) and exits only, it waits on a pidfd of the child, which becomes readable when the
// child exits. For any child, a process group, or stops and continues (WUNTRACED, WCONTINUED),
// which a pidfd does not report, it sleeps between tries, 1 ms at first, doubling to 50 ms. No
// signal disposition is touched: a program's own SIGCHLD handler keeps working. A cancellation
// point (kill, gev::Timeout); needs a running hub.
#pragma once

#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <optional>

namespace gev::os::detail {

class Pidfd {
public:
    // A pidfd of `pid` (Linux 5.3+), or none (fd() < 0) if the kernel has no such process.
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

// Calls try_once() (the caller's wait with WNOHANG) until it returns something other than
// `none`, what it returns while no child has changed state; returns that.
template <class Try>
auto wait_for_child(pid_t pid, int options, Try try_once, decltype(try_once()) none) {
    std::optional<Pidfd> pidfd;
    if (pid > 0 && !(options & (WUNTRACED | WCONTINUED))) pidfd.emplace(pid);
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        auto r = try_once();
        if (r != none) return r;
        if (pidfd && pidfd->fd() >= 0) {
            gev::wait_read(pidfd->fd());
        } else {
            gev::sleep(pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(50));
        }
    }
}

}  // namespace gev::os::detail
