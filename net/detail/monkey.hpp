// What the patched calls of libgeventpp_monkey share: which groups are patched, and what a
// caller's fd asks for. They park on fds through net/detail/fd_wait.hpp, as gev::wait_read does.
#pragma once

#include <atomic>
#include <geventpp/runtime/detail/park.hpp>

namespace gev::monkey::detail {

enum Group : unsigned { time = 1, socket = 2, select = 4, os = 8, subprocess = 16 };
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

}  // namespace gev::monkey::detail
