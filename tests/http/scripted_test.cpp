// The HTTP connection core on a scripted stream (tests/scripted_stream.hpp): exact bytes in,
// exact bytes out, however the reads cut them, and what happens when a read or a write fails at
// a given point. No socket, nothing waits.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <string>

#include "../scripted_stream.hpp"
#include "raw_client.hpp"

using namespace std::string_literals;
using gev::http::Request;
using gev::http::Response;

namespace {

const gev::net::Address peer("127.0.0.1", 40000);
// Piece sizes a connection's reads are cut into: whole, a byte at a time, and odd sizes.
const std::size_t piece_sizes[] = {std::string::npos, 1, 2, 3, 5, 7, 64};

gev::http::ServerOptions quiet() {
    gev::http::ServerOptions o;
    o.access_log = false;
    return o;
}

// Serves `stream` with `handler` in a hub; what the server wrote, Date aside.
std::string serve(test::ScriptedStream& stream, const gev::http::Handler& handler,
                  const gev::http::ServerOptions& options = quiet()) {
    gev::run([&] { gev::http::serve_connection(stream, peer, handler, options); });
    return without_date(stream.written());
}

void hello(Request&, Response& r) {
    r.set_header("Content-Type", "text/plain");
    r.body = "Hello, World!";
}

}  // namespace

TEST_CASE("a_get_is_answered_with_exactly_these_bytes") {
    test::ScriptedStream stream("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(serve(stream, hello) ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: geventpp\r\nDate: -\r\n"
          "Content-Length: 13\r\nConnection: close\r\n\r\nHello, World!");
}

TEST_CASE("pipelined_requests_are_answered_in_order_whatever_pieces_the_reads_get") {
    const std::string requests =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: "
        "v\r\n\r\n"
        "GET /d HTTP/1.0\r\n\r\n";
    const auto echo = [](Request& q, Response& r) { r.body = std::string(q.path()) + ":" + q.body(); };
    std::string first;
    for (const auto piece : piece_sizes) {
        test::ScriptedStream stream(requests, piece);
        const auto r = serve(stream, echo);
        if (piece == std::string::npos) first = r;
        CHECK_MESSAGE(r == first, piece);
        CHECK(stream.script().at == requests.size());
    }
    CHECK(count(first, "HTTP/1.") == 4);
    const auto a = first.find("/a:"), b = first.find("/b:hello"), c = first.find("/c:abcde"), d = first.find("/d:");
    CHECK(a < b);
    CHECK(b < c);
    CHECK(c < d);
    CHECK(d != std::string::npos);
    CHECK(has(first, "HTTP/1.0 200 OK\r\n"));  // the last one, HTTP/1.0, ends the connection
}

TEST_CASE("a_client_that_fails_while_its_head_is_read_gets_nothing_and_the_connection_ends") {
    for (std::size_t nth = 1; nth <= 4; ++nth) {  // the head is in after four reads
        test::ScriptedStream stream("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 8);
        stream.script().read_fails_at = nth;
        CHECK_MESSAGE(serve(stream, hello).empty(), nth);
    }
}

TEST_CASE("a_write_that_fails_raises_in_a_streaming_handler_and_ends_the_connection") {
    std::string seen;
    const auto streaming = [&](Request&, Response& r) {
        try {
            for (const char* piece : {"one", "two", "three"}) r.write(piece);
        } catch (const gev::net::ConnectionReset& e) {
            seen = e.what();
            throw;
        }
    };
    test::ScriptedStream stream("GET /s HTTP/1.1\r\nHost: x\r\n\r\nGET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.script().write_fails_at = 3;  // the head and "one" go out
    const auto r = serve(stream, streaming);
    CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
    CHECK(has(r, "\r\nTransfer-Encoding: chunked\r\n"));
    CHECK(r.substr(r.size() - 8) == "3\r\none\r\n");
    CHECK(count(r, "HTTP/1.") == 1);  // the second request is not served
    CHECK(has(seen, "send to 127.0.0.1:40000"));
}

TEST_CASE("a_body_read_that_fails_reaches_the_handler_and_is_answered_as_the_failure_says") {
    const std::string upload = "POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'a');
    std::string seen;
    const auto reader = [&](Request& q, Response& r) {
        try {
            r.body = q.body();
        } catch (const gev::net::SocketError& e) {
            seen = e.what();
            throw;
        }
    };
    SUBCASE("the client is gone: nothing more is sent") {
        test::ScriptedStream stream(upload, 40);
        stream.script().read_fails_at = 3;
        CHECK(serve(stream, reader).empty());
        CHECK(has(seen, "recv from 127.0.0.1:40000"));
    }
    SUBCASE("the client is too slow: 408") {
        test::ScriptedStream stream(upload, 40);
        stream.script().read_fails_at = 3;
        stream.script().error = ETIMEDOUT;
        const auto r = serve(stream, reader);
        CHECK(starts_with(r, "HTTP/1.1 408 Request Timeout\r\n"));
        CHECK(has(r, "\r\nConnection: close\r\n"));
    }
    SUBCASE("the client closed before the end of the body: 400") {
        for (const auto piece : piece_sizes) {
            test::ScriptedStream stream(upload.substr(0, upload.size() - 10), piece);
            const auto r = serve(stream, reader);
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 400 Bad Request\r\n"), piece);
            CHECK(has(seen, "in the middle of the request body"));
        }
    }
}

TEST_CASE("a_refusal_shuts_down_our_side_and_reads_out_what_the_client_still_sends") {
    // The 413 comes before the body is read; the body is then read and dropped (lingering close)
    // so that closing with it unread does not reset the connection under the answer.
    gev::http::ServerOptions o = quiet();
    o.max_body = 10;
    const std::string request = "POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'a');
    test::ScriptedStream stream(request, 100);
    const auto r = serve(
        stream, [](Request& q, Response& res) { res.body = q.body(); }, o);
    CHECK(starts_with(r, "HTTP/1.1 413 Payload Too Large\r\n"));
    CHECK(stream.script().shut_down);
    CHECK(stream.script().at == request.size());
}

TEST_CASE("a_handler_taking_the_connection_over_gets_every_byte_after_the_head_in_order") {
    const std::string head = "GET /tunnel HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string after = "the bytes of another protocol, which the HTTP server must not eat";
    for (const auto piece : piece_sizes) {
        test::ScriptedStream stream(head + after, piece);
        std::string got;
        serve(stream, [&](Request& q, Response&) {
            struct Tunnel : gev::http::Upgrade {
                void handler_returned(bool) override {}
                void server_stopping() override {}
            };
            std::string unread;
            auto taken = q.take_over(unread, std::make_shared<Tunnel>());
            got = unread;
            char buf[16];
            while (const auto n = taken->recv_into(buf, sizeof buf)) got.append(buf, n);
            taken->sendall("done");
        });
        CHECK_MESSAGE(got == after, piece);
        CHECK_MESSAGE(stream.written() == "done", piece);  // nothing of HTTP's after the take-over
    }
}
