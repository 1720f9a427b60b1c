// gev::net::Reader: buffered reading from a socket, for the parts of socket.makefile('rb')
// that line protocols use: readline() and read(n).
//
//   gev::net::Reader rfile(sock);
//   for (std::string line; !(line = rfile.readline()).empty();) ...   // "" at end of stream
//
// Blocks like recv (cancellation points; the socket's timeout applies). A call that ends with
// an exception (a timeout, kill, a reset) loses nothing: what it had read stays buffered for
// the next call. The reader keeps a reference to the socket, which must outlive it.
#pragma once

#include <cstddef>
#include <geventpp/net/socket.hpp>
#include <string>

namespace gev::net {

class Reader {
public:
    explicit Reader(Socket& socket) : socket_(socket) {}

    // The next line, with its '\n'; at most `limit` bytes (a longer line comes in pieces);
    // what is left at end of stream, then "".
    std::string readline(std::size_t limit = 65536);
    // Exactly n bytes, or fewer at end of stream.
    std::string read(std::size_t n);

private:
    bool fill();
    Socket& socket_;
    std::string buffer_;
    std::size_t pos_ = 0;
};

}  // namespace gev::net
