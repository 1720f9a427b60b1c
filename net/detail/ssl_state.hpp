// What an SSLContext and an SSLSocket hold, shared by net/ssl_context.cpp (which makes SSL
// objects and runs OpenSSL's callbacks) and net/ssl_socket.cpp (which drives them over the
// socket). Library internal. docs/tls.md tells how the pieces fit.
#pragma once

#include <openssl/ssl.h>

#include <exception>
#include <functional>
#include <geventpp/net/ssl_context.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <geventpp/runtime/lock.hpp>
#include <string>

namespace gev::net::ssl {

// OpenSSL's reason for its last failure ("" when it gave none), its error queue cleared.
std::string take_openssl_reason();

struct SSLContext::State {
    SSL_CTX* ctx = nullptr;
    Protocol protocol;
    VerifyMode verify = VerifyMode::none;
    bool check_hostname = false;
    std::string alpn;  // the protocols in ALPN's wire format (length-prefixed)
    std::function<std::optional<SSLContext>(std::string_view)> servername;

    State(SSL_CTX* c, Protocol p) noexcept : ctx(c), protocol(p) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { SSL_CTX_free(ctx); }
};

struct SSLSocket::Impl {
    Socket socket;
    SSL* ssl = nullptr;
    SSLContext context;  // keeps its SSL_CTX alive; the servername callback may replace it
    bool server_side;
    std::string server_hostname;
    // The records OpenSSL wrote through our BIO, sent after each OpenSSL call (docs/tls.md).
    std::string out;
    // Held while out is being sent: a WebSocket's receiver and sender share the SSL, and the
    // records of one must not go out in the middle of the other's.
    Lock sending;
    // A SocketError the transport threw inside OpenSSL's call, rethrown after it.
    std::exception_ptr io_error;
    bool shutdown_sent = false;
    bool ragged = false;

    Impl(Socket s, SSLContext c, bool server, std::string hostname);
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() { SSL_free(ssl); }

    // The handshake is done (by do_handshake, or by the first read or write).
    bool established() const noexcept;
    // "127.0.0.1:443" (or "a closed socket"), for error messages.
    std::string peer() const;
    // "recv from 127.0.0.1:53211" (server side) / "TLS handshake with 127.0.0.1:443" (client).
    std::string describe(const char* call) const;
};

}  // namespace gev::net::ssl
