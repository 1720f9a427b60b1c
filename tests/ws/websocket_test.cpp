// WebSocket server and client: the API, the protocol's rules, and hostile peers.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <boost/beast/websocket/detail/hybi13.hpp>
#include <geventpp/geventpp.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "../capture_stderr.hpp"
#include "../http/raw_client.hpp"
#include "ws_client.hpp"

using namespace std::chrono_literals;
using gev::http::Request;
using wstest::frame;
using wstest::read_frame;

namespace {

constexpr std::uint8_t fin = 0x80;
constexpr std::uint8_t text = 0x1, binary = 0x2, cont = 0x0, close_op = 0x8, ping = 0x9, pong = 0xa;

// What a server-side handler saw, for the test to check.
struct Seen {
    gev::Event done;
    bool got_nothing = false;
    std::uint16_t code = 0;
    std::string reason;
    std::string error;
    std::size_t sent = 0;

    void ended(gev::ws::WebSocket& ws) {
        got_nothing = true;
        code = ws.close_code();
        reason = ws.close_reason();
        done.set();
    }
};

std::optional<Seen> seen;

void echo_until_closed(gev::ws::WebSocket& ws) {
    while (auto m = ws.receive()) {
        if (m->binary) {
            ws.send_binary(m->data);
        } else {
            ws.send(m->data);
        }
    }
    seen->ended(ws);
}

gev::http::App ws_app() {
    gev::http::App app;
    app.get("/echo", [](Request& q) {
        gev::ws::WebSocketOptions o;
        o.permessage_deflate = true;
        auto ws = gev::ws::upgrade(q, o);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        echo_until_closed(*ws);
    });
    app.get("/small", [](Request& q) {
        gev::ws::WebSocketOptions o;
        o.max_message = 1024;
        o.message_timeout = 0.3;
        auto ws = gev::ws::upgrade(q, o);
        echo_until_closed(*ws);
    });
    app.get("/seed", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        while (auto message = ws->receive()) ws->send("Your message was: '" + message->data + "'");
    });
    app.get("/proto", [](Request& q) {
        gev::ws::WebSocketOptions o;
        o.subprotocols = {"chat.v2", "chat.v1"};
        o.check_origin = [](std::string_view origin) { return origin.empty() || origin == "http://good"; };
        auto ws = gev::ws::upgrade(q, o);
        ws->send(ws->subprotocol());
        echo_until_closed(*ws);
    });
    app.get("/same-origin", [](Request& q) {
        gev::ws::WebSocketOptions o;
        o.same_origin = true;
        auto ws = gev::ws::upgrade(q, o);
        echo_until_closed(*ws);
    });
    // Sends 500 messages from another greenlet while this one waits in receive().
    app.get("/broadcast", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        auto sender = gev::spawn([ws] {
            for (int i = 0; i < 500; ++i) ws->send(std::to_string(i) + ":" + std::string(4000, char('a' + i % 26)));
        });
        echo_until_closed(*ws);
        sender.join();
    });
    // Another greenlet closes with 1001 while this one waits in receive().
    app.get("/close-from-other", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        gev::spawn([ws] {
            gev::sleep(50ms);
            ws->close(gev::ws::going_away, "server going down");
        });
        while (ws->receive()) {
        }
        seen->ended(*ws);
    });
    // Sends to a client that never reads: send blocks, then times out.
    app.get("/flood", [](Request& q) {
        gev::ws::WebSocketOptions o;
        o.send_timeout = 0.3;
        auto ws = gev::ws::upgrade(q, o);
        try {
            for (;;) {
                ws->send_binary(std::string(64 * 1024, 'x'));
                ++seen->sent;
            }
        } catch (const gev::net::SocketTimeout& e) {
            seen->error = e.what();
        }
        seen->code = ws->close_code();
        seen->done.set();
    });
    // close() under the handler's own Timeout, shorter than close_timeout.
    app.get("/close-under-timeout", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        gev::Timeout mine(0.2);
        try {
            ws->close();
            seen->error = "close returned";
        } catch (const gev::Timeout::Expired& e) {
            seen->error = e.is(mine) ? "own timeout" : "another timeout";
        }
        seen->code = ws->close_code();
        seen->done.set();
    });
    // A receive bounded by a Timeout between messages leaves the connection usable.
    app.get("/patient", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        for (int quiet = 0; !ws->closed();) {
            std::optional<gev::ws::Message> m;
            if (!gev::Timeout::within(0.05, [&] { m = ws->receive(); })) {
                ws->send("quiet " + std::to_string(++quiet));
                continue;
            }
            if (!m) break;
            ws->send("got " + m->data);
        }
    });
    // Returns with the WebSocket still open / throws.
    app.get("/once", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        ws->send("bye");
    });
    app.get("/throws", [](Request& q) {
        auto ws = gev::ws::upgrade(q);
        throw std::runtime_error("handler bug");
    });
    return app;
}

template <class F>
void with_server(F&& body) {
    gev::http::ServerOptions options;
    options.access_log = false;
    gev::run([&] {
        static gev::http::App app = ws_app();
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), options);
        server.start();
        seen.emplace();
        if constexpr (std::is_invocable_v<F, gev::http::Server&>) {
            body(server);
        } else {
            body(server.server_port());
        }
        server.stop(0.5);
    });
}

std::string url(std::uint16_t port, const std::string& path) {
    return "ws://127.0.0.1:" + std::to_string(port) + path;
}

// Opens `path` by hand and checks the 101.
gev::net::Socket upgraded(std::uint16_t port, const std::string& path, const std::string& extra = {}) {
    auto [s, head] = wstest::open(port, path, extra);
    REQUIRE(starts_with(head, "HTTP/1.1 101"));
    return std::move(s);
}

// The code of the server's close frame after a violation; then the client goes, as a browser
// would.
int failure_code(gev::net::Socket& s) {
    for (;;) {
        const auto f = read_frame(s);
        if (f.opcode == close_op || f.opcode == -1) {
            s.close();
            return f.opcode == close_op ? f.close_code() : -1;
        }
    }
}

}  // namespace

TEST_CASE("echo_text_and_binary_round_trip") {
    with_server([](std::uint16_t port) {
        auto ws = gev::ws::connect(url(port, "/echo"));
        ws->send("Hello, world");
        auto m = ws->receive();
        REQUIRE(m);
        CHECK(m->data == "Hello, world");
        CHECK_FALSE(m->binary);
        ws->send_binary(std::string("\0\1\2", 3));
        m = ws->receive();
        REQUIRE(m);
        CHECK(m->data == std::string("\0\1\2", 3));
        CHECK(m->binary);
        const std::string big(1 << 20, 'z');
        ws->send(big);
        CHECK(ws->receive()->data == big);
        ws->close();
        CHECK(ws->closed());
        CHECK(ws->close_code() == gev::ws::normal);
        CHECK(seen->done.wait(2.0));
        CHECK(seen->code == gev::ws::normal);
    });
}

TEST_CASE("seed_handler_replies_to_each_message_and_refuses_plain_get") {
    with_server([](std::uint16_t port) {
        auto ws = gev::ws::connect(url(port, "/seed"));
        ws->send("Hello, world");
        CHECK(ws->receive()->data == "Your message was: 'Hello, world'");
        ws->send("again");
        CHECK(ws->receive()->data == "Your message was: 'again'");
        ws->close();
        const auto plain = roundtrip(port, "GET /seed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(plain, "HTTP/1.1 400 Bad Request"));
        CHECK(has(plain, "Expected WebSocket request."));
    });
}

TEST_CASE("client_close_code_and_reason_reach_the_handler") {
    with_server([](std::uint16_t port) {
        auto ws = gev::ws::connect(url(port, "/echo"));
        ws->close(4001, "done here");
        REQUIRE(seen->done.wait(2.0));
        CHECK(seen->code == 4001);
        CHECK(seen->reason == "done here");
        CHECK_THROWS_AS(ws->send("late"), gev::ws::ConnectionClosed);
    });
}

TEST_CASE("fragments_with_interleaved_ping_are_joined_and_ping_gets_its_pong") {
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/echo");
        s.sendall(frame(text, "Hel") + frame(fin | ping, "are you there") + frame(cont, "lo, ") +
                  frame(fin | cont, "world"));
        auto f = read_frame(s);
        CHECK(f.opcode == pong);
        CHECK(f.payload == "are you there");
        f = read_frame(s);
        CHECK(f.opcode == text);
        CHECK(f.fin);
        CHECK(f.payload == "Hello, world");
        s.sendall(frame(fin | close_op, std::string("\x03\xe8", 2)));
        f = read_frame(s);
        CHECK(f.opcode == close_op);
        CHECK(f.close_code() == 1000);
        CHECK(read_frame(s).opcode == -1);  // then the server closes the TCP connection
    });
}

// receive() waits for the next message in its own frame only when Beast has nothing buffered:
// messages that arrive together, in pieces, or with the upgrade request must each come back
// without the client sending anything more (a wrong guess would wait for bytes already read).
TEST_CASE("messages_arriving_together_in_pieces_or_with_the_upgrade_are_each_received") {
    with_server([](std::uint16_t port) {
        SUBCASE("three messages and a ping in one write") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | text, "one") + frame(fin | binary, "two") + frame(fin | text, std::string(300, 'x')) +
                      frame(fin | ping, "p"));
            CHECK(read_frame(s).payload == "one");
            CHECK(read_frame(s).payload == "two");
            CHECK(read_frame(s).payload == std::string(300, 'x'));
            CHECK(read_frame(s).opcode == pong);
            s.sendall(frame(fin | text, "after"));
            CHECK(read_frame(s).payload == "after");
        }
        SUBCASE("a message a byte at a time, then one whole") {
            auto s = upgraded(port, "/echo");
            const auto piecemeal = frame(fin | text, std::string(200, 'y'));  // a 16-bit length
            for (const char c : piecemeal) {
                s.sendall(std::string(1, c));
                gev::sleep(1ms);
            }
            CHECK(read_frame(s).payload == std::string(200, 'y'));
            s.sendall(frame(fin | text, "whole"));
            CHECK(read_frame(s).payload == "whole");
        }
        SUBCASE("a message in the same write as the upgrade request") {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall(
                "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
                frame(fin | text, "early") + frame(fin | text, "bird"));
            std::string head;
            while (head.find("\r\n\r\n") == std::string::npos) {
                char c;
                REQUIRE(s.recv_into(&c, 1) == 1);
                head += c;
            }
            REQUIRE(starts_with(head, "HTTP/1.1 101"));
            CHECK(read_frame(s).payload == "early");
            CHECK(read_frame(s).payload == "bird");
        }
    });
}

TEST_CASE("protocol_violations_fail_the_connection_with_1002") {
    with_server([](std::uint16_t port) {
        SUBCASE("unmasked client frame") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | text, "hi", false));
            CHECK(failure_code(s) == 1002);
        }
        SUBCASE("reserved bit") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | 0x40 | text, "hi"));
            CHECK(failure_code(s) == 1002);
        }
        SUBCASE("reserved opcode") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | 0x3, "hi"));
            CHECK(failure_code(s) == 1002);
        }
        SUBCASE("continuation without a start") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | cont, "hi"));
            CHECK(failure_code(s) == 1002);
        }
        SUBCASE("fragmented ping") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(ping, "hi"));
            CHECK(failure_code(s) == 1002);
        }
        SUBCASE("2^63 byte length") {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | binary, "", true, std::uint64_t(1) << 63));
            const int code = failure_code(s);
            CHECK((code == 1002 || code == 1009));
        }
        REQUIRE(seen->done.wait(2.0));
        CHECK(seen->got_nothing);
    });
}

TEST_CASE("invalid_utf8_in_text_fails_with_1007") {
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/echo");
        s.sendall(frame(fin | text, "caf\xc3"));
        CHECK(failure_code(s) == 1007);
        REQUIRE(seen->done.wait(2.0));
        CHECK(seen->code == 1007);
    });
}

TEST_CASE("message_over_the_limit_fails_with_1009") {
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/small");
        s.sendall(frame(fin | binary, std::string(1000, 'a')));
        CHECK(read_frame(s).payload.size() == 1000);
        s.sendall(frame(binary, std::string(600, 'a')) + frame(fin | cont, std::string(600, 'a')));
        CHECK(failure_code(s) == 1009);
        // One frame over the limit, announced in its header: 1009 before its payload is read.
        auto one = upgraded(port, "/small");
        one.sendall(frame(fin | text, std::string(2000, 'b')));
        CHECK(failure_code(one) == 1009);
        // Many small fragments, the bytes cut into 5-byte sends.
        auto many = upgraded(port, "/small");
        std::string fragments = frame(text, std::string(50, 'c'));
        for (int i = 0; i < 30; ++i) fragments += frame(cont, std::string(50, 'c'));
        fragments += frame(fin | cont, "end");
        try {
            for (std::size_t at = 0; at < fragments.size(); at += 5) {
                many.sendall(fragments.substr(at, 5));
                gev::sleep(0);
            }
        } catch (const gev::net::SocketError&) {  // failed and closed before the end
        }
        CHECK(failure_code(many) == 1009);
    });
}

TEST_CASE("a_message_never_finished_fails_with_1008") {
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/small");
        s.sendall(frame(text, "never "));  // and no final fragment
        const auto start = gev::Clock::now();
        CHECK(failure_code(s) == 1008);
        CHECK(gev::Clock::now() - start < 3s);
    });
}

TEST_CASE("client_vanishing_without_close_frame_ends_receive_with_1006") {
    with_server([](std::uint16_t port) {
        {
            auto s = upgraded(port, "/echo");
            s.sendall(frame(fin | text, "hi"));
            CHECK(read_frame(s).payload == "hi");
        }
        REQUIRE(seen->done.wait(2.0));
        CHECK(seen->code == 1006);
    });
}

TEST_CASE("ping_flood_is_answered_and_disturbs_no_one") {
    with_server([](std::uint16_t port) {
        auto other = gev::ws::connect(url(port, "/echo"));
        auto s = upgraded(port, "/echo");
        std::string pings;
        for (int i = 0; i < 2000; ++i) pings += frame(fin | ping, std::to_string(i));
        auto flooder = gev::spawn([&] { s.sendall(pings); });
        other->send("still here");
        CHECK(other->receive()->data == "still here");
        for (int i = 0; i < 2000; ++i) {
            const auto f = read_frame(s);
            REQUIRE(f.opcode == pong);
            REQUIRE(f.payload == std::to_string(i));
        }
        flooder.join();
        s.sendall(frame(fin | text, "after"));
        CHECK(read_frame(s).payload == "after");
    });
}

TEST_CASE("broken_upgrades_get_http_errors") {
    with_server([](std::uint16_t port) {
        const auto no_key =
            roundtrip(port,
                      "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n");
        CHECK(starts_with(no_key, "HTTP/1.1 400"));
        const auto old_version =
            roundtrip(port,
                      "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade, close\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 8\r\n\r\n");
        CHECK(starts_with(old_version, "HTTP/1.1 426"));
        CHECK(has(old_version, "Sec-WebSocket-Version: 13"));
        const auto plain = roundtrip(port, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(starts_with(plain, "HTTP/1.1 400"));
        const auto [s, refused] = wstest::open(port, "/proto", "Origin: http://evil\r\n");
        CHECK(starts_with(refused, "HTTP/1.1 403"));
        // RFC 6455 §4.2.1: the key is 16 bytes, base64-encoded; anything else is our own 400.
        for (const char* key : {"abc", "!!!!!!!!!!!!!!!!!!!!!!==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ=x"}) {
            const auto bad = roundtrip(port, std::string("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                                         "Connection: Upgrade, close\r\nSec-WebSocket-Key: ") +
                                                 key + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
            CHECK_MESSAGE(starts_with(bad, "HTTP/1.1 400 Bad Request\r\n"), key);
            CHECK_MESSAGE(has(bad, "Date: "), key);
            CHECK_MESSAGE(has(bad, "Sec-WebSocket-Key is not 16 bytes"), key);
        }
    });
}

TEST_CASE("the_101_names_the_server_as_its_options_do") {
    gev::run([] {
        gev::http::App app;
        app.get("/echo", [](Request& q) { echo_until_closed(*gev::ws::upgrade(q)); });
        gev::http::ServerOptions o;
        o.access_log = false;
        o.server_name = "chat/2.1";
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), o);
        server.start();
        seen.emplace();
        auto [s, head] = wstest::open(server.server_port(), "/echo");
        CHECK(starts_with(head, "HTTP/1.1 101"));
        CHECK(has(head, "Server: chat/2.1\r\n"));
        s.close();
        server.stop(0.5);
    });
}

TEST_CASE("an_offer_of_an_8_bit_window_is_declined_not_answered_with_a_larger_one") {
    with_server([](std::uint16_t port) {
        auto [s, head] =
            wstest::open(port, "/echo", "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8\r\n");
        CHECK(starts_with(head, "HTTP/1.1 101"));
        CHECK_FALSE(has(head, "Sec-WebSocket-Extensions"));
        auto [q, quoted] = wstest::open(
            port, "/echo",
            "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=\"8\", permessage-deflate\r\n");
        CHECK(has(quoted, "Sec-WebSocket-Extensions: permessage-deflate\r\n"));  // the second offer
    });
}

TEST_CASE("what_a_sender_may_not_send_is_refused_at_the_call") {
    with_server([](std::uint16_t port) {
        auto ws = gev::ws::connect(url(port, "/echo"));
        // RFC 6455 §8.1: text is UTF-8.
        CHECK_THROWS_AS(ws->send("\xff"), std::invalid_argument);
        CHECK_THROWS_AS(ws->send("ok\xc3"), std::invalid_argument);
        CHECK_THROWS_AS(ws->send(std::string(16, 'a') + "\xc3" + std::string(8, 'b')), std::invalid_argument);
        CHECK_THROWS_AS(ws->send(std::string(7, 'a') + "\xe2\x82" + std::string(9, 'b')), std::invalid_argument);
        ws->send("caf\xc3\xa9");
        CHECK(ws->receive()->data == "caf\xc3\xa9");
        const auto long_text = std::string(20, 'a') + "\xe2\x82\xac" + std::string(20, 'b');
        ws->send(long_text);
        CHECK(ws->receive()->data == long_text);
        ws->send_binary("\xff");
        CHECK(ws->receive()->data == "\xff");
        // §7.4: codes that only report, reserved ones, and none outside 1000-4999.
        for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999, 5000, 65535}) {
            CHECK_THROWS_AS_MESSAGE(ws->close(code), std::invalid_argument, code);
        }
        CHECK_THROWS_AS(ws->close(1000, "\xc3"), std::invalid_argument);
        CHECK_FALSE(ws->closed());
        // §5.5.1: the reason is cut to 123 bytes at a character boundary, never inside one.
        ws->close(3000, std::string(122, 'a') + "\xc3\xa9");
        REQUIRE(seen->done.wait(2.0));
        CHECK(seen->code == 3000);
        CHECK(seen->reason == std::string(122, 'a'));
    });
}

// A server written by hand for the client's side of the handshake: answers the upgrade with a
// valid accept key and `extra` headers, then `after` (a frame) and reads what the client sends.
struct RawWsServer {
    gev::net::Socket listener{AF_INET, SOCK_STREAM};
    std::string received;
    gev::Greenlet<void> loop;

    RawWsServer(std::string extra, std::string after) {
        listener.bind(gev::net::Address("127.0.0.1", 0));
        listener.listen(8);
        loop = gev::spawn([this, extra = std::move(extra), after = std::move(after)] {
            auto [c, peer] = listener.accept();
            std::string head;
            while (head.find("\r\n\r\n") == std::string::npos) head += c.recv(4096);
            const auto at = head.find("Sec-WebSocket-Key: ") + 19;
            const auto key = head.substr(at, head.find("\r\n", at) - at);
            boost::beast::websocket::detail::sec_ws_accept_type accept;
            boost::beast::websocket::detail::make_sec_ws_accept(accept, key);
            c.sendall(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " +
                std::string(accept.data(), accept.size()) + "\r\n" + extra + "\r\n" + after);
            try {
                for (std::string p; !(p = c.recv(4096)).empty();) received += p;
            } catch (const gev::net::SocketError&) {
            }
        });
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(listener.getsockname().port()) + "/"; }
};

TEST_CASE("the_client_fails_a_101_with_a_subprotocol_or_extension_it_did_not_offer") {
    gev::run([] {
        RawWsServer evil("Sec-WebSocket-Protocol: evil\r\n", "");
        CHECK_THROWS_WITH_AS(gev::ws::connect(evil.url()), doctest::Contains("not offered"), gev::ws::HandshakeError);
        RawWsServer other("Sec-WebSocket-Protocol: chat.v3\r\n", "");
        gev::ws::WebSocketOptions o;
        o.subprotocols = {"chat.v1", "chat.v2"};
        CHECK_THROWS_AS(gev::ws::connect(other.url(), o), gev::ws::HandshakeError);
        RawWsServer deflate("Sec-WebSocket-Extensions: permessage-deflate\r\n", "");
        CHECK_THROWS_WITH_AS(gev::ws::connect(deflate.url()), doctest::Contains("not offered"),
                             gev::ws::HandshakeError);
        RawWsServer fine("Sec-WebSocket-Protocol: chat.v2\r\n", "");
        CHECK(gev::ws::connect(fine.url(), o)->subprotocol() == "chat.v2");
    });
}

TEST_CASE("the_client_masks_its_own_close_frame_with_a_random_key") {
    gev::run([] {
        // A message that never finishes: the client fails it with 1008 after message_timeout.
        RawWsServer server("", frame(text, "part", false));
        gev::ws::WebSocketOptions o;
        o.message_timeout = 0.2;
        auto ws = gev::ws::connect(server.url(), o);
        CHECK_FALSE(ws->receive());
        CHECK(ws->close_code() == gev::ws::policy_error);
        REQUIRE(server.loop.join(2.0));
        const auto& f = server.received;
        REQUIRE(f.size() >= 8);
        CHECK(static_cast<unsigned char>(f[0]) == 0x88);
        CHECK((static_cast<unsigned char>(f[1]) & 0x80) != 0);  // masked
        CHECK(f.substr(2, 4) != std::string(4, '\0'));          // not the fixed zero key
        const char code_hi = static_cast<char>(f[6] ^ f[2]), code_lo = static_cast<char>(f[7] ^ f[3]);
        CHECK(((static_cast<unsigned char>(code_hi) << 8) | static_cast<unsigned char>(code_lo)) == 1008);
    });
}

TEST_CASE("same_origin_refuses_a_page_from_another_site_in_one_line") {
    with_server([](std::uint16_t port) {
        const auto upgrade = [port](const std::string& host, const std::string& origin) {
            auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
            s.sendall("GET /same-origin HTTP/1.1\r\nHost: " + host +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                      (origin.empty() ? "" : "Origin: " + origin + "\r\n") + "\r\n");
            return s.recv(4096);
        };
        CHECK(starts_with(upgrade("app.example:8080", "http://app.example:8080"), "HTTP/1.1 101"));
        CHECK(starts_with(upgrade("app.example:8080", "https://APP.example:8080"), "HTTP/1.1 101"));
        CHECK(starts_with(upgrade("app.example:8080", ""), "HTTP/1.1 101"));  // not a browser
        CHECK(starts_with(upgrade("app.example:8080", "http://evil.example"), "HTTP/1.1 403"));
        CHECK(starts_with(upgrade("app.example:8080", "http://app.example:9090"), "HTTP/1.1 403"));
        CHECK(starts_with(upgrade("app.example:8080", "null"), "HTTP/1.1 403"));
        CHECK(starts_with(upgrade("app.example", "http://app.example.evil.example"), "HTTP/1.1 403"));
    });
}

TEST_CASE("subprotocol_is_the_first_of_ours_the_client_offered") {
    with_server([](std::uint16_t port) {
        gev::ws::WebSocketOptions o;
        o.subprotocols = {"chat.v1", "chat.v2"};
        o.origin = "http://good";
        auto ws = gev::ws::connect(url(port, "/proto"), o);
        CHECK(ws->subprotocol() == "chat.v2");
        CHECK(ws->receive()->data == "chat.v2");
        auto none = gev::ws::connect(url(port, "/proto"));
        CHECK(none->subprotocol().empty());
        CHECK(none->receive()->data.empty());
    });
}

TEST_CASE("permessage_deflate_is_negotiated_when_enabled_and_offered") {
    with_server([](std::uint16_t port) {
        auto [s, head] = wstest::open(port, "/echo", "Sec-WebSocket-Extensions: permessage-deflate\r\n");
        CHECK(has(head, "Sec-WebSocket-Extensions: permessage-deflate"));
        auto [plain, head2] = wstest::open(port, "/echo");
        CHECK_FALSE(has(head2, "permessage-deflate"));
        auto [off, head3] = wstest::open(port, "/seed", "Sec-WebSocket-Extensions: permessage-deflate\r\n");
        CHECK_FALSE(has(head3, "permessage-deflate"));  // not enabled on that route
        gev::ws::WebSocketOptions o;
        o.permessage_deflate = true;
        auto ws = gev::ws::connect(url(port, "/echo"), o);
        std::string doc;
        for (int i = 0; i < 5000; ++i) doc += "line " + std::to_string(i) + " of a compressible text\n";
        ws->send(doc);
        CHECK(ws->receive()->data == doc);
    });
}

TEST_CASE("sends_from_another_greenlet_never_interleave_with_the_receivers_frames") {
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/broadcast");
        // Pings make the receiving greenlet write pongs while the sender is writing frames.
        auto pinger = gev::spawn([&] {
            for (int i = 0; i < 200; ++i) {
                s.sendall(frame(fin | ping, "p"));
                gev::sleep(0);
            }
        });
        int messages = 0, pongs = 0;
        while (messages < 500 || pongs < 200) {
            const auto f = read_frame(s);
            REQUIRE(f.opcode != -1);
            if (f.opcode == pong) {
                ++pongs;
                continue;
            }
            REQUIRE(f.opcode == text);
            const auto colon = f.payload.find(':');
            REQUIRE(colon != std::string::npos);
            const int i = std::stoi(f.payload.substr(0, colon));
            CHECK(i == messages);
            CHECK(f.payload.substr(colon + 1) == std::string(4000, char('a' + i % 26)));
            ++messages;
        }
        pinger.join();
    });
}

TEST_CASE("close_from_another_greenlet_ends_the_receivers_wait") {
    with_server([](std::uint16_t port) {
        auto ws = gev::ws::connect(url(port, "/close-from-other"));
        CHECK_FALSE(ws->receive());
        CHECK(ws->close_code() == gev::ws::going_away);
        CHECK(ws->close_reason() == "server going down");
        REQUIRE(seen->done.wait(2.0));
        CHECK(seen->got_nothing);
        CHECK(seen->code == gev::ws::going_away);
    });
}

TEST_CASE("a_slow_reader_blocks_the_sender_until_send_timeout") {
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/flood");
        REQUIRE(seen->done.wait(5.0));
        CHECK(has(seen->error, "timed out"));
        CHECK(seen->code == gev::ws::abnormal);
        // What the server sent is bounded by the socket buffers, not by how long it tried.
        CHECK(seen->sent * 64 * 1024 < 64 * 1024 * 1024);
    });
}

TEST_CASE("the_callers_own_timeout_raises_out_of_close_and_its_drain") {
    // The client never answers the close frame: the handshake is waiting when the handler's
    // 0.2 s Timeout fires (close_timeout is 5 s).
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/close-under-timeout");
        REQUIRE(seen->done.wait(3.0));
        CHECK(seen->error == "own timeout");
        CHECK(seen->code == gev::ws::abnormal);
    });
    // The client answers it but keeps TCP open: the drain for its end of stream is waiting.
    with_server([](std::uint16_t port) {
        auto s = upgraded(port, "/close-under-timeout");
        const auto f = read_frame(s);
        REQUIRE(f.opcode == close_op);
        s.sendall(frame(fin | close_op, std::string("\x03\xe8", 2)));
        REQUIRE(seen->done.wait(3.0));
        CHECK(seen->error == "own timeout");
    });
}

TEST_CASE("receive_interrupted_between_messages_keeps_the_connection") {
    with_server([](std::uint16_t port) {
        auto ws = gev::ws::connect(url(port, "/patient"));
        CHECK(ws->receive()->data == "quiet 1");
        ws->send("x");
        auto m = ws->receive();
        while (m && m->data.rfind("quiet", 0) == 0) m = ws->receive();
        REQUIRE(m);
        CHECK(m->data == "got x");
    });
}

TEST_CASE("handler_returning_or_throwing_closes_the_websocket") {
    with_server([](std::uint16_t port) {
        CaptureStderr quiet;
        auto once = gev::ws::connect(url(port, "/once"));
        CHECK(once->receive()->data == "bye");
        CHECK_FALSE(once->receive());
        CHECK(once->close_code() == gev::ws::normal);
        auto throws = gev::ws::connect(url(port, "/throws"));
        CHECK_FALSE(throws->receive());
        CHECK(throws->close_code() == gev::ws::internal_error);
    });
}

TEST_CASE("connect_reports_a_refused_handshake") {
    with_server([](std::uint16_t port) {
        try {
            gev::ws::connect(url(port, "/nowhere"));
            FAIL("connected");
        } catch (const gev::ws::HandshakeError& e) {
            CHECK(e.status() == 404);
        }
    });
}

TEST_CASE("server_stop_closes_open_websockets_with_1001") {
    with_server([](gev::http::Server& server) {
        auto ws = gev::ws::connect(url(server.server_port(), "/echo"));
        ws->send("before");
        CHECK(ws->receive()->data == "before");
        const auto start = gev::Clock::now();
        auto stopper = gev::spawn([&] { server.stop(5.0); });
        CHECK_FALSE(ws->receive());
        CHECK(ws->close_code() == gev::ws::going_away);
        stopper.join();
        CHECK(gev::Clock::now() - start < 2s);  // the handler ended; stop did not wait 5 s
        REQUIRE(seen->done.wait(1.0));
        CHECK(seen->code == gev::ws::going_away);
    });
}
