// The same application over HTTPS — gevent's examples/wsgiserver_ssl.py:
//
//   print('Serving on https://:8443')
//   server = pywsgi.WSGIServer(('0.0.0.0', 8443), hello_world, keyfile='server.key',
//                              certfile='server.crt')
//   server.serve_forever()
//
// with the application of hello_world.hpp, on 127.0.0.1. samples/server.crt and server.key are
// a self-signed pair for localhost and 127.0.0.1 (ECDSA P-256), made once with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
//     -out server.crt -days 36500 -subj /CN=localhost \
//     -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
// as gevent ships its own pair beside the example. Never use them for anything but trying this.
// Run from the repository root: build/samples/wsgiserver_ssl [--port 8443] [--cert F] [--key F]
//   then: curl --cacert samples/server.crt https://localhost:8443/
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/net/ssl.hpp>
#include <string>

#include "hello_world.hpp"

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    int port = 8443;
    std::string certfile = "samples/server.crt", keyfile = "samples/server.key";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (arg == "--cert" && i + 1 < argc) {
            certfile = argv[++i];
        } else if (arg == "--key" && i + 1 < argc) {
            keyfile = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--port P] [--cert FILE] [--key FILE]\n", argv[0]);
            return 2;
        }
    }
    return gev::run([&] {
        gev::net::ssl::SSLContext tls(gev::net::ssl::Protocol::tls_server);
        tls.load_cert_chain(certfile, keyfile);
        tls.set_alpn_protocols({"http/1.1"});
        gev::http::ServerOptions options;
        options.ssl_context = tls;
        gev::http::Server server(gev::net::Address("127.0.0.1", static_cast<std::uint16_t>(port)), hello_world,
                                 options);
        server.start();
        std::printf("Serving on https://127.0.0.1:%u\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
