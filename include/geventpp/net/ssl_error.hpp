// Exceptions of gev::net::ssl, after Python's ssl module: SSLError for a TLS failure (a bad
// handshake, a record that does not decrypt, an alert from the peer, a file or setting OpenSSL
// refused), with OpenSSL's reason in what(); CertificateError when the peer's certificate does
// not verify, naming the host and the reason. Both are SocketErrors (EPROTO), so code that
// handles a failed connection handles a failed TLS connection too.
#pragma once

#include <geventpp/net/error.hpp>
#include <string>
#include <utility>

namespace gev::net::ssl {

class SSLError : public SocketError {
public:
    explicit SSLError(const std::string& what, std::string reason = {})
        : SocketError(EPROTO, what), reason_(std::move(reason)) {}
    // OpenSSL's reason, e.g. "wrong version number", "http request" (plain HTTP sent to a TLS
    // port), "tlsv1 alert unknown ca"; empty when OpenSSL gave none. Python's SSLError.reason.
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string reason_;
};

// Python's ssl.SSLCertVerificationError (ssl.CertificateError).
class CertificateError : public SSLError {
public:
    CertificateError(const std::string& what, std::string reason, long verify_code)
        : SSLError(what, std::move(reason)), verify_code_(verify_code) {}
    // OpenSSL's X509_V_ERR_* code (e.g. X509_V_ERR_HOSTNAME_MISMATCH).
    long verify_code() const noexcept { return verify_code_; }

private:
    long verify_code_;
};

}  // namespace gev::net::ssl
