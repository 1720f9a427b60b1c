// Waiting on a raw file descriptor: gevent.socket.wait_read, wait_write, wait_readwrite and
// cancel_wait, for fds that are not a gev::net::Socket — a database driver's socket (libpq's
// PQsocket, psycopg2's wait callback), a pipe, a tty, an eventfd.
//
//   while (PQconnectPoll(conn) == PGRES_POLLING_READING) gev::wait_read(PQsocket(conn), 5s);
//
// The fd stays the caller's: nothing here closes it or changes its flags, and it is watched by
// the hub's epoll only for the length of each wait. A ready fd costs one poll() and no trip
// through the hub. Several greenlets may wait on one fd at once.
//
// The waits block the calling greenlet only, and are cancellation points: kill() and
// gev::Timeout raise out of them. They may be called from any greenlet (or a hub's main
// context) of a running hub; a wait that has to park outside one throws UsageError.
//
// Throws: SocketTimeout ("wait_read(fd 7): timed out") when `timeout` passes — a default
// Seconds waits forever, as gevent's None; SocketError(EBADF) for a negative or not open fd;
// the exception given to cancel_wait. Closing an fd another greenlet waits on does not wake it
// (epoll forgets a closed fd silently): call cancel_wait(fd) first, as gevent's socket.close()
// does. A regular file is always ready.
#pragma once

#include <cstddef>
#include <exception>
#include <geventpp/runtime/seconds.hpp>
#include <utility>

namespace gev {

// Block until fd is ready to read (POLLIN; also at end of stream or an error).
void wait_read(int fd, Seconds timeout = {});
// Block until fd is ready to write.
void wait_write(int fd, Seconds timeout = {});
// Block until fd is ready to read or to write.
void wait_readwrite(int fd, Seconds timeout = {});

// Wakes every greenlet of the calling thread's hub waiting on fd — in wait_read/write/readwrite,
// gev::select, gev::Poll::poll or a patched libc call (monkey) — with `error` raised out of its
// wait: by default SocketError(EBADF, "... was closed in another greenlet"), gevent's
// cancel_wait_ex. Returns how many waits it woke (gevent returns None). Does not block; waits
// on other hubs' threads are not touched.
std::size_t cancel_wait(int fd);
std::size_t cancel_wait(int fd, std::exception_ptr error);
template <class E>
std::size_t cancel_wait(int fd, E error) {
    return cancel_wait(fd, std::make_exception_ptr(std::move(error)));
}

}  // namespace gev
