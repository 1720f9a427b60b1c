// UDP echo server — gevent's examples/udp_server.py:
//
//   class EchoServer(DatagramServer):
//       def handle(self, data, address):
//           print('%s: got %r' % (address[0], data))
//           self.socket.sendto(('Received %s bytes' % len(data)).encode('utf-8'), address)
//   print('Receiving datagrams on :9000')
//   EchoServer(':9000').serve_forever()
//
// Run: build/samples/udp_server [port], then build/samples/udp_client hello
#include <cstdio>
#include <cstdlib>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/datagram_server.hpp>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time, also into a pipe or file
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9000);
    return gev::run([port] {
        gev::net::DatagramServer* self = nullptr;
        gev::net::DatagramServer server(gev::net::Address("0.0.0.0", port),
                                        [&](std::string data, const gev::net::Address& address) {
                                            std::printf("%s: got '%s'\n", address.host().c_str(), data.c_str());
                                                                                self->sendto("Received " + std::to_string(data.size()) + " bytes",
                                                         address);
                                        });
        self = &server;
        server.start();
        std::printf("Receiving datagrams on :%u\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
