// Certificates for the TLS tests, made when a test starts with the `openssl` command (ECDSA
// P-256) in a temporary directory that goes with the object: a CA; certificates it signed for
// localhost and 127.0.0.1, for other.test, and one for localhost that expired yesterday; and a
// self-signed one for localhost. Nothing is checked in, so nothing expires in the repository.
// pki() makes them once a process; server_context and client_context are the contexts the TLS
// tests start from.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <geventpp/net/ssl_context.hpp>
#include <stdexcept>
#include <string>

struct TestPki {
    std::filesystem::path dir;

    TestPki() {
        char tmpl[] = "/tmp/geventpp-pki-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir = tmpl;
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
            "-days 3650 -subj /CN=geventpp-test-CA");
        sign("server", "localhost", "DNS:localhost,IP:127.0.0.1", "3650");
        sign("other", "other.test", "DNS:other.test", "3650");
        sign("expired", "localhost", "DNS:localhost,IP:127.0.0.1", "-1");
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.crt "
            "-days 3650 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
    }
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;
    ~TestPki() { std::filesystem::remove_all(dir); }

    std::string path(const std::string& name) const { return (dir / name).string(); }
    std::string ca() const { return path("ca.crt"); }
    std::string crt(const std::string& who) const { return path(who + ".crt"); }
    std::string key(const std::string& who) const { return path(who + ".key"); }

private:
    void run(const std::string& command) const {
        const std::string line = "cd '" + dir.string() + "' && " + command + " >/dev/null 2>&1";
        if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + command);
    }
    void sign(const std::string& who, const std::string& cn, const std::string& san, const std::string& days) const {
        run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + who + ".key -out " + who +
            ".csr -subj /CN=" + cn);
        std::ofstream(dir / (who + ".ext")) << "subjectAltName=" << san << "\n";
        run("openssl x509 -req -in " + who + ".csr -CA ca.crt -CAkey ca.key -set_serial " +
            std::to_string(std::hash<std::string>{}(who) % 1000000 + 2) + " -out " + who + ".crt -days " + days +
            " -extfile " + who + ".ext");
    }
};

inline const TestPki& pki() {
    static const TestPki made;
    return made;
}

// A server context with the certificate of `who` ("server", "other", "expired", "self").
inline gev::net::ssl::SSLContext server_context(const std::string& who = "server") {
    gev::net::ssl::SSLContext ctx(gev::net::ssl::Protocol::tls_server);
    ctx.load_cert_chain(pki().crt(who), pki().key(who));
    return ctx;
}

// A client context trusting the test CA.
inline gev::net::ssl::SSLContext client_context() {
    gev::net::ssl::SSLContext ctx(gev::net::ssl::Protocol::tls_client);
    ctx.load_verify_locations(pki().ca());
    return ctx;
}
