// A minimal WSGI-style server — gevent's examples/wsgiserver.py:
//
//   def application(env, start_response):
//       if env['PATH_INFO'] == '/':
//           start_response('200 OK', [('Content-Type', 'text/html')])
//           return [b"<b>hello world</b>"]
//       start_response('404 Not Found', [('Content-Type', 'text/html')])
//       return [b'<h1>Not Found</h1>']
//   print('Serving on 8088...')
//   WSGIServer(('127.0.0.1', 8088), application).serve_forever()
//
// The raw handler interface: request in, response out, no router.
// Run: build/samples/wsgiserver [port]
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/server.hpp>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8088);
    return gev::run([port] {
        auto application = [](gev::http::Request& env, gev::http::Response& start_response) {
            start_response.set_header("Content-Type", "text/html");
            if (env.path() == "/") {
                start_response.body = "<b>hello world</b>";
                return;
            }
            start_response.set_status(404);
            start_response.body = "<h1>Not Found</h1>";
        };
        gev::http::Server server(gev::net::Address("127.0.0.1", port), application);
        server.start();
        std::printf("Serving on %u...\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
