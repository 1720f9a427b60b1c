#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <geventpp/net/ssl_context.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <stdexcept>

#include "detail/ssl_state.hpp"

namespace gev::net::ssl {

namespace {

[[noreturn]] void fail(const std::string& what) {
    auto reason = take_openssl_reason();
    if (reason.empty()) reason = "unknown OpenSSL error";
    throw SSLError(what + ": " + reason, reason);
}

int verify_flags(VerifyMode mode) {
    switch (mode) {
        case VerifyMode::none:
            return SSL_VERIFY_NONE;
        case VerifyMode::optional:
            return SSL_VERIFY_PEER;
        case VerifyMode::required:
            return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    return SSL_VERIFY_NONE;
}

int proto_version(TLSVersion v) {
    return v == TLSVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

// Server: the first of our protocols the client also offers (RFC 7301 §3.2).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void* arg) {
    const auto* state = static_cast<const SSLContext::State*>(arg);
    unsigned char* chosen = nullptr;
    if (state->alpn.empty() ||
        SSL_select_next_proto(&chosen, outlen, reinterpret_cast<const unsigned char*>(state->alpn.data()),
                              static_cast<unsigned>(state->alpn.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// Server: the user's servername callback, which may move the connection to another context.
int on_servername(SSL* ssl, int* alert, void* arg) {
    const auto* state = static_cast<const SSLContext::State*>(arg);
    auto* impl = static_cast<SSLSocket::Impl*>(SSL_get_app_data(ssl));
    if (!state->servername || !impl) return SSL_TLSEXT_ERR_OK;
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    try {
        if (auto chosen = state->servername(name ? name : "")) {
            if (!SSL_set_SSL_CTX(ssl, chosen->native_handle())) return SSL_TLSEXT_ERR_ALERT_FATAL;
            impl->context = std::move(*chosen);
        }
        return SSL_TLSEXT_ERR_OK;
    } catch (...) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
}

bool is_ip_address(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string take_openssl_reason() {
    const unsigned long e = ERR_peek_last_error();
    const char* reason = e ? ERR_reason_error_string(e) : nullptr;
    ERR_clear_error();
    return reason ? reason : "";
}

SSLContext::SSLContext(Protocol protocol) {
    const bool server = protocol == Protocol::tls_server;
    SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) fail("SSLContext");
    state_ = std::make_shared<State>(ctx, protocol);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // No renegotiation either way (nginx refuses a client's too); OpenSSL's buffers go back
    // while a connection is idle; records are read ahead in one recv.
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    if (server) {
        static const unsigned char id[] = "geventpp";
        SSL_CTX_set_session_id_context(ctx, id, sizeof id - 1);
        SSL_CTX_set_alpn_select_cb(ctx, select_alpn, state_.get());
        SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
        SSL_CTX_set_tlsext_servername_arg(ctx, state_.get());
    } else {
        state_->check_hostname = true;
        set_verify_mode(VerifyMode::required);
    }
}

Protocol SSLContext::protocol() const noexcept {
    return state_->protocol;
}

void SSLContext::load_cert_chain(const std::string& certfile, const std::string& keyfile) {
    const std::string& key = keyfile.empty() ? certfile : keyfile;
    if (SSL_CTX_use_certificate_chain_file(state_->ctx, certfile.c_str()) != 1) {
        fail("load_cert_chain: certificate " + certfile);
    }
    if (SSL_CTX_use_PrivateKey_file(state_->ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        fail("load_cert_chain: private key " + key);
    }
    if (SSL_CTX_check_private_key(state_->ctx) != 1) fail("load_cert_chain: " + key + " does not match " + certfile);
}

void SSLContext::load_verify_locations(const std::string& cafile) {
    if (SSL_CTX_load_verify_locations(state_->ctx, cafile.c_str(), nullptr) != 1) {
        fail("load_verify_locations: " + cafile);
    }
}

void SSLContext::load_default_certs() {
    if (SSL_CTX_set_default_verify_paths(state_->ctx) != 1) fail("load_default_certs");
}

void SSLContext::set_verify_mode(VerifyMode mode) {
    state_->verify = mode;
    SSL_CTX_set_verify(state_->ctx, verify_flags(mode), nullptr);
}

VerifyMode SSLContext::verify_mode() const noexcept {
    return state_->verify;
}

void SSLContext::set_check_hostname(bool check) {
    state_->check_hostname = check;
}

bool SSLContext::check_hostname() const noexcept {
    return state_->check_hostname;
}

void SSLContext::set_minimum_version(TLSVersion version) {
    if (SSL_CTX_set_min_proto_version(state_->ctx, proto_version(version)) != 1) fail("set_minimum_version");
}

void SSLContext::set_maximum_version(TLSVersion version) {
    if (SSL_CTX_set_max_proto_version(state_->ctx, proto_version(version)) != 1) fail("set_maximum_version");
}

void SSLContext::set_ciphers(const std::string& ciphers) {
    if (SSL_CTX_set_cipher_list(state_->ctx, ciphers.c_str()) != 1) fail("set_ciphers '" + ciphers + "'");
}

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
    std::string wire;
    for (const auto& p : protocols) {
        if (p.empty() || p.size() > 255) {
            throw std::invalid_argument("set_alpn_protocols: a protocol name is 1 to 255 bytes, not " +
                                        std::to_string(p.size()));
        }
        wire += static_cast<char>(p.size());
        wire += p;
    }
    state_->alpn = wire;
    if (state_->protocol == Protocol::tls_client &&
        SSL_CTX_set_alpn_protos(state_->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) != 0) {
        fail("set_alpn_protocols");
    }
}

void SSLContext::set_servername_callback(std::function<std::optional<SSLContext>(std::string_view)> callback) {
    state_->servername = std::move(callback);
}

void SSLContext::set_session_cache_size(long size) {
    if (size > 0) {
        SSL_CTX_set_session_cache_mode(state_->ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(state_->ctx, size);
        SSL_CTX_clear_options(state_->ctx, SSL_OP_NO_TICKET);
        return;
    }
    SSL_CTX_set_session_cache_mode(state_->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(state_->ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(state_->ctx, 0);
}

ssl_ctx_st* SSLContext::native_handle() const noexcept {
    return state_->ctx;
}

SSLSocket SSLContext::wrap_socket(Socket sock, bool server_side, std::string server_hostname,
                                  bool do_handshake_on_connect) const {
    if (server_side != (state_->protocol == Protocol::tls_server)) {
        throw std::invalid_argument(std::string("wrap_socket: a ") + (server_side ? "client" : "server") +
                                    " context cannot make a " + (server_side ? "server" : "client") + "-side socket");
    }
    if (!server_side && state_->check_hostname && server_hostname.empty()) {
        throw std::invalid_argument("wrap_socket: check_hostname requires server_hostname");
    }
    auto impl = std::make_unique<SSLSocket::Impl>(std::move(sock), *this, server_side, std::move(server_hostname));
    SSL* ssl = impl->ssl;
    if (server_side) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        const std::string& host = impl->server_hostname;
        const bool ip = is_ip_address(host);
        // RFC 6066 §3: SNI carries DNS names only.
        if (!host.empty() && !ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) fail("wrap_socket: SNI " + host);
        if (state_->check_hostname) {
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
            if (ok != 1) fail("wrap_socket: server_hostname '" + host + "'");
        }
    }
    SSLSocket out(std::move(impl));
    if (do_handshake_on_connect) out.do_handshake();
    return out;
}

SSLContext create_default_context() {
    SSLContext ctx(Protocol::tls_client);
    ctx.load_default_certs();
    return ctx;
}

}  // namespace gev::net::ssl
