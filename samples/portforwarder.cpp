// Port forwarder with graceful exit — gevent's examples/portforwarder.py:
//
//   class PortForwarder(StreamServer):
//       def handle(self, source, address):
//           log('%s:%s accepted', *address[:2])
//           try:
//               dest = create_connection(self.dest)
//           except IOError as ex:
//               log('%s:%s failed to connect to %s:%s: %s', ...)
//               return
//           forwarders = (gevent.spawn(forward, source, dest, self),
//                         gevent.spawn(forward, dest, source, self))
//           gevent.joinall(forwarders)
//       def close(self):
//           if self.closed:
//               sys.exit('Multiple exit signals received - aborting.')
//           else:
//               log('Closing listener socket')
//               StreamServer.close(self)
//   def forward(source, dest, server):
//       try:
//           while True:
//               data = source.recv(1024)
//               if not data: break
//               dest.sendall(data)
//       except socket.error: ...
//       finally:
//           source.close()
//           dest.close()
//   ...
//   server = PortForwarder(source, dest)
//   gevent.signal(signal.SIGTERM, server.close)
//   gevent.signal(signal.SIGINT, server.close)
//   server.start()
//   gevent.wait()
//
// When it receives SIGTERM or SIGINT (Ctrl-C), it closes the listening socket; the open
// connections go on undisturbed, and the program exits (status 0) once the last one has
// closed. A second signal aborts at once (status 1). gevent.wait() — wait until nothing is left
// to run — is here a wait for the server's Group of connections once the listener is closed.
//
// Run: build/samples/portforwarder :8080 127.0.0.1:80, then telnet 127.0.0.1 8080
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/stream_server.hpp>
#include <geventpp/runtime/signal.hpp>
#include <optional>
#include <string>
#include <utility>

using gev::net::Address;
using gev::net::Socket;

namespace {
void log(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
}

void forward(Socket& source, Socket& dest) {
    const std::string source_address = source.getpeername().to_string();
    const std::string dest_address = dest.getpeername().to_string();
    try {
        for (;;) {
            std::string data = source.recv(1024);
            log(source_address + "->" + dest_address + ": " + std::to_string(data.size()) + " bytes");
            if (data.empty()) break;
            dest.sendall(data);
        }
    } catch (const gev::net::SocketError&) {
        // The other direction closed both sockets, or a peer went away.
    }
    source.close();
    dest.close();
}

// Python's parse_address: HOST:PORT (the host is resolved with gethostbyname in main).
std::optional<std::pair<std::string, std::uint16_t>> parse_address(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size()) return std::nullopt;
    char* end = nullptr;
    const long port = std::strtol(address.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) return std::nullopt;
    return std::pair{address.substr(0, colon), static_cast<std::uint16_t>(port)};
}

int forward_ports(const char* listener, const std::string& dest_name, std::uint16_t dest_port) {
    return gev::run([&] {
        const std::string dest_host = gev::net::gethostbyname(dest_name);
        auto handle = [&](Socket& source, const Address& address) {
            log(address.to_string() + " accepted");
            Socket dest;
            try {
                dest = gev::net::create_connection(dest_host, dest_port);
            } catch (const gev::net::SocketError& ex) {
                log(address.to_string() + " failed to connect to " + dest_host + ":" + std::to_string(dest_port) +
                    ": " + ex.what());
                return;
            }
            gev::joinall({gev::spawn(forward, std::ref(source), std::ref(dest)),
                          gev::spawn(forward, std::ref(dest), std::ref(source))});
        };
        gev::Group connections;
        gev::net::StreamServer server(listener, handle, {.pool = &connections});
        gev::Event closed;
        auto close = [&] {
            if (server.closed()) {
                log("Multiple exit signals received - aborting.");
                std::_Exit(1);  // sys.exit from a signal handler: no unwinding of the open connections
            }
            log("Closing listener socket");
            server.close();
            closed.set();
        };
        auto on_term = gev::signal_handler(SIGTERM, close);
        auto on_int = gev::signal_handler(SIGINT, close);
        server.start();
        log("Starting port forwarder " + server.address().to_string() + " -> " + dest_host + ":" +
            std::to_string(dest_port));
        closed.wait();
        connections.join();
        return 0;
    });
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        log(std::string("Usage: ") + argv[0] + " source-address destination-address");
        return 1;
    }
    const auto dest = parse_address(argv[2]);
    if (!dest) {
        log(std::string("Expected HOST:PORT: '") + argv[2] + "'");
        return 1;
    }
    try {
        return forward_ports(argv[1], dest->first, dest->second);
    } catch (const gev::net::AddressError& ex) {
        log(ex.what());
        return 1;
    }
}
