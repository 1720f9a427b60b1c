// gevent.select: select() and poll() that block only the calling greenlet, on any fds.
//
//   auto [readable, writable, exceptional] = gev::select({fd_a, fd_b}, {}, {}, 1s);
//
//   gev::Poll p;
//   p.register_fd(fd, POLLIN);
//   for (auto [fd, events] : p.poll(500ms)) ...
//
// Both check the fds first (one poll() system call) and return at once when something is ready;
// otherwise the greenlet parks on the hub until one is, or the timeout passes, and the hub runs
// the others meanwhile. They are cancellation points (kill(), gev::Timeout), and
// gev::cancel_wait(fd) on one of the fds raises its exception out of them (<geventpp/net/fd_wait.hpp>).
// A default Seconds waits forever (gevent's None); a zero timeout only checks. Call them from a
// greenlet (or a hub's main context) of a running hub; one that has to park outside one throws
// UsageError. The fds stay the caller's: nothing here closes them or changes their flags.
#pragma once

#include <poll.h>

#include <geventpp/runtime/seconds.hpp>
#include <vector>

namespace gev {

// The fds of each list that are ready, in the order given (Python's three lists).
struct SelectResult {
    std::vector<int> rlist;
    std::vector<int> wlist;
    std::vector<int> xlist;
};

// gevent.select.select: waits until an fd of `rlist` is readable (or at end of stream), one of
// `wlist` writable, or one of `xlist` has an exceptional condition (POLLPRI: TCP urgent data), or
// until `timeout` (then all three lists are empty). Throws SocketError(EBADF) naming the fd when
// one is negative or not open, as Python's select.error.
SelectResult select(const std::vector<int>& rlist, const std::vector<int>& wlist, const std::vector<int>& xlist,
                    Seconds timeout = {});

// What Poll::poll reports for one fd: its poll(2) revents (POLLIN, POLLOUT, POLLPRI, POLLHUP,
// POLLERR, POLLNVAL).
struct PollEvent {
    int fd;
    short events;
};

// gevent.select.poll: a set of fds with the events to wait for. Belongs to one greenlet at a
// time; copyable (a copy is an independent set).
class Poll {
public:
    // Adds fd, or changes its events if it is there already. Python's `register` (a C++
    // keyword). Throws std::invalid_argument for a negative fd.
    void register_fd(int fd, short events = POLLIN | POLLPRI | POLLOUT);
    // Changes the events of a registered fd; SocketError(ENOENT) if it is not registered.
    void modify(int fd, short events);
    // Removes fd; std::out_of_range if it is not registered (Python's KeyError).
    void unregister(int fd);

    // Waits until a registered fd has an event, or `timeout` (then the list is empty). A closed
    // fd is reported with POLLNVAL rather than thrown, as poll(2) and gevent do.
    std::vector<PollEvent> poll(Seconds timeout = {});

private:
    std::vector<pollfd> fds_;
};

}  // namespace gev
