// gev::net::SocketStream: a connected net::Socket as a Stream, the plain (not TLS) transport of
// the HTTP server and the WebSocket.
//
//   gev::net::SocketStream s(gev::net::create_connection("127.0.0.1", 8080, 5s));
//   s.sendall("GET / HTTP/1.0\r\n\r\n");
//
// Its calls are the socket's (same waits, same errors: see socket.hpp). It owns the socket:
// the destructor closes it, and socket() lends it out for what Stream does not cover.
#pragma once

#include <geventpp/net/socket.hpp>
#include <geventpp/net/stream.hpp>

namespace gev::net {

class SocketStream final : public Stream {
public:
    explicit SocketStream(Socket socket) noexcept : socket_(std::move(socket)) {}

    std::size_t recv_into(void* buffer, std::size_t n) override { return socket_.recv_into(buffer, n); }
    std::optional<std::size_t> try_recv_into(void* buffer, std::size_t n) override {
        return socket_.try_recv_into(buffer, n);
    }
    void sendall(std::span<const boost::asio::const_buffer> buffers) override { socket_.sendall(buffers); }
    using Stream::sendall;
    void wait_read() override { socket_.wait_read(); }
    void shutdown_write() override { socket_.shutdown(SHUT_WR); }
    void close() noexcept override { socket_.close(); }
    bool is_open() const noexcept override { return bool(socket_); }
    void settimeout(Seconds timeout) noexcept override { socket_.settimeout(timeout); }
    std::unique_ptr<Stream> release() override { return std::make_unique<SocketStream>(std::move(socket_)); }

    Socket& socket() noexcept { return socket_; }

private:
    Socket socket_;
};

}  // namespace gev::net
