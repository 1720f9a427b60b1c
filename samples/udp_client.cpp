// UDP client — gevent's examples/udp_client.py:
//
//   address = ('localhost', 9000)
//   message = ' '.join(sys.argv[1:])
//   sock = socket.socket(type=socket.SOCK_DGRAM)
//   sock.connect(address)
//   print('Sending %s bytes to %s:%s' % ((len(message), ) + address))
//   sock.send(message.encode())
//   data, address = sock.recvfrom(8192)
//   print('%s:%s: got %r' % (address + (data, )))
//
// Run: GEV_UDP_PORT=9000 build/samples/udp_client hello world
#include <cstdio>
#include <cstdlib>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/resolve.hpp>
#include <geventpp/net/socket.hpp>

int main(int argc, char** argv) {
    const char* port_env = std::getenv("GEV_UDP_PORT");
    const auto port = static_cast<std::uint16_t>(port_env ? std::atoi(port_env) : 9000);
    std::string message;
    for (int i = 1; i < argc; ++i) message += (i > 1 ? " " : "") + std::string(argv[i]);
    return gev::run([&] {
        const auto address = gev::net::getaddrinfo("localhost", port, AF_INET, SOCK_DGRAM).front();
        gev::net::Socket sock(AF_INET, SOCK_DGRAM);
        sock.settimeout(5.0);
        sock.connect(address);
        std::printf("Sending %zu bytes to localhost:%u\n", message.size(), port);
        sock.send(message);
        auto [data, from] = sock.recvfrom(8192);
        std::printf("%s: got '%s'\n", from.to_string().c_str(), data.c_str());
        return 0;
    });
}
