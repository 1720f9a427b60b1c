// gev::net::Writer: buffered writing to a socket, the write side of socket.makefile('wb');
// gev::net::Reader is the read side, and the two on one socket are makefile('rwb').
//
//   gev::net::Writer wfile(sock);
//   wfile.write("HTTP/1.0 200 OK\r\n");
//   wfile.write("\r\n");
//   wfile.flush();                        // both lines in one send
//
// write() keeps data until `buffer_size` bytes are pending, then sends them (a write larger
// than the buffer goes out at once, after what was pending); flush() and close() send what is
// left. Those sends block like sendall (cancellation points; the socket's timeout applies) and
// throw what sendall throws. After a failed send what was not sent stays buffered, so a retried
// flush() sends it. The destructor does not flush (a destructor must not block): call flush()
// or close() first; what is still buffered then is dropped. Keeps a reference to the socket,
// which must outlive it; one greenlet at a time.
#pragma once

#include <cstddef>
#include <geventpp/net/socket.hpp>
#include <string>
#include <string_view>

namespace gev::net {

class Writer {
public:
    // Python's io.DEFAULT_BUFFER_SIZE.
    static constexpr std::size_t default_buffer_size = 8192;

    explicit Writer(Socket& socket, std::size_t buffer_size = default_buffer_size)
        : socket_(socket), buffer_size_(buffer_size) {}

    // Buffers `data` (sending when the buffer is full); returns data.size().
    std::size_t write(std::string_view data);
    // Sends everything buffered.
    void flush();
    // flush(), then no more writes: write() and flush() throw SocketError(EBADF). The socket
    // stays open (as Python's makefile: the socket is closed by its own close()).
    void close();
    bool closed() const noexcept { return closed_; }
    // Bytes written but not sent yet.
    std::size_t pending() const noexcept { return buffer_.size(); }

private:
    void check_open(const char* call) const;
    Socket& socket_;
    std::size_t buffer_size_;
    std::string buffer_;
    bool closed_ = false;
};

}  // namespace gev::net
