// Unix-socket WSGI server — gevent's examples/unixsocket_server.py:
//
//   def application(environ, start_response):
//       assert environ
//       start_response('200 OK', [])
//       return []
//
//   listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//   sockname = './' + os.path.basename(__file__) + '.sock'
//   if os.path.exists(sockname):
//       os.remove(sockname)
//   listener.bind(sockname)
//   listener.listen(1)
//   WSGIServer(listener, application).serve_forever()
//
// Run: build/samples/unixsocket_server [path], then build/samples/unixsocket_client [path]
#include <unistd.h>

#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/server.hpp>
#include <string>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time, also into a pipe or file
    const std::string sockname = argc > 1 ? argv[1] : "./unixsocket_server.sock";
    return gev::run([&] {
        auto application = [](gev::http::Request&, gev::http::Response& start_response) {
            start_response.set_status(200);
        };
        gev::net::Socket listener(AF_UNIX, SOCK_STREAM);
        ::unlink(sockname.c_str());
        listener.bind(gev::net::Address::unix_socket(sockname));
        listener.listen(1);
        gev::http::Server server(std::move(listener), application);
        server.start();
        std::printf("Listening on %s\n", sockname.c_str());
        server.serve_forever();
        return 0;
    });
}
