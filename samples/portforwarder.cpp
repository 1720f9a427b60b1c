// Port forwarder — gevent's examples/portforwarder.py:
//
//   class PortForwarder(StreamServer):
//       def handle(self, source, address):
//           try:
//               dest = create_connection(self.dest)
//           except IOError as ex:
//               log('%s:%s failed to connect to %s:%s: %s', ...)
//               return
//           forwarders = (gevent.spawn(forward, source, dest, self),
//                         gevent.spawn(forward, dest, source, self))
//           gevent.joinall(forwarders)
//   def forward(source, dest, server):
//       try:
//           while True:
//               data = source.recv(1024)
//               if not data: break
//               dest.sendall(data)
//       finally:
//           source.close()
//           dest.close()
//
// Run: build/samples/portforwarder <listen-port> <dest-host> <dest-port>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/stream_server.hpp>

using gev::net::Socket;

namespace {
void forward(Socket& source, Socket& dest) {
    try {
        for (;;) {
            std::string data = source.recv(1024);
            if (data.empty()) break;
            dest.sendall(data);
        }
    } catch (const gev::net::SocketError&) {
        // The other direction closed both sockets, or the peer went away.
    }
    source.close();
    dest.close();
}
}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time, also into a pipe or file
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <listen-port> <dest-host> <dest-port>\n", argv[0]);
        return 2;
    }
    const auto listen_port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    const std::string dest_host = argv[2];
    const auto dest_port = static_cast<std::uint16_t>(std::atoi(argv[3]));
    return gev::run([&] {
        auto handle = [&](Socket& source, const gev::net::Address& address) {
            std::printf("%s accepted\n", address.to_string().c_str());
            Socket dest;
            try {
                dest = gev::net::create_connection(dest_host, dest_port);
            } catch (const std::exception& ex) {
                std::printf("%s failed to connect to %s:%u: %s\n", address.to_string().c_str(), dest_host.c_str(),
                            dest_port, ex.what());
                return;
            }
            gev::joinall({gev::spawn(forward, std::ref(source), std::ref(dest)),
                          gev::spawn(forward, std::ref(dest), std::ref(source))});
        };
        gev::net::StreamServer server(gev::net::Address("127.0.0.1", listen_port), handle);
        server.start();
        std::printf("Starting port forwarder 127.0.0.1:%u -> %s:%u\n", server.server_port(), dest_host.c_str(),
                    dest_port);
        server.serve_forever();
        return 0;
    });
}
