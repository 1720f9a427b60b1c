// gev::ws::WebSocket: one RFC 6455 WebSocket connection, gevent-websocket's `wsgi.websocket`,
// on Beast's websocket stream.
//
//   app.route("/websocket", [](gev::http::Request& request, gev::http::Response&) {
//       auto ws = gev::ws::upgrade(request);    // empty: not a WebSocket upgrade
//       if (!ws) gev::http::abort(400, "Expected WebSocket request.");
//       while (auto message = ws->receive()) ws->send("Your message was: '" + message->data + "'");
//   });
//
// receive() returns the next whole message (fragments joined, pings answered with pongs on the
// way) or nothing once the connection has closed: by the peer's close frame, by close(), or by
// a failure, which closes with its code (1002 protocol error, 1007 invalid UTF-8 in text, 1009
// message over WebSocketOptions::max_message) or 1006 when the TCP connection just ended; close_code()
// says which. permessage-deflate (RFC 7692) is negotiated when enabled (WebSocketOptions) and offered.
//
// One greenlet may receive while others send: sends are serialised whole, a frame is never
// interleaved with another (nor with the pong or close frame the receiver writes), and send()
// blocks its caller while the socket is full, so a slow reader cannot make the server buffer
// without bound. close() may be called from any greenlet, also while another is in receive():
// that receive() then returns nothing once the peer answered the close. receive, send, ping and
// close block (cancellation points). A WebSocket belongs to the hub that made it.
//
// send() of text that is not UTF-8, and close() with a code that may not be sent (1005, 1006,
// 1015, outside 1000-4999) or a reason that is not UTF-8, throw std::invalid_argument before
// anything is written. send() on a closed connection throws ConnectionClosed. A send that times out
// (WebSocketOptions::send_timeout) may have written part of a frame, so it fails the connection (as Go's
// write deadlines do) and throws net::SocketTimeout.
#pragma once

#include <cstdint>
#include <functional>
#include <geventpp/net/ssl_context.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gev::http {
class Request;
}

namespace gev::ws {

// Close status codes (RFC 6455 section 7.4.1).
enum CloseCode : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status = 1005,
    abnormal = 1006,
    bad_payload = 1007,
    policy_error = 1008,
    too_big = 1009,
    internal_error = 1011,
};

class WebSocketError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A send, ping or close on a connection that has closed (or is closing).
class ConnectionClosed : public WebSocketError {
public:
    explicit ConnectionClosed(std::uint16_t code)
        : WebSocketError("WebSocket connection closed (code " + std::to_string(code) +
                         ") — receive() returned nothing; stop sending"),
          code_(code) {}
    std::uint16_t code() const noexcept { return code_; }

private:
    std::uint16_t code_;
};

struct Message {
    std::string data;
    bool binary = false;
};

struct WebSocketOptions {
    // A larger message fails the connection with 1009.
    std::size_t max_message = 16 * 1024 * 1024;
    // Offer (client) or accept when offered (server) permessage-deflate. Off by default, as in
    // Beast, gorilla/websocket and Node's ws: its zlib state costs each connection ~170 KiB
    // (bench/README.md), against a few KiB for an idle uncompressed one.
    bool permessage_deflate = false;
    // Server: the subprotocols we speak, best first; the first one the client also offered is
    // chosen. Client: the ones to offer.
    std::vector<std::string> subprotocols;
    // Server: which pages may open this WebSocket. By default any origin may: a page on any
    // site a user visits can then open it with the user's cookies and act as them (cross-site
    // WebSocket hijacking) — so a route that relies on cookies or other ambient credentials
    // should set one of these. same_origin answers 403 when the Origin's host[:port] is not the
    // Host header's (no Origin: not a browser, allowed; gorilla/websocket's default check).
    bool same_origin = false;
    // Called with the Origin header (empty when none); false answers 403.
    std::function<bool(std::string_view origin)> check_origin;
    // Client: the Origin header to send, if any.
    std::string origin;
    // Client, wss://: the TLS context; by default the system's CAs, with certificate and
    // hostname verification on. (A server's TLS is its http::ServerOptions::ssl_context.)
    std::optional<net::ssl::SSLContext> ssl_context{};
    // Bounds each wait of a send for the peer to take more (0: none; nginx's send_timeout is
    // 60 s too): a peer that stops reading fails the connection instead of holding the sender.
    Seconds send_timeout = 60.0;
    // Once the first bytes of a message arrived, the whole message must within this, else the
    // connection fails with 1008 (against clients that never finish a message); 0: no limit.
    Seconds message_timeout = 60.0;
    // How long close() waits for the peer's close frame and end of stream.
    Seconds close_timeout = 5.0;
};

class WebSocket {
public:
    class Impl;
    explicit WebSocket(std::unique_ptr<Impl> impl);
    WebSocket(const WebSocket&) = delete;
    WebSocket& operator=(const WebSocket&) = delete;
    // Closes the TCP connection if it is still open (no close handshake: call close() for one).
    ~WebSocket();

    // The next whole message; nothing once the connection has closed.
    std::optional<Message> receive();
    // A text message (must be valid UTF-8) / a binary one.
    void send(std::string_view text);
    void send_binary(std::string_view bytes);
    // A ping; the pong is consumed by whoever is in receive().
    void ping(std::string_view payload = {});
    // Starts the closing handshake and waits (up to WebSocketOptions::close_timeout) for it to finish.
    // Closing a closed connection does nothing. A gev::Timeout of the caller's that fires first
    // raises as itself, the connection closed (1006).
    void close(std::uint16_t code = normal, std::string_view reason = {});

    // No more messages can be sent or received.
    bool closed() const noexcept;
    // The close code: the peer's, ours, or 1006 when no close frame was exchanged; 0 while open.
    std::uint16_t close_code() const noexcept;
    std::string close_reason() const;
    // The subprotocol agreed on; empty when none.
    const std::string& subprotocol() const noexcept;

private:
    std::unique_ptr<Impl> impl_;
};

// gevent-websocket's `wsgi.websocket`: the request's connection as a WebSocket once the upgrade
// is answered (101), or empty when it is not a WebSocket upgrade request (not a GET in HTTP/1.1
// with Connection: upgrade and Upgrade: websocket). Throws http::HTTPError for a broken upgrade
// (400 a missing or malformed key, 426 another version, 403 an origin refused by WebSocketOptions). A
// WebSocket still open when the handler returns is closed (1000; 1011 if the handler threw),
// and one open when the server stops is closed with 1001 (its receive() then returns nothing).
// Built on http::Request::take_over; call it from the request's handler.
std::shared_ptr<WebSocket> upgrade(http::Request& request, const WebSocketOptions& options = {});

}  // namespace gev::ws
