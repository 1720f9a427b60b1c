// Unix-socket server — gevent's examples/unixsocket_server.py:
//
//   def handle(conn, address):
//       conn.send(b"hello world")
//       conn.close()
//   listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//   sockname = "./socket"
//   if os.path.exists(sockname):
//       os.remove(sockname)
//   listener.bind(sockname)
//   listener.listen(1)
//   StreamServer(listener, handle).serve_forever()
//
// Run: build/samples/unixsocket_server [path], then build/samples/unixsocket_client [path]
#include <unistd.h>

#include <cstdio>
#include <string>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/stream_server.hpp>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time, also into a pipe or file
    const std::string sockname = argc > 1 ? argv[1] : "./socket";
    return gev::run([&] {
        auto handle = [](gev::net::Socket& conn, const gev::net::Address&) {
            conn.send("hello world");
            conn.close();
        };
        gev::net::Socket listener(AF_UNIX, SOCK_STREAM);
        ::unlink(sockname.c_str());
        listener.bind(gev::net::Address::unix_socket(sockname));
        listener.listen(1);
        gev::net::StreamServer server(std::move(listener), handle);
        server.start();
        std::printf("Listening on %s\n", sockname.c_str());
        server.serve_forever();
        return 0;
    });
}
