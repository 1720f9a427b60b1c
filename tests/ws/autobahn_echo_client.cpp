// The client under test for tests/ws/autobahn_client_test.py, as Autobahn's client-side driver
// is: gev::ws::connect to the URL, echo every message back as it came (text as text, binary as
// binary) until the connection closes, print how it ended, and connect again for the next case.
// permessage-deflate is offered. Exits 0 when the runner answers 410 (no more cases), 1 when it
// cannot connect.
//
//   autobahn_echo_client ws://127.0.0.1:PORT/
#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <geventpp/ws/client.hpp>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s ws://HOST:PORT/\n", argv[0]);
        return 2;
    }
    const std::string url = argv[1];
    gev::ws::WebSocketOptions options;
    options.permessage_deflate = true;
    options.close_timeout = 2.0;
    int status = 0;
    gev::run([&] {
        for (int n = 1;; ++n) {
            std::shared_ptr<gev::ws::WebSocket> ws;
            try {
                ws = gev::ws::connect(url, options, 10.0);
            } catch (const gev::ws::HandshakeError& e) {
                if (e.status() == 410) return;
                std::printf("%d: handshake failed: %s\n", n, e.what());
                std::fflush(stdout);
                continue;
            } catch (const gev::net::SocketError& e) {
                std::printf("%d: %s\n", n, e.what());
                status = 1;
                return;
            }
            std::string error;
            try {
                while (auto message = ws->receive()) {
                    if (message->binary) {
                        ws->send_binary(message->data);
                    } else {
                        ws->send(message->data);
                    }
                }
            } catch (const std::exception& e) {
                error = std::string(", ") + e.what();
            }
            std::printf("%d: closed %u '%s'%s\n", n, ws->close_code(), ws->close_reason().c_str(), error.c_str());
            std::fflush(stdout);
        }
    });
    return status;
}
