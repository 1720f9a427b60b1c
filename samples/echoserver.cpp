// Echo server — gevent's examples/echoserver.py:
//
//   def echo(socket, address):
//       print('New connection from %s:%s' % address)
//       socket.sendall(b'Welcome to the echo server! Type quit to exit.\r\n')
//       rfileobj = socket.makefile(mode='rb')
//       while True:
//           line = rfileobj.readline()
//           if not line:
//               print("client disconnected")
//               break
//           if line.strip().lower() == b'quit':
//               print("client quit")
//               break
//           socket.sendall(line)
//           print("echoed %r" % line)
//   server = StreamServer(('0.0.0.0', 16000), echo)
//   print('Starting echo server on port 16000')
//   server.serve_forever()
//
// Run: build/samples/echoserver [port]   (port 0 picks a free one), then: telnet 127.0.0.1 16000
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/reader.hpp>
#include <geventpp/net/stream_server.hpp>

namespace {
std::string strip_lower(std::string s) {
    s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time, also into a pipe or file
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 16000);
    return gev::run([port] {
        auto echo = [](gev::net::Socket& socket, const gev::net::Address& address) {
            std::printf("New connection from %s\n", address.to_string().c_str());
            socket.sendall("Welcome to the echo server! Type quit to exit.\r\n");
            gev::net::Reader rfileobj(socket);
            for (;;) {
                std::string line = rfileobj.readline();
                if (line.empty()) {
                    std::printf("client disconnected\n");
                    break;
                }
                if (strip_lower(line) == "quit") {
                    std::printf("client quit\n");
                    break;
                }
                socket.sendall(line);
                std::printf("echoed '%s'\n", line.substr(0, line.find_last_not_of("\r\n") + 1).c_str());
            }
        };
        gev::net::StreamServer server(gev::net::Address("0.0.0.0", port), echo);
        server.start();
        std::printf("Starting echo server on port %u\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
