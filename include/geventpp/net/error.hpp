// Exceptions of the network layer, after Python's socket module.
//
// SocketError carries errno (it is a std::system_error). A refused connection and a reset by
// the peer have their own types; a socket timeout (settimeout) is SocketTimeout. End of stream
// is not an error: recv() returns an empty string, read_some() reports asio::error::eof.
// AddressError is a failed name resolution or an address that does not parse (gaierror).
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace gev::net {

class SocketError : public std::system_error {
public:
    SocketError(int err, const std::string& what) : std::system_error(err, std::generic_category(), what) {}
};

// ECONNREFUSED: nothing listens there.
class ConnectionRefused : public SocketError {
public:
    using SocketError::SocketError;
};

// ECONNRESET / EPIPE: the peer reset the connection or is gone.
class ConnectionReset : public SocketError {
public:
    using SocketError::SocketError;
};

// The socket's own timeout (settimeout) passed. Python's socket.timeout.
class SocketTimeout : public SocketError {
public:
    explicit SocketTimeout(const std::string& what) : SocketError(ETIMEDOUT, what + ": timed out") {}
};

// A call on a socket in non-blocking mode (setblocking(false)) that would have to wait:
// EAGAIN, or EINPROGRESS for connect. Python's BlockingIOError.
class WouldBlock : public SocketError {
public:
    WouldBlock(int err, const std::string& what) : SocketError(err, what + ": the socket is non-blocking") {}
};

class AddressError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
// Throws the SocketError subclass that fits `err`, with "call: message".
[[noreturn]] void throw_socket_error(int err, const char* call);
}  // namespace detail

}  // namespace gev::net
