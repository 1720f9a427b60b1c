#include "detail/fd_wait.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <geventpp/net/error.hpp>
#include <geventpp/net/fd_wait.hpp>
#include <optional>
#include <string>
#include <system_error>

#include "../runtime/layer_api.hpp"
#include "detail/libc.hpp"

namespace gev {
namespace net::detail {

namespace {

using gev::detail::PolledFd;
using gev::detail::Reactor;
using gev::detail::SpinGuard;

// One wait in progress on this thread, where cancel_wait finds it: the fds it waits on, and
// the watch its greenlet is parked on meanwhile.
class Waiting;
thread_local Waiting* t_waiting = nullptr;

class Waiting {
public:
    Waiting(const pollfd* fds, nfds_t n) noexcept : fds_(fds), n_(n), next_(t_waiting) {
        if (next_) next_->prev_ = this;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"  // a waiting greenlet's frame; the destructor unlinks it
        t_waiting = this;
#pragma GCC diagnostic pop
    }
    ~Waiting() {
        if (prev_)
            prev_->next_ = next_;
        else
            t_waiting = next_;
        if (next_) next_->prev_ = prev_;
    }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

    static Waiting* first() noexcept {
        return t_waiting;
    }
    Waiting* next() const noexcept {
        return next_;
    }

    bool waits_on(int fd) const noexcept {
        for (nfds_t i = 0; i < n_; ++i) {
            if (fds_[i].fd == fd) return true;
        }
        return false;
    }

    // Wakes the greenlet, which raises `error` as its wait returns. The first cancel wins.
    bool cancel(std::exception_ptr error) noexcept {
        if (error_) return false;
        error_ = std::move(error);
        if (watch_) {
            SpinGuard lk(watch_->lock);
            watch_->closed = true;
            watch_->readers.notify_all();
            watch_->writers.notify_all();
        }
        return true;
    }
    void raise_if_cancelled() const {
        if (error_) std::rethrow_exception(error_);
    }

    // For the length of one Reactor::wait on `watch`.
    class Parked {
    public:
        Parked(Waiting& w, PolledFd& watch) noexcept : w_(w) { w_.watch_ = &watch; }
        ~Parked() { w_.watch_ = nullptr; }
        Parked(const Parked&) = delete;
        Parked& operator=(const Parked&) = delete;

    private:
        Waiting& w_;
    };

private:
    const pollfd* fds_;
    nfds_t n_;
    PolledFd* watch_ = nullptr;
    std::exception_ptr error_;
    Waiting* prev_ = nullptr;
    Waiting* next_;
};

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
std::optional<bool> wait_direct(Reactor& reactor, Waiting& waiting, int fd, short events, TimePoint deadline) {
    PolledFd watch;
    watch.fd = fd;
    std::optional<Registration> registration;
    try {
        registration.emplace(reactor, watch);
    } catch (const std::system_error& e) {
        if (e.code().value() == EEXIST) return std::nullopt;
        return true;  // EPERM (a regular file, always ready) or EBADF: let the caller report it
    }
    Waiting::Parked parked(waiting, watch);
    return reactor.wait(watch, events & POLLOUT, deadline);
}

std::uint32_t epoll_events(short events) {
    std::uint32_t out = 0;
    if (events & POLLIN) out |= EPOLLIN | EPOLLRDHUP;
    if (events & POLLPRI) out |= EPOLLPRI;
    if (events & POLLOUT) out |= EPOLLOUT;
    return out;
}

// Waits on several fds: a private epoll set holds them and the hub waits on that set.
bool wait_private(Reactor& reactor, Waiting& waiting, const pollfd* fds, nfds_t n, TimePoint deadline) {
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
    Waiting::Parked parked(waiting, watch);
    return reactor.wait(watch, false, deadline);
}

}  // namespace

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
    auto& reactor = Reactor::current("a wait on a file descriptor");
    Waiting waiting(fds, n);
    std::optional<bool> woke;
    // One fd waited on for input or for output alone fits a PolledFd of the hub's own epoll.
    const short e = only->events;
    if (live == 1 && bool(e & POLLIN) != bool(e & POLLOUT) && !(e & POLLPRI)) {
        woke = wait_direct(reactor, waiting, only->fd, e, deadline);
    }
    if (!woke) woke = wait_private(reactor, waiting, fds, n, deadline);
    waiting.raise_if_cancelled();
    return *woke;
}

bool wait_fd(int fd, short events, TimePoint deadline) {
    pollfd p{fd, events, 0};
    if (libc::poll(&p, 1, 0) != 0) return true;
    return wait_any(&p, 1, deadline);
}

int poll_until(pollfd* fds, nfds_t n, TimePoint deadline) {
    for (;;) {
        const int r = libc::poll(fds, n, 0);
        if (r != 0) return r;
        if (Clock::now() >= deadline) return 0;
        if (!wait_any(fds, n, deadline)) return libc::poll(fds, n, 0);
    }
}

}  // namespace net::detail

namespace {

std::string describe(const char* call, int fd) {
    return std::string(call) + "(fd " + std::to_string(fd) + ")";
}

void wait_for(int fd, short events, Seconds timeout, const char* call) {
    const auto deadline = timeout.deadline();
    if (fd < 0) throw net::SocketError(EBADF, describe(call, fd) + ": a negative fd — pass an open file descriptor");
    pollfd p{fd, events, 0};
    const int r = net::detail::libc::poll(&p, 1, 0);
    if (r < 0) net::detail::throw_socket_error(errno, describe(call, fd).c_str());
    if (p.revents & POLLNVAL) {
        throw net::SocketError(EBADF, describe(call, fd) + ": not an open file descriptor (closed already?)");
    }
    if (r > 0) return;
    if (Clock::now() >= deadline) throw net::SocketTimeout(describe(call, fd));
    gev::detail::require_hub(call);
    if (!net::detail::wait_any(&p, 1, deadline)) throw net::SocketTimeout(describe(call, fd));
}

}  // namespace

void wait_read(int fd, Seconds timeout) {
    wait_for(fd, POLLIN, timeout, "gev::wait_read");
}

void wait_write(int fd, Seconds timeout) {
    wait_for(fd, POLLOUT, timeout, "gev::wait_write");
}

void wait_readwrite(int fd, Seconds timeout) {
    wait_for(fd, POLLIN | POLLOUT, timeout, "gev::wait_readwrite");
}

std::size_t cancel_wait(int fd) {
    return cancel_wait(fd,
                       std::make_exception_ptr(net::SocketError(
                           EBADF, "fd " + std::to_string(fd) + " was closed in another greenlet (gev::cancel_wait)")));
}

std::size_t cancel_wait(int fd, std::exception_ptr error) {
    std::size_t woken = 0;
    for (auto* w = net::detail::Waiting::first(); w; w = w->next()) {
        if (w->waits_on(fd) && w->cancel(error)) ++woken;
    }
    return woken;
}

}  // namespace gev
