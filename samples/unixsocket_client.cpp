// Unix-socket client — gevent's examples/unixsocket_client.py:
//
//   s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//   s.connect("./socket")
//   print(s.recv(1024))
//
// Run: build/samples/unixsocket_client [path]
#include <cstdio>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/socket.hpp>

int main(int argc, char** argv) {
    const std::string sockname = argc > 1 ? argv[1] : "./socket";
    return gev::run([&] {
        gev::net::Socket s(AF_UNIX, SOCK_STREAM);
        s.connect(gev::net::Address::unix_socket(sockname));
        std::printf("%s\n", s.recv(1024).c_str());
        return 0;
    });
}
