// What the patched calls of libgeventpp_monkey share: which groups are patched, and how a
// greenlet parks on a file descriptor it does not own (no gev::net::Socket behind it).
#pragma once

#include <poll.h>

#include <atomic>
#include <geventpp/runtime/detail/park.hpp>

namespace gev::monkey::detail {

enum Group : unsigned { time = 1, socket = 2, select = 4 };
extern std::atomic<unsigned> patched;

// Whether a call of `group` should cooperate: the group is patched and a greenlet is calling.
inline bool cooperative(Group group) noexcept {
    return (patched.load(std::memory_order_relaxed) & group) && gev::detail::current_greenlet();
}

// Whether fd is in non-blocking mode; also true for a bad fd, so that libc reports the error.
bool nonblocking(int fd) noexcept;

// The deadline SO_RCVTIMEO or SO_SNDTIMEO (`option`) sets for a call starting now; forever
// when unset or when fd is not a socket.
TimePoint socket_deadline(int fd, int option) noexcept;

// Parks the calling greenlet until one of `fds` is ready for its events (as poll() sees them),
// or the deadline passes (false). Negative fds are ignored. A cancellation point.
bool wait_any(pollfd* fds, nfds_t n, TimePoint deadline);

// Until fd is ready for `events`: returns at once when it already is.
bool wait_fd(int fd, short events, TimePoint deadline);

}  // namespace gev::monkey::detail
