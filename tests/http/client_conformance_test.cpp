// The client's side of docs/conformance.md: how gev::http::Session and gev::ws::connect read
// responses that RFC 9112, RFC 9110 and RFC 6455 constrain, each answered with exact bytes by a
// raw server on 127.0.0.1 (hostile_server.hpp). One case per row (C4 ... C17, WC3, WC7); the
// row's id is in the case's first comment.
#include <doctest/doctest.h>

#include <boost/beast/websocket/detail/hybi13.hpp>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/ws/client.hpp>
#include <string>

#include "hostile_server.hpp"

using namespace hostile;

namespace {

// Answers each request on the connection with `response(target)`, until the client closes.
template <class Respond>
auto answering(Respond response) {
    return [response](Conn& c, int) {
        for (std::string r = c.next_request(); !r.empty(); r = c.next_request()) c.send(response(target_of(r)));
    };
}

// The Sec-WebSocket-Accept a server owes this upgrade request (RFC 6455 §4.2.2), from Beast's
// own helper so that the test does not carry a SHA-1.
std::string accept_for(const std::string& upgrade) {
    boost::beast::websocket::detail::sec_ws_accept_type accept;
    boost::beast::websocket::detail::make_sec_ws_accept(accept, header_of(upgrade, "Sec-WebSocket-Key"));
    return std::string(accept.data(), accept.size());
}

}  // namespace

TEST_CASE("content_length_goes_with_a_body_or_a_method_that_expects_one_and_not_with_an_empty_get") {
    // C4: RFC 9110 §8.6.
    with_hostile(answering([](const std::string&) { return ok(""); }), [](Hostile& h) {
        gev::http::Session s;
        for (const char* method : {"GET", "HEAD", "DELETE", "POST", "PUT", "OPTIONS"})
            s.request(method, h.base() + "/");
        s.request("POST", h.base() + "/", "abc");
        s.request("GET", h.base() + "/", "x");
        REQUIRE(h.requests.size() == 8);
        CHECK(header_of(h.requests[0], "Content-Length").empty());
        CHECK(header_of(h.requests[1], "Content-Length").empty());
        CHECK(header_of(h.requests[2], "Content-Length").empty());
        CHECK(header_of(h.requests[3], "Content-Length") == "0");
        CHECK(header_of(h.requests[4], "Content-Length") == "0");
        CHECK(header_of(h.requests[5], "Content-Length") == "0");
        CHECK(header_of(h.requests[6], "Content-Length") == "3");
        CHECK(h.requests[6].ends_with("\r\n\r\nabc"));
        CHECK(header_of(h.requests[7], "Content-Length") == "1");
        CHECK(h.connections == 1);
    });
}

TEST_CASE("head_204_and_304_responses_end_at_their_header_whatever_their_length_says") {
    // C6: RFC 9112 §6.3 rule 1.
    with_hostile(answering([](const std::string& target) -> std::string {
                     if (target == "/head") return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
                     if (target == "/204") return "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
                     if (target == "/304") return "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n";
                     return ok("last");
                 }),
                 [](Hostile& h) {
                     gev::http::Session s;
                     const auto head = s.request("HEAD", h.base() + "/head");
                     CHECK(head.status == 200);
                     CHECK(head.header("Content-Length") == "5");
                     CHECK(head.body.empty());
                     CHECK(s.get(h.base() + "/204").body.empty());
                     CHECK(s.get(h.base() + "/304").body.empty());
                     CHECK(s.get(h.base() + "/last").body == "last");
                     CHECK(h.connections == 1);  // each ended where it should: the next one parsed
                 });
}

TEST_CASE("bytes_after_a_bodiless_response_keep_its_connection_out_of_the_pool") {
    // C6: a body sent after a HEAD answer is nobody's; the next request gets a fresh connection.
    with_hostile(answering([](const std::string& target) -> std::string {
                     if (target == "/head") return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
                     return ok("fresh");
                 }),
                 [](Hostile& h) {
                     gev::http::Session s;
                     CHECK(s.request("HEAD", h.base() + "/head").body.empty());
                     CHECK(s.idle_connections() == 0);
                     CHECK(s.get(h.base() + "/next").body == "fresh");
                     CHECK(h.connections == 2);
                 });
}

TEST_CASE("a_response_with_both_transfer_encoding_and_content_length_is_a_protocol_error") {
    // C7: RFC 9112 §6.3 rule 3, in either order.
    with_hostile(
        answering([](const std::string& target) -> std::string {
            if (target == "/cl-first") {
                return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "2\r\nok\r\n0\r\n\r\n";
            }
            return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        }),
        [](Hostile& h) {
            gev::http::Session s;
            CHECK_THROWS_AS(s.get(h.base() + "/cl-first"), gev::http::ProtocolError);
            CHECK_THROWS_AS(s.get(h.base() + "/te-first"), gev::http::ProtocolError);
            CHECK(s.idle_connections() == 0);
        });
}

TEST_CASE("a_response_coding_that_does_not_end_in_chunked_is_read_until_the_server_closes") {
    // C8: RFC 9112 §6.3 rule 4; such a connection is never reused.
    with_hostile(
        [](Conn& c, int index) {
            c.next_request();
            if (index == 0) {
                c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes");
                c.send(" to the end");
                c.sock.close();
                return;
            }
            c.send(ok("second"));
            c.drain();
        },
        [](Hostile& h) {
            gev::http::Session s;
            const auto r = s.get(h.base() + "/gzip");
            CHECK(r.status == 200);
            CHECK(r.body == "raw bytes to the end");
            CHECK(s.idle_connections() == 0);
            CHECK(s.get(h.base() + "/next").body == "second");
            CHECK(h.connections == 2);
        });
}

TEST_CASE("an_invalid_content_length_in_a_response_is_a_protocol_error_and_its_connection_is_dropped") {
    // C9: RFC 9112 §6.3 rule 5: the user agent MUST close the connection and discard the response.
    const std::vector<std::string> lengths = {"abc", "-1", "+2", "2, 3", "0x2", " ", "2 2", "99999999999999999999999"};
    with_hostile(
        [&lengths](Conn& c, int index) {
            c.next_request();
            if (index < static_cast<int>(lengths.size())) {
                c.send("HTTP/1.1 200 OK\r\nContent-Length: " + lengths[index] + "\r\n\r\nok");
                c.drain();
                return;
            }
            c.send(ok("clean"));
            c.drain();
        },
        [&lengths](Hostile& h) {
            gev::http::Session s;
            for (const auto& length : lengths) {
                CAPTURE(length);
                CHECK_THROWS_AS(s.get(h.base() + "/"), gev::http::ProtocolError);
                CHECK(s.idle_connections() == 0);
            }
            CHECK(s.get(h.base() + "/").body == "clean");
            CHECK(h.connections == static_cast<int>(lengths.size()) + 1);
        });
}

TEST_CASE("a_body_cut_before_its_length_or_its_last_chunk_is_a_protocol_error_not_a_short_answer") {
    // C10: RFC 9112 §8: an incomplete message is recorded as incomplete.
    with_hostile(
        [](Conn& c, int) {
            const std::string target = target_of(c.next_request());
            if (target == "/length") c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
            if (target == "/chunked") c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
            if (target == "/no-last-chunk") c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n");
            if (target == "/head-only") c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
            if (target == "/close-delimited") c.send("HTTP/1.1 200 OK\r\n\r\nall of it");
            c.sock.close();
        },
        [](Hostile& h) {
            gev::http::Session s;
            for (const char* path : {"/length", "/chunked", "/no-last-chunk", "/head-only"}) {
                CAPTURE(path);
                CHECK_THROWS_AS(s.get(h.base() + path), gev::http::ProtocolError);
            }
            CHECK(s.get(h.base() + "/close-delimited").body == "all of it");
            // A stream reads what came, then reports the cut.
            auto stream = s.open("GET", h.base() + "/length");
            CHECK(stream.read_some() == std::optional<std::string>("abc"));
            CHECK_THROWS_AS(stream.read_some(), gev::http::ProtocolError);
        });
}

TEST_CASE("an_obs_fold_in_a_response_field_is_read_as_a_space") {
    // C14: RFC 9112 §5.2.
    with_hostile(answering([](const std::string&) {
                     return std::string("HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nok");
                 }),
                 [](Hostile& h) {
                     const auto r = gev::http::Session().get(h.base() + "/");
                     CHECK(r.body == "ok");
                     const std::string folded(r.header("X-Folded"));
                     CHECK(folded.find_first_of("\r\n") == std::string::npos);
                     CHECK(folded.starts_with("one "));
                     CHECK(folded.ends_with(" two"));
                 });
}

TEST_CASE("a_bare_cr_or_bare_lf_in_a_response_head_is_a_protocol_error") {
    // C15: RFC 9112 §2.2; bare LF is refused too (the stricter choice).
    with_hostile(
        [](Conn& c, int) {
            const std::string target = target_of(c.next_request());
            if (target == "/cr-in-value") c.send("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok");
            if (target == "/lf-line-ends") c.send("HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
            if (target == "/lf-after-status") c.send("HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok");
            if (target == "/nul-in-value")
                c.send(std::string("HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok", 48));
            c.drain();
        },
        [](Hostile& h) {
            gev::http::Session s;
            for (const char* path : {"/cr-in-value", "/lf-line-ends", "/lf-after-status", "/nul-in-value"}) {
                CAPTURE(path);
                CHECK_THROWS_AS(s.get(h.base() + path), gev::http::ProtocolError);
            }
        });
}

TEST_CASE("the_status_line_needs_its_second_space_and_any_reason_phrase_is_accepted") {
    // C16: RFC 9112 §4.
    with_hostile(answering([](const std::string& target) -> std::string {
                     if (target == "/no-space") return "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok";
                     if (target == "/two-digits") return "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok";
                     if (target == "/empty-reason") return "HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok";
                     if (target == "/odd-reason")
                         return "HTTP/1.1 404 Everything Is Fine\r\nContent-Length: 2\r\n\r\nok";
                     return "HTTP/1.1 200 caf\xc3\xa9 \t ok\r\nContent-Length: 2\r\n\r\nok";
                 }),
                 [](Hostile& h) {
                     gev::http::Session s;
                     CHECK_THROWS_AS(s.get(h.base() + "/no-space"), gev::http::ProtocolError);
                     CHECK_THROWS_AS(s.get(h.base() + "/two-digits"), gev::http::ProtocolError);
                     CHECK(s.get(h.base() + "/empty-reason").status == 200);
                     const auto odd = s.get(h.base() + "/odd-reason");
                     CHECK(odd.status == 404);  // the code decides, the reason is ignored
                     CHECK(odd.body == "ok");
                     CHECK(s.get(h.base() + "/obs-text").status == 200);
                 });
}

TEST_CASE("after_connection_close_in_a_response_the_client_sends_nothing_more_on_that_connection") {
    // C17: RFC 9112 §9.6: the server does not close; the client must.
    bool second_request_on_it = false;
    with_hostile(
        [&second_request_on_it](Conn& c, int index) {
            c.next_request();
            if (index == 0) {
                c.send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nlast");
                second_request_on_it = !c.next_request().empty();
                return;
            }
            c.send(ok("new"));
            c.drain();
        },
        [](Hostile& h) {
            gev::http::Session s;
            CHECK(s.get(h.base() + "/1").body == "last");
            CHECK(s.idle_connections() == 0);
            CHECK(s.get(h.base() + "/2").body == "new");
            CHECK(h.connections == 2);
        });
    CHECK_FALSE(second_request_on_it);
}

TEST_CASE("ws_connect_fails_a_101_with_a_wrong_accept_or_without_upgrade_or_connection") {
    // WC3: RFC 6455 §4.1: the client MUST fail the WebSocket connection.
    with_hostile(
        [](Conn& c, int) {
            const std::string upgrade = c.next_request();
            const std::string target = target_of(upgrade);
            const std::string accept = target == "/wrong-accept" ? "dGhlIHNhbXBsZSBub25jZQ==" : accept_for(upgrade);
            std::string answer =
                target == "/http-1.0" ? "HTTP/1.0 101 Switching Protocols\r\n" : "HTTP/1.1 101 Switching Protocols\r\n";
            if (target != "/no-upgrade") answer += "Upgrade: websocket\r\n";
            if (target != "/no-connection") answer += "Connection: Upgrade\r\n";
            if (target != "/no-accept") answer += "Sec-WebSocket-Accept: " + accept + "\r\n";
            c.send(answer + "\r\n");
            c.drain();
        },
        [](Hostile& h) {
            const std::string base = "ws://" + h.authority();
            for (const char* path : {"/wrong-accept", "/no-accept", "/no-upgrade", "/no-connection", "/http-1.0"}) {
                CAPTURE(path);
                CHECK_THROWS_AS(gev::ws::connect(base + path, {}, 5.0), gev::ws::HandshakeError);
            }
            auto ws = gev::ws::connect(base + "/right", {}, 5.0);  // the same server, answering right
            CHECK_FALSE(ws->closed());
        });
}

TEST_CASE("ws_client_fails_the_connection_with_1002_when_the_server_masks_a_frame") {
    // WC7: RFC 6455 §5.1.
    std::string client_close;
    with_hostile(
        [&client_close](Conn& c, int) {
            const std::string upgrade = c.next_request();
            c.send(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " +
                accept_for(upgrade) + "\r\n\r\n");
            const std::string key = "\x01\x02\x03\x04";
            std::string masked = "Hello";
            for (std::size_t i = 0; i < masked.size(); ++i) masked[i] = static_cast<char>(masked[i] ^ key[i % 4]);
            c.send("\x81\x85" + key + masked);
            while (c.pending.size() < 8 && c.more()) {  // the client's close: 2 + 4 (key) + 2 (code)
            }
            client_close = c.pending;
            c.send(std::string("\x88\x02\x03\xea", 4));  // the server's answer: 1002 back
            c.drain();
        },
        [](Hostile& h) {
            auto ws = gev::ws::connect("ws://" + h.authority() + "/", {}, 5.0);
            CHECK_FALSE(ws->receive());
            CHECK(ws->close_code() == gev::ws::protocol_error);
        });
    REQUIRE(client_close.size() >= 8);
    CHECK(static_cast<unsigned char>(client_close[0]) == 0x88);        // FIN + close
    CHECK((static_cast<unsigned char>(client_close[1]) & 0x80) != 0);  // masked, as a client's must be
    const int code = ((client_close[6] ^ client_close[2]) & 0xff) << 8 | ((client_close[7] ^ client_close[3]) & 0xff);
    CHECK(code == 1002);
}
