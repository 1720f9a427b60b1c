// gev::ws::connect: the client side of a WebSocket, with the same receive/send/close API as the
// server's (gev::ws::WebSocket).
//
//   auto ws = gev::ws::connect("ws://127.0.0.1:8080/echo");
//   ws->send("Hello, world");
//   auto reply = ws->receive();
//   ws->close();
//
// Only ws:// (no TLS here). connect blocks the calling greenlet until the handshake is done
// (bounded by `timeout`; net::SocketTimeout); a refused or failed connection throws its
// net::SocketError, a server that does not answer 101 throws HandshakeError with its status.
#pragma once

#include <geventpp/runtime/seconds.hpp>
#include <geventpp/ws/websocket.hpp>
#include <memory>
#include <string_view>

namespace gev::ws {

class HandshakeError : public WebSocketError {
public:
    HandshakeError(int status, const std::string& what) : WebSocketError(what), status_(status) {}
    // The HTTP status the server answered (0 when the answer was not HTTP).
    int status() const noexcept { return status_; }

private:
    int status_;
};

std::shared_ptr<WebSocket> connect(std::string_view url, const Options& options = {}, Seconds timeout = {});

}  // namespace gev::ws
