// Every limit of http::ServerOptions at its default, however the bytes are shaped: one huge element,
// many medium ones, the same bytes cut into pieces that arrive as separate reads, and in a
// trailer. The status must not depend on the shape.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <string>
#include <vector>

#include "app_server.hpp"
#include "raw_client.hpp"

using namespace std::chrono_literals;
using gev::http::Request;

namespace {

const gev::http::ServerOptions defaults;

template <class F>
void with_server(F&& body) {
    static gev::http::App app = [] {
        gev::http::App a;
        a.get("/hello", [] { return std::string("Hello, World!"); });
        a.post("/echo", [](Request& q) { return std::to_string(q.body().size()); });
        return a;
    }();
    with_app_server(app, {}, body);
}

// `request` sent whole, in 1,000-byte pieces and in 7-byte pieces, each piece its own send with
// the hub run in between (so the server reads them one by one); what came back each time.
std::vector<std::string> in_every_shape(std::uint16_t port, const std::string& request) {
    std::vector<std::string> replies;
    for (const std::size_t piece : {request.size(), std::size_t(1000), std::size_t(7)}) {
        auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
        try {
            for (std::size_t at = 0; at < request.size(); at += piece) {
                s.sendall(request.substr(at, piece));
                gev::sleep(0);
            }
        } catch (const gev::net::SocketError&) {  // the server answered and closed before the end
        }
        std::string out;
        try {
            for (std::string p; !(p = s.recv(65536)).empty();) out += p;
        } catch (const gev::net::SocketError&) {
        }
        replies.push_back(out);
    }
    return replies;
}

void check_every_shape(std::uint16_t port, const std::string& request, const std::string& status_line,
                       const char* what) {
    for (const auto& r : in_every_shape(port, request)) {
        CHECK_MESSAGE(starts_with(r, status_line), std::string(what), ": ", r.substr(0, 30));
        CHECK_MESSAGE(count(r, "HTTP/1.1 ") == 1, std::string(what));
    }
}

std::string fields(std::size_t n, std::size_t value_size) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += "X-" + std::to_string(i) + ": " + std::string(value_size, 'v') + "\r\n";
    return out;
}

}  // namespace

TEST_CASE("the_defaults_are_no_looser_than_nginx_s") {
    CHECK(defaults.max_request_line <= 8 * 1024);  // large_client_header_buffers 4 8k
    CHECK(defaults.max_field_bytes <= 8 * 1024);
    CHECK(defaults.max_header_bytes <= 32 * 1024 + 1024);
    CHECK(defaults.max_body <= 1024 * 1024);       // client_max_body_size 1m
    CHECK(defaults.body_timeout.span() <= 60s);    // client_body_timeout 60s
    CHECK(defaults.send_timeout.span() <= 60s);    // send_timeout 60s
    CHECK(defaults.header_timeout.span() <= 60s);  // client_header_timeout 60s
}

TEST_CASE("a_request_line_over_max_request_line_gets_414_in_every_shape") {
    with_server([](auto port) {
        check_every_shape(port, "GET /" + std::string(defaults.max_request_line, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                          "HTTP/1.1 414", "one long target");
        check_every_shape(port, "GET /" + std::string(40 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 414",
                          "a target past the whole header limit");
    });
}

TEST_CASE("header_fields_over_their_limits_get_431_in_every_shape") {
    with_server([](auto port) {
        const std::string head = "GET /hello HTTP/1.1\r\nHost: x\r\n";
        check_every_shape(port, head + fields(1, defaults.max_field_bytes) + "\r\n", "HTTP/1.1 431",
                          "one field over max_field_bytes");
        check_every_shape(port, head + fields(40, 1000) + "\r\n", "HTTP/1.1 431",
                          "40 medium fields over max_header_bytes");
        check_every_shape(port, head + fields(defaults.max_headers + 1, 1) + "\r\n", "HTTP/1.1 431",
                          "one field more than max_headers");
        // Just within every limit: answered, in every shape.
        for (const auto& r : in_every_shape(port, head + fields(3, 7000) + "Connection: close\r\n\r\n")) {
            CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
        }
    });
}

TEST_CASE("a_body_over_max_body_gets_413_whether_declared_or_chunked_and_however_it_is_cut") {
    with_server([](auto port) {
        const auto over = defaults.max_body + 1;
        check_every_shape(port,
                          "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(over) + "\r\n\r\n" +
                              std::string(over, 'b'),
                          "HTTP/1.1 413", "declared");
        std::string many = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (std::size_t sent = 0; sent < over; sent += 4096) many += "1000\r\n" + std::string(4096, 'c') + "\r\n";
        many += "0\r\n\r\n";
        check_every_shape(port, many, "HTTP/1.1 413", "4 KiB chunks");
        const std::string one = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                [&] {
                                    char size[32];
                                    std::snprintf(size, sizeof size, "%zx\r\n", over);
                                    return std::string(size);
                                }() +
                                std::string(over, 'd') + "\r\n0\r\n\r\n";
        check_every_shape(port, one, "HTTP/1.1 413", "one chunk");
    });
}

TEST_CASE("chunk_lines_extensions_and_trailers_over_max_chunk_line_get_400_in_every_shape") {
    with_server([](auto port) {
        const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        const auto over = defaults.max_chunk_line + 1;
        check_every_shape(port, head + "5;e=" + std::string(over, 'x') + "\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 400",
                          "one long extension");
        check_every_shape(port, head + "5\r\nhello\r\n0\r\nX-T: " + std::string(over, 't') + "\r\n\r\n", "HTTP/1.1 400",
                          "one long trailer field");
        check_every_shape(port, head + "5\r\nhello\r\n0\r\n" + fields(20, 250) + "\r\n", "HTTP/1.1 400",
                          "many medium trailer fields");
    });
}

TEST_CASE("an_endless_header_of_small_fields_is_cut_off_at_max_header_bytes") {
    // Beast consumes each field it parses, so its own limit never saw this; the fields list grew
    // until header_timeout.
    with_server([](auto port) {
        std::string lines;
        for (int i = 0; i < 1000; ++i) lines += "X: y\r\n";
        std::size_t sent = 0;
        const auto out = send_endless(port, "GET /hello HTTP/1.1\r\nHost: x\r\n", lines, 256 * 1024 * 1024, sent);
        CHECK(starts_with(out, "HTTP/1.1 431"));
        // The server read 32 KiB and at most max_drain more; the rest is the kernel's socket
        // buffers (several MiB each way on loopback). Before, it read on for header_timeout.
        CHECK(sent < 32 * 1024 * 1024);
    });
}
