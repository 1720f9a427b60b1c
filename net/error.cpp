#include <cerrno>
#include <cstring>
#include <geventpp/net/error.hpp>

namespace gev::net::detail {

void throw_socket_error(int err, const char* call) {
    const std::string what = call;
    switch (err) {
        case ECONNREFUSED:
            throw ConnectionRefused(err, what);
        case ECONNRESET:
        case EPIPE:
            throw ConnectionReset(err, what);
        case ETIMEDOUT:
            throw SocketTimeout(what);
        default:
            throw SocketError(err, what);
    }
}

}  // namespace gev::net::detail
