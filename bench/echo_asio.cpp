// Echo server for bench/echo_bench.py: plain Asio callbacks, one thread (the peer to beat).
// Usage: echo_asio <port>
#include <array>
#include <boost/asio.hpp>
#include <cstdlib>
#include <memory>

using boost::asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket s) : socket_(std::move(s)) {}
    void read() {
        socket_.async_read_some(boost::asio::buffer(buf_), [self = shared_from_this()](auto ec, std::size_t n) {
            if (!ec) self->write(n);
        });
    }

private:
    void write(std::size_t n) {
        boost::asio::async_write(socket_, boost::asio::buffer(buf_, n), [self = shared_from_this()](auto ec, std::size_t) {
            if (!ec) self->read();
        });
    }
    tcp::socket socket_;
    std::array<char, 16384> buf_;
};

void accept(tcp::acceptor& a) {
    a.async_accept([&a](auto ec, tcp::socket s) {
        if (!ec) {
            s.set_option(tcp::no_delay(true));
            std::make_shared<Session>(std::move(s))->read();
        }
        accept(a);
    });
}

int main(int argc, char** argv) {
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 9002);
    boost::asio::io_context io(1);
    tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), port});
    accept(a);
    io.run();
}
