// A minimal WSGI-style server — gevent's examples/wsgiserver.py:
//
//   print('Serving on 8088...')
//   WSGIServer(('127.0.0.1', 8088), application).serve_forever()
//
// with the application of hello_world.hpp. The raw handler interface: request in, response
// out, no router.
// Run: build/samples/wsgiserver [port]
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/server.hpp>

#include "hello_world.hpp"

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8088);
    return gev::run([port] {
        gev::http::Server server(gev::net::Address("127.0.0.1", port), hello_world);
        server.start();
        std::printf("Serving on %u...\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
