// gev::net::ssl::SSLContext: TLS settings shared by many connections, Python's ssl.SSLContext
// (gevent.ssl) on OpenSSL 3.
//
//   auto ctx = gev::net::ssl::SSLContext(gev::net::ssl::Protocol::tls_server);
//   ctx.load_cert_chain("server.crt", "server.key");
//   auto tls = ctx.wrap_socket(std::move(accepted), /*server_side=*/true);   // handshakes
//
//   auto client = gev::net::ssl::create_default_context();   // system CAs, verification on
//   auto tls = client.wrap_socket(gev::net::create_connection(host, 443), false, host);
//
// A context is a handle: copies share the same settings (and OpenSSL's session cache), as
// Python's context object is shared by the sockets it wraps; hubs on other threads may wrap
// sockets with it at the same time (OpenSSL's SSL_CTX is thread-safe). Set it up before wrapping sockets
// with it; settings changed later apply to sockets wrapped later. TLS 1.2 is the minimum, TLS
// 1.3 preferred; ciphers are OpenSSL's defaults unless set_ciphers; renegotiation is refused.
// None of the setters block. Files that do not load and settings OpenSSL refuses throw SSLError
// naming the file or setting and OpenSSL's reason.
#pragma once

#include <functional>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/ssl_error.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct ssl_ctx_st;

namespace gev::net::ssl {

class SSLSocket;

// Which side the context is for: Python's PROTOCOL_TLS_CLIENT and PROTOCOL_TLS_SERVER.
enum class Protocol { tls_client, tls_server };
// Python's CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED.
enum class VerifyMode { none, optional, required };
enum class TLSVersion { tls1_2, tls1_3 };

class SSLContext {
public:
    // A client context verifies the server's certificate and name by default (CERT_REQUIRED,
    // check_hostname) but trusts no CA until load_verify_locations or load_default_certs; a
    // server context asks for no client certificate (CERT_NONE).
    explicit SSLContext(Protocol protocol);

    Protocol protocol() const noexcept;

    // The certificate chain (PEM: the certificate first, then intermediates) and its private
    // key (PEM; from certfile when keyfile is empty). Throws SSLError when a file does not load
    // or the key does not match the certificate.
    void load_cert_chain(const std::string& certfile, const std::string& keyfile = {});
    // CAs to verify the peer with, from a PEM file.
    void load_verify_locations(const std::string& cafile);
    // The system's CAs (Debian: /etc/ssl/certs).
    void load_default_certs();

    void set_verify_mode(VerifyMode mode);
    VerifyMode verify_mode() const noexcept;
    // Client: whether the server's certificate must name the host given to wrap_socket
    // (server_hostname: a DNS name or an IP address). Turning it off does not turn off the
    // verification of the chain: set_verify_mode(VerifyMode::none) does, for tests.
    void set_check_hostname(bool check);
    bool check_hostname() const noexcept;

    void set_minimum_version(TLSVersion version);
    void set_maximum_version(TLSVersion version);
    // OpenSSL's cipher list for TLS 1.2 (TLS 1.3's suites stay OpenSSL's defaults).
    void set_ciphers(const std::string& ciphers);
    // ALPN (RFC 7301): a client offers these, best first; a server picks the first of its own
    // the client offered (none in common: no protocol, the handshake goes on).
    void set_alpn_protocols(const std::vector<std::string>& protocols);

    // Server: called during the handshake with the name the client asked for (SNI; empty when
    // none); returns the context to go on with (its certificate and settings), or nothing to
    // keep this one. A throw fails the handshake (alert unrecognized_name). Python's
    // sni_callback. Runs on the handshaking greenlet (with http::serve on several hubs, on
    // each hub's thread: share nothing unguarded); must not block.
    void set_servername_callback(std::function<std::optional<SSLContext>(std::string_view server_name)> callback);

    // Server: how many sessions the cache keeps for resumption (OpenSSL's default: 20480);
    // 0 turns resumption off (no cache, no tickets).
    void set_session_cache_size(long size);

    // A TLS socket over `sock` (taking it). With do_handshake_on_connect the handshake runs
    // now (see SSLSocket::do_handshake for what it throws). server_hostname (client) is what
    // SNI sends and what check_hostname verifies.
    SSLSocket wrap_socket(Socket sock, bool server_side = false, std::string server_hostname = {},
                          bool do_handshake_on_connect = true) const;

    // OpenSSL's SSL_CTX, for what this class does not cover.
    ssl_ctx_st* native_handle() const noexcept;

    struct State;

private:
    friend class SSLSocket;
    explicit SSLContext(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

// Python's ssl.create_default_context(): a client context trusting the system's CAs, with
// certificate and hostname verification on.
SSLContext create_default_context();

}  // namespace gev::net::ssl
