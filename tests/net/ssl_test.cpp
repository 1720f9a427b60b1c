// gev::net::ssl against itself on 127.0.0.1: a server and a client greenlet on one hub, with the
// certificates of test_pki.hpp. What <geventpp/net/ssl.hpp> promises: the handshake and data both
// ways, ALPN, SNI, verification and its errors, timeouts and cancellation, close_notify or not,
// unwrap, session resumption, and bad bytes from the peer. Each case is bounded by a Timeout.
#include <doctest/doctest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/ssl.hpp>
#include <string>

#include "test_pki.hpp"

using namespace std::chrono_literals;
namespace ssl = gev::net::ssl;

namespace {

// A listener on 127.0.0.1 whose every connection runs serve(socket) on its own greenlet, until
// the object goes. serve gets the accepted plain socket: it wraps it itself, so a test can
// watch the handshake fail.
class Server {
public:
    template <class Serve>
    explicit Server(Serve serve) : listener_(gev::net::listen_on(gev::net::Address("127.0.0.1", 0))) {
        port_ = listener_.getsockname().port();
        acceptor_ = gev::spawn([this, serve] {
            for (;;) {
                auto accepted = listener_.accept();
                conns_.spawn([serve, sock = std::make_shared<gev::net::Socket>(std::move(accepted.first))]() mutable {
                    serve(std::move(*sock));
                });
            }
        });
    }
    ~Server() {
        acceptor_.kill();
        conns_.kill();
    }
    gev::net::Socket connect() const { return gev::net::create_connection("127.0.0.1", port_, 5.0); }
    void join() { conns_.join(); }

private:
    gev::net::Socket listener_;
    std::uint16_t port_ = 0;
    gev::Greenlet<void> acceptor_;
    gev::Group conns_;
};

// Runs body on a hub, bounded: a case that hangs fails instead of the suite.
template <class Body>
void bounded(Body body) {
    gev::run([&] {
        gev::Timeout bound(10.0);
        body();
    });
}

// Reads exactly n bytes (or until the end).
std::string read_exactly(ssl::SSLSocket& s, std::size_t n) {
    std::string out;
    while (out.size() < n) {
        const std::string got = s.recv(n - out.size());
        if (got.empty()) break;
        out += got;
    }
    return out;
}

}  // namespace

TEST_CASE("a_handshake_then_data_both_ways_with_version_alpn_and_the_peer_s_certificate") {
    bounded([] {
        auto sctx = server_context();
        sctx.set_alpn_protocols({"http/1.1"});
        std::string server_saw;
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            CHECK(tls.server_hostname() == "localhost");
            CHECK_FALSE(tls.getpeercert());  // no client certificate asked for
            server_saw = read_exactly(tls, 1 << 20);
            tls.sendall(server_saw);
            tls.close();
        });
        auto cctx = client_context();
        cctx.set_alpn_protocols({"h2", "http/1.1"});
        auto tls = cctx.wrap_socket(server.connect(), false, "localhost");
        CHECK(tls.version() == "TLSv1.3");
        CHECK(tls.selected_alpn_protocol() == "http/1.1");
        CHECK_FALSE(tls.cipher().empty());
        const auto cert = tls.getpeercert();
        REQUIRE(cert);
        CHECK(cert->subject == "CN=localhost");
        CHECK(cert->issuer == "CN=geventpp-test-CA");
        CHECK(cert->subject_alt_names == std::vector<std::string>{"DNS:localhost", "IP Address:127.0.0.1"});
        CHECK_FALSE(cert->der.empty());
        std::string payload(1 << 20, '\0');
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 + i / 4096);
        tls.sendall(payload);
        CHECK(read_exactly(tls, payload.size()) == payload);
        CHECK(tls.recv(1).empty());  // the server's close_notify
        CHECK_FALSE(tls.ragged_eof());
        server.join();
        CHECK(server_saw == payload);
    });
}

TEST_CASE("small_buffers_of_one_sendall_arrive_whole_and_in_order") {
    bounded([] {
        auto sctx = server_context();
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            tls.sendall(read_exactly(tls, 3 + 20000 + 5));
        });
        auto tls = client_context().wrap_socket(server.connect(), false, "127.0.0.1");
        const std::string big(20000, 'x');
        const boost::asio::const_buffer parts[] = {{"abc", 3}, {big.data(), big.size()}, {"12345", 5}};
        tls.sendall(std::span(parts));
        CHECK(read_exactly(tls, 20008) == "abc" + big + "12345");
    });
}

TEST_CASE("the_client_verifies_the_chain_and_the_name_and_says_why_it_refused") {
    bounded([] {
        auto good = server_context();
        auto expired = server_context("expired");
        auto self = server_context("self");
        int which = 0;
        Server server([&](gev::net::Socket sock) {
            const int n = which;
            try {
                (n == 0 ? good : n == 1 ? expired : self).wrap_socket(std::move(sock), true);
            } catch (const ssl::SSLError& e) {  // the client's alert
                CHECK(std::string(e.what()).find("TLS handshake from 127.0.0.1:") == 0);
                CHECK_FALSE(e.reason().empty());
            }
        });
        auto cctx = client_context();
        const auto refused = [&](const std::string& host, long code, const std::string& says) {
            CAPTURE(host);
            try {
                cctx.wrap_socket(server.connect(), false, host);
                FAIL("the handshake went through");
            } catch (const ssl::CertificateError& e) {
                CHECK(e.verify_code() == code);
                CHECK(std::string(e.what()).find("certificate verify failed for '" + host + "': " + says) !=
                      std::string::npos);
            }
        };
        refused("other.test", X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch");
        refused("127.0.0.2", X509_V_ERR_IP_ADDRESS_MISMATCH, "IP address mismatch");
        which = 1;
        refused("localhost", X509_V_ERR_CERT_HAS_EXPIRED, "certificate has expired");
        which = 2;
        refused("localhost", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed certificate");
        // A context trusting nobody refuses even the good certificate.
        which = 0;
        ssl::SSLContext nobody(ssl::Protocol::tls_client);
        CHECK_THROWS_AS(nobody.wrap_socket(server.connect(), false, "localhost"), ssl::CertificateError);
        // Verification off (for tests): anything goes.
        nobody.set_check_hostname(false);
        nobody.set_verify_mode(ssl::VerifyMode::none);
        which = 2;
        CHECK(nobody.wrap_socket(server.connect(), false, "anything").version() == "TLSv1.3");
        // And a client context without a name to check is a caller's error.
        CHECK_THROWS_AS(cctx.wrap_socket(server.connect(), false), std::invalid_argument);
    });
}

TEST_CASE("the_servername_callback_chooses_the_certificate_and_can_refuse_a_name") {
    bounded([] {
        auto other = server_context("other");
        auto sctx = server_context();
        std::vector<std::string> names;
        sctx.set_servername_callback([&](std::string_view name) -> std::optional<ssl::SSLContext> {
            names.emplace_back(name);
            if (name == "other.test") return other;
            if (name == "refused.test") throw std::runtime_error("no such site");
            return std::nullopt;
        });
        Server server([&](gev::net::Socket sock) {
            try {
                auto tls = sctx.wrap_socket(std::move(sock), true);
                tls.sendall(tls.server_hostname());
                tls.close();
            } catch (const ssl::SSLError&) {
            }
        });
        auto cctx = client_context();
        auto a = cctx.wrap_socket(server.connect(), false, "other.test");
        CHECK(a.getpeercert()->subject == "CN=other.test");
        CHECK(read_exactly(a, 10) == "other.test");
        auto b = cctx.wrap_socket(server.connect(), false, "localhost");
        CHECK(b.getpeercert()->subject == "CN=localhost");
        try {
            cctx.wrap_socket(server.connect(), false, "refused.test");
            FAIL("the handshake went through");
        } catch (const ssl::SSLError& e) {
            CHECK(e.reason().find("unrecognized name") != std::string::npos);
        }
        CHECK(names == std::vector<std::string>{"other.test", "localhost", "refused.test"});
    });
}

TEST_CASE("plain_http_garbage_and_a_cut_handshake_fail_with_their_reason_and_a_silent_client_times_out") {
    bounded([] {
        auto sctx = server_context();
        std::vector<std::string> reasons;
        Server server([&](gev::net::Socket sock) {
            sock.settimeout(0.3);
            try {
                sctx.wrap_socket(std::move(sock), true);
                reasons.push_back("handshake done");
            } catch (const gev::net::SocketTimeout& e) {
                reasons.push_back(std::string("timeout: ") + e.what());
            } catch (const ssl::SSLError& e) {
                reasons.push_back(e.reason());
            }
        });
        auto raw = server.connect();
        raw.sendall("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        auto silent = server.connect();  // opens TCP and sends nothing
        auto garbage = server.connect();
        garbage.sendall(std::string(64, '\x16'));
        // Half a ClientHello, then gone: what a real client's first bytes would be.
        auto cut = server.connect();
        {
            auto cctx = client_context();
            auto relay = gev::net::listen_on(gev::net::Address("127.0.0.1", 0));
            const auto relay_port = relay.getsockname().port();
            auto client = gev::spawn([&] {
                try {
                    cctx.wrap_socket(gev::net::create_connection("127.0.0.1", relay_port, 5.0), false, "localhost");
                } catch (const gev::net::SocketError&) {
                }
            });
            auto from_client = relay.accept().first;
            const std::string hello = from_client.recv(4096);
            cut.sendall(hello.substr(0, hello.size() / 2));
            cut.close();
            from_client.close();
            client.join();
        }
        server.join();
        REQUIRE(reasons.size() == 4);
        std::sort(reasons.begin(), reasons.end());
        CAPTURE(reasons);
        CHECK(std::count(reasons.begin(), reasons.end(), "http request") == 1);
        CHECK(std::count_if(reasons.begin(), reasons.end(), [](const std::string& r) {
                  return r.rfind("timeout: TLS handshake from 127.0.0.1:", 0) == 0;
              }) == 1);
        CHECK(std::count(reasons.begin(), reasons.end(), "handshake done") == 0);
        raw.close();
        silent.close();
        garbage.close();
    });
}

TEST_CASE("recv_is_a_cancellation_point_for_settimeout_a_timeout_and_kill") {
    bounded([] {
        auto sctx = server_context();
        gev::Event done;
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            done.wait();
        });
        auto tls = client_context().wrap_socket(server.connect(), false, "localhost");
        tls.settimeout(0.05);
        CHECK_THROWS_WITH_AS(tls.recv(10), doctest::Contains("recv with 127.0.0.1:"), gev::net::SocketTimeout);
        tls.settimeout({});
        {
            gev::Timeout mine(0.05);
            try {
                tls.recv(10);
                FAIL("recv returned");
            } catch (const gev::Timeout::Expired& e) {
                CHECK(e.is(mine));
            }
        }
        auto reader = gev::spawn([&] { return tls.recv(10); });
        gev::sleep(0.01);
        reader.kill();
        CHECK(reader.dead());
        done.set();
    });
}

TEST_CASE("a_close_without_close_notify_ends_the_stream_and_says_it_was_ragged") {
    bounded([] {
        auto sctx = server_context();
        bool notify = true;
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            tls.sendall("bye");
            if (notify) {
                tls.close();
            } else {
                tls.socket().close();  // TCP goes, no close_notify
            }
        });
        auto cctx = client_context();
        auto polite = cctx.wrap_socket(server.connect(), false, "localhost");
        CHECK(read_exactly(polite, 3) == "bye");
        CHECK(polite.recv(10).empty());
        CHECK_FALSE(polite.ragged_eof());
        notify = false;
        auto rude = cctx.wrap_socket(server.connect(), false, "localhost");
        CHECK(read_exactly(rude, 3) == "bye");
        CHECK(rude.recv(10).empty());
        CHECK(rude.ragged_eof());
        // The same when the first recv does the handshake (do_handshake_on_connect = false).
        auto lazy = cctx.wrap_socket(server.connect(), false, "localhost", false);
        CHECK(lazy.version().empty());
        CHECK(read_exactly(lazy, 3) == "bye");
        CHECK(lazy.version() == "TLSv1.3");
        CHECK(lazy.recv(10).empty());
        CHECK(lazy.ragged_eof());
    });
}

TEST_CASE("unwrap_ends_tls_both_ways_and_hands_back_the_plain_socket") {
    bounded([] {
        auto sctx = server_context();
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            tls.sendall(read_exactly(tls, 4));
            auto plain = tls.unwrap();
            plain.sendall("plain " + plain.recv(100));
        });
        auto tls = client_context().wrap_socket(server.connect(), false, "localhost");
        tls.sendall("ping");
        CHECK(read_exactly(tls, 4) == "ping");
        auto plain = tls.unwrap();
        CHECK_FALSE(tls.is_open());
        plain.sendall("text");
        CHECK(plain.recv(100) == "plain text");
    });
}

TEST_CASE("a_client_resumes_its_session_and_a_server_without_a_cache_does_not") {
    bounded([] {
        auto sctx = server_context();
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            tls.sendall("x");
            tls.recv(1);
        });
        auto cctx = client_context();
        const auto connect = [&](const ssl::SSLSession& resume) {
            auto tls = cctx.wrap_socket(server.connect(), false, "localhost", false);
            tls.set_session(resume);
            tls.do_handshake();
            CHECK(read_exactly(tls, 1) == "x");  // the TLS 1.3 ticket comes before it
            tls.sendall("y");
            return tls;
        };
        auto first = connect({});
        CHECK_FALSE(first.session_reused());
        const auto session = first.session();
        REQUIRE(session);
        auto second = connect(session);
        CHECK(second.session_reused());
        sctx.set_session_cache_size(0);
        auto third = connect(session);
        CHECK_FALSE(third.session_reused());
    });
}

TEST_CASE("tls_1_2_works_when_asked_for_and_a_version_in_common_is_required") {
    bounded([] {
        auto sctx = server_context();
        Server server([&](gev::net::Socket sock) {
            try {
                auto tls = sctx.wrap_socket(std::move(sock), true);
                tls.sendall(tls.version());
            } catch (const ssl::SSLError&) {
            }
        });
        auto cctx = client_context();
        cctx.set_maximum_version(ssl::TLSVersion::tls1_2);
        auto tls = cctx.wrap_socket(server.connect(), false, "localhost");
        CHECK(tls.version() == "TLSv1.2");
        CHECK(read_exactly(tls, 7) == "TLSv1.2");
        sctx.set_minimum_version(ssl::TLSVersion::tls1_3);
        CHECK_THROWS_AS(cctx.wrap_socket(server.connect(), false, "localhost"), ssl::SSLError);
    });
}

TEST_CASE("many_handshakes_at_once_share_one_hub") {
    bounded([] {
        auto sctx = server_context();
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            tls.sendall(read_exactly(tls, 5));
        });
        auto cctx = client_context();
        gev::Group clients;
        int ok = 0;
        for (int i = 0; i < 50; ++i) {
            clients.spawn([&] {
                auto tls = cctx.wrap_socket(server.connect(), false, "localhost");
                tls.sendall("hello");
                ok += read_exactly(tls, 5) == "hello";
            });
        }
        clients.join();
        CHECK(ok == 50);
    });
}

TEST_CASE("files_that_do_not_load_and_wrong_sides_are_clear_errors") {
    ssl::SSLContext sctx(ssl::Protocol::tls_server);
    CHECK_THROWS_WITH_AS(sctx.load_cert_chain("/nonexistent.crt", "/nonexistent.key"),
                         doctest::Contains("load_cert_chain: certificate /nonexistent.crt"), ssl::SSLError);
    CHECK_THROWS_WITH_AS(sctx.load_cert_chain(pki().crt("server"), pki().key("other")),
                         doctest::Contains(("private key " + pki().key("other") + ": key values mismatch").c_str()),
                         ssl::SSLError);
    CHECK_THROWS_AS(sctx.load_verify_locations("/nonexistent.pem"), ssl::SSLError);
    CHECK_THROWS_AS(sctx.set_ciphers("NO-SUCH-CIPHER"), ssl::SSLError);
    CHECK_THROWS_AS(sctx.set_alpn_protocols({""}), std::invalid_argument);
    gev::run([&] {
        auto listener = gev::net::listen_on(gev::net::Address("127.0.0.1", 0));
        auto sock = gev::net::create_connection("127.0.0.1", listener.getsockname().port(), 5.0);
        CHECK_THROWS_AS(sctx.wrap_socket(std::move(sock), false, "x"), std::invalid_argument);
    });
    const auto def = ssl::create_default_context();
    CHECK(def.verify_mode() == ssl::VerifyMode::required);
    CHECK(def.check_hostname());
}

TEST_CASE("a_renegotiation_attempt_ends_that_connection_and_no_other") {
    bounded([] {
        auto sctx = server_context();
        std::vector<std::string> ended;
        Server server([&](gev::net::Socket sock) {
            auto tls = sctx.wrap_socket(std::move(sock), true);
            try {
                for (std::string got = tls.recv(100); !got.empty(); got = tls.recv(100)) tls.sendall(got);
                ended.push_back("closed");
            } catch (const ssl::SSLError& e) {
                ended.push_back(e.reason());
            }
        });
        auto cctx = client_context();
        cctx.set_maximum_version(ssl::TLSVersion::tls1_2);  // TLS 1.3 has no renegotiation
        auto other = cctx.wrap_socket(server.connect(), false, "localhost");
        auto tls = cctx.wrap_socket(server.connect(), false, "localhost");
        tls.sendall("before");
        CHECK(read_exactly(tls, 6) == "before");
        // A hostile client: ours refuses to renegotiate too, so turn that off for this one.
        SSL_clear_options(tls.native_handle(), SSL_OP_NO_RENEGOTIATION);
        REQUIRE(SSL_renegotiate(tls.native_handle()) == 1);
        try {
            tls.sendall("after");
            for (std::string got = tls.recv(100); !got.empty(); got = tls.recv(100)) {
            }
        } catch (const ssl::SSLError&) {  // the server's refusal, as an alert
        }
        other.sendall("still here");
        CHECK(read_exactly(other, 10) == "still here");
        gev::sleep(0.05);
        REQUIRE(ended.size() == 1);
        CHECK(ended[0] != "closed");  // an SSLError with OpenSSL's reason (the client's alert)
    });
}

TEST_CASE("a_stream_server_with_a_context_hands_its_handler_an_established_tls_socket") {
    bounded([] {
        gev::net::ServerOptions options;
        options.handshake_timeout = 0.3;
        gev::net::StreamServer server(
            gev::net::Address("127.0.0.1", 0), server_context(),
            [](ssl::SSLSocket& tls, const gev::net::Address&) {
                CHECK(tls.version() == "TLSv1.3");
                while (true) {
                    const std::string line = tls.recv(100);
                    if (line.empty()) return;
                    tls.sendall("echo: " + line);
                }
            },
            options);
        server.start();
        // A client that connects and says nothing is dropped after handshake_timeout, and holds
        // up nobody meanwhile.
        auto silent = gev::net::create_connection("127.0.0.1", server.server_port(), 5.0);
        auto tls = client_context().wrap_socket(gev::net::create_connection("127.0.0.1", server.server_port(), 5.0),
                                                false, "localhost");
        tls.sendall("hello");
        CHECK(tls.recv(100) == "echo: hello");
        CHECK(silent.recv(100).empty());
        CHECK(server.connections() == 1);
        tls.close();
        server.stop(1.0);
    });
}
