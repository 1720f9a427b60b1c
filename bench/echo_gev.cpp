// Echo server for bench/echo_bench.py: geventpp, one hub, a greenlet per connection.
// Usage: echo_gev <port>
#include <cstdlib>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/stream_server.hpp>

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
    return gev::run([port] {
        gev::net::StreamServer server(gev::net::Address("127.0.0.1", port), [](gev::net::Socket& s, const auto&) {
            char buf[2048];
            try {
                for (std::size_t n; (n = s.recv_into(buf, sizeof buf)) > 0;) s.sendall({buf, n});
            } catch (const gev::net::SocketError&) {
            }
        });
        server.serve_forever();
        return 0;
    });
}
