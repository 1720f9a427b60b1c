// HTTPS and WSS end to end on 127.0.0.1: gev::http::Server with ServerOptions::ssl_context
// against gev::http::Session, gev::ws::connect and raw sockets, with the certificates of
// tests/net/test_pki.hpp. What a user relies on: the same app over TLS (keep-alive, pooling,
// streaming, WebSocket upgrades), verification on by default with a clear error, nginx's answer
// to plain HTTP on the TLS port, and a client that never finishes its handshake holding nothing
// for long and blocking nobody.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/net/ssl.hpp>
#include <geventpp/ws/client.hpp>
#include <geventpp/ws/websocket.hpp>
#include <set>
#include <string>

#include "../net/test_pki.hpp"

using namespace std::chrono_literals;
namespace ssl = gev::net::ssl;

namespace {

struct Https {
    std::uint16_t port = 0;
    gev::http::Server* server = nullptr;
    std::string base() const { return "https://localhost:" + std::to_string(port); }
};

template <class F>
void with_https_server(F&& body, gev::http::ServerOptions options = {}) {
    options.access_log = false;
    options.ssl_context = server_context();
    gev::run([&] {
        gev::http::App app;
        app.get("/hello", [] { return std::string("Hello, World!"); });
        app.get("/port", [](gev::http::Request& r) { return std::to_string(r.remote_addr().port()); });
        app.post("/echo", [](gev::http::Request& r) { return r.body(); });
        app.get("/stream", [](gev::http::Request&, gev::http::Response& res) {
            for (const char* p : {"one", "two", "three"}) {
                res.write(p);
                gev::sleep(20ms);
            }
        });
        app.get("/echo-ws", [](gev::http::Request& r, gev::http::Response&) {
            auto ws = gev::ws::upgrade(r);
            if (!ws) gev::http::abort(400, "Expected WebSocket request.");
            while (auto m = ws->receive()) ws->send("echo: " + m->data);
        });
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), options);
        server.start();
        gev::Timeout bound(10.0);
        body(Https{server.server_port(), &server});
        server.stop(0.1);
    });
}

gev::http::Session verified_session() {
    gev::http::SessionOptions o;
    o.ssl_context = client_context();
    return gev::http::Session(o);
}

}  // namespace

TEST_CASE("the_same_app_answers_over_https_and_a_session_keeps_its_tls_connection") {
    with_https_server([](const Https& h) {
        auto s = verified_session();
        const auto r = s.get(h.base() + "/hello");
        CHECK(r.status == 200);
        CHECK(r.body == "Hello, World!");
        std::set<std::string> ports;
        for (int i = 0; i < 5; ++i) ports.insert(s.get(h.base() + "/port").body);
        CHECK(ports.size() == 1);  // one pooled TLS connection served them all
        CHECK(s.idle_connections() == 1);
        const std::string big(300000, 'z');
        CHECK(s.post(h.base() + "/echo", big).body == big);
        auto stream = s.open("GET", h.base() + "/stream");
        std::string streamed;
        while (auto piece = stream.read_some()) streamed += *piece;
        CHECK(streamed == "onetwothree");
    });
}

// Waits (a bounded poll) until the server holds `n` idle connections.
bool holds_idle(const Https& h, std::size_t n) {
    for (int i = 0; i < 200 && h.server->idle_connections() != n; ++i) gev::sleep(5ms);
    return h.server->idle_connections() == n;
}

TEST_CASE("an_idle_tls_keep_alive_connection_holds_no_greenlet_and_resumes_on_its_next_request") {
    gev::http::ServerOptions options;
    options.keepalive_timeout = 0.5;
    with_https_server(
        [](const Https& h) {
            auto s = verified_session();
            const auto port = s.get(h.base() + "/port").body;
            CHECK(holds_idle(h, 1));
            CHECK(h.server->connections() == 0);  // no handler greenlet while it idles
            // Resumed on its next request, on the same TLS connection, after a large response too.
            const std::string big(100000, 'b');
            CHECK(s.post(h.base() + "/echo", big).body == big);
            CHECK(holds_idle(h, 1));
            CHECK(s.get(h.base() + "/port").body == port);
            CHECK(holds_idle(h, 1));
            // keepalive_timeout closes it while held; the session then opens a new one.
            CHECK(holds_idle(h, 0));
            CHECK(s.get(h.base() + "/port").body != port);
        },
        options);
}

TEST_CASE("https_verifies_the_server_by_default_and_says_which_host_failed") {
    with_https_server([](const Https& h) {
        // The system's CAs do not know the test CA.
        CHECK_THROWS_WITH_AS(gev::http::Session().get(h.base() + "/hello"),
                             doctest::Contains("certificate verify failed for 'localhost'"), ssl::CertificateError);
        // The name checked is the URL's host, a DNS name or an IP address (a wrong one: ssl_test).
        auto s = verified_session();
        CHECK(s.get("https://127.0.0.1:" + std::to_string(h.port) + "/hello").body == "Hello, World!");
        gev::http::SessionOptions insecure;
        insecure.verify = false;
        CHECK(gev::http::Session(insecure).get(h.base() + "/hello").body == "Hello, World!");
    });
}

TEST_CASE("plain_http_on_the_https_port_gets_nginx_s_400_in_plain_text") {
    with_https_server([](const Https& h) {
        auto raw = gev::net::create_connection("127.0.0.1", h.port, 5.0);
        raw.sendall("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
        std::string answer;
        for (std::string got = raw.recv(4096); !got.empty(); got = raw.recv(4096)) answer += got;
        CHECK(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
        CHECK(answer.find("\r\nConnection: close\r\n") != std::string::npos);
        CHECK(answer.ends_with("\r\n\r\nThe plain HTTP request was sent to HTTPS port\n"));
        // and the server goes on serving everyone else
        CHECK(verified_session().get(h.base() + "/hello").status == 200);
    });
}

TEST_CASE("a_client_that_never_finishes_its_handshake_is_dropped_and_blocks_nobody") {
    gev::http::ServerOptions o;
    o.net.handshake_timeout = 1.0;
    with_https_server(
        [](const Https& h) {
            auto silent = gev::net::create_connection("127.0.0.1", h.port, 5.0);
            auto half = gev::net::create_connection("127.0.0.1", h.port, 5.0);
            half.sendall(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));  // a ClientHello's start
            const auto t0 = gev::Clock::now();
            CHECK(verified_session().get(h.base() + "/hello").body == "Hello, World!");
            CHECK(gev::Clock::now() - t0 < 800ms);  // not behind the two stuck handshakes
            silent.settimeout(5.0);
            half.settimeout(5.0);
            CHECK(silent.recv(100).empty());  // closed by the server after handshake_timeout
            CHECK(half.recv(100).empty());
        },
        o);
}

TEST_CASE("wss_upgrades_work_exactly_as_ws") {
    with_https_server([](const Https& h) {
        gev::ws::WebSocketOptions o;
        o.ssl_context = client_context();
        auto ws = gev::ws::connect("wss://localhost:" + std::to_string(h.port) + "/echo-ws", o, 5.0);
        ws->send("over TLS");
        const auto reply = ws->receive();
        REQUIRE(reply);
        CHECK(reply->data == "echo: over TLS");
        ws->close();
        CHECK(ws->close_code() == gev::ws::normal);
        // Unverified by default: the system's CAs do not know ours.
        CHECK_THROWS_AS(gev::ws::connect("wss://localhost:" + std::to_string(h.port) + "/echo-ws", {}, 5.0),
                        ssl::CertificateError);
    });
}

TEST_CASE("over_wss_a_sender_and_a_receiver_greenlet_share_one_connection") {
    with_https_server([](const Https& h) {
        gev::ws::WebSocketOptions o;
        o.ssl_context = client_context();
        auto ws = gev::ws::connect("wss://localhost:" + std::to_string(h.port) + "/echo-ws", o, 5.0);
        const int n = 100;
        std::string big(64 * 1024, 'q');
        auto sender = gev::spawn([&] {
            for (int i = 0; i < n; ++i) ws->send(std::to_string(i) + big);
        });
        int got = 0;
        for (; got < n; ++got) {
            const auto m = ws->receive();
            REQUIRE(m);
            REQUIRE(m->data == "echo: " + std::to_string(got) + big);
        }
        sender.join();
        ws->close();
        CHECK(got == n);
    });
}
