// The server rows of docs/conformance.md (H*, S*, X*), pinned with exact bytes: each TEST_CASE
// names the rows it pins. The server runs on a scripted stream (no socket, nothing waits), and
// every request is read whole, a byte at a time and in 7-byte pieces, with the same answer. A
// refused request is followed by a valid pipelined one, so that one status line in the reply
// shows the server answered once and then closed.
#include <doctest/doctest.h>

#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/ws/websocket.hpp>
#include <string>

#include "../scripted_stream.hpp"
#include "raw_client.hpp"

using namespace std::string_literals;
using gev::http::Request;
using gev::http::Response;

namespace {

gev::http::App conformance_app() {
    gev::http::App app;
    app.get("/hello", [] { return std::string("Hello, World!"); });
    app.post("/echo", [](Request& q) { return q.body(); });
    app.get("/host", [](Request& q) { return std::string(q.header("Host")) + " " + q.path(); });
    // One header's value in brackets, so that spaces around it show.
    app.get("/h/<name>", [](Request& q) { return "[" + std::string(q.header(q.param("name"))) + "]"; });
    // The same after the body is read (trailers come in with it).
    app.post("/h/<name>", [](Request& q) {
        const auto body = q.body();
        return body + "[" + std::string(q.header(q.param("name"))) + "]";
    });
    // A handler that sets what a 204 or 304 must not carry.
    app.get("/status/<code:int>", [](Request& q, Response& r) {
        r.set_status(std::stoi(std::string(q.param("code"))));
        r.set_header("X-Kept", "yes");
        r.set_header("Content-Length", "3");
        r.set_header("Transfer-Encoding", "chunked");
        r.body = "xyz";
    });
    app.get("/ws", [](Request& q, Response& r) {
        auto ws = gev::ws::upgrade(q);
        if (!ws) {
            r.body = "plain HTTP/1." + std::to_string(q.version() % 10);
            return;
        }
        while (ws->receive()) {
        }
    });
    return app;
}

// The connection a test talks to: the conformance app served (http::serve_connection) on a
// scripted stream, with these options.
struct Connection {
    gev::http::ServerOptions options;
};

// Runs `body(connection)` in a hub.
template <class F>
void with_server(F&& body, gev::http::ServerOptions options = {}) {
    options.access_log = false;
    gev::run([&] { body(Connection{options}); });
}

// The bytes as C escapes, for failure messages.
std::string shown(const std::string& bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c >= 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += char(c);
        }
    }
    return out;
}

// What the server writes on a connection whose client sends `request` and then closes, read by
// the server whole, a byte at a time and in 7-byte pieces: all three must be the same bytes
// (Date aside), or how TCP happened to cut the request would change the answer.
std::string roundtrip(const Connection& connection, const std::string& request) {
    static gev::http::App app = conformance_app();
    std::string first;
    for (const std::size_t piece : {std::string::npos, std::size_t(1), std::size_t(7)}) {
        test::ScriptedStream stream(request, piece);
        gev::http::serve_connection(stream, gev::net::Address("127.0.0.1", 40000), std::ref(app), connection.options);
        const auto r = without_date(stream.written());
        if (piece == std::string::npos) {
            first = r;
        } else {
            CHECK_MESSAGE(r == first, shown(request) << " in " << piece << "-byte pieces -> " << shown(r)
                                                     << "\nwhole -> " << shown(first));
        }
    }
    return first;
}

// A valid request sent after the one under test, on the same connection.
const std::string next_request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

// Sends `request` and then next_request; the reply must start with `status_line` and hold no
// other response (roundtrip returns only once the server closed: it throws after 2 s otherwise).
void check_refused(const Connection& connection, const std::string& request,
                   const std::string& status_line = "HTTP/1.1 400 Bad Request\r\n") {
    const auto r = roundtrip(connection, request + next_request);
    CHECK_MESSAGE(starts_with(r, status_line), shown(request) << " -> " << shown(r.substr(0, 40)));
    CHECK_MESSAGE(count(r, "HTTP/1.") == 1, shown(request));
    CHECK_MESSAGE(!has(r, "Hello, World!"), shown(request));
}

// Sends `request` (which must not ask to close) then a last request asking to close; returns the
// reply to the first one alone, and checks that the second was answered after it.
std::string answered_and_kept(const Connection& connection, const std::string& request) {
    const auto r = roundtrip(connection, request + "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto second = r.find("HTTP/1.1 ", 1);
    CHECK_MESSAGE(second != std::string::npos, shown(request) << " -> " << shown(r));
    CHECK_MESSAGE(count(r, "HTTP/1.") == 2, shown(request) << " -> " << shown(r));
    CHECK_MESSAGE(r.size() >= 13, shown(request));
    CHECK_MESSAGE(r.substr(r.size() - 13) == "Hello, World!", shown(request) << " -> " << shown(r));
    return r.substr(0, second);
}

// The body of a single response (after the blank line).
std::string body_of(const std::string& response) {
    const auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : response.substr(at + 4);
}

const std::string chunked_echo = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

// --- RFC 9112 §2.2: line endings and whitespace ------------------------------------------------

TEST_CASE("a_bare_cr_in_the_head_a_chunk_line_or_a_trailer_gets_400_and_closes") {  // H1, X14
    with_server([](const Connection& connection) {
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\rHost: x\r\n\r\n");
        check_refused(connection, "GET /hel\rlo HTTP/1.1\r\nHost: x\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\r\n");
        check_refused(connection, chunked_echo + "5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n");
        check_refused(connection, chunked_echo + "5\rhello\r\n0\r\n\r\n");
        check_refused(connection, chunked_echo + "5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n");
    });
}

TEST_CASE("a_bare_lf_as_a_line_end_in_the_head_or_a_chunked_body_gets_400_and_closes") {  // H2, X13
    with_server([](const Connection& connection) {
        check_refused(connection, "GET /hello HTTP/1.1\nHost: x\n\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\nX: y\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\r\n\n");
        check_refused(connection, chunked_echo + "5\nhello\r\n0\r\n\r\n");
        check_refused(connection, chunked_echo + "5\r\nhello\n0\r\n\r\n");
    });
}

TEST_CASE("whitespace_before_the_first_field_line_gets_400_and_closes") {  // H3
    with_server([](const Connection& connection) {
        check_refused(connection, "GET /hello HTTP/1.1\r\n Host: x\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\n\tHost: x\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\n X: y\r\nHost: x\r\n\r\n");
    });
}

TEST_CASE("an_empty_line_before_the_request_line_is_not_skipped_and_gets_400") {  // H4 (LAX), X30
    with_server([](const Connection& connection) {
        check_refused(connection, "\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        // A CRLF after a POST body on a keep-alive connection: the POST is answered, the next is not.
        const auto r = roundtrip(connection,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\r\n" + next_request);
        CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
        CHECK(has(r, "\r\n\r\nhelloHTTP/1.1 400 Bad Request\r\n"));
        CHECK(count(r, "HTTP/1.1 ") == 2);
        CHECK_FALSE(has(r, "Hello, World!"));
    });
}

// --- RFC 9112 §3: the request line -----------------------------------------------------------

TEST_CASE("only_http_1_0_and_http_1_1_are_accepted_as_the_version") {  // H5 (LAX for 1.2), X30
    with_server([](const Connection& connection) {
        for (const std::string version : {"http/1.1", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/1", "HTTP/1.1.1",
                                          "HTTP/11", "Http/1.1", "HTTP /1.1"}) {
            check_refused(connection, "GET /hello "s + version + "\r\nHost: x\r\n\r\n");
        }
        check_refused(connection, "GET /\r\n\r\n");  // HTTP/0.9
        CHECK(starts_with(roundtrip(connection, "GET /hello HTTP/1.0\r\n\r\n"), "HTTP/1.0 200 OK\r\n"));
    });
}

TEST_CASE("a_request_line_without_exactly_one_space_between_its_three_parts_gets_400") {  // H6
    with_server([](const Connection& connection) {
        for (const std::string line :
             {"GET  /hello HTTP/1.1", "GET\t/hello HTTP/1.1", "GET /a b HTTP/1.1", "GET /hello HTTP/1.1 ",
              "GET /hello  HTTP/1.1", " GET /hello HTTP/1.1", "GET /hello\tHTTP/1.1", "GET /hello", "GET"}) {
            check_refused(connection, line + "\r\nHost: x\r\n\r\n"s);
        }
    });
}

TEST_CASE("an_unknown_method_reaches_the_router_and_a_long_one_gets_414") {  // H7 (LAX), S5 (LAX)
    gev::http::ServerOptions o;
    o.max_request_line = 100;
    with_server(
        [](const Connection& connection) {
            const auto brew = roundtrip(connection, "BREW /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK(starts_with(brew, "HTTP/1.1 405 Method Not Allowed\r\n"));
            CHECK(has(brew, "\r\nAllow: GET\r\n"));
            CHECK(starts_with(roundtrip(connection, "BREW /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                              "HTTP/1.1 404 Not Found\r\n"));
            check_refused(connection, std::string(200, 'M') + " /hello HTTP/1.1\r\nHost: x\r\n\r\n",
                          "HTTP/1.1 414 URI Too Long\r\n");
            // A method is a token: a byte outside tchar is a malformed request line.
            check_refused(connection, "GE(T /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        },
        o);
}

TEST_CASE("an_asterisk_target_reaches_the_router_and_an_authority_form_target_gets_400") {  // H9, H13
    with_server([](const Connection& connection) {
        for (const std::string method : {"GET", "OPTIONS"}) {
            const auto r = roundtrip(connection, method + " * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"s);
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 404 Not Found\r\n"), method);
        }
        for (const std::string target : {"a:80", "a.example:443", "foo"}) {
            check_refused(connection, "GET "s + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        check_refused(connection, "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
    });
}

TEST_CASE("bytes_above_space_other_than_del_pass_in_an_origin_form_target") {  // H9 (LAX)
    with_server([](const Connection& connection) {
        for (const std::string target : {"/a\"b<c>{d}", "/a#frag", "/\xff", "/a|b^c`d", "/hello#x"}) {
            const auto r = roundtrip(connection, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 404 Not Found\r\n"), shown(target));
        }
        check_refused(connection, "GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n");
        check_refused(connection, "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n");
    });
}

// --- RFC 9112 §5: field lines ----------------------------------------------------------------

TEST_CASE("whitespace_between_a_field_name_and_its_colon_gets_400_and_closes") {  // H14, X16, X29
    with_server([](const Connection& connection) {
        check_refused(connection, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost\t: x\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost : x\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n");
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: x\r\nX(y): z\r\n\r\n");
    });
}

TEST_CASE("an_obs_fold_is_unfolded_to_one_space_and_the_field_is_read_whole") {  // H15 (LAX), X17, X18, X29
    with_server([](const Connection& connection) {
        const auto folded = answered_and_kept(connection, "GET /h/X HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n");
        CHECK(starts_with(folded, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(folded) == "[a b]");
        const auto tab = answered_and_kept(connection, "GET /h/X HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n");
        CHECK(body_of(tab) == "[a b]");
        // X17: a folded Transfer-Encoding is chunked.
        const auto te = answered_and_kept(
            connection,
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        CHECK(starts_with(te, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(te) == "hello");
        // X18: an indented Transfer-Encoding line is part of X, and Content-Length frames the body.
        const auto hidden = answered_and_kept(connection,
                                              "POST /h/X HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nX: y\r\n"
                                              " Transfer-Encoding: chunked\r\n\r\nabcd");
        CHECK(starts_with(hidden, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(hidden) == "abcd[y Transfer-Encoding: chunked]");
        // X29: a folded Host unfolds to "a b", which is not a valid Host.
        check_refused(connection, "GET /hello HTTP/1.1\r\nHost: a\r\n b\r\n\r\n");
    });
}

TEST_CASE("cr_lf_nul_or_another_control_byte_in_a_field_value_gets_400_and_htab_and_obs_text_pass") {
    // H16, X15, X24, X25
    with_server([](const Connection& connection) {
        for (const std::string& value : {"a\x00"s
                                         "b",
                                         "a\x01"s, "a\x08z"s, "a\x0bz"s, "a\x0cz"s, "a\x1fz"s, "a\x7fz"s}) {
            check_refused(connection, "GET /h/X HTTP/1.1\r\nHost: x\r\nX: " + value + "\r\n\r\n");
        }
        const auto tab = answered_and_kept(connection, "GET /h/X HTTP/1.1\r\nHost: x\r\nX: a\tb\r\n\r\n");
        CHECK(body_of(tab) == "[a\tb]");
        const auto obs = answered_and_kept(connection, "GET /h/X HTTP/1.1\r\nHost: x\r\nX: caf\xe9\x80\xff\r\n\r\n");
        CHECK(body_of(obs) == "[caf\xe9\x80\xff]");
        // X15: NUL in the target, raw or decoded.
        check_refused(connection,
                      "GET /a\x00"s
                      "b HTTP/1.1\r\nHost: x\r\n\r\n");
        check_refused(connection, "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n");
        // X24: NUL in a field name.
        check_refused(connection, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding\x00: chunked\r\n\r\n0\r\n\r\n"s);
        // X25: VT and FF before the Transfer-Encoding value; HTAB is OWS.
        check_refused(connection,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \x0b"
                      "chunked\r\n\r\n0\r\n\r\n");
        check_refused(connection,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \x0c"
                      "chunked\r\n\r\n0\r\n\r\n");
        const auto htab = answered_and_kept(
            connection, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\t\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        CHECK(body_of(htab) == "ok");
    });
}

TEST_CASE("a_field_name_is_matched_case_insensitively_and_an_underscore_makes_another_field") {  // X24
    with_server([](const Connection& connection) {
        const auto upper = answered_and_kept(
            connection, "POST /echo HTTP/1.1\r\nHost: x\r\nTRANSFER-ENCODING: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        CHECK(starts_with(upper, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(upper) == "ok");
        // No length at all: the body is empty and the bytes after the head are the next request.
        const auto underscore = answered_and_kept(
            connection, "POST /h/Transfer_Encoding HTTP/1.1\r\nHost: x\r\nTransfer_Encoding: chunked\r\n\r\n");
        CHECK(starts_with(underscore, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(underscore) == "[chunked]");
        const auto smuggle = roundtrip(connection,
                                       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer_Encoding: chunked\r\n\r\n"
                                       "0\r\n\r\n");
        CHECK(starts_with(smuggle, "HTTP/1.1 200 OK\r\n"));
        CHECK(has(smuggle, "Content-Length: 0\r\n"));
        CHECK(has(smuggle, "\r\n\r\nHTTP/1.1 400 Bad Request\r\n"));  // "0" is not a request line
        CHECK(count(smuggle, "HTTP/1.1 ") == 2);
    });
}

// --- RFC 9112 §6: message body framing ---------------------------------------------------------

TEST_CASE("transfer_encoding_applied_twice_or_followed_by_another_coding_over_two_lines_gets_400") {
    // H20, X19
    with_server([](const Connection& connection) {
        check_refused(connection,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        check_refused(connection,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n");
        check_refused(connection,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                      "HTTP/1.1 501 Not Implemented\r\n");
    });
}

TEST_CASE("transfer_encoding_and_content_length_together_get_400_in_either_order") {  // H22, X23
    with_server([](const Connection& connection) {
        for (const std::string fields : {"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
                                         "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                                         "Transfer-Encoding: identity\r\nContent-Length: 4\r\n",
                                         "Content-Length: 4\r\nTransfer-Encoding: identity\r\n",
                                         "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"}) {
            const auto r =
                roundtrip(connection, "POST /echo HTTP/1.1\r\nHost: x\r\n"s + fields + "\r\n0\r\n\r\n" + next_request);
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 400 Bad Request\r\n"), shown(fields));
            CHECK_MESSAGE(has(r, "\r\nConnection: close\r\n"), shown(fields));
            CHECK_MESSAGE(count(r, "HTTP/1.1 ") == 1, shown(fields));
        }
    });
}

TEST_CASE("a_content_length_that_is_not_one_decimal_number_gets_400_and_closes") {  // H23, X1-X4, X6, X8
    with_server([](const Connection& connection) {
        for (const std::string& cl : {""s, "+5"s, "-5"s, "5 5"s, "5\x0b"s,
                                      "\x0b"
                                      "5"s,
                                      "5, 6"s, "5,"s, ",5"s, "5,,5"s, "0x5"s, "5.0"s, "1e3"s, "18446744073709551616"s,
                                      "99999999999999999999"s, "five"s, "5;"s}) {
            check_refused(connection, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + "\r\n\r\nhello");
        }
        // X7: two lines with different values.
        check_refused(connection,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    });
}

TEST_CASE("a_content_length_with_ows_leading_zeros_or_repeated_equal_values_is_that_value") {  // X4, X5, X7, X8
    with_server([](const Connection& connection) {
        for (const std::string fields :
             {"Content-Length:  5 \r\n", "Content-Length:\t5\t\r\n", "Content-Length: 0005\r\n",
              "Content-Length: 5, 5\r\n", "Content-Length: 5,5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n"}) {
            const auto r = answered_and_kept(connection, "POST /echo HTTP/1.1\r\nHost: x\r\n"s + fields + "\r\nhello");
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 200 OK\r\n"), shown(fields));
            CHECK_MESSAGE(body_of(r) == "hello", shown(fields));
        }
    });
}

TEST_CASE("a_content_length_on_a_get_is_its_body_and_is_drained") {  // X31, H24
    with_server([](const Connection& connection) {
        const auto r =
            answered_and_kept(connection, "GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /");
        CHECK(starts_with(r, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(r) == "Hello, World!");
    });
}

// --- RFC 9112 §7: chunked ----------------------------------------------------------------------

TEST_CASE("a_chunk_size_over_64_bits_gets_400_and_sixteen_hex_digits_run_into_max_body") {  // H26, X10
    gev::http::ServerOptions o;
    o.max_body = 1000;
    with_server(
        [](const Connection& connection) {
            check_refused(connection, chunked_echo + "10000000000000005\r\nhello\r\n0\r\n\r\n");
            check_refused(connection, chunked_echo + "FFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n");
            check_refused(connection, chunked_echo + "FFFFFFFFFFFFFFFF\r\n" + std::string(2000, 'a'),
                          "HTTP/1.1 413 Payload Too Large\r\n");
        },
        o);
}

TEST_CASE("a_chunk_size_with_0x_or_whitespace_around_it_gets_400") {  // X9, X12
    with_server([](const Connection& connection) {
        for (const std::string chunk :
             {"0x5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n", " 5\r\nhello\r\n0\r\n\r\n",
              "\t5\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0 \r\n\r\n", "g\r\nhello\r\n0\r\n\r\n",
              "-5\r\nhello\r\n0\r\n\r\n", "\r\nhello\r\n0\r\n\r\n"}) {
            check_refused(connection, chunked_echo + chunk);
        }
    });
}

TEST_CASE("leading_zeros_and_bws_before_an_extension_are_valid_chunk_syntax") {  // X11, X12
    with_server([](const Connection& connection) {
        const auto zeros = answered_and_kept(connection, chunked_echo + "0005\r\nhello\r\n000\r\n\r\n");
        CHECK(starts_with(zeros, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(zeros) == "hello");
        const auto bws = answered_and_kept(connection, chunked_echo + "5\t;a\r\nhello\r\n0 ;b=\"c\"\r\n\r\n");
        CHECK(starts_with(bws, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(bws) == "hello");
        const auto upper =
            answered_and_kept(connection, chunked_echo + "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n");
        CHECK(body_of(upper) == "0123456789abcdefghij");
    });
}

TEST_CASE("a_trailer_that_frames_the_message_gets_400_and_a_host_trailer_is_dropped") {  // X26, H29
    with_server([](const Connection& connection) {
        const std::string head = "POST /h/Host HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        check_refused(connection, head + "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n");
        check_refused(connection, head + "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n");
        const auto host = answered_and_kept(connection, head + "5\r\nhello\r\n0\r\nHost: evil\r\n\r\n");
        CHECK(starts_with(host, "HTTP/1.1 200 OK\r\n"));
        CHECK(body_of(host) == "hello[x]");
    });
}

// --- RFC 9110 ----------------------------------------------------------------------------------

TEST_CASE("a_204_or_304_carries_no_content_length_transfer_encoding_content_type_or_body") {  // S2
    with_server([](const Connection& connection) {
        for (const std::string code : {"204", "304"}) {
            const auto r = answered_and_kept(connection, "GET /status/"s + code + " HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 "s + code + " "), code);
            CHECK_MESSAGE(!has(r, "Content-Length"), code);
            CHECK_MESSAGE(!has(r, "Transfer-Encoding"), code);
            CHECK_MESSAGE(!has(r, "Content-Type"), code);
            CHECK_MESSAGE(body_of(r).empty(), code);
            CHECK_MESSAGE(has(r, "\r\nDate: "), code);
            CHECK_MESSAGE(has(r, "\r\nX-Kept: yes\r\n"), code);
        }
        // The handler's own Content-Length and Transfer-Encoding never reach a 200 either.
        const auto ok = answered_and_kept(connection, "GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(has(ok, "\r\nContent-Length: 3\r\n"));
        CHECK_FALSE(has(ok, "Transfer-Encoding"));
        CHECK(body_of(ok) == "xyz");
        // 100 Continue is a bare status line, before the final response.
        const auto r = roundtrip(connection,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                 "Expect: 100-continue\r\n\r\nok");
        CHECK(starts_with(r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
        CHECK(r.substr(r.size() - 2) == "ok");
    });
}

TEST_CASE("expect_100_continue_in_http_1_0_is_ignored") {  // S8, X28
    with_server([](const Connection& connection) {
        const auto r =
            roundtrip(connection, "POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
        CHECK(starts_with(r, "HTTP/1.0 200 OK\r\n"));
        CHECK_FALSE(has(r, "100 Continue"));
        CHECK(count(r, "HTTP/1.") == 1);
        CHECK(body_of(r) == "ok");
    });
}

TEST_CASE("an_expectation_other_than_100_continue_is_ignored") {  // S11, X28
    with_server([](const Connection& connection) {
        for (const std::string expect : {"Expect: foo\r\n", "Expect: 100-continue-ish\r\n", "Expect: 200-ok\r\n"}) {
            const auto r = answered_and_kept(
                connection, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"s + expect + "\r\nok");
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 200 OK\r\n"), expect);
            CHECK_MESSAGE(!has(r, "100 Continue"), expect);
            CHECK_MESSAGE(body_of(r) == "ok", expect);
        }
        // A GET without a body gets no 100.
        const auto get =
            answered_and_kept(connection, "GET /hello HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n");
        CHECK(starts_with(get, "HTTP/1.1 200 OK\r\n"));
    });
}

TEST_CASE("an_upgrade_in_http_1_0_is_ignored_and_a_101_carries_upgrade") {  // S19
    with_server([](const Connection& connection) {
        const std::string upgrade =
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n";
        const auto old = roundtrip(connection, "GET /ws HTTP/1.0\r\nHost: x\r\n" + upgrade);
        CHECK(starts_with(old, "HTTP/1.0 200 OK\r\n"));
        CHECK(body_of(old) == "plain HTTP/1.0");
        // 1.1: 101 with Upgrade; then a masked empty close frame from us ends it.
        const auto r = roundtrip(connection, "GET /ws HTTP/1.1\r\nHost: x\r\n" + upgrade + "\x88\x80\x01\x02\x03\x04");
        CHECK(starts_with(r, "HTTP/1.1 101 Switching Protocols\r\n"));
        CHECK(has(r, "\r\nUpgrade: websocket\r\n"));
        CHECK(has(r, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    });
}

TEST_CASE("every_response_carries_date_and_server_refusals_and_errors_too") {  // S12, S14
    gev::http::ServerOptions o;
    o.max_request_line = 100;
    o.max_headers = 5;
    with_server(
        [](const Connection& connection) {
            const std::string long_line = "GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
            for (const std::string request :
                 {"GARBAGE\r\n\r\n", "GET /hello HTTP/1.1\r\n\r\n", "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
                  "DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n", long_line.c_str(),
                  "GET /hello HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\n\r\n",
                  "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                  "GET /status/500 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /status/302 HTTP/1.1\r\nHost: x\r\n\r\n"}) {
                const auto r =
                    roundtrip(connection, request + "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                const auto head = r.substr(0, r.find("\r\n\r\n") + 2);
                CHECK_MESSAGE(has(head, "\r\nDate: "), shown(request) << " -> " << shown(head));
                CHECK_MESSAGE(has(head, "\r\nServer: geventpp\r\n"), shown(request) << " -> " << shown(head));
            }
        },
        o);
}

// --- RFC 9112 §9: connections ------------------------------------------------------------------

TEST_CASE("connection_close_in_a_request_is_answered_with_close_and_nothing_after_it_is_served") {  // H35, H36
    with_server([](const Connection& connection) {
        for (const std::string option : {"close", "Close", "keep-alive, close", "CLOSE "}) {
            const auto r = roundtrip(
                connection, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: " + option + "\r\n\r\n" + next_request);
            CHECK_MESSAGE(starts_with(r, "HTTP/1.1 200 OK\r\n"), option);
            CHECK_MESSAGE(has(r, "\r\nConnection: close\r\n"), option);
            CHECK_MESSAGE(count(r, "HTTP/1.1 ") == 1, option);
        }
        // Two Connection lines: close in the second counts as well.
        const auto two = roundtrip(connection,
                                   "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
                                   "Connection: close\r\n\r\n" +
                                       next_request);
        CHECK(has(two, "\r\nConnection: close\r\n"));
        CHECK(count(two, "HTTP/1.1 ") == 1);
    });
}
