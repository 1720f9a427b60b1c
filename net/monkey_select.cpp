// The patched poll and select: inside a greenlet, a call that would wait parks the greenlet
// until one of the fds is ready or the timeout passes; libc's own zero-timeout call then
// reports which, so results and errors are exactly libc's.
#include <poll.h>
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "detail/fd_wait.hpp"
#include "detail/libc.hpp"
#include "detail/monkey.hpp"

namespace libc = gev::net::detail::libc;
namespace monkey = gev::monkey::detail;
namespace fd_wait = gev::net::detail;

namespace {

gev::TimePoint deadline_in(std::chrono::microseconds span) {
    return gev::Clock::now() + span;
}

}  // namespace

extern "C" {

int poll(pollfd* fds, nfds_t n, int timeout_ms) {
    if (timeout_ms == 0 || !monkey::cooperative(monkey::select)) return libc::poll(fds, n, timeout_ms);
    const auto deadline = timeout_ms < 0 ? gev::detail::forever : deadline_in(std::chrono::milliseconds(timeout_ms));
    return fd_wait::poll_until(fds, n, deadline);
}

[[noreturn]] void __chk_fail() noexcept;

int __poll_chk(pollfd* fds, nfds_t n, int timeout_ms, size_t fds_len) {
    if (fds_len / sizeof(pollfd) < n) __chk_fail();
    return poll(fds, n, timeout_ms);
}

int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, timeval* timeout) {
    const bool immediate = timeout && timeout->tv_sec == 0 && timeout->tv_usec == 0;
    if (immediate || nfds < 0 || nfds > FD_SETSIZE || !monkey::cooperative(monkey::select)) {
        return libc::select(nfds, readfds, writefds, exceptfds, timeout);
    }
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0)) {
        errno = EINVAL;
        return -1;
    }
    std::vector<pollfd> fds;
    for (int fd = 0; fd < nfds; ++fd) {
        short events = 0;
        if (readfds && FD_ISSET(fd, readfds)) events |= POLLIN;
        if (writefds && FD_ISSET(fd, writefds)) events |= POLLOUT;
        if (exceptfds && FD_ISSET(fd, exceptfds)) events |= POLLPRI;
        if (events) fds.push_back({fd, events, 0});
    }
    constexpr time_t century = 100L * 365 * 24 * 3600;  // beyond this, as good as no timeout
    const auto deadline =
        timeout && timeout->tv_sec < century
            ? deadline_in(std::chrono::seconds(timeout->tv_sec) + std::chrono::microseconds(timeout->tv_usec))
            : gev::detail::forever;
    const int r = fd_wait::poll_until(fds.data(), fds.size(), deadline);
    if (r < 0) return r;
    int ready = 0;
    for (const auto& p : fds) {
        if (p.revents & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
    }
    if (readfds) FD_ZERO(readfds);
    if (writefds) FD_ZERO(writefds);
    if (exceptfds) FD_ZERO(exceptfds);
    for (const auto& p : fds) {
        if ((p.events & POLLIN) && (p.revents & fd_wait::select_read_events)) {
            FD_SET(p.fd, readfds);
            ++ready;
        }
        if ((p.events & POLLOUT) && (p.revents & fd_wait::select_write_events)) {
            FD_SET(p.fd, writefds);
            ++ready;
        }
        if ((p.events & POLLPRI) && (p.revents & fd_wait::select_except_events)) {
            FD_SET(p.fd, exceptfds);
            ++ready;
        }
    }
    if (timeout) {  // Linux leaves the time not slept in *timeout
        const auto left = deadline - gev::Clock::now();
        const auto us = std::max<std::chrono::microseconds>(std::chrono::duration_cast<std::chrono::microseconds>(left),
                                                            std::chrono::microseconds::zero());
        timeout->tv_sec = static_cast<time_t>(us.count() / 1'000'000);
        timeout->tv_usec = static_cast<suseconds_t>(us.count() % 1'000'000);
    }
    return ready;
}

}  // extern "C"
