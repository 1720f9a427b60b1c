// gev::net::StreamServer: accept connections and handle each in its own greenlet,
// gevent.server.StreamServer.
//
//   gev::net::StreamServer server({"127.0.0.1", 16000}, [](gev::net::Socket& sock, const gev::net::Address& peer) {
//       sock.sendall("Welcome to the echo server! Type quit to exit.\r\n");
//       ...
//   });
//   server.serve_forever();
//
// Lifecycle as BaseServer (start, serve_forever, stop(timeout)). The socket is closed when its
// handler returns. A handler's exception is reported on stderr and ends only its connection.
// Running out of file descriptors (EMFILE/ENFILE) makes the accept loop back off and say so
// once; it serves again when descriptors free up. For several cores see gev::net::serve.
// Destroying a started server stops it at once (timeout 0); stop it first to drain gracefully.
#pragma once

#include <functional>
#include <geventpp/net/base_server.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/ssl_context.hpp>

namespace gev::net {

class StreamServer : public BaseServer {
public:
    using Handler = std::function<void(Socket&, const Address&)>;

    StreamServer(Address address, Handler handler, ServerOptions options = {});
    // A listener string as gevent takes it (":8080", "127.0.0.1:8080", "[::1]:8080"; see
    // parse_address, which throws AddressError for a bad one).
    StreamServer(const char* listener, Handler handler, ServerOptions options = {});
    // Serves TLS (gevent's StreamServer(..., ssl_context=ctx)): each connection's handshake runs
    // with `context` (a server context) on its greenlet, within options.handshake_timeout, and
    // the handler gets the established SSLSocket. A handshake that fails or is late ends its
    // connection, its reason on stderr. The SSLSocket is closed (close_notify) when the handler returns.
    using TLSHandler = std::function<void(ssl::SSLSocket&, const Address&)>;
    StreamServer(Address address, ssl::SSLContext context, TLSHandler handler, ServerOptions options = {});
    // Serves on a socket that is already bound and listening (gevent's StreamServer(listener)).
    StreamServer(Socket listener, Handler handler, ServerOptions options = {});
    ~StreamServer() override;

protected:
    void open() override;
    void serve_loop() override;
    void close_listener() noexcept override { listener_.close(); }

private:
    Handler handler_;
    Socket listener_;
};

// Creates a socket bound to `address` and listening, with SO_REUSEADDR (and SO_REUSEPORT if
// asked); Unix-domain paths are unlinked first.
Socket listen_on(const Address& address, int backlog = 1024, bool reuse_port = false);

}  // namespace gev::net
