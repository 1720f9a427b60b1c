// The WebSocket server on a scripted stream (tests/scripted_stream.hpp) under the HTTP
// connection core: a handshake and frames as exact bytes in, the frames the server writes as
// exact bytes out, the same however the reads cut them. No socket, nothing waits.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/ws/websocket.hpp>
#include <string>

#include "../scripted_stream.hpp"
#include "ws_client.hpp"

using namespace std::string_literals;
using wstest::frame;

namespace {

const std::string handshake =
    "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const std::size_t piece_sizes[] = {std::string::npos, 1, 2, 3, 5, 7, 64};

// A frame as the server sends it (unmasked).
std::string server_frame(std::uint8_t first, const std::string& payload) {
    return frame(first, payload, false);
}

std::string close_payload(int code, const std::string& reason = {}) {
    return std::string{char(code >> 8), char(code & 0xff)} + reason;
}

// The frames the server wrote after its 101 when the client sent `frames` after the handshake
// and then closed TCP; the same in every piece size.
std::string echoed(const std::string& frames, gev::ws::WebSocketOptions options = {}) {
    gev::http::ServerOptions http;
    http.access_log = false;
    const auto echo = [&](gev::http::Request& q, gev::http::Response&) {
        auto ws = gev::ws::upgrade(q, options);
        REQUIRE(ws);
        while (auto m = ws->receive()) m->binary ? ws->send_binary(m->data) : ws->send(m->data);
    };
    std::string first;
    for (const auto piece : piece_sizes) {
        test::ScriptedStream stream(handshake + frames, piece);
        gev::run([&] { gev::http::serve_connection(stream, gev::net::Address("127.0.0.1", 40000), echo, http); });
        const auto& w = stream.written();
        REQUIRE(w.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
        CHECK(w.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
        const auto out = w.substr(w.find("\r\n\r\n") + 4);
        if (piece == std::string::npos) first = out;
        CHECK_MESSAGE(out == first, piece);
        // Once its close frame is out the server ends TCP first (RFC 6455 §7.1.1), and only then.
        const bool closed = out.size() >= 4 && out.compare(out.size() - 4, 2, "\x88\x02") == 0;
        CHECK_MESSAGE(stream.script().shut_down == closed, piece);
    }
    return first;
}

}  // namespace

TEST_CASE("messages_are_echoed_and_a_close_is_answered_with_its_code") {
    const auto out =
        echoed(frame(0x81, "hello") + frame(0x82, "\x00\x01\x02"s) + frame(0x88, close_payload(1000, "bye")));
    CHECK(out ==
          server_frame(0x81, "hello") + server_frame(0x82, "\x00\x01\x02"s) + server_frame(0x88, close_payload(1000)));
}

TEST_CASE("a_ping_between_fragments_gets_its_pong_at_once_and_the_fragments_make_one_message") {
    const auto out = echoed(frame(0x01, "frag") + frame(0x89, "are you there") + frame(0x80, "ment") +
                            frame(0x88, close_payload(1000)));
    CHECK(out == server_frame(0x8a, "are you there") + server_frame(0x81, "fragment") +
                     server_frame(0x88, close_payload(1000)));
}

TEST_CASE("a_protocol_error_fails_the_connection_with_1002") {  // W12, W13, W16, W17, W18
    for (const std::string& bad : {
             frame(0xc1, "rsv1 without an extension"),
             frame(0x83, "reserved opcode"),
             frame(0x81, "unmasked from a client", false),
             frame(0x09, "a fragmented ping"),
             frame(0x80, "a continuation with nothing to continue"),
             frame(0x88, "\x03"s),  // a close payload of one byte
             frame(0x88, close_payload(1005)),
         }) {
        CHECK(echoed(bad + frame(0x81, "never echoed")) == server_frame(0x88, close_payload(1002)));
    }
}

TEST_CASE("invalid_utf8_fails_with_1007_as_soon_as_a_fragment_shows_it") {
    CHECK(echoed(frame(0x81, "caf\xc3")) == server_frame(0x88, close_payload(1007)));
    // The first fragment is already invalid: the server fails before the message ends, without
    // waiting for the rest, which never comes.
    CHECK(echoed(frame(0x01, "\xff is not utf-8")) == server_frame(0x88, close_payload(1007)));
}

TEST_CASE("a_message_over_max_message_fails_with_1009_in_one_frame_or_in_fragments") {
    gev::ws::WebSocketOptions o;
    o.max_message = 16;
    CHECK(echoed(frame(0x81, std::string(17, 'a')), o) == server_frame(0x88, close_payload(1009)));
    CHECK(echoed(frame(0x01, std::string(10, 'a')) + frame(0x80, std::string(10, 'a')), o) ==
          server_frame(0x88, close_payload(1009)));
    CHECK(echoed(frame(0x81, std::string(16, 'a')) + frame(0x88, close_payload(1000)), o) ==
          server_frame(0x81, std::string(16, 'a')) + server_frame(0x88, close_payload(1000)));
}

TEST_CASE("a_client_that_just_closes_tcp_gets_no_close_frame") {
    CHECK(echoed(frame(0x81, "hello")) == server_frame(0x81, "hello"));
}

TEST_CASE("reserved_bits_reserved_opcodes_and_a_non_minimal_length_fail_with_1002") {  // W12, W13, W14
    const auto failed = server_frame(0x88, close_payload(1002));
    for (const std::uint8_t first : {0xa1, 0x91, 0xc1}) CHECK_MESSAGE(echoed(frame(first, "x")) == failed, int(first));
    for (const std::uint8_t first : {0x83, 0x84, 0x85, 0x86, 0x87, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f}) {
        CHECK_MESSAGE(echoed(frame(first, "x")) == failed, int(first));
    }
    // "hello" with its length in the 16-bit form, where the 7-bit one was enough.
    const std::string long_form = "\x81\xfe\x00\x05\x12\x34\x56\x78"s + frame(0x81, "hello").substr(6);
    CHECK(echoed(long_form) == failed);
}

TEST_CASE("a_data_frame_inside_a_fragmented_message_and_an_oversized_control_frame_fail_with_1002") {  // W16, W17
    const auto failed = server_frame(0x88, close_payload(1002));
    CHECK(echoed(frame(0x01, "start") + frame(0x81, "a new message")) == failed);
    CHECK(echoed(frame(0x89, std::string(126, 'p'))) == failed);
    // 125 bytes is a control frame's most: answered.
    CHECK(echoed(frame(0x89, std::string(125, 'p')) + frame(0x88, close_payload(1000))) ==
          server_frame(0x8a, std::string(125, 'p')) + server_frame(0x88, close_payload(1000)));
}

TEST_CASE("an_unsolicited_pong_gets_no_answer") {  // W20
    CHECK(echoed(frame(0x8a, "unasked") + frame(0x88, close_payload(1000))) == server_frame(0x88, close_payload(1000)));
}

TEST_CASE("close_codes_no_range_allows_fail_with_1002_and_the_others_are_echoed") {  // W23, W24
    for (const int code : {0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999}) {
        CHECK_MESSAGE(echoed(frame(0x88, close_payload(code))) == server_frame(0x88, close_payload(1002)), code);
    }
    // Beast would echo these; we refuse them, saying why.
    for (const int code : {5000, 65535}) {
        CHECK_MESSAGE(echoed(frame(0x88, close_payload(code))) ==
                          server_frame(0x88, close_payload(1002, "close code out of range")),
                      code);
    }
    for (const int code : {1000, 1001, 1002, 1003, 1007, 1011, 1012, 1013, 3000, 4999}) {
        CHECK_MESSAGE(echoed(frame(0x88, close_payload(code, "why"))) == server_frame(0x88, close_payload(code)),
                      code);
    }
    // A reason that is not UTF-8.
    CHECK(echoed(frame(0x88, close_payload(1000, "\xff\xfe"))) == server_frame(0x88, close_payload(1002)));
}

namespace {

// What the server answers to an upgrade request of `head` (the client then closes).
std::string answer(const std::string& head, gev::ws::WebSocketOptions options = {}) {
    gev::http::ServerOptions http;
    http.access_log = false;
    const auto handler = [&](gev::http::Request& q, gev::http::Response& r) {
        if (auto ws = gev::ws::upgrade(q, options)) {
            while (ws->receive()) {
            }
        } else {
            r.body = "not a WebSocket request";
        }
    };
    test::ScriptedStream stream(head);
    gev::run([&] { gev::http::serve_connection(stream, gev::net::Address("127.0.0.1", 40000), handler, http); });
    return stream.written();
}

std::string upgrade_request(const std::string& request_line, const std::string& extra = {}) {
    return request_line +
           "\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
           extra + "\r\n";
}

// The Sec-WebSocket-Extensions of a 101, "" when there is none.
std::string extensions_of(const std::string& response) {
    REQUIRE(response.rfind("HTTP/1.1 101 ", 0) == 0);
    const auto at = response.find("\r\nSec-WebSocket-Extensions: ");
    if (at == std::string::npos || at > response.find("\r\n\r\n")) return {};
    const auto from = at + 28;
    return response.substr(from, response.find("\r\n", from) - from);
}

}  // namespace

TEST_CASE("only_an_http_1_1_get_upgrades_and_a_version_other_than_13_gets_426") {  // W1, W5
    const std::string v13 = "Sec-WebSocket-Version: 13\r\n";
    CHECK(answer(upgrade_request("GET /ws HTTP/1.1", v13)).rfind("HTTP/1.1 101 ", 0) == 0);
    for (const std::string line : {"GET /ws HTTP/1.0", "POST /ws HTTP/1.1", "PUT /ws HTTP/1.1"}) {
        const auto r = answer(upgrade_request(line, v13 + (line[0] == 'G' ? "" : "Content-Length: 0\r\n")));
        CHECK_MESSAGE(r.find(" 200 OK\r\n") != std::string::npos, line);
        CHECK_MESSAGE(r.find("not a WebSocket request") != std::string::npos, line);
    }
    for (const std::string version : {"Sec-WebSocket-Version: 8\r\n", "Sec-WebSocket-Version: 14\r\n", ""}) {
        const auto r = answer(upgrade_request("GET /ws HTTP/1.1", version));
        CHECK_MESSAGE(r.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0) == 0, version);
        CHECK_MESSAGE(r.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos, version);
    }
}

TEST_CASE("deflate_offers_are_declined_or_answered_as_rfc_7692_says") {  // P1, P3, P5
    gev::ws::WebSocketOptions o;
    o.permessage_deflate = true;
    const auto offered = [&](const std::string& offer) {
        return extensions_of(answer(
            upgrade_request("GET /ws HTTP/1.1", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: " + offer + "\r\n"),
            o));
    };
    // P1: an unknown parameter, a bad value, a missing value or a parameter twice: declined.
    for (const std::string bad :
         {"permessage-deflate; foo", "permessage-deflate; server_max_window_bits=16",
          "permessage-deflate; server_max_window_bits=08", "permessage-deflate; server_max_window_bits",
          "permessage-deflate; client_no_context_takeover; client_no_context_takeover"}) {
        CHECK_MESSAGE(offered(bad).empty(), bad);
    }
    CHECK(offered("permessage-deflate").rfind("permessage-deflate", 0) == 0);
    // P3: the no-context-takeover parameters are accepted and echoed.
    CHECK(offered("permessage-deflate; server_no_context_takeover").find("server_no_context_takeover") !=
          std::string::npos);
    CHECK(offered("permessage-deflate; client_no_context_takeover").find("client_no_context_takeover") !=
          std::string::npos);
    // P5: client_max_window_bits only when offered, and then no larger.
    CHECK(offered("permessage-deflate").find("client_max_window_bits") == std::string::npos);
    CHECK(offered("permessage-deflate; client_max_window_bits=10").find("client_max_window_bits=10") !=
          std::string::npos);
}
