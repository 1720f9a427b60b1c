// The C library's own entry points for the calls libgeventpp_monkey interposes. geventpp's
// sockets are non-blocking and do their own waiting, so their system calls go here: straight to
// libc, never through the patched names, whether or not the monkey library is loaded. The
// monkey library calls through here too once it has decided to pass a call on.
#pragma once

#include <netdb.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace gev::net::detail::libc {

// A non-blocking call's errno saying it would have had to wait.
inline bool would_block(int err) noexcept {
    return err == EAGAIN || err == EWOULDBLOCK;
}

// libc's definition of `name` (not whichever library interposes it); aborts if it has none.
void* lookup(const char* name) noexcept;

#define GEV_LIBC_CALL(name)                                                        \
    template <class... A>                                                          \
    inline auto name(A... args) {                                                  \
        static const auto fn = reinterpret_cast<decltype(&::name)>(lookup(#name)); \
        return fn(args...);                                                        \
    }
GEV_LIBC_CALL(sleep)
GEV_LIBC_CALL(usleep)
GEV_LIBC_CALL(nanosleep)
GEV_LIBC_CALL(clock_nanosleep)
GEV_LIBC_CALL(read)
GEV_LIBC_CALL(write)
GEV_LIBC_CALL(readv)
GEV_LIBC_CALL(writev)
GEV_LIBC_CALL(recv)
GEV_LIBC_CALL(send)
GEV_LIBC_CALL(recvfrom)
GEV_LIBC_CALL(sendto)
GEV_LIBC_CALL(recvmsg)
GEV_LIBC_CALL(sendmsg)
GEV_LIBC_CALL(connect)
GEV_LIBC_CALL(accept)
GEV_LIBC_CALL(accept4)
GEV_LIBC_CALL(poll)
GEV_LIBC_CALL(select)
GEV_LIBC_CALL(getaddrinfo)
GEV_LIBC_CALL(waitpid)
GEV_LIBC_CALL(wait4)
GEV_LIBC_CALL(waitid)
GEV_LIBC_CALL(system)
#undef GEV_LIBC_CALL

}  // namespace gev::net::detail::libc
