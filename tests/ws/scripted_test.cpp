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
std::string echoed(const std::string& frames, gev::ws::Options options = {}) {
    gev::http::Options http;
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

TEST_CASE("a_protocol_error_fails_the_connection_with_1002") {
    for (const std::string bad : {
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
    gev::ws::Options o;
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
