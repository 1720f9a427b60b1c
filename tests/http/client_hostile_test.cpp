// The client against a hostile server: a raw socket server on 127.0.0.1 that sends exact bytes
// (an endless header, a huge Content-Length, 1xx answers, a reset after reading a POST, a byte
// every 100 ms) and records what the client sent. Each case pins one promise of
// <geventpp/http/client.hpp> and <geventpp/ws/client.hpp>; each is bounded by a 10 s Timeout.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/ws/client.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "hostile_server.hpp"

using namespace std::chrono_literals;
using namespace hostile;

namespace {

// Sends 16 MiB of `filler` (or until the client goes), then closes: an "endless" stream that
// still ends if the client buffers it all.
void endless(Conn& c, std::string_view start, char filler) {
    c.send(start);
    const std::string block(65536, filler);
    for (int i = 0; i < 256; ++i) c.send(block);
    c.sock.close();
}

double since(gev::TimePoint t0) {
    return std::chrono::duration<double>(gev::Clock::now() - t0).count();
}

}  // namespace

// --- 7. CRLF injection -------------------------------------------------------------------------

TEST_CASE("a_url_with_a_space_or_control_byte_is_refused_before_anything_is_sent") {
    with_hostile(answer_ok_and_close, [](Hostile& h) {
        for (const std::string& suffix :
             {std::string("/a HTTP/1.1\r\nHost: x\r\n\r\nGET /smuggled"), std::string("/a\rb"), std::string("/a\nb"),
              std::string("/a b"), std::string("/a\tb"), std::string("/\x7f"), std::string("/a\0b", 4)}) {
            CAPTURE(suffix);
            CHECK_THROWS_AS(gev::http::get(h.base() + suffix), std::invalid_argument);
            CHECK_THROWS_AS(gev::http::Url::parse(h.base() + suffix), std::invalid_argument);
        }
        CHECK_THROWS_WITH_AS(gev::http::get(h.base() + "/a\r\nX: y"), doctest::Contains("percent-encode"),
                             std::invalid_argument);
        CHECK(h.connections == 0);
    });
}

TEST_CASE("a_header_method_or_user_agent_that_could_end_its_line_is_refused_before_anything_is_sent") {
    with_hostile(
        [](Conn& c, int) {
            while (!c.next_request().empty()) c.send(ok("ok"));
        },
        [](Hostile& h) {
            gev::http::Session s;
            const auto url = h.base() + "/";
            CHECK_THROWS_AS(s.get(url, {{"X-A", "v\r\nX-Injected: 1"}}), std::invalid_argument);
            CHECK_THROWS_AS(s.get(url, {{"X-A", std::string("v\0w", 3)}}), std::invalid_argument);
            CHECK_THROWS_AS(s.get(url, {{"X A", "v"}}), std::invalid_argument);
            CHECK_THROWS_AS(s.get(url, {{"X-A\r\nX-Injected", "1"}}), std::invalid_argument);
            CHECK_THROWS_AS(s.get(url, {{"", "v"}}), std::invalid_argument);
            CHECK_THROWS_AS(s.request("GET / HTTP/1.1\r\nX: y\r\n\r\nGET", url), std::invalid_argument);
            CHECK_THROWS_AS(s.request("GE T", url), std::invalid_argument);
            CHECK_THROWS_AS(s.request("", url), std::invalid_argument);
            CHECK_THROWS_AS(s.post(url, "x", "text/plain\r\nX-Injected: 1"), std::invalid_argument);
            CHECK_THROWS_AS(s.open("GET", url, {}, {{"X-A", "v\nX-Injected: 1"}}), std::invalid_argument);
            gev::http::SessionOptions o;
            o.user_agent = "agent\r\nX-Injected: 1";
            gev::http::Session bad(o);
            CHECK_THROWS_AS(bad.get(url), std::invalid_argument);
            // Framing is the client's: a caller's length or coding beside its own would frame the
            // body two ways (Transfer-Encoding: gzip with Content-Length: 1).
            CHECK_THROWS_AS(s.request("POST", url, "x", {{"Transfer-Encoding", "gzip"}}), std::invalid_argument);
            CHECK_THROWS_AS(s.request("POST", url, "x", {{"content-length", "100"}}), std::invalid_argument);
            CHECK(h.connections == 0);
            // What is allowed still goes: a tab and obs-text in a value, a token method.
            CHECK(s.request("PATCH", url, {}, {{"X-Ok", "a\tcaf\xc3\xa9"}}).body == "ok");
            REQUIRE(h.requests.size() == 1);
            CHECK(h.requests[0].rfind("PATCH / HTTP/1.1\r\n", 0) == 0);
            CHECK(header_of(h.requests[0], "X-Ok") == "a\tcaf\xc3\xa9");
        });
}

TEST_CASE("ws_connect_refuses_a_url_origin_or_subprotocol_that_would_reach_the_upgrade_raw") {
    with_hostile(answer_ok_and_close, [](Hostile& h) {
        const std::string url = "ws://" + h.authority() + "/echo";
        CHECK_THROWS_AS(gev::ws::connect(url + "\r\nX-Injected: 1"), std::invalid_argument);
        CHECK_THROWS_AS(gev::ws::connect(url + " HTTP/1.1"), std::invalid_argument);
        gev::ws::WebSocketOptions o;
        o.origin = "http://a\r\nX-Injected: 1";
        CHECK_THROWS_AS(gev::ws::connect(url, o), std::invalid_argument);
        o.origin.clear();
        for (const std::string p : {"chat, evil", "a\r\nX-Injected: 1", "two words", ""}) {
            CAPTURE(p);
            o.subprotocols = {"chat", p};
            CHECK_THROWS_AS(gev::ws::connect(url, o), std::invalid_argument);
        }
        CHECK(h.connections == 0);
    });
}

// --- 8. URLs as the standards parse them --------------------------------------------------------

TEST_CASE("the_client_connects_to_the_host_url_parse_reports_and_sends_path_and_query") {
    with_hostile(answer_ok_and_close, [](Hostile& h) {
        const std::string p = std::to_string(h.port);
        struct Case {
            std::string url, target, authorization;
        };
        const std::vector<Case> cases = {
            {h.base() + "/a?q=1#frag", "/a?q=1", ""},
            {h.base() + "?q=1", "/?q=1", ""},
            {h.base() + "#frag", "/", ""},
            {h.base(), "/", ""},
            {"HTTP://127.0.0.1:" + p + "/x", "/x", ""},
            {"http://127.0.0.1:00" + p + "/", "/", ""},
            {"http://evil.example@127.0.0.1:" + p + "/", "/", "Basic ZXZpbC5leGFtcGxl"},
            {"http://a@evil.example@127.0.0.1:" + p + "/", "/", "Basic YUBldmlsLmV4YW1wbGU="},
            {"http://user:p%40ss@127.0.0.1:" + p + "/in", "/in", "Basic dXNlcjpwQHNz"},
            {h.base() + "/caf\xc3\xa9?x=\xc3\xa9", "/caf%C3%A9?x=%C3%A9", ""},
        };
        for (const auto& c : cases) {
            CAPTURE(c.url);
            const auto u = gev::http::Url::parse(c.url);
            CHECK(u.host == "127.0.0.1");  // what an allow-list sees...
            CHECK(u.port == h.port);
            const auto before = h.requests.size();
            CHECK(gev::http::get(c.url).body == "ok");  // ...is where the request went
            REQUIRE(h.requests.size() == before + 1);
            const auto& sent = h.requests.back();
            CHECK(target_of(sent) == c.target);
            CHECK(u.target == c.target);
            CHECK(header_of(sent, "Host") == u.authority());
            CHECK(header_of(sent, "Host") == h.authority());
            CHECK(header_of(sent, "Authorization") == c.authorization);
        }
        // A caller's own Authorization wins over the URL's userinfo.
        gev::http::Session s;
        s.get("http://u:p@127.0.0.1:" + p + "/", {{"Authorization", "Bearer t"}});
        CHECK(header_of(h.requests.back(), "Authorization") == "Bearer t");
    });
}

TEST_CASE("urls_the_standards_refuse_are_refused_before_connecting") {
    with_hostile(answer_ok_and_close, [](Hostile& h) {
        const std::string p = std::to_string(h.port);
        for (const std::string& url : std::vector<std::string>{
                 "http://127.0.0.1:" + p + "x/",
                 "http://127.0.0.1:" + p + ":1/",
                 "http://127.0.0.1:0/",
                 "http://127.0.0.1:65536/",
                 "http://127.0.0.1:99999999999999999999/",
                 "http://127.0.0.1:-1/",
                 "http://127.0.0.1:+80/",
                 "http://127.0.0.1:" + p + "\\@evil.example/",
                 "http://evil.example\\@127.0.0.1:" + p + "/",
                 "http://127.0.0.1\\.evil.example:" + p + "/",
                 "http:///path",
                 "http://@:" + p + "/",
                 "http://:" + p + "/",
                 "http://127.0.0.%31:" + p + "/",
                 "http://127.0.0.1<evil:" + p + "/",
                 "http://127.0.0.1\"evil:" + p + "/",
                 "http://[::1:" + p + "/",
                 "http://[fe80::1%25eth0]:" + p + "/",
                 "http://[127.0.0.1]:" + p + "/",
                 "http://[::1]x:" + p + "/",
                 "http:127.0.0.1:" + p + "/",
                 "ftp://127.0.0.1:" + p + "/",
                 "httpss://127.0.0.1:" + p + "/",
             }) {
            CAPTURE(url);
            CHECK_THROWS_AS(gev::http::Url::parse(url), gev::http::ProtocolError);
            CHECK_THROWS_AS(gev::http::get(url), gev::http::ProtocolError);
        }
        CHECK(h.connections == 0);
        // What they accept: an empty port is the default, IPv6 in brackets, any case.
        CHECK(gev::http::Url::parse("http://h:/").port == 80);
        const auto tls = gev::http::Url::parse("HTTPS://h/p");
        CHECK(tls.scheme == "https");
        CHECK(tls.port == 443);
        CHECK(tls.authority() == "h");
        CHECK(gev::http::Url::parse("https://h:80/").authority() == "h:80");
        const auto v6 = gev::http::Url::parse("http://[::1]:8080/p");
        CHECK(v6.host == "::1");
        CHECK(v6.port == 8080);
        CHECK(v6.authority() == "[::1]:8080");
        CHECK(gev::http::Url::parse("hTTp://Example.COM/Path").host == "example.com");
        CHECK(gev::http::Url::parse("hTTp://Example.COM/Path").target == "/Path");
        CHECK(gev::http::Url::parse("http://u:p@h/").userinfo == "u:p");
    });
}

// --- 9. Bounded responses -----------------------------------------------------------------------

namespace {
void sized_bodies(Conn& c, int) {
    while (true) {
        const std::string req = c.next_request();
        if (req.empty()) return;
        const std::string target = target_of(req);
        if (target == "/length") {
            c.send(ok(std::string(5000, 'x')));
        } else if (target == "/exact") {
            c.send(ok(std::string(4096, 'x')));
        } else if (target == "/chunked") {
            c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 5; ++i) c.send("3e8\r\n" + std::string(1000, 'x') + "\r\n");
            c.send("0\r\n\r\n");
        } else if (target == "/close") {
            c.send("HTTP/1.0 200 OK\r\n\r\n" + std::string(5000, 'x'));
            c.sock.close();
            return;
        } else if (target == "/huge") {
            c.send("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\nfirst bytes");
            c.drain();
            return;
        }
    }
}
}  // namespace

TEST_CASE("a_body_larger_than_max_response_is_a_protocol_error_naming_the_limit") {
    with_hostile(sized_bodies, [](Hostile& h) {
        gev::http::SessionOptions o;
        o.max_response = 4096;
        gev::http::Session s(o);
        CHECK(s.get(h.base() + "/exact").body.size() == 4096);
        for (const char* path : {"/length", "/chunked", "/close"}) {
            CAPTURE(path);
            CHECK_THROWS_WITH_AS(s.get(h.base() + path), doctest::Contains("max_response"), gev::http::ProtocolError);
        }
        // Too large for memory: refused from its header, never std::bad_alloc.
        CHECK(gev::http::SessionOptions{}.max_response == 64u * 1024 * 1024);
        CHECK_THROWS_WITH_AS(gev::http::get(h.base() + "/huge"), doctest::Contains("max_response"),
                             gev::http::ProtocolError);
        // A stream reads it piece by piece instead, in bounded memory.
        auto stream = gev::http::Session().open("GET", h.base() + "/huge");
        CHECK(stream.status() == 200);
        CHECK(stream.read_some() == std::optional<std::string>("first bytes"));
    });
}

namespace {
void never_ending(Conn& c, int) {
    const std::string target = target_of(c.next_request());
    if (target == "/chunk-line") endless(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=", 'a');
    if (target == "/chunk-size") endless(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", '0');
    if (target == "/trailer") {
        endless(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Trailer: ", 'a');
    }
    if (target == "/header") endless(c, "HTTP/1.1 200 OK\r\nX-Long: ", 'a');
}
}  // namespace

TEST_CASE("a_line_header_or_trailer_that_never_ends_cannot_grow_the_client_s_memory") {
    with_hostile(never_ending, [](Hostile& h) {
        gev::http::Session s;
        for (const char* path : {"/chunk-line", "/chunk-size", "/trailer"}) {
            CAPTURE(path);
            CHECK_THROWS_WITH_AS(s.get(h.base() + path), doctest::Contains("longer than"), gev::http::ProtocolError);
            auto stream = s.open("GET", h.base() + path);
            CHECK(stream.status() == 200);
            auto read_all = [&] {
                while (stream.read_some()) {
                }
            };
            CHECK_THROWS_WITH_AS(read_all(), doctest::Contains("longer than"), gev::http::ProtocolError);
        }
        CHECK_THROWS_WITH_AS(s.get(h.base() + "/header"), doctest::Contains("max_header"), gev::http::ProtocolError);
        CHECK_THROWS_WITH_AS(s.open("GET", h.base() + "/header"), doctest::Contains("max_header"),
                             gev::http::ProtocolError);
        CHECK(gev::http::SessionOptions{}.max_header == 64u * 1024);
    });
}

TEST_CASE("trailer_fields_never_pass_for_header_fields") {
    with_hostile(
        [](Conn& c, int) {
            for (int i = 0; i < 2; ++i) {
                c.next_request();
                c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nSet-Cookie: a=b\r\n\r\n");
            }
            c.drain();
        },
        [](Hostile& h) {
            gev::http::Session s;
            const auto r = s.get(h.base() + "/");
            CHECK(r.body == "ok");
            CHECK(r.header("Set-Cookie").empty());
            auto stream = s.open("GET", h.base() + "/");
            while (stream.read_some()) {
            }
            CHECK(stream.headers().find("Set-Cookie") == stream.headers().end());
        });
}

TEST_CASE("a_chunked_http_1_0_response_is_never_pooled") {
    with_hostile(
        [](Conn& c, int) {
            while (!c.next_request().empty()) {
                c.send(
                    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2\r\nok\r\n0\r\n\r\n");
            }
        },
        [](Hostile& h) {
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; close after it.
            gev::http::Session s;
            CHECK(s.get(h.base() + "/1").body == "ok");
            CHECK(s.get(h.base() + "/2").body == "ok");
            CHECK(h.connections == 2);
        });
}

// --- 10. Interim 1xx responses ------------------------------------------------------------------

TEST_CASE("interim_1xx_responses_are_skipped_and_the_next_request_gets_its_own_answer") {
    with_hostile(
        [](Conn& c, int) {
            c.next_request();
            c.send("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            c.next_request();
            c.send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
            c.next_request();
            c.send(ok("third"));
            c.drain();
        },
        [](Hostile& h) {
            gev::http::Session s;
            const auto first = s.get(h.base() + "/1");
            CHECK(first.status == 200);
            CHECK(first.body == "ok");
            CHECK(first.header("Link").empty());  // the 103's fields are not the answer's
            CHECK(s.get(h.base() + "/2").body == "second");
            auto stream = s.open("GET", h.base() + "/3");  // a new connection: the pool is for request()
            (void)stream;
            CHECK(s.get(h.base() + "/4").body == "third");
            CHECK(h.count("GET /4 ") == 1);
            CHECK(h.connections == 2);
        });
}

TEST_CASE("endless_interim_responses_are_a_protocol_error") {
    with_hostile(
        [](Conn& c, int) {
            c.next_request();
            for (int i = 0; i < 1000; ++i) c.send("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
            c.send(ok("late"));
            c.drain();
        },
        [](Hostile& h) {
            CHECK_THROWS_WITH_AS(gev::http::get(h.base() + "/"), doctest::Contains("interim"),
                                 gev::http::ProtocolError);
        });
}

// --- 11. Retries only when harmless -------------------------------------------------------------

namespace {
// The first connection answers one request, then reads the next and closes without an answer;
// the others answer everything.
void answer_once_then_drop(Conn& c, int index) {
    if (index == 0) {
        c.next_request();
        c.send(ok("warm"));
        c.next_request();
        c.sock.close();  // unanswered
        return;
    }
    while (!c.next_request().empty()) c.send(ok("fresh"));
}
}  // namespace

TEST_CASE("a_post_is_never_sent_twice_after_its_pooled_connection_failed") {
    with_hostile(answer_once_then_drop, [](Hostile& h) {
        gev::http::Session s;
        CHECK(s.get(h.base() + "/warm").body == "warm");
        CHECK(s.idle_connections() == 1);
        CHECK_THROWS_AS(s.post(h.base() + "/charge", "charge=100"), gev::net::ConnectionReset);
        CHECK(h.count("POST /charge ") == 1);
        CHECK(h.connections == 1);
    });
}

TEST_CASE("an_idempotent_request_is_sent_again_once_when_its_pooled_connection_failed_before_answering") {
    with_hostile(answer_once_then_drop, [](Hostile& h) {
        gev::http::Session s;
        CHECK(s.get(h.base() + "/warm").body == "warm");
        CHECK(s.request("PUT", h.base() + "/again", "v").body == "fresh");
        CHECK(h.count("PUT /again ") == 2);
        CHECK(h.connections == 2);
    });
}

TEST_CASE("a_request_that_timed_out_is_never_sent_again") {
    with_hostile(
        [](Conn& c, int index) {
            c.next_request();
            c.send(ok("warm"));
            if (index == 0) c.next_request();  // and never answer
            c.drain();
        },
        [](Hostile& h) {
            gev::http::SessionOptions o;
            o.timeout = 0.3;
            gev::http::Session s(o);
            CHECK(s.get(h.base() + "/warm").body == "warm");
            CHECK_THROWS_AS(s.get(h.base() + "/slow"), gev::net::SocketTimeout);
            CHECK(h.count("GET /slow ") == 1);
            CHECK(h.connections == 1);
        });
}

// --- 12. One deadline over the whole exchange ---------------------------------------------------

namespace {
// Answers with a header that never ends, one byte every 100 ms (or, for /body, a body that never
// ends, one chunk every 100 ms).
void drip(Conn& c, int) {
    const std::string req = c.next_request();
    if (target_of(req) == "/body") {
        c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (;;) {
            c.send("1\r\nx\r\n");
            gev::sleep(100ms);
        }
    }
    c.send("HTTP/1.1 200 OK\r\nX-Drip: ");
    for (;;) {
        c.send("x");
        gev::sleep(100ms);
    }
}
}  // namespace

TEST_CASE("a_server_dripping_an_endless_header_cannot_hold_a_call_past_its_timeout") {
    with_hostile(drip, [](Hostile& h) {
        auto t0 = gev::Clock::now();
        CHECK_THROWS_WITH_AS(gev::http::get(h.base() + "/", 0.5), doctest::Contains(h.authority().c_str()),
                             gev::net::SocketTimeout);
        CHECK(since(t0) >= 0.4);
        CHECK(since(t0) < 2.0);

        gev::http::SessionOptions o;
        o.timeout = 0.5;
        gev::http::Session s(o);
        t0 = gev::Clock::now();
        auto stream = s.open("GET", h.base() + "/body");  // its deadline runs from here
        auto read_all = [&] {
            while (stream.read_some()) {
            }
        };
        CHECK_THROWS_WITH_AS(read_all(), doctest::Contains(h.authority().c_str()), gev::net::SocketTimeout);
        CHECK(since(t0) < 2.0);

        t0 = gev::Clock::now();
        CHECK_THROWS_WITH_AS(gev::ws::connect("ws://" + h.authority() + "/", {}, 0.5),
                             doctest::Contains(("WebSocket handshake with " + h.authority()).c_str()),
                             gev::net::SocketTimeout);
        CHECK(since(t0) < 2.0);
    });
}

TEST_CASE("a_caller_s_own_timeout_fires_as_itself_through_the_client") {
    with_hostile(
        [](Conn& c, int) {
            c.next_request();
            c.drain();
        },
        [](Hostile& h) {
            for (int which = 0; which < 2; ++which) {
                gev::Timeout mine(0.2);
                try {
                    if (which == 0) {
                        gev::http::get(h.base() + "/", 30.0);
                    } else {
                        gev::ws::connect("ws://" + h.authority() + "/", {}, 30.0);
                    }
                    FAIL("the server never answers");
                } catch (const gev::Timeout::Expired& e) {
                    CHECK(e.is(mine));
                }
            }
        });
}
