#include "detail/monkey.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <geventpp/net/monkey.hpp>
#include <optional>
#include <system_error>

#include "../runtime/layer_api.hpp"
#include "detail/libc.hpp"

namespace gev::monkey {

namespace detail {

std::atomic<unsigned> patched{0};

namespace {

// Preloading the library is asking for the patch: the program itself is left unmodified.
[[gnu::constructor]] void patch_when_preloaded() {
    const char* preload = std::getenv("LD_PRELOAD");
    if (preload && std::strstr(preload, "libgeventpp_monkey")) patch_all();
}

using gev::detail::PolledFd;
using gev::detail::Reactor;

// A watch registered in the hub's epoll for the length of one wait: fds that are not
// geventpp's may be closed, dup'ed or reused behind our back, so nothing stays registered.
class Registration {
public:
    Registration(Reactor& reactor, PolledFd& watch) : reactor_(reactor), watch_(watch) {
        watch_.readable = watch_.writable = false;
        reactor_.add(watch_);
    }
    ~Registration() { reactor_.remove(watch_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

private:
    Reactor& reactor_;
    PolledFd& watch_;
};

// Waits on one fd through the hub's epoll. Returns nullopt when epoll cannot take it there
// (already registered by a socket of ours, or by another greenlet's wait).
std::optional<bool> wait_direct(Reactor& reactor, int fd, short events, TimePoint deadline) {
    PolledFd watch;
    watch.fd = fd;
    try {
        Registration registration(reactor, watch);
        return reactor.wait(watch, events & POLLOUT, deadline);
    } catch (const std::system_error& e) {
        if (e.code().value() == EEXIST) return std::nullopt;
        return true;  // EPERM (a regular file, always ready) or EBADF: let the call report it
    }
}

std::uint32_t epoll_events(short events) {
    std::uint32_t out = 0;
    if (events & POLLIN) out |= EPOLLIN | EPOLLRDHUP;
    if (events & POLLPRI) out |= EPOLLPRI;
    if (events & POLLOUT) out |= EPOLLOUT;
    return out;
}

// Waits on several fds: a private epoll set holds them and the hub waits on that set.
bool wait_private(Reactor& reactor, pollfd* fds, nfds_t n, TimePoint deadline) {
    const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{epfd};
    for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].fd < 0) continue;
        epoll_event ev{};
        ev.events = epoll_events(fds[i].events);
        for (nfds_t j = 0; j < n; ++j) {  // the same fd listed twice waits for both entries
            if (fds[j].fd == fds[i].fd) ev.events |= epoll_events(fds[j].events);
        }
        if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i].fd, &ev) < 0 && errno != EEXIST) {
            return true;  // a regular file (always ready) or a bad fd: poll reports it
        }
    }
    PolledFd watch;
    watch.fd = epfd;
    Registration registration(reactor, watch);
    return reactor.wait(watch, false, deadline);
}

}  // namespace

bool nonblocking(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags < 0 || (flags & O_NONBLOCK);
}

TimePoint socket_deadline(int fd, int option) noexcept {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(fd, SOL_SOCKET, option, &tv, &len) < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0)) {
        return gev::detail::forever;
    }
    return Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

bool wait_any(pollfd* fds, nfds_t n, TimePoint deadline) {
    nfds_t live = 0;
    pollfd* only = nullptr;
    for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].fd >= 0) {
            ++live;
            only = &fds[i];
        }
    }
    if (live == 0) {
        gev::detail::park_until(deadline);
        return false;
    }
    auto& reactor = Reactor::current("a patched call");
    // One fd waited on for input or for output alone fits a PolledFd of the hub's own epoll.
    const short e = only->events;
    if (live == 1 && bool(e & POLLIN) != bool(e & POLLOUT) && !(e & POLLPRI)) {
        if (auto woke = wait_direct(reactor, only->fd, only->events, deadline)) return *woke;
    }
    return wait_private(reactor, fds, n, deadline);
}

bool wait_fd(int fd, short events, TimePoint deadline) {
    pollfd p{fd, events, 0};
    if (net::detail::libc::poll(&p, 1, 0) != 0) return true;
    return wait_any(&p, 1, deadline);
}

}  // namespace detail

void patch_time() {
    detail::patched.fetch_or(detail::time);
}
void patch_socket() {
    detail::patched.fetch_or(detail::socket);
}
void patch_select() {
    detail::patched.fetch_or(detail::select);
}
void patch_all() {
    detail::patched.fetch_or(detail::time | detail::socket | detail::select);
}

bool is_time_patched() noexcept {
    return detail::patched.load() & detail::time;
}
bool is_socket_patched() noexcept {
    return detail::patched.load() & detail::socket;
}
bool is_select_patched() noexcept {
    return detail::patched.load() & detail::select;
}

}  // namespace gev::monkey
