// SSLSocket: OpenSSL's SSL over a BIO of our own (docs/tls.md). Reading, the BIO takes what the
// socket has without waiting (Socket::try_recv_into) and says "retry" when it has nothing; the
// SSL call then answers WANT_READ and the greenlet waits on the hub's epoll. Writing, the BIO
// keeps the records in Impl::out, which is sent (Socket::sendall, waiting as needed) once the
// SSL call returns: one send for a response's records, and OpenSSL never sees a socket.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <geventpp/net/ssl_socket.hpp>
#include <mutex>

#include "detail/libc.hpp"
#include "detail/ssl_state.hpp"

namespace gev::net::ssl {

namespace {

int bio_write(BIO* bio, const char* data, int n) {
    static_cast<SSLSocket::Impl*>(BIO_get_data(bio))->out.append(data, static_cast<std::size_t>(n));
    return n;
}

int bio_read(BIO* bio, char* buffer, int n) {
    auto* impl = static_cast<SSLSocket::Impl*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    try {
        const auto got = impl->socket.try_recv_into(buffer, static_cast<std::size_t>(n));
        if (!got) {
            BIO_set_retry_read(bio);
            return -1;
        }
        return static_cast<int>(*got);
    } catch (...) {  // nothing may unwind through OpenSSL: rethrown after its call returns
        impl->io_error = std::current_exception();
        return -1;
    }
}

long bio_ctrl(BIO*, int cmd, long, void*) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD* socket_bio() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "geventpp socket");
        BIO_meth_set_write(m, bio_write);
        BIO_meth_set_read(m, bio_read);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

// Plaintext is written in records of at most this (TLS's limit); small buffers are gathered
// into one record first.
constexpr std::size_t record = 16 * 1024;
// The send buffer a connection keeps between flushes: a small response's records.
constexpr std::size_t kept_buffer = 1024;

std::string bio_text(const std::function<void(BIO*)>& print) {
    BIO* mem = BIO_new(BIO_s_mem());
    print(mem);
    char* data = nullptr;
    const long n = BIO_get_mem_data(mem, &data);
    std::string out(data, static_cast<std::size_t>(std::max(n, 0L)));
    BIO_free(mem);
    return out;
}

std::string name_text(X509_NAME* name) {
    return bio_text([name](BIO* b) { X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253); });
}

std::string time_text(const ASN1_TIME* t) {
    return bio_text([t](BIO* b) { ASN1_TIME_print(b, t); });
}

std::vector<std::string> alt_names(X509* cert) {
    std::vector<std::string> out;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!names) return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_DNS) {
            const auto* s = n->d.dNSName;
            out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                               static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else if (n->type == GEN_IPADD) {
            const auto* s = n->d.iPAddress;
            char text[INET6_ADDRSTRLEN] = {};
            const int family = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
            inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof text);
            out.push_back(std::string("IP Address:") + text);
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

}  // namespace

SSLSocket::Impl::Impl(Socket s, SSLContext c, bool server, std::string hostname)
    : socket(std::move(s)), context(std::move(c)), server_side(server), server_hostname(std::move(hostname)) {
    ssl = SSL_new(context.native_handle());
    if (!ssl) throw SSLError("wrap_socket: SSL_new failed");
    BIO* bio = BIO_new(socket_bio());
    BIO_set_data(bio, this);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_app_data(ssl, this);
}

bool SSLSocket::Impl::established() const noexcept {
    return SSL_is_init_finished(ssl) == 1;
}

std::string SSLSocket::Impl::describe(const char* call) const {
    return std::string(call) + (server_side ? " from " : " with ") + peer();
}

std::string SSLSocket::Impl::peer() const {
    try {
        return socket ? socket.getpeername().to_string() : "a closed socket";
    } catch (const SocketError&) {
        return "a disconnected peer";
    }
}

namespace {

using Impl = SSLSocket::Impl;

// Sends the records OpenSSL wrote, in order, one sender at a time: what another greenlet's SSL
// call adds while this one waits for the socket is sent in the same turn. Only a small buffer
// is kept for next time: a connection idling after a large response holds none (idle memory,
// as SSL_MODE_RELEASE_BUFFERS does for OpenSSL's own).
void flush(Impl& impl) {
    if (impl.out.empty()) return;
    std::lock_guard<Lock> one_at_a_time(impl.sending);
    std::string sending;
    while (!impl.out.empty()) {
        sending.swap(impl.out);
        impl.socket.sendall(sending);
        sending.clear();
    }
    if (sending.capacity() <= kept_buffer) impl.out.swap(sending);
}

// The SSLError (or CertificateError) for a failed SSL call.
[[noreturn]] void throw_ssl_error(Impl& impl, const char* call) {
    std::string reason = take_openssl_reason();
    const std::string where = impl.describe(call);
    const long verify = SSL_get_verify_result(impl.ssl);
    if (!impl.established() && verify != X509_V_OK && !impl.server_side) {
        throw CertificateError(where + ": certificate verify failed for '" + impl.server_hostname +
                                   "': " + X509_verify_cert_error_string(verify),
                               reason, verify);
    }
    if (reason.empty()) reason = "the connection ended in the middle of a TLS exchange";
    throw SSLError(where + ": " + reason, reason);
}

enum class Outcome { done, end, would_block };

// Runs an SSL call until it is done, waiting while it wants to read; sends what it wrote.
// Outcome::end: the peer closed (close_notify, or the stream ended without one: ragged).
template <class Op>
Outcome drive(Impl& impl, const char* call, Op op, bool wait = true) {
    if (!impl.socket) throw SocketError(EBADF, std::string(call) + ": the socket is closed");
    const TimePoint deadline = impl.socket.gettimeout().deadline();
    for (;;) {
        // SSL_get_error must see only this call's errors. The queue is nearly always empty, and
        // peeking costs a tenth of clearing all its slots (a record's worth of instructions).
        if (ERR_peek_error() != 0) ERR_clear_error();
        const int r = op();
        const int err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(impl.ssl, r);
        if (err == SSL_ERROR_NONE || err == SSL_ERROR_WANT_READ || err == SSL_ERROR_ZERO_RETURN) {
            flush(impl);
        } else {
            try {
                flush(impl);  // an alert, if OpenSSL wrote one
            } catch (const SocketError&) {
            }
        }
        if (impl.io_error) std::rethrow_exception(std::exchange(impl.io_error, nullptr));
        switch (err) {
            case SSL_ERROR_NONE:
                return Outcome::done;
            case SSL_ERROR_ZERO_RETURN:
                return Outcome::end;
            case SSL_ERROR_WANT_READ:
            case SSL_ERROR_WANT_WRITE: {
                if (!wait) return Outcome::would_block;
                const auto now = Clock::now();
                if (now >= deadline) throw SocketTimeout(impl.describe(call));
                const Seconds left = deadline == TimePoint::max() ? Seconds{} : Seconds(deadline - now);
                try {
                    // Our BIO never refuses a write, so OpenSSL wants to write only if the BIO
                    // is one of the user's (native_handle): then wait for room as asked.
                    if (err == SSL_ERROR_WANT_READ) {
                        impl.socket.wait_read(left);
                    } else {
                        impl.socket.wait_write(left);
                    }
                } catch (const SocketTimeout&) {
                    throw SocketTimeout(impl.describe(call));
                }
                continue;
            }
            case SSL_ERROR_SYSCALL:
            case SSL_ERROR_SSL: {
                // The stream ended without close_notify: the end, as Python's suppress_ragged_eofs.
                const unsigned long e = ERR_peek_last_error();
                if (impl.established() && (e == 0 || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
                    ERR_clear_error();
                    impl.ragged = true;
                    return Outcome::end;
                }
                throw_ssl_error(impl, call);
            }
            default:
                throw_ssl_error(impl, call);
        }
    }
}

// Up to n bytes of plaintext; 0 at the end; nothing when !wait and none is there.
std::optional<std::size_t> read(Impl& impl, void* buffer, std::size_t n, bool wait) {
    if (n == 0) return 0;
    std::size_t got = 0;
    const auto outcome = drive(
        impl, "recv", [&] { return SSL_read_ex(impl.ssl, buffer, n, &got); }, wait);
    if (outcome == Outcome::would_block) return std::nullopt;
    return outcome == Outcome::end ? 0 : got;
}

void write(Impl& impl, const void* data, std::size_t n) {
    std::size_t written = 0;
    if (drive(impl, "send", [&] { return SSL_write_ex(impl.ssl, data, n, &written); }) == Outcome::end) {
        throw ConnectionReset(ECONNRESET, "send to " + impl.peer() + ": the peer closed the TLS connection");
    }
}

}  // namespace

SSLSocket::SSLSocket(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
SSLSocket::SSLSocket(SSLSocket&& other) noexcept : impl_(std::move(other.impl_)) {}

SSLSocket& SSLSocket::operator=(SSLSocket&& other) noexcept {
    if (this != &other) {
        close();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

SSLSocket::~SSLSocket() {
    close();
}

void SSLSocket::do_handshake() {
    const char* call = "TLS handshake";
    if (drive(*impl_, call, [&] { return SSL_do_handshake(impl_->ssl); }) == Outcome::end) {
        throw SSLError(impl_->describe(call) + ": the peer closed the connection", "");
    }
}

std::size_t SSLSocket::recv_into(void* buffer, std::size_t n) {
    return *read(*impl_, buffer, n, true);
}

std::string SSLSocket::recv(std::size_t n) {
    std::string out(n, '\0');
    out.resize(recv_into(out.data(), n));
    return out;
}

std::optional<std::size_t> SSLSocket::try_recv_into(void* buffer, std::size_t n) {
    return read(*impl_, buffer, n, false);
}

void SSLSocket::sendall(std::span<const boost::asio::const_buffer> buffers) {
    // Small buffers (a response's head and body) are gathered into one record; the staging
    // buffer is the thread's, free again before anything can switch greenlets.
    thread_local std::array<char, record> stage;
    std::size_t staged = 0;
    for (const auto& b : buffers) {
        const char* p = static_cast<const char*>(b.data());
        std::size_t left = b.size();
        while (left > 0) {
            if (staged == 0 && left >= record) {
                write(*impl_, p, record);
                p += record;
                left -= record;
                continue;
            }
            const std::size_t take = std::min(left, record - staged);
            std::memcpy(stage.data() + staged, p, take);
            staged += take;
            p += take;
            left -= take;
            if (staged == record) {
                write(*impl_, stage.data(), staged);
                staged = 0;
            }
        }
    }
    if (staged) write(*impl_, stage.data(), staged);
}

void SSLSocket::wait_read() {
    if (SSL_pending(impl_->ssl) > 0 || SSL_has_pending(impl_->ssl)) return;
    impl_->socket.wait_read(impl_->socket.gettimeout());
}

void SSLSocket::shutdown_write() {
    if (impl_->established() && !impl_->shutdown_sent) {
        impl_->shutdown_sent = true;
        ERR_clear_error();
        SSL_shutdown(impl_->ssl);
        flush(*impl_);
    }
    impl_->socket.shutdown(SHUT_WR);
}

void SSLSocket::close() noexcept {
    if (!impl_ || !impl_->socket) return;
    if (impl_->established() && !impl_->shutdown_sent) {
        // close_notify, if the socket takes it now; a close never waits.
        impl_->shutdown_sent = true;
        ERR_clear_error();
        SSL_shutdown(impl_->ssl);
        ERR_clear_error();
        if (!impl_->out.empty()) {
            (void)net::detail::libc::send(impl_->socket.fileno(), impl_->out.data(), impl_->out.size(),
                                          MSG_DONTWAIT | MSG_NOSIGNAL);
        }
    }
    impl_->out.clear();
    impl_->socket.close();
}

bool SSLSocket::is_open() const noexcept {
    return impl_ && bool(impl_->socket);
}

void SSLSocket::settimeout(Seconds timeout) noexcept {
    impl_->socket.settimeout(timeout);
}

Seconds SSLSocket::gettimeout() const noexcept {
    return impl_->socket.gettimeout();
}

std::unique_ptr<Stream> SSLSocket::release() {
    return std::unique_ptr<Stream>(new SSLSocket(std::move(impl_)));
}

Socket SSLSocket::unwrap() {
    if (impl_->established()) {
        impl_->shutdown_sent = true;
        // Record by record from here: what the peer sends in plain after its close_notify
        // stays in the socket for the caller.
        SSL_set_read_ahead(impl_->ssl, 0);
        // The first call sends close_notify (and answers 0), the next waits for the peer's.
        drive(*impl_, "unwrap", [&] {
            const int r = SSL_shutdown(impl_->ssl);
            return r == 0 ? SSL_shutdown(impl_->ssl) : r;
        });
    }
    Socket out = std::move(impl_->socket);
    return out;
}

std::optional<Certificate> SSLSocket::getpeercert() const {
    X509* cert = SSL_get1_peer_certificate(impl_->ssl);
    if (!cert) return std::nullopt;
    Certificate out;
    out.subject = name_text(X509_get_subject_name(cert));
    out.issuer = name_text(X509_get_issuer_name(cert));
    out.not_before = time_text(X509_get0_notBefore(cert));
    out.not_after = time_text(X509_get0_notAfter(cert));
    out.subject_alt_names = alt_names(cert);
    if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
        char* hex = BN_bn2hex(serial);
        out.serial_number = hex;
        OPENSSL_free(hex);
        BN_free(serial);
    }
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n > 0) out.der.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    X509_free(cert);
    return out;
}

std::string SSLSocket::version() const {
    return impl_->established() ? SSL_get_version(impl_->ssl) : "";
}

std::string SSLSocket::cipher() const {
    const SSL_CIPHER* c = SSL_get_current_cipher(impl_->ssl);
    return c ? SSL_CIPHER_get_name(c) : "";
}

std::string SSLSocket::selected_alpn_protocol() const {
    const unsigned char* p = nullptr;
    unsigned n = 0;
    SSL_get0_alpn_selected(impl_->ssl, &p, &n);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : "";
}

std::string SSLSocket::server_hostname() const {
    if (!impl_->server_side) return impl_->server_hostname;
    const char* name = SSL_get_servername(impl_->ssl, TLSEXT_NAMETYPE_host_name);
    return name ? name : "";
}

bool SSLSocket::server_side() const noexcept {
    return impl_->server_side;
}

bool SSLSocket::session_reused() const {
    return SSL_session_reused(impl_->ssl) == 1;
}

SSLSession SSLSocket::session() const {
    SSLSession out;
    if (SSL_SESSION* s = SSL_get1_session(impl_->ssl)) out.session_.reset(s, SSL_SESSION_free);
    return out;
}

void SSLSocket::set_session(const SSLSession& session) {
    if (session.session_ && SSL_set_session(impl_->ssl, session.session_.get()) != 1) {
        throw_ssl_error(*impl_, "set_session");
    }
}

bool SSLSocket::ragged_eof() const noexcept {
    return impl_->ragged;
}

SSLContext SSLSocket::context() const {
    return impl_->context;
}

Socket& SSLSocket::socket() noexcept {
    return impl_->socket;
}

ssl_st* SSLSocket::native_handle() const noexcept {
    return impl_->ssl;
}

}  // namespace gev::net::ssl
