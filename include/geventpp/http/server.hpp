// gev::http::Server: an HTTP/1.0 and 1.1 server, gevent.pywsgi.WSGIServer's job, on Beast's
// parser and serializer.
//
//   gev::http::Server server({"127.0.0.1", 8080}, [](gev::http::Request& req, gev::http::Response& res) {
//       res.set_header("Content-Type", "text/plain");
//       res.body = "Hello, World!";
//   });
//   server.serve_forever();
//
// Each connection runs on its own greenlet; handlers are plain blocking code. Persistent
// connections follow each version's rules (HTTP/1.0 `Connection: keep-alive`, as `ab -k`
// sends, is honoured and answered); pipelined requests are answered in order; `Expect:
// 100-continue`, chunked request bodies, HEAD, `Date` and `Server` headers; a combined log
// format access log on stderr (ServerOptions::access_log).
//
// Every buffer and every wait the server keeps for a peer has a bound, each with a default
// below and its answer: request line (414), header block and header count (431), body (413),
// a chunk-size line or trailer section (400), time to read a request's headers (408, against
// slowloris), each wait for more of a body (408) and for the client to take more of a
// response (the connection closes), idle keep-alive time, requests per connection, and what
// is drained of a body the handler did not read (past max_drain the connection closes).
// docs/security.md lists them beside nginx's and Go's.
//
// A malformed request gets 400 and the connection closes: so does an HTTP/1.1 request without
// exactly one valid Host, a Transfer-Encoding whose last coding is not chunked (or in HTTP/1.0,
// or beside Content-Length: no request smuggling), and a path with an encoded NUL; a coding
// before chunked that we do not decode gets 501. A handler that throws gets 500 (logged) if its
// response had not started, else its connection closes; HTTPError (abort/redirect) becomes its
// status. The client's own failures (gone, too slow, a broken body) end its connection without
// a 500; a handler's own socket error (an outbound call) is a handler failure like any other.
// Runs on StreamServer, so gev::net::serve puts it on every core, and stop(timeout) drains it.
// With ServerOptions::ssl_context it serves HTTPS (and WebSockets over it, wss://).
#pragma once

#include <cstddef>
#include <functional>
#include <geventpp/http/request.hpp>
#include <geventpp/http/response.hpp>
#include <geventpp/net/serve.hpp>
#include <geventpp/net/ssl_context.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <geventpp/net/stream.hpp>
#include <geventpp/net/stream_server.hpp>
#include <list>
#include <string>
#include <variant>

namespace gev::http {

using Handler = std::function<void(Request&, Response&)>;

struct ServerOptions {
    net::ServerOptions net{};
    // The request line (414), one header field line, the whole header block and the number of
    // fields (431): nginx's large_client_header_buffers (4 × 8 KiB) and no looser.
    std::size_t max_request_line = 8 * 1024;
    std::size_t max_field_bytes = 8 * 1024;
    std::size_t max_header_bytes = 32 * 1024;
    std::size_t max_headers = 100;
    // Request.body() refuses larger bodies with 413 (nginx's client_max_body_size);
    // read_body() streams any size.
    std::size_t max_body = 1024 * 1024;
    // A chunk-size line with its extensions, and a chunked body's trailer section, must each
    // fit in this (Go caps the line at 4 KiB); 400 otherwise.
    std::size_t max_chunk_line = 4096;
    // What is read and dropped of a body the handler left unread before the next request on
    // the connection; a longer rest closes the connection instead (Go's 256 KiB).
    std::size_t max_drain = 256 * 1024;
    // A connection waiting for its next request is closed after this.
    Seconds keepalive_timeout = 15.0;
    // Once a request started, its headers must be in within this (408 otherwise).
    Seconds header_timeout = 10.0;
    // Each wait for more of a request body (nginx's client_body_timeout): net::SocketTimeout
    // in the handler, and 408 if its response had not started.
    Seconds body_timeout = 60.0;
    // Each wait for the client to take more of a response (nginx's send_timeout): the
    // connection closes (a streaming handler's write() throws net::SocketTimeout).
    Seconds send_timeout = 60.0;
    // 0: no limit.
    std::size_t max_requests_per_connection = 0;
    // An idle keep-alive connection holds no greenlet: it waits in the hub's epoll and gets a
    // greenlet again when its next request arrives (not with a net.spawn limit or a net.pool
    // that is a Pool: a resumed connection must not wait for a slot).
    bool idle_without_greenlet = true;
    bool access_log = true;
    // HTTPS: every connection speaks TLS with this server context (its certificate, ALPN, SNI
    // callback). Plain HTTP sent to such a port gets nginx's 400 in plain text, then the close;
    // a handshake that fails, or is not done within net.handshake_timeout (a client that connects
    // and sends nothing holds its greenlet no longer), ends its connection, logged with the
    // reason when access_log is on. An idle TLS connection holds no greenlet either (with
    // idle_without_greenlet), and OpenSSL lets its buffers go while it idles.
    std::optional<net::ssl::SSLContext> ssl_context{};
    // The Server header (a field value: the Server's constructor throws std::invalid_argument
    // for one with CR, LF or another control character).
    std::string server_name = "geventpp";
};

class Server : public net::StreamServer {
public:
    Server(net::Address address, http::Handler handler, ServerOptions options = {});
    // A listener string as gevent's WSGIServer takes it (":8080", "[::1]:8080"; see
    // net::parse_address, which throws net::AddressError for a bad one).
    Server(const char* listener, http::Handler handler, ServerOptions options = {});
    // Serves on a socket already bound and listening (WSGIServer(listener)), e.g. an AF_UNIX one.
    Server(net::Socket listener, http::Handler handler, ServerOptions options = {});
    ~Server() override;

    // Keep-alive connections idle between requests, holding no greenlet.
    std::size_t idle_connections() const noexcept { return idle_.size(); }

private:
    struct IdleConnection {
        using Transport = std::variant<net::Socket, net::ssl::SSLSocket>;
        Transport conn;
        net::Address peer;
        std::size_t served;
        Clock::time_point since;
        net::Socket& socket() noexcept;
        void close() noexcept;
    };
    void serve(net::Socket& sock, const net::Address& peer, std::size_t served);
    void accept_tls(net::Socket& sock, const net::Address& peer);
    void serve_tls(net::ssl::SSLSocket& tls, const net::Address& peer, std::size_t served);
    bool hold_idle(IdleConnection::Transport& conn, const net::Address& peer, std::size_t served);
    bool hold_idle(net::Socket& sock, const net::Address& peer, std::size_t served);
    bool hold_idle(net::ssl::SSLSocket& tls, const net::Address& peer, std::size_t served);
    void resume(std::list<IdleConnection>::iterator it);
    void open() override;
    void stopping_handlers() noexcept override;
    void check_options();

    http::Handler handler_;
    ServerOptions options_;
    std::list<IdleConnection> idle_;  // oldest first
    // Connections a protocol took over, told when the server stops (WebSockets close with 1001).
    boost::intrusive::list<Upgrade> upgraded_;
    AnyGreenlet sweeper_;
};

// Serves the requests of one open connection as Server serves each it accepts (without handing
// it to a server while idle), until the connection closes or fails: the client's failures end it quietly.
// Blocks the calling greenlet. For a transport of one's own, and for tests that script the
// bytes of a connection; `peer` is what Request::remote_addr() says. Throws
// std::invalid_argument for a server_name that is not a field value.
void serve_connection(net::Stream& stream, const net::Address& peer, const Handler& handler,
                      const ServerOptions& options = {});

// An HTTP server on `options.threads` hubs (see gev::net::serve) until SIGINT or SIGTERM:
//
//   gev::http::serve({"127.0.0.1", 8080}, std::ref(app), {.threads = 4, .server = {.max_body = 1 << 20}});
using ServeOptions = net::BasicServeOptions<ServerOptions>;
void serve(const net::Address& address, const http::Handler& handler, ServeOptions options = {});

}  // namespace gev::http
