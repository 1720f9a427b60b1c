// Parking a greenlet on file descriptors that are not geventpp's sockets: the one mechanism
// under gev::wait_read/wait_write, gev::select, gev::Poll and libgeventpp_monkey's patched calls.
// Every wait here is a cancellation point (kill, gev::Timeout) and can be cancelled by
// gev::cancel_wait on one of its fds. See docs/fd_wait.md.
#pragma once

#include <poll.h>

#include <geventpp/runtime/seconds.hpp>

namespace gev::net::detail {

// Parks the calling greenlet until one of `fds` is ready for its events (as poll() sees them),
// or the deadline passes (false). Negative fds are ignored; none at all is a sleep. A bad fd or
// a regular file returns true at once, for poll() to report. Throws the cancel_wait exception,
// the kill exception or Timeout::Expired; UsageError outside a running hub.
bool wait_any(pollfd* fds, nfds_t n, TimePoint deadline);

// Until fd is ready for `events`: returns true at once when it already is.
bool wait_fd(int fd, short events, TimePoint deadline);

// poll(2) that parks the greenlet instead of the thread: libc's zero-timeout poll, and a wait
// between tries until something is ready or the deadline passes. Returns poll's result (0 on
// timeout, -1 with errno), its revents filled in. Throws as wait_any.
int poll_until(pollfd* fds, nfds_t n, TimePoint deadline);

// The kernel's own mapping of poll's events to select's three sets.
inline constexpr short select_read_events = POLLIN | POLLHUP | POLLERR;
inline constexpr short select_write_events = POLLOUT | POLLERR;
inline constexpr short select_except_events = POLLPRI;

}  // namespace gev::net::detail
