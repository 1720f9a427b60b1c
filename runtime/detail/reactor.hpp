// The hub's readiness layer: an edge-triggered epoll set in which every socket is registered
// once. Each socket carries readable/writable flags; an I/O call that meets EAGAIN clears its
// flag and parks the greenlet, an epoll event sets it and wakes the greenlet. See docs/hub.md.
//
// The epoll fd is itself registered (once) with the hub's io_context: when the hub is about to
// block, an async_wait on it lets one run_one() wait for sockets, timers and cross-thread
// wake-ups together.
#pragma once

#include <sys/epoll.h>

#include <functional>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <geventpp/runtime/detail/park.hpp>

namespace gev::detail {

// One registered file descriptor. Lives on the heap at a stable address (epoll's data.ptr),
// shared by its socket and whoever waits on it; used only on its hub's thread.
class Reactor;

struct PolledFd {
    int fd = -1;
    Reactor* reactor = nullptr;  // set when first registered (lazily, at the first EAGAIN)
    bool readable = true;        // try the syscall first: a fresh socket may already have data
    bool writable = true;
    // The peer shut down its side (or the socket failed): no edge will ever come again, so
    // readable must not be cleared on a short read.
    bool eof = false;
    bool closed = false;
    Spinlock lock;
    WaitList readers;
    WaitList writers;
    // Called once, from the hub's loop, at the next readable edge, with no greenlet waiting
    // (an idle keep-alive connection parks this way). Must not block.
    std::function<void()> on_readable;
};

class Reactor {
public:
    explicit Reactor(boost::asio::io_context& io);
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    // Registers w.fd, edge-triggered, for input and output. Throws std::system_error.
    // epoll reports readiness that already exists at once, so nothing is missed between the
    // EAGAIN that prompted this and the registration.
    void add(PolledFd& w);
    // Unregisters w.fd and wakes whoever waits on it (they see `closed`).
    void remove(PolledFd& w) noexcept;
    // Registers w with this reactor unless it already is; UsageError if it belongs to another.
    void ensure_registered(PolledFd& w);

    // Waits until w is readable (writable), registering it first if needed; false if the
    // deadline passed first. Throws on kill and Timeout like every blocking call.
    bool wait(PolledFd& w, bool for_write, TimePoint deadline);

    // The reactor of the calling thread's hub; throws UsageError outside a hub.
    static Reactor& current(const char* call);

    // Takes the events epoll has ready (without blocking) and wakes their greenlets.
    // Returns how many there were.
    int harvest() noexcept;
    // Before the hub blocks: make sure the io_context wakes it when a socket gets an event.
    void arm() noexcept;

private:
    int epfd_;
    boost::asio::posix::stream_descriptor desc_;
    bool armed_ = false;
    std::size_t registered_ = 0;
};

}  // namespace gev::detail
