#include "detail/reactor.hpp"

#include <unistd.h>

#include <cerrno>
#include <geventpp/runtime/error.hpp>
#include <system_error>

#include "detail/hub_impl.hpp"

namespace gev::detail {

Reactor::Reactor(boost::asio::io_context& io) : epfd_(::epoll_create1(EPOLL_CLOEXEC)), desc_(io) {
    if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    desc_.assign(::dup(epfd_));
}

Reactor::~Reactor() {
    boost::system::error_code ec;
    desc_.close(ec);
    ::close(epfd_);
}

void Reactor::add(PolledFd& w) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &w;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, w.fd, &ev) < 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_ctl(ADD)");
    }
    w.reactor = this;
    ++registered_;
}

Reactor& Reactor::current(const char* call) {
    require_hub(call);
    return detail::HubAccess::impl(*Hub::current()).reactor;
}

void Reactor::ensure_registered(PolledFd& w) {
    if (w.reactor == this) return;
    if (w.reactor) {
        throw UsageError("a socket was used on a hub other than the one it first waited on — "
                         "use each socket from greenlets of one hub");
    }
    add(w);
}

void Reactor::remove(PolledFd& w) noexcept {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, w.fd, nullptr);
    --registered_;
    w.reactor = nullptr;
    w.on_readable = nullptr;
    SpinGuard lk(w.lock);
    w.closed = true;
    w.readers.notify_all();
    w.writers.notify_all();
}

bool Reactor::wait(PolledFd& w, bool for_write, TimePoint deadline) {
    ensure_registered(w);
    bool& ready = for_write ? w.writable : w.readable;
    WaitList& waiters = for_write ? w.writers : w.readers;
    SpinGuard lk(w.lock);
    while (!ready && !w.closed) {
        if (!waiters.wait(lk, deadline)) return ready || w.closed;
    }
    return true;
}

int Reactor::harvest() noexcept {
    if (registered_ == 0) return 0;
    epoll_event events[256];
    int total = 0;
    for (;;) {
        const int n = ::epoll_wait(epfd_, events, 256, 0);
        if (n <= 0) return total;
        total += n;
        for (int i = 0; i < n; ++i) {
            auto& w = *static_cast<PolledFd*>(events[i].data.ptr);
            const auto e = events[i].events;
            std::function<void()> callback;
            {
                SpinGuard lk(w.lock);
                if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) w.eof = true;
                if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                    w.readable = true;
                    w.readers.notify_all();
                    callback = std::move(w.on_readable);
                    w.on_readable = nullptr;
                }
                if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
                    w.writable = true;
                    w.writers.notify_all();
                }
            }
            if (callback) callback();
        }
        if (n < 256) return total;
    }
}

void Reactor::arm() noexcept {
    if (armed_ || registered_ == 0) return;
    armed_ = true;
    desc_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
        armed_ = false;
        if (!ec) harvest();
    });
}

}  // namespace gev::detail
