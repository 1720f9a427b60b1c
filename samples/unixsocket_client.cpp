// Unix-socket client — gevent's examples/unixsocket_client.py:
//
//   s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//   s.connect("./unixsocket_server.py.sock")
//   s.send('GET / HTTP/1.0\r\n\r\n')
//   data = s.recv(1024)
//   print('received %s bytes' % len(data))
//   print(data)
//   s.close()
//
// Run: build/samples/unixsocket_client [path] (with build/samples/unixsocket_server serving there)
#include <cstdio>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/socket.hpp>

int main(int argc, char** argv) {
    const std::string sockname = argc > 1 ? argv[1] : "./unixsocket_server.sock";
    return gev::run([&] {
        gev::net::Socket s(AF_UNIX, SOCK_STREAM);
        s.connect(gev::net::Address::unix_socket(sockname));
        s.send("GET / HTTP/1.0\r\n\r\n");
        const std::string data = s.recv(1024);
        std::printf("received %zu bytes\n", data.size());
        std::printf("%s\n", data.c_str());
        s.close();
        return 0;
    });
}
