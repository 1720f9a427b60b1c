// Black-box tests of the HTTP server: exact bytes in, status lines and headers out.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "../capture_stderr.hpp"
#include "app_server.hpp"
#include "raw_client.hpp"

using namespace std::chrono_literals;
using gev::http::Request;
using gev::http::Response;

namespace {

gev::http::App demo_app() {
    gev::http::App app;
    app.get("/hello", [](Request&, Response& r) {
        r.set_header("Content-Type", "text/plain");
        r.body = "Hello, World!";
    });
    app.get("/hello/<name>", [](Request& q) { return "Hello " + std::string(q.param("name")); });
    app.get("/item/<id:int>", [](Request& q) { return "item " + std::string(q.param("id")); });
    app.get("/files/<rest:path>", [](Request& q) { return "file " + std::string(q.param("rest")); });
    app.get("/query", [](Request& q) { return q.query()["a"] + "|" + q.query()["b"]; });
    app.post("/echo", [](Request& q) { return q.body(); });
    app.post("/count", [](Request& q) {
        std::size_t n = 0;
        q.read_body([&](std::string_view p) { n += p.size(); });
        return std::to_string(n);
    });
    app.get("/stream", [](Request&, Response& r) {
        r.write("one");
        r.write("");
        r.write("two");
    });
    app.get("/queue", [] {
        auto q = std::make_shared<gev::Queue<std::string>>();
        q->put("a");
        q->put("b");
        q->close();
        return q;
    });
    app.get("/throw", []() -> std::string { throw std::runtime_error("handler bug"); });
    app.get("/throw-late", [](Request&, Response& r) {
        r.write("partial");
        throw std::runtime_error("late bug");
    });
    app.get("/teapot", [] { gev::http::abort(418, "short and stout"); });
    app.get("/moved", [] { gev::http::redirect("/hello"); });
    app.get("/forever", [](Request&, Response& r) {
        for (;;) {
            r.write("tick\n");
            gev::sleep(5ms);
        }
    });
    app.get("/host", [](Request& q) { return std::string(q.header("Host")) + " " + std::string(q.path()); });
    // Starts its response, then reads the body: no 100 Continue may follow the head.
    app.post("/write-then-read", [](Request& q, Response& r) {
        r.write("head out;");
        r.write(std::to_string(q.body().size()));
    });
    app.get("/cookie", [](Request& q, Response& r) {
        r.set_cookie("seen", "yes", "Path=/");
        return "had " + q.cookie("id");
    });
    return app;
}

// Runs `body` in a hub with a server for demo_app() on a free port.
template <class F>
void with_server(F&& body, gev::http::ServerOptions options = {}) {
    static gev::http::App app = demo_app();
    with_app_server(app, options, body);
}

}  // namespace

TEST_CASE("get_hello_answers_200_with_length_date_and_server") {
    with_server([](auto port) {
        auto r = roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
        CHECK(has(r, "Content-Length: 13\r\n"));
        CHECK(has(r, "Server: geventpp\r\n"));
        CHECK(has(r, "Date: "));
        CHECK(has(r, "Content-Type: text/plain\r\n"));
        CHECK(r.substr(r.size() - 13) == "Hello, World!");
    });
}

TEST_CASE("keep_alive_and_pipelined_requests_are_answered_in_order") {
    with_server([](auto port) {
        auto r = roundtrip(port,
                           "GET /hello/ann HTTP/1.1\r\nHost: x\r\n\r\n"
                           "GET /item/42 HTTP/1.1\r\nHost: x\r\n\r\n"
                           "GET /files/a/b.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const auto a = r.find("Hello ann"), b = r.find("item 42"), c = r.find("file a/b.txt");
        CHECK(a != std::string::npos);
        CHECK(b != std::string::npos);
        CHECK(c != std::string::npos);
        CHECK(a < b);
        CHECK(b < c);
    });
}

TEST_CASE("http_1_0_closes_unless_keep_alive_is_asked_and_then_answers_it") {
    with_server([](auto port) {
        auto r = roundtrip(port, "GET /hello HTTP/1.0\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.0 200 OK\r\n"));
        CHECK_FALSE(has(r, "Connection: keep-alive"));
        auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
        s.sendall("GET /hello HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        gev::sleep(50ms);
        auto first = s.recv(65536);
        CHECK(has(first, "Connection: keep-alive"));
        s.sendall("GET /hello HTTP/1.0\r\n\r\n");  // the connection is still usable
        std::string rest;
        for (std::string p; !(p = s.recv(65536)).empty();) rest += p;
        CHECK(starts_with(rest, "HTTP/1.0 200 OK"));
    });
}

TEST_CASE("streamed_pieces_use_chunked_encoding_and_an_empty_piece_does_not_end_it") {
    with_server([](auto port) {
        auto r = roundtrip(port, "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(r, "Transfer-Encoding: chunked\r\n"));
        CHECK(has(r, "\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"));
        auto r10 = roundtrip(port, "GET /stream HTTP/1.0\r\n\r\n");
        CHECK_FALSE(has(r10, "chunked"));
        CHECK(r10.substr(r10.size() - 6) == "onetwo");
    });
}

TEST_CASE("a_queue_body_is_sent_item_by_item_until_closed") {
    with_server([](auto port) {
        auto r = roundtrip(port, "GET /queue HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(r, "\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n"));
    });
}

TEST_CASE("head_answers_the_headers_without_the_body") {
    with_server([](auto port) {
        auto r = roundtrip(port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.1 200 OK"));
        CHECK(has(r, "Content-Length: 13\r\n"));
        CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
    });
}

TEST_CASE("request_bodies_plain_chunked_with_trailers_and_expect_continue") {
    with_server([](auto port) {
        auto r =
            roundtrip(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        CHECK(r.substr(r.size() - 5) == "hello");
        auto c = roundtrip(port,
                           "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                           "3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: yes\r\n\r\n");
        CHECK(c.substr(c.size() - 5) == "abcde");
        auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
        s.sendall(
            "POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: "
            "close\r\n\r\n");
        CHECK(starts_with(s.recv(1000), "HTTP/1.1 100 Continue\r\n\r\n"));
        s.sendall("data");
        std::string rest;
        for (std::string p; !(p = s.recv(65536)).empty();) rest += p;
        CHECK(rest.substr(rest.size() - 1) == "4");
    });
}

TEST_CASE("expect_100_continue_is_case_insensitive_in_any_expect_line_and_never_follows_a_started_response") {
    with_server([](auto port) {
        for (const char* expect :
             {"Expect: 100-Continue\r\n", "Expect: 100-continue, x\r\n", "Expect: x\r\nExpect: 100-CONTINUE\r\n"}) {
            auto s = gev::net::create_connection("127.0.0.1", port, 2.0);
            s.sendall(std::string("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n") + expect +
                      "Connection: close\r\n\r\n");
            CHECK_MESSAGE(starts_with(s.recv(1000), "HTTP/1.1 100 Continue\r\n\r\n"), expect);
            s.sendall("data");
            std::string rest;
            for (std::string p; !(p = s.recv(65536)).empty();) rest += p;
            CHECK(rest.substr(rest.size() - 1) == "4");
        }
        // The client sent the body without waiting: the 100 must not land inside the chunked body.
        auto r = roundtrip(port,
                           "POST /write-then-read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                           "Expect: 100-continue\r\nConnection: close\r\n\r\ndata");
        CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
        CHECK_FALSE(has(r, "100 Continue"));
        CHECK(has(r, "9\r\nhead out;\r\n1\r\n4\r\n0\r\n\r\n"));
    });
}

TEST_CASE("an_absolute_form_target_is_served_as_its_path_with_its_authority_as_host") {
    with_server([](auto port) {
        // RFC 9112 §3.2.2: accepted, and the target's authority wins over Host.
        auto r = roundtrip(
            port, "GET http://a.example:8080/host?x=1 HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
        CHECK(r.substr(r.size() - 20) == "a.example:8080 /host");
        auto upper = roundtrip(port, "GET HTTP://a/hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        CHECK(upper.substr(upper.size() - 13) == "Hello, World!");
        for (const char* target :
             {"ftp://a/hello", "http://u@a/hello", "http:///hello", "hello", "a.example:80", "http://a:8x/hello"}) {
            CHECK_MESSAGE(starts_with(roundtrip(port, std::string("GET ") + target + " HTTP/1.1\r\nHost: a\r\n\r\n"),
                                      "HTTP/1.1 400 Bad Request\r\n"),
                          target);
        }
    });
}

TEST_CASE("the_date_header_is_imf_fixdate_in_english_whatever_the_locale") {
    // A German LC_TIME, built for this test (strftime's %a and %b would give "Mi" and "Dez").
    const auto dir = std::filesystem::temp_directory_path() / ("gev-locale-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto made =
        std::system(("localedef -i de_DE -f UTF-8 " + (dir / "de_DE.UTF-8").string() + " >/dev/null 2>&1").c_str());
    MESSAGE("localedef: " << made);
    ::setenv("LOCPATH", dir.c_str(), 1);
    REQUIRE(std::setlocale(LC_TIME, "de_DE.UTF-8") != nullptr);
    with_server([](auto port) {
        gev::sleep(1100ms);  // the date is cached for a second: let it be made anew under this locale
        auto r = roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const auto at = r.find("Date: ");
        REQUIRE(at != std::string::npos);
        const auto date = r.substr(at + 6, r.find("\r\n", at) - at - 6);
        CHECK_MESSAGE(std::regex_match(date, std::regex("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
                                                        "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                                                        "[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT")),
                      date);
    });
    std::setlocale(LC_TIME, "C");
    ::unsetenv("LOCPATH");
    std::filesystem::remove_all(dir);
}

TEST_CASE("routes_queries_cookies_404_405_abort_and_redirect") {
    with_server([](auto port) {
        CHECK(has(roundtrip(port, "GET /query?a=1+2&b=%41 HTTP/1.0\r\n\r\n"), "1 2|A"));
        CHECK(starts_with(roundtrip(port, "GET /nothing HTTP/1.0\r\n\r\n"), "HTTP/1.0 404 Not Found"));
        auto m = roundtrip(port, "DELETE /hello HTTP/1.0\r\n\r\n");
        CHECK(starts_with(m, "HTTP/1.0 405 Method Not Allowed"));
        CHECK(has(m, "Allow: GET\r\n"));
        CHECK(starts_with(roundtrip(port, "GET /teapot HTTP/1.0\r\n\r\n"), "HTTP/1.0 418"));
        auto red = roundtrip(port, "GET /moved HTTP/1.0\r\n\r\n");
        CHECK(starts_with(red, "HTTP/1.0 303 See Other"));
        CHECK(has(red, "Location: /hello\r\n"));
        auto ck = roundtrip(port, "GET /cookie HTTP/1.0\r\nCookie: a=b; id=7\r\n\r\n");
        CHECK(has(ck, "Set-Cookie: seen=yes; Path=/\r\n"));
        CHECK(has(ck, "had 7"));
    });
}

TEST_CASE("a_handler_that_throws_gets_500_and_the_connection_stays_usable") {
    CaptureStderr err;
    with_server([](auto port) {
        auto r = roundtrip(port,
                           "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"
                           "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.1 500 Internal Server Error"));
        CHECK(has(r, "Hello, World!"));
        auto late = roundtrip(port, "GET /throw-late HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(has(late, "partial"));
        CHECK_FALSE(has(late, "0\r\n\r\n"));  // cut short: the client can tell
    });
    const auto text = err.text();
    CHECK(has(text, "handler bug"));
    CHECK(has(text, "late bug"));
}

TEST_CASE("malformed_requests_get_400_and_the_connection_closes") {
    with_server([](auto port) {
        CHECK(starts_with(roundtrip(port, "GARBAGE\r\n\r\n"), "HTTP/1.1 400 Bad Request"));
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.1\r\nNoColonHere\r\n\r\n"), "HTTP/1.1 400"));
        CHECK(starts_with(roundtrip(port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), "HTTP/1.1 400"));
        // Content-Length and Transfer-Encoding together: refused, no request smuggling.
        auto smuggle =
            roundtrip(port,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
        CHECK(starts_with(smuggle, "HTTP/1.1 400"));
        CHECK_FALSE(has(smuggle, "Hello, World!"));
    });
}

TEST_CASE("limits_answer_414_431_and_413") {
    gev::http::ServerOptions o;
    o.max_request_line = 100;
    o.max_header_bytes = 1000;
    o.max_headers = 5;
    o.max_body = 10;
    with_server(
        [](auto port) {
            CHECK(starts_with(roundtrip(port, "GET /" + std::string(200, 'a') + " HTTP/1.1\r\n\r\n"), "HTTP/1.1 414"));
            CHECK(starts_with(roundtrip(port, "GET / HTTP/1.1\r\nX: " + std::string(2000, 'b') + "\r\n\r\n"),
                              "HTTP/1.1 431"));
            std::string many = "GET /hello HTTP/1.1\r\n";
            for (int i = 0; i < 10; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
            CHECK(starts_with(roundtrip(port, many + "\r\n"), "HTTP/1.1 431"));
            CHECK(starts_with(
                roundtrip(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\nConnection: close\r\n\r\n" +
                                    std::string(20, 'c')),
                "HTTP/1.1 413"));
            // read_body streams any size.
            auto big = roundtrip(
                port, "POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n" +
                          std::string(100000, 'd'));
            CHECK(big.substr(big.size() - 6) == "100000");
        },
        o);
}

TEST_CASE("a_client_that_sends_headers_too_slowly_gets_408_while_others_are_served") {
    gev::http::ServerOptions o;
    o.header_timeout = 0.2;
    with_server(
        [](auto port) {
            auto slow = gev::spawn([port] {
                auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
                s.sendall("GET /hello HTTP/1.1\r\n");
                for (int i = 0; i < 10; ++i) {
                    gev::sleep(50ms);
                    try {
                        s.sendall("X");
                    } catch (const gev::net::SocketError&) {
                        break;
                    }
                }
                std::string out;
                try {
                    for (std::string p; !(p = s.recv(65536)).empty();) out += p;
                } catch (const gev::net::SocketError&) {
                }
                return out;
            });
            gev::sleep(50ms);
            CHECK(has(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "Hello, World!"));
            CHECK(starts_with(slow.get(), "HTTP/1.1 408"));
        },
        o);
}

TEST_CASE("an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout") {
    gev::http::ServerOptions o;
    o.keepalive_timeout = 0.1;
    with_server(
        [](auto port) {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            const auto start = gev::Clock::now();
            std::string all;
            for (std::string p; !(p = s.recv(65536)).empty();) all += p;
            CHECK(has(all, "Hello, World!"));
            CHECK(gev::Clock::now() - start >= 100ms);
            CHECK(gev::Clock::now() - start < 3s);
        },
        o);
}

TEST_CASE("max_requests_per_connection_closes_after_the_last") {
    gev::http::ServerOptions o;
    o.max_requests_per_connection = 2;
    with_server(
        [](auto port) {
            auto r = roundtrip(port,
                               "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            std::size_t count = 0;
            for (auto at = r.find("HTTP/1.1 200"); at != std::string::npos; at = r.find("HTTP/1.1 200", at + 1))
                ++count;
            CHECK(count == 2);
            CHECK(has(r, "Connection: close"));
        },
        o);
}

TEST_CASE("a_body_shorter_than_its_content_length_disturbs_no_one") {
    with_server([](auto port) {
        {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this");
        }  // and vanish
        CHECK(has(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "Hello, World!"));
        // A client that ends its side early but still reads is told: 400, then the close.
        auto half = gev::net::create_connection("127.0.0.1", port, 5.0);
        half.sendall("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this");
        half.shutdown(SHUT_WR);
        std::string out;
        for (std::string p; !(p = half.recv(65536)).empty();) out += p;
        CHECK(starts_with(out, "HTTP/1.1 400 Bad Request\r\n"));
        CHECK(count(out, "HTTP/1.1 ") == 1);
    });
}

TEST_CASE("an_idle_keep_alive_connection_holds_no_greenlet_and_wakes_for_its_next_request") {
    gev::run([] {
        static gev::http::App app = demo_app();
        gev::http::ServerOptions o;
        o.access_log = false;
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), o);
        server.start();
        auto* hub = gev::Hub::current();
        const auto base = hub->greenlet_count();
        std::vector<gev::net::Socket> clients;
        for (int i = 0; i < 20; ++i) {
            clients.push_back(gev::net::create_connection("127.0.0.1", server.server_port(), 5.0));
            clients.back().sendall("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        for (auto& c : clients) CHECK(has(c.recv(65536), "Hello, World!"));
        gev::sleep(20ms);
        CHECK(server.idle_connections() == 20);
        CHECK(hub->greenlet_count() == base);  // no greenlet per idle connection
        for (auto& c : clients) c.sendall("GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n");
        for (auto& c : clients) CHECK(has(c.recv(65536), "Hello again"));
        gev::sleep(20ms);
        CHECK(server.idle_connections() == 20);
        server.stop(0.1);
        CHECK(server.idle_connections() == 0);
        for (auto& c : clients) CHECK(c.recv(100).empty());  // closed by stop
    });
}

TEST_CASE("idle_connections_resume_however_small_max_accept_is_and_a_listener_string_serves") {
    gev::run([] {
        static gev::http::App app = demo_app();
        gev::http::ServerOptions o;
        o.access_log = false;
        o.net.max_accept = 1;  // the accept loop yields after each accept
        gev::http::Server server("127.0.0.1:0", std::ref(app), o);
        server.start();
        std::vector<gev::net::Socket> clients;
        for (int i = 0; i < 5; ++i) {
            clients.push_back(gev::net::create_connection("127.0.0.1", server.server_port(), 5.0));
            clients.back().settimeout(5.0);
        }
        for (int round = 0; round < 3; ++round) {
            for (auto& c : clients) c.sendall("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            for (auto& c : clients) CHECK(has(c.recv(65536), "Hello, World!"));
            gev::sleep(20ms);
            CHECK(server.idle_connections() == 5);
        }
        server.stop(0.1);
    });
}

TEST_CASE("error_pages_replace_the_body_of_their_status") {
    gev::run([] {
        gev::http::App app = demo_app();
        app.error(404, [](const gev::http::HTTPError&) { return std::string("custom not found"); });
        gev::http::ServerOptions o;
        o.access_log = false;
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), o);
        server.start();
        auto r = roundtrip(server.server_port(), "GET /missing HTTP/1.0\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.0 404"));
        CHECK(r.substr(r.size() - 16) == "custom not found");
        server.stop(0.1);
    });
}

TEST_CASE("a_truncated_request_or_a_client_vanishing_mid_stream_disturbs_no_one") {
    with_server([](auto port) {
        {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("GET /hel");  // and vanish mid-request-line
        }
        {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(has(s.recv(4096), "tick"));
        }                  // vanish while the server streams to us
        gev::sleep(50ms);  // the server's next writes fail
        CHECK(has(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "Hello, World!"));
    });
}
