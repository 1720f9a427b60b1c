#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {
template <class F>
void with_server(F&& body, gev::http::ServerOptions options = {}) {
    options.access_log = false;
    gev::run([&] {
        gev::http::App app;
        app.get("/hello", [] { return std::string("Hello, World!"); });
        app.get("/port", [](gev::http::Request& r) { return std::to_string(r.remote_addr().port()); });
        app.post("/echo", [](gev::http::Request& r) { return r.body(); });
        app.get("/slow", [] {
            gev::sleep(2s);
            return std::string("late");
        });
        app.get("/stream", [](gev::http::Request&, gev::http::Response& res) {
            for (const char* p : {"one", "two", "three"}) {
                res.write(p);
                gev::sleep(50ms);
            }
        });
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), options);
        server.start();
        body("http://127.0.0.1:" + std::to_string(server.server_port()));
        server.stop(0.1);
    });
}
}  // namespace

TEST_CASE("get_and_post_return_status_headers_and_body") {
    with_server([](const std::string& base) {
        auto r = gev::http::get(base + "/hello");
        CHECK(r.status == 200);
        CHECK(r.body == "Hello, World!");
        CHECK(r.header("Content-Length") == "13");
        CHECK(gev::http::post(base + "/echo", "payload").body == "payload");
        CHECK(gev::http::get(base + "/missing").status == 404);
    });
}

TEST_CASE("a_session_reuses_its_keep_alive_connection") {
    with_server([](const std::string& base) {
        gev::http::Session s;
        const auto first = s.get(base + "/port").body;
        CHECK(s.idle_connections() == 1);
        CHECK(s.get(base + "/port").body == first);  // same client port: same connection
    });
}

TEST_CASE("a_session_retries_once_when_the_server_closed_the_idle_connection") {
    gev::http::ServerOptions o;
    o.keepalive_timeout = 0.05;
    with_server(
        [](const std::string& base) {
            gev::http::Session s;
            CHECK(s.get(base + "/hello").status == 200);
            gev::sleep(300ms);  // the server closes the idle connection
            CHECK(s.get(base + "/hello").body == "Hello, World!");
        },
        o);
}

TEST_CASE("a_streamed_body_is_read_piece_by_piece_as_it_comes") {
    with_server([](const std::string& base) {
        gev::http::Session s;
        auto stream = s.open("GET", base + "/stream");
        CHECK(stream.status() == 200);
        std::vector<std::string> pieces;
        while (auto p = stream.read_some()) pieces.push_back(*p);
        CHECK(pieces == std::vector<std::string>{"one", "two", "three"});
    });
}

TEST_CASE("client_errors_are_typed") {
    with_server([](const std::string& base) {
        CHECK_THROWS_AS(gev::http::get("ftp://example.invalid/"), gev::http::ProtocolError);
        CHECK_THROWS_AS(gev::http::get(base + "/slow", 0.1), gev::net::SocketTimeout);
        std::uint16_t closed_port;
        {
            auto s = gev::net::listen_on(gev::net::Address("127.0.0.1", 0));
            closed_port = s.getsockname().port();
        }
        CHECK_THROWS_AS(gev::http::get("http://127.0.0.1:" + std::to_string(closed_port) + "/"),
                        gev::net::ConnectionRefused);
    });
}
