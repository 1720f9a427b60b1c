// The HTTP server against a hostile client and a careless handler: exact bytes in, and what
// must not come out (a second response, unbounded memory, a connection held for ever).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/http/static_file.hpp>
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

// What a test saw a handler do, for the cases where the client cannot see it.
struct Seen {
    std::string flood_error;   // how /flood's writes ended
    std::string upload_error;  // how /upload's body read ended
};
Seen seen;

gev::http::App hostile_app() {
    gev::http::App app;
    app.get("/hello", [] { return std::string("Hello, World!"); });
    app.post("/hello", [] { return std::string("Hello, World!"); });  // leaves the body unread
    app.post("/echo", [](Request& q) { return q.body(); });
    app.post("/user", [](Request& q) {
        q.body();
        return "user=" + std::string(q.header("X-User"));
    });
    app.post("/upload", [](Request& q) {
        std::size_t n = 0;
        try {
            q.read_body([&](std::string_view p) { n += p.size(); });
        } catch (const gev::net::SocketError& e) {
            seen.upload_error = e.what();
            throw;
        }
        return std::to_string(n);
    });
    // A header from the query string: what a careless application does.
    app.get("/set-header", [](Request& q, Response& r) {
        r.set_header("X-Echo", q.query()["v"]);
        return std::string("unreachable");
    });
    app.get("/add-header", [](Request& q, Response& r) {
        r.add_header(q.query()["n"], "v");
        return std::string("unreachable");
    });
    app.get("/cookie", [](Request& q, Response& r) {
        r.set_cookie("c", q.query()["v"]);
        return std::string("unreachable");
    });
    app.get("/cookie-attributes", [](Request& q, Response& r) {
        r.set_cookie("c", "1", q.query()["v"]);
        return std::string("unreachable");
    });
    app.get("/redirect", [](Request& q) -> std::string { gev::http::redirect(q.query()["to"]); });
    app.get("/stream-header", [](Request& q, Response& r) {
        r.set_header("X-Echo", q.query()["v"]);
        r.write("unreachable");
    });
    app.get("/status", [](Request& q, Response& r) {
        r.set_status(std::stoi(q.query()["code"]));
        return std::string("body");
    });
    app.get("/stream-status", [](Request&, Response& r) {
        r.set_status(101);
        r.write("body");
    });
    // Writes fast until the client stops taking it.
    app.get("/flood", [](Request&, Response& r) {
        const std::string block(64 * 1024, 'f');
        try {
            for (;;) r.write(block);
        } catch (const gev::net::SocketError& e) {
            seen.flood_error = e.what();
            throw;
        }
    });
    // The handler's own outbound call fails (nothing listens on port 1).
    app.get("/outbound", [] {
        auto s = gev::net::create_connection("127.0.0.1", 1, 1.0);
        return std::string("unreachable");
    });
    app.get("/declared", [](Request& q, Response& r) {
        r.set_header("Content-Length", "10");
        r.write(q.query()["body"]);
    });
    return app;
}

template <class F>
void with_server(F&& body, gev::http::ServerOptions options = {}) {
    static gev::http::App app = hostile_app();
    with_app_server(app, options, body);
}

}  // namespace

// --- 1. response splitting ------------------------------------------------------------------

TEST_CASE("a_header_value_with_crlf_from_the_query_is_refused_with_500_and_splits_nothing") {
    CaptureStderr err;
    with_server([](auto port) {
        // v = "x\r\nSet-Cookie: admin=1\r\n\r\nHTTP/1.1 200 OK..." percent-encoded, as an attacker sends it
        for (const char* v :
             {"x%0d%0aSet-Cookie:%20admin=1", "x%0aSet-Cookie:%20admin=1", "x%0dSet-Cookie:%20a=1", "x%00y", "x%7fy"}) {
            auto r = roundtrip(
                port, std::string("GET /set-header?v=") + v + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK(starts_with(r, "HTTP/1.1 500 Internal Server Error\r\n"));
            CHECK_FALSE(has(r, "Set-Cookie"));
            CHECK_FALSE(has(r, "X-Echo"));
            CHECK(count(r, "HTTP/1.1") == 1);
        }
        // A tab and bytes from 0x80 up are allowed in a value.
        auto ok =
            roundtrip(port, "GET /set-header?v=fine%09tab%C3%A9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(ok, "HTTP/1.1 200 OK\r\n"));
        CHECK(has(ok, "X-Echo: fine\ttab\xC3\xA9\r\n"));
    });
    CHECK(has(err.text(), "Response::set_header: the value of X-Echo"));
}

TEST_CASE("header_names_that_are_not_tokens_and_bad_cookies_are_refused") {
    CaptureStderr err;
    with_server([](auto port) {
        for (const char* n : {"X-A:%20b", "X%20A", "X-A%0d%0aEvil", "", "X(A)"}) {
            auto r = roundtrip(
                port, std::string("GET /add-header?n=") + n + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK(starts_with(r, "HTTP/1.1 500"));
            CHECK_FALSE(has(r, "Evil"));
        }
        for (const char* v : {"a;%20Domain=evil.example", "a%0d%0aSet-Cookie:%20b=2", "a%20b", "a,b", "a\"b"}) {
            auto r = roundtrip(port,
                               std::string("GET /cookie?v=") + v + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK(starts_with(r, "HTTP/1.1 500"));
            CHECK_FALSE(has(r, "Set-Cookie"));
        }
        auto attr = roundtrip(port,
                              "GET /cookie-attributes?v=Path=/%0d%0aX-Evil:%201 HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n");
        CHECK(starts_with(attr, "HTTP/1.1 500"));
        CHECK_FALSE(has(attr, "X-Evil"));
        auto quoted = roundtrip(port, "GET /cookie?v=%22abc%22 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(quoted, "Set-Cookie: c=\"abc\"\r\n"));
    });
    const auto text = err.text();
    CHECK(has(text, "is not a valid header name"));
    CHECK(has(text, "holds a character a cookie may not"));
}

TEST_CASE("redirect_and_streamed_headers_with_crlf_are_refused") {
    CaptureStderr err;
    with_server([](auto port) {
        auto r = roundtrip(
            port, "GET /redirect?to=/a%0d%0aSet-Cookie:%20admin=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.1 500"));
        CHECK_FALSE(has(r, "Location"));
        CHECK_FALSE(has(r, "Set-Cookie"));
        auto fine = roundtrip(port, "GET /redirect?to=/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(fine, "HTTP/1.1 303 See Other\r\n"));
        CHECK(has(fine, "Location: /hello\r\n"));
        auto s = roundtrip(
            port, "GET /stream-header?v=a%0d%0a%0d%0ainjected HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(s, "HTTP/1.1 500"));
        CHECK_FALSE(has(s, "injected"));
        CHECK_FALSE(has(s, "unreachable"));
    });
    CHECK(has(err.text(), "HTTPError: the value of Location"));
}

TEST_CASE("status_codes_outside_100_999_and_1xx_final_responses_are_refused") {
    CaptureStderr err;
    with_server([](auto port) {
        for (const char* code : {"99", "1000", "-200", "0"}) {
            auto r = roundtrip(
                port, std::string("GET /status?code=") + code + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK(starts_with(r, "HTTP/1.1 500"));
        }
        for (const char* code : {"101", "100", "103"}) {
            auto r = roundtrip(
                port, std::string("GET /status?code=") + code + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK(starts_with(r, "HTTP/1.1 500"));
            CHECK_FALSE(has(r, "body"));
        }
        auto stream = roundtrip(port, "GET /stream-status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(stream, "HTTP/1.1 500"));
        CHECK(starts_with(roundtrip(port, "GET /status?code=299 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                          "HTTP/1.1 299 "));
    });
    const auto text = err.text();
    CHECK(has(text, "a status code has three digits"));
    CHECK(has(text, "a final response cannot be 1xx"));
}

TEST_CASE("a_server_name_with_crlf_is_refused_at_construction") {
    gev::run([] {
        gev::http::ServerOptions o;
        o.server_name = "geventpp\r\nX-Evil: 1";
        CHECK_THROWS_AS(gev::http::Server(
                            gev::net::Address("127.0.0.1", 0), [](Request&, Response&) {}, o),
                        std::invalid_argument);
    });
}

// --- 2. memory a single connection can take --------------------------------------------------

TEST_CASE("a_chunk_size_line_that_never_ends_is_cut_off_on_any_url") {
    with_server([](auto port) {
        for (const char* target : {"/echo", "/nothing", "/hello"}) {
            std::size_t sent = 0;
            auto r = send_endless(
                port, std::string("POST ") + target + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5",
                std::string(16 * 1024, '0'), 64 * 1024 * 1024, sent);
            // /echo reads the body: 400. The others answer first; the drain then stops.
            CHECK((starts_with(r, "HTTP/1.1 400") || starts_with(r, "HTTP/1.1 404") || starts_with(r, "HTTP/1.1 200")));
            CHECK(count(r, "HTTP/1.1 ") == 1);
            CHECK(sent < 16 * 1024 * 1024);  // closed long before: today it read all 64 MiB into memory
        }
        std::size_t sent = 0;
        auto ext = send_endless(port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=",
                                std::string(16 * 1024, 'x'), 64 * 1024 * 1024, sent);
        CHECK(starts_with(ext, "HTTP/1.1 400 Bad Request\r\n"));
        CHECK(sent < 16 * 1024 * 1024);
        auto trailer = send_endless(port,
                                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "5\r\nhello\r\n0\r\nX-Trailer: ",
                                    std::string(16 * 1024, 't'), 64 * 1024 * 1024, sent);
        CHECK(starts_with(trailer, "HTTP/1.1 400 Bad Request\r\n"));
        CHECK(sent < 16 * 1024 * 1024);
    });
}

TEST_CASE("a_chunk_extension_or_trailer_over_max_chunk_line_gets_400_even_when_whole") {
    with_server([](auto port) {
        const std::string head =
            "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        auto ext = roundtrip(port, head + "5;e=" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n");
        CHECK(starts_with(ext, "HTTP/1.1 400 Bad Request\r\n"));
        CHECK(has(seen.upload_error, "longer than max_chunk_line (4096 bytes)"));
        auto trailer = roundtrip(port, head + "5\r\nhello\r\n0\r\nX-T: " + std::string(5000, 'y') + "\r\n\r\n");
        CHECK(starts_with(trailer, "HTTP/1.1 400 Bad Request\r\n"));
        auto within = roundtrip(port, head + "5;e=" + std::string(1000, 'x') + "\r\nhello\r\n0\r\nX-T: yes\r\n\r\n");
        CHECK(starts_with(within, "HTTP/1.1 200 OK\r\n"));
        CHECK(within.substr(within.size() - 1) == "5");
        // Trailer fields never pass for header fields once the body is read.
        auto user =
            roundtrip(port,
                      "POST /user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      "0\r\nX-User: admin\r\n\r\n");
        CHECK(starts_with(user, "HTTP/1.1 200 OK\r\n"));
        CHECK(user.substr(user.size() - 7) == "\r\nuser=");
        auto bad = roundtrip(port, head + "5\r\nhelloXX0\r\n\r\n");
        CHECK(starts_with(bad, "HTTP/1.1 400 Bad Request\r\n"));
    });
}

TEST_CASE("an_unread_body_is_drained_up_to_max_drain_then_the_connection_closes") {
    with_server([](auto port) {
        // Small: drained, and the pipelined request after it is answered.
        auto small =
            roundtrip(port, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b') +
                                "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(count(small, "HTTP/1.1 200 OK") == 2);
        // Over 256 KiB declared: answered, then closed without reading it.
        std::size_t sent = 0;
        auto big = send_endless(port, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
                                std::string(64 * 1024, 'b'), 100000000, sent);
        CHECK(count(big, "HTTP/1.1 200 OK") == 1);
        CHECK(has(big, "Connection: close\r\n") == false);  // it was keep-alive until the drain was refused
        CHECK(sent < 32 * 1024 * 1024);
        // Chunked without a length: drained up to the limit, then closed.
        auto chunked = send_endless(port, "POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                                    "8000\r\n" + std::string(0x8000, 'c') + "\r\n", 100000000, sent);
        CHECK(count(chunked, "HTTP/1.1 200 OK") == 1);
        CHECK(sent < 32 * 1024 * 1024);
    });
}

TEST_CASE("a_body_over_max_body_gets_413_before_it_is_sent_and_nothing_more_is_read") {
    gev::http::ServerOptions o;
    o.max_body = 10;
    with_server(
        [](auto port) {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");  // and no body
            std::string out;
            for (std::string p; !(p = s.recv(65536)).empty();) out += p;
            CHECK(starts_with(out, "HTTP/1.1 413 Payload Too Large\r\n"));
            CHECK(has(out, "Connection: close\r\n"));
            // A chunked body over the limit: 413 once it is crossed, and no second answer.
            auto r = roundtrip(port,
                               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "14\r\n" +
                                   std::string(20, 'c') + "\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(starts_with(r, "HTTP/1.1 413"));
            CHECK(count(r, "HTTP/1.1 ") == 1);
        },
        o);
}

// --- 3. time a single connection can take ----------------------------------------------------

TEST_CASE("a_body_that_trickles_in_gets_408_after_body_timeout") {
    gev::http::ServerOptions o;
    o.body_timeout = 0.2;
    with_server(
        [](auto port) {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");  // then nothing
            const auto start = gev::Clock::now();
            std::string out;
            for (std::string p; !(p = s.recv(65536)).empty();) out += p;
            CHECK(starts_with(out, "HTTP/1.1 408 Request Timeout\r\n"));
            CHECK(gev::Clock::now() - start < 3s);
            CHECK(has(seen.upload_error, "timed out"));
            CHECK(has(seen.upload_error, "recv from 127.0.0.1:"));
        },
        o);
}

TEST_CASE("a_client_that_stops_reading_is_dropped_after_send_timeout") {
    gev::http::ServerOptions o;
    o.send_timeout = 0.2;
    with_server(
        [](auto port) {
            seen.flood_error.clear();
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.setsockopt(SOL_SOCKET, SO_RCVBUF, 4096);
            s.sendall("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n");  // and never read
            for (int i = 0; i < 100 && seen.flood_error.empty(); ++i) gev::sleep(50ms);
            CHECK(has(seen.flood_error, "send to 127.0.0.1:"));
            CHECK(has(seen.flood_error, "timed out"));
            CHECK(has(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "Hello, World!"));
        },
        o);
}

// --- 4. framing: Transfer-Encoding and Host ---------------------------------------------------

TEST_CASE("transfer_encoding_not_ending_in_chunked_gets_400_and_its_body_never_runs_as_a_request") {
    with_server([](auto port) {
        const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
        for (const char* te :
             {"gzip", "identity", "xchunked", "chunked, gzip", "chunked;q=1", "chunked, chunked", ""}) {
            auto r = roundtrip(port, std::string("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te +
                                         "\r\n\r\n" + smuggled);
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 400 Bad Request\r\n"), te);
            CHECK_MESSAGE(count(r, "HTTP/1.1 ") == 1, te);
            CHECK(has(r, "Connection: close\r\n"));
        }
        // chunked with a parameter, or followed by more than whitespace, is another coding, even
        // when what follows is a valid chunked body.
        for (const char* te : {"chunked;q=1", "chunked ;a=b", "chunked x"}) {
            auto r = roundtrip(port, std::string("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te +
                                         "\r\n\r\n2\r\nok\r\n0\r\n\r\n");
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 400 Bad Request\r\n"), te);
        }
        // Two fields, the last coding chunked but applied twice or after gzip.
        auto twice = roundtrip(port,
                               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                                   smuggled);
        CHECK(starts_with(twice, "HTTP/1.1 501 Not Implemented\r\n"));
        CHECK(count(twice, "HTTP/1.1 ") == 1);
        auto gzip =
            roundtrip(port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
        CHECK(starts_with(gzip, "HTTP/1.1 501 Not Implemented\r\n"));
        auto old = roundtrip(port, "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        CHECK(starts_with(old, "HTTP/1.0 400 Bad Request\r\n"));
        auto fine =
            roundtrip(port,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n"
                      "2\r\nok\r\n0\r\n\r\n");
        CHECK(fine.substr(fine.size() - 2) == "ok");
    });
}

TEST_CASE("http_1_1_without_exactly_one_valid_host_gets_400") {
    with_server([](auto port) {
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request\r\n"));
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "HTTP/1.1 400"));
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), "HTTP/1.0 400"));
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n"), "HTTP/1.1 400"));
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: a/b\r\n\r\n"), "HTTP/1.1 400"));
        // A bad Host after a good one on the same connection is checked too.
        const auto second =
            roundtrip(port, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a:80x\r\n\r\n");
        CHECK(starts_with(second, "HTTP/1.1 200 OK\r\n"));
        CHECK(has(second, "HTTP/1.1 400 Bad Request\r\n"));
        // RFC 9110 §7.2's grammar, not only its characters: uri-host [":" port].
        for (const char* host : {"a@b", "example.com:80x", "a:b:c", "[::1", "[::1]x", "[]", "%zz", "a%2", "a:8:0"}) {
            CHECK_MESSAGE(starts_with(roundtrip(port, std::string("GET /hello HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"),
                                      "HTTP/1.1 400"),
                          host);
        }
        CHECK(starts_with(roundtrip(port, "GET /hello HTTP/1.0\r\n\r\n"), "HTTP/1.0 200 OK\r\n"));
        for (const char* host : {"example.com", "127.0.0.1:8080", "[::1]:80", "[::ffff:1.2.3.4]", "a%2Eb", "x:", ""}) {
            CHECK_MESSAGE(starts_with(roundtrip(port, std::string("GET /hello HTTP/1.1\r\nHost: ") + host +
                                                          "\r\nConnection: close\r\n\r\n"),
                                      "HTTP/1.1 200 OK\r\n"),
                          host);
        }
    });
}

// --- 5. static files ------------------------------------------------------------------------

namespace {
long rss_kib() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}
}  // namespace

TEST_CASE("a_static_file_is_streamed_so_clients_that_do_not_read_hold_no_copy_of_it") {
    const auto dir = std::filesystem::temp_directory_path() / ("gev-static-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream small(dir / "small.txt");
        small << "0123456789";
    }
    {
        std::ofstream secret(dir / "secret.txt");
        secret << "secret";
    }
    const int fd = ::open((dir / "big.bin").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(::ftruncate(fd, 256L * 1024 * 1024) == 0);  // sparse: costs no disk
    ::close(fd);
    gev::run([&] {
        gev::http::App app;
        app.get("/static/<p:path>", [&](Request& q, Response& r) {
            const auto p = std::string(q.param("p"));
            if (p.size() < 4 || (p.substr(p.size() - 4) != ".bin" && p.substr(p.size() - 4) != ".txt")) {
                gev::http::abort(403, "only .bin and .txt");
            }
            gev::http::static_file(q, r, p, dir.string());
        });
        app.get("/img/<p:path>", [&](Request& q, Response& r) {
            const auto p = std::string(q.param("p"));
            if (p.size() < 4 || p.substr(p.size() - 4) != ".png") gev::http::abort(403, "only .png");
            gev::http::static_file(q, r, p, dir.string());
        });
        gev::http::ServerOptions o;
        o.access_log = false;
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), o);
        server.start();
        const auto port = server.server_port();
        auto whole = roundtrip(port, "GET /static/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(whole, "HTTP/1.1 200 OK\r\n"));
        CHECK(has(whole, "Content-Length: 10\r\n"));
        CHECK_FALSE(has(whole, "chunked"));
        CHECK(whole.substr(whole.size() - 10) == "0123456789");
        auto range = roundtrip(
            port, "GET /static/small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=2-4\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(range, "HTTP/1.1 206 Partial Content\r\n"));
        CHECK(has(range, "Content-Length: 3\r\n"));
        CHECK(range.substr(range.size() - 7) == "\r\n\r\n234");
        // HEAD: the length, no body, and the connection goes on.
        auto head = roundtrip(port,
                              "HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /static/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(head, "Content-Length: 268435456\r\n"));
        CHECK(head.find("HTTP/1.1 200 OK", 10) != std::string::npos);
        CHECK(head.size() < 2000);
        // A decoded NUL in the path: refused before any handler sees it.
        auto nul = roundtrip(port, "GET /img/secret.txt%00.png HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(nul, "HTTP/1.1 400 Bad Request\r\n"));
        CHECK_FALSE(has(nul, "secret"));

        // A reader gets all of it. (First, so that the allocator has seen 64 KiB blocks come and go:
        // under ASan freed blocks sit in its quarantine and would count as growth below.)
        auto reader = gev::net::create_connection("127.0.0.1", port, 20.0);
        reader.sendall("GET /static/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        std::size_t total = 0;
        for (std::size_t n; (n = reader.recv(1 << 20).size()) > 0;) total += n;
        CHECK(total > 256u * 1024 * 1024);
        // Then four clients of a 256 MiB file that read nothing.
        const long before = rss_kib();
        std::vector<gev::net::Socket> stalled;
        for (int i = 0; i < 4; ++i) {
            stalled.push_back(gev::net::create_connection("127.0.0.1", port, 5.0));
            stalled.back().sendall("GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        gev::sleep(500ms);  // the server fills what the sockets take, then waits
        const long grown = rss_kib() - before;
        MESSAGE("RSS grew by " << grown << " KiB for 4 stalled clients of a 256 MiB file");
        CHECK(grown < 16 * 1024);  // reading it whole took 1 GiB
        server.stop(0.1);
    });
    std::filesystem::remove_all(dir);
}

// --- 6. errors that vanish ------------------------------------------------------------------

TEST_CASE("a_handler_s_own_socket_error_is_a_logged_500_not_an_empty_reply") {
    CaptureStderr err;
    with_server([](auto port) {
        auto r = roundtrip(port, "GET /outbound HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.1 500 Internal Server Error\r\n"));
    });
    const auto text = err.text();
    CHECK(has(text, "/outbound failed with gev::net::ConnectionRefused"));
}

TEST_CASE("a_client_vanishing_during_a_chunked_write_is_a_socket_error_not_a_greenlet_failure") {
    CaptureStderr err;
    with_server([](auto port) {
        seen.flood_error.clear();
        {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(has(s.recv(4096), "200 OK"));
        }  // vanish while the server streams to us
        for (int i = 0; i < 100 && seen.flood_error.empty(); ++i) gev::sleep(20ms);
        CHECK(has(seen.flood_error, "send to 127.0.0.1:"));
        CHECK(has(roundtrip(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "Hello, World!"));
    });
    const auto text = err.text();
    CHECK_FALSE(has(text, "failed with"));
    CHECK_FALSE(has(text, "system_error"));
}

TEST_CASE("a_streamed_response_with_content_length_is_sent_as_is_and_closes_when_short") {
    CaptureStderr err;
    with_server([](auto port) {
        auto exact = roundtrip(port,
                               "GET /declared?body=0123456789 HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(exact, "Content-Length: 10\r\n\r\n0123456789HTTP/1.1 200 OK"));
        CHECK_FALSE(has(exact, "chunked"));
        auto shorter = roundtrip(port,
                                 "GET /declared?body=01234 HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(shorter, "Content-Length: 10\r\n"));
        CHECK(count(shorter, "HTTP/1.1 ") == 1);  // closed after five bytes: the client sees it cut
        // Longer: the head is out, so the handler's failure closes the connection before the piece.
        auto longer =
            roundtrip(port, "GET /declared?body=0123456789abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(has(longer, "Content-Length: 10\r\n"));
        CHECK_FALSE(has(longer, "0123456789"));
    });
    CHECK(has(err.text(), "more, where the declared Content-Length leaves 10"));
}
