// gev::net::ssl::SSLSocket: a TLS connection over a net::Socket, Python's ssl.SSLSocket as
// gevent makes it cooperative. Made by SSLContext::wrap_socket.
//
//   auto tls = gev::net::ssl::create_default_context().wrap_socket(
//       gev::net::create_connection("example.org", 443, 10s), false, "example.org");
//   tls.sendall("GET / HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n");
//   std::string reply = tls.recv(65536);           // "" once the server has closed
//
// It is a net::Stream, so the HTTP server, the clients and the WebSocket run over it as over a
// plain socket. Every call that waits (do_handshake, recv*, sendall, unwrap, wait_read) blocks
// only the calling greenlet and is a cancellation point: kill(), gev::Timeout and settimeout
// (SocketTimeout, each call bounded as a whole) interrupt it, and one interrupted mid-record
// leaves the connection unusable: close it. A peer that closes without close_notify ends the
// stream like one that sends it (Python's suppress_ragged_eofs; HTTP's framing tells a cut
// body); ragged_eof() says which it was. Failures throw SSLError / CertificateError (see
// ssl_error.hpp), or the socket's SocketError. Belongs to the hub of its socket; movable.
#pragma once

#include <geventpp/net/ssl_context.hpp>
#include <geventpp/net/stream.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct ssl_st;
struct ssl_session_st;

namespace gev::net::ssl {

// What getpeercert() tells of a certificate (Python's dict, as fields).
struct Certificate {
    std::string subject;  // one line, RFC 2253: "CN=localhost,O=geventpp"
    std::string issuer;
    std::string not_before, not_after;           // "Dec  3 06:00:00 2026 GMT", as Python prints them
    std::vector<std::string> subject_alt_names;  // "DNS:localhost", "IP Address:127.0.0.1"
    std::string serial_number;                   // hex
    std::string der;                             // the certificate itself (getpeercert(binary_form=True))
};

// A session to resume (TLS 1.2 session id or TLS 1.3 ticket): from SSLSocket::session() of a
// finished client connection, for SSLSocket::set_session before the next handshake.
class SSLSession {
public:
    SSLSession() = default;
    explicit operator bool() const noexcept { return bool(session_); }

private:
    friend class SSLSocket;
    std::shared_ptr<ssl_session_st> session_;
};

class SSLSocket final : public Stream {
public:
    SSLSocket(SSLSocket&&) noexcept;
    SSLSocket& operator=(SSLSocket&&) noexcept;
    // Closes the socket (close()).
    ~SSLSocket() override;

    // Runs the handshake (wrap_socket does unless told not to). Throws CertificateError when
    // the peer's certificate does not verify, SSLError for any other failure (not TLS, no
    // protocol or cipher in common, an alert), SocketTimeout after settimeout.
    void do_handshake();

    std::size_t recv_into(void* buffer, std::size_t n) override;
    std::string recv(std::size_t n);
    std::optional<std::size_t> try_recv_into(void* buffer, std::size_t n) override;
    void sendall(std::span<const boost::asio::const_buffer> buffers) override;
    using Stream::sendall;
    void wait_read() override;
    // Sends close_notify and shuts the socket's sending side; reading goes on.
    void shutdown_write() override;
    // Sends close_notify without waiting (when the socket takes it now) and closes the socket.
    void close() noexcept override;
    bool is_open() const noexcept override;
    void settimeout(Seconds timeout) noexcept override;
    Seconds gettimeout() const noexcept;
    std::unique_ptr<Stream> release() override;

    // Ends TLS (close_notify both ways) and returns the plain socket, Python's unwrap().
    Socket unwrap();

    // The peer's certificate once the handshake is done, nothing when it sent none.
    std::optional<Certificate> getpeercert() const;
    // "TLSv1.3", "TLSv1.2"; empty before the handshake.
    std::string version() const;
    std::string cipher() const;
    // The ALPN protocol agreed on; empty when none.
    std::string selected_alpn_protocol() const;
    // Client: the name sent in SNI. Server: the name the client asked for (empty when none).
    std::string server_hostname() const;
    bool server_side() const noexcept;
    // Whether the handshake resumed a session.
    bool session_reused() const;
    // Client: the session to resume next time (a TLS 1.3 ticket arrives after the handshake,
    // with the first data read); set_session before do_handshake offers one.
    SSLSession session() const;
    void set_session(const SSLSession& session);
    // Whether the stream ended without the peer's close_notify.
    bool ragged_eof() const noexcept;
    // The context in use (the one the servername callback chose, if it chose one).
    SSLContext context() const;

    Socket& socket() noexcept;
    // OpenSSL's SSL, for what this class does not cover.
    ssl_st* native_handle() const noexcept;

    struct Impl;

private:
    friend class SSLContext;
    explicit SSLSocket(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gev::net::ssl
