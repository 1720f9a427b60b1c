// gev::ws::connect: the client side of a WebSocket, with the same receive/send/close API as the
// server's (gev::ws::WebSocket).
//
//   auto ws = gev::ws::connect("ws://127.0.0.1:8080/echo");
//   ws->send("Hello, world");
//   auto reply = ws->receive();
//   ws->close();
//
// ws:// and wss:// (TLS: WebSocketOptions::ssl_context, by default the system's CAs with the
// server's certificate and name verified; a failure throws net::ssl::CertificateError); the
// scheme in any case, the rest parsed as http::Url::parse does (userinfo is sent as
// Authorization: Basic). connect blocks the calling greenlet until the
// handshake is done, and is a cancellation point. `timeout` (default 30 s; Seconds{} for none)
// bounds the whole of it — connecting, sending the upgrade, reading the answer — and throws
// net::SocketTimeout "WebSocket handshake with host:port" when it passes; a gev::Timeout of the
// caller's own fires as itself. A URL with a space or control byte, a WebSocketOptions::origin with a
// control character or a WebSocketOptions::subprotocols entry that is not a token throws
// std::invalid_argument before anything is sent; a URL that does not parse throws
// http::ProtocolError. A refused or failed connection throws its net::SocketError, a server that
// does not answer 101 throws HandshakeError with its status; a 101 that chooses a subprotocol
// or an extension the client did not offer, or answers permessage-deflate with parameters a
// response may not carry, throws HandshakeError (status 101): RFC 6455 §4.1 and RFC 7692 §5
// have the client fail such a connection.
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

std::shared_ptr<WebSocket> connect(std::string_view url, const WebSocketOptions& options = {}, Seconds timeout = 30.0);

}  // namespace gev::ws
