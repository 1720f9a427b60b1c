#include <doctest/doctest.h>
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/datagram_server.hpp>
#include <geventpp/net/serve.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/stream_server.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../capture_stderr.hpp"
#include "../sanitized.hpp"

using namespace std::chrono_literals;
using gev::net::Address;
using gev::net::Socket;

namespace {
void echo(Socket& s, const Address&) {
    for (std::string data; !(data = s.recv(4096)).empty();) s.sendall(data);
}
std::string ask(std::uint16_t port, const std::string& what) {
    auto c = gev::net::create_connection("127.0.0.1", port, 5s);
    c.sendall(what);
    c.shutdown(SHUT_WR);
    std::string reply;
    for (std::string piece; !(piece = c.recv(4096)).empty();) reply += piece;
    return reply;
}
}  // namespace

TEST_CASE("stream_server_handles_each_connection_in_its_own_greenlet") {
    gev::run([] {
        gev::net::StreamServer server(Address("127.0.0.1", 0), echo);
        server.start();
        CHECK(server.server_port() != 0);
        std::vector<gev::Greenlet<std::string>> clients;
        for (int i = 0; i < 50; ++i)
            clients.push_back(gev::spawn(ask, server.server_port(), "client " + std::to_string(i)));
        for (int i = 0; i < 50; ++i) CHECK(clients[i].get() == "client " + std::to_string(i));
        server.stop();
    });
}

TEST_CASE("a_handler_exception_ends_only_its_connection") {
    CaptureStderr err;
    gev::run([] {
        gev::net::StreamServer server(Address("127.0.0.1", 0), [](Socket& s, const Address&) {
            if (s.recv(10) == "boom") throw std::runtime_error("handler failed");
            s.sendall("fine");
        });
        server.start();
        CHECK(ask(server.server_port(), "boom").empty());
        CHECK(ask(server.server_port(), "ok") == "fine");
        server.stop();
    });
    CHECK(err.text().find("handler failed") != std::string::npos);
}

TEST_CASE("stop_lets_handlers_finish_then_kills_the_rest_after_the_timeout") {
    gev::run([] {
        std::atomic<int> finished{0}, killed{0};
        gev::net::StreamServer server(Address("127.0.0.1", 0), [&](Socket& s, const Address&) {
            const auto want = s.recv(10);
            try {
                gev::sleep(want == "quick" ? 20ms : 10s);
                ++finished;
            } catch (const gev::GreenletExit&) {
                ++killed;
                throw;
            }
        });
        server.start();
        auto a = gev::net::create_connection("127.0.0.1", server.server_port());
        auto b = gev::net::create_connection("127.0.0.1", server.server_port());
        a.sendall("quick");
        b.sendall("slow");
        gev::sleep(10ms);
        const auto start = gev::Clock::now();
        server.stop(200ms);
        CHECK(gev::Clock::now() - start < 2s);
        CHECK(finished == 1);
        CHECK(killed == 1);
        CHECK(server.connections() == 0);
        CHECK_THROWS_AS(gev::net::create_connection("127.0.0.1", server.server_port()), gev::net::ConnectionRefused);
    });
}

TEST_CASE("a_callers_own_timeout_during_stop_still_raises_and_the_server_ends_stopped") {
    gev::run([] {
        gev::net::StreamServer server(Address("127.0.0.1", 0), [&](Socket& s, const Address&) {
            s.recv(10);
            gev::sleep(10s);
        });
        server.start();
        auto a = gev::net::create_connection("127.0.0.1", server.server_port());
        a.sendall("slow");
        gev::sleep(10ms);
        auto waiter = gev::spawn([&] { server.serve_forever(); });
        gev::Timeout mine(0.1);
        try {
            server.stop(5.0);
            FAIL("stop waited out its own 5 s");
        } catch (const gev::Timeout::Expired& e) {
            CHECK(e.is(mine));
        }
        mine.cancel();
        CHECK(waiter.join(1.0));  // serve_forever returned: the server is stopped
        CHECK_THROWS_AS(gev::net::create_connection("127.0.0.1", server.server_port()), gev::net::ConnectionRefused);
    });
}

TEST_CASE("a_spawn_limit_caps_concurrent_handlers") {
    gev::run([] {
        int now = 0, most = 0;
        gev::net::StreamServer server(Address("127.0.0.1", 0),
                                      [&](Socket& s, const Address&) {
                                          s.recv(10);  // closing with unread data would reset the connection
                                          most = std::max(most, ++now);
                                          gev::sleep(20ms);
                                          --now;
                                          s.sendall("done");
                                      },
                                      {.spawn = 3});
        server.start();
        std::vector<gev::Greenlet<std::string>> clients;
        for (int i = 0; i < 10; ++i) clients.push_back(gev::spawn(ask, server.server_port(), "x"));
        for (auto& c : clients) CHECK(c.get() == "done");
        CHECK(most == 3);
        server.stop();
    });
}

// Not in the sanitizer build: with no descriptor left, UBSan cannot open the pipe it probes
// memory with, and its vptr check reports every exception object as having an invalid vptr.
TEST_CASE("the_accept_loop_survives_running_out_of_file_descriptors" * doctest::skip(sanitized)) {
    CaptureStderr err;
    rlimit old{};
    ::getrlimit(RLIMIT_NOFILE, &old);
    gev::run([&] {
        gev::net::StreamServer server(Address("127.0.0.1", 0), echo);
        server.start();
        // Leave room for only a few descriptors, then hold them all with clients.
        rlimit low = old;
        low.rlim_cur = 64;
        ::setrlimit(RLIMIT_NOFILE, &low);
        std::vector<Socket> hogs;
        try {
            for (;;) hogs.push_back(gev::net::create_connection("127.0.0.1", server.server_port()));
        } catch (const gev::net::SocketError&) {
        }
        gev::sleep(50ms);  // the server hits EMFILE on the pending connections
        hogs.clear();      // descriptors free up
        ::setrlimit(RLIMIT_NOFILE, &old);
        CHECK(ask(server.server_port(), "still here") == "still here");
        server.stop(0.1);
    });
    ::setrlimit(RLIMIT_NOFILE, &old);
    const auto text = err.text();
    CHECK(text.find("backing off") != std::string::npos);
}

TEST_CASE("datagram_server_answers_each_datagram") {
    gev::run([] {
        gev::net::DatagramServer* self = nullptr;
        gev::net::DatagramServer server(Address("127.0.0.1", 0), [&](std::string data, const Address& from) {
            self->sendto("Received " + std::to_string(data.size()) + " bytes", from);
        });
        self = &server;
        server.start();
        Socket c(AF_INET, SOCK_DGRAM);
        c.settimeout(5s);
        c.sendto("hello", server.address());
        CHECK(c.recvfrom(100).first == "Received 5 bytes");
        server.stop();
    });
}

TEST_CASE("serve_runs_a_listener_per_hub_and_stops_on_sigterm") {
    std::atomic<std::uint16_t> port{0};
    std::set<std::thread::id> hubs;
    std::mutex m;
    std::thread client([&] {
        while (!port) std::this_thread::sleep_for(1ms);
        gev::run([&] {
            std::vector<gev::Greenlet<std::string>> cs;
            for (int i = 0; i < 200; ++i) cs.push_back(gev::spawn(ask, port.load(), "hi"));
            for (auto& c : cs) CHECK(c.get() == "hi");
        });
        ::kill(::getpid(), SIGTERM);
    });
    gev::net::serve(Address("127.0.0.1", 0),
                    [&](Socket& s, const Address& a) {
                        {
                            std::lock_guard lk(m);
                            hubs.insert(std::this_thread::get_id());
                        }
                        echo(s, a);
                    },
                    {.threads = 2, .on_listening = [&](std::uint16_t p) { port = p; }});
    client.join();
    CHECK(hubs.size() == 2);
}

TEST_CASE("listener_strings_parse_as_gevent_parses_them") {
    gev::run([] {
        using gev::net::parse_address;
        CHECK(parse_address(":8080").to_string() == "0.0.0.0:8080");
        CHECK(parse_address("8080").to_string() == "0.0.0.0:8080");
        CHECK(parse_address("*:8080").to_string() == "0.0.0.0:8080");
        CHECK(parse_address("127.0.0.1:8080").to_string() == "127.0.0.1:8080");
        CHECK(parse_address("[::1]:8080").to_string() == "[::1]:8080");
        CHECK(parse_address("[]:8080").to_string() == "[::]:8080");
        CHECK(parse_address("localhost:0").to_string() == "127.0.0.1:0");
        for (const char* bad : {"", ":", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:-1", "::1:8080",
                                "[127.0.0.1]:80", "no-such-host.invalid:80"}) {
            CAPTURE(bad);
            CHECK_THROWS_AS(parse_address(bad), gev::net::AddressError);
        }
        CHECK_THROWS_WITH(parse_address("127.0.0.1:http"),
                          doctest::Contains("Failed to parse address '127.0.0.1:http'"));
    });
}

TEST_CASE("a_stream_server_takes_a_listener_string") {
    gev::run([] {
        gev::net::StreamServer server("127.0.0.1:0", echo);
        server.start();
        CHECK(server.address().host() == "127.0.0.1");
        CHECK(ask(server.server_port(), "by string") == "by string");
        CHECK_THROWS_AS(gev::net::StreamServer("127.0.0.1:port", echo), gev::net::AddressError);
    });
}

TEST_CASE("stop_accepting_queues_connections_in_the_backlog_until_start_accepting") {
    gev::run([] {
        gev::net::StreamServer server(Address("127.0.0.1", 0), echo);
        server.start();
        CHECK(server.accepting());
        server.stop_accepting();
        CHECK_FALSE(server.accepting());
        auto c = gev::net::create_connection("127.0.0.1", server.server_port(), 5s);  // the backlog takes it
        c.sendall("queued");
        c.settimeout(0.2);
        CHECK_THROWS_AS(c.recv(100), gev::net::SocketTimeout);  // nobody accepted it
        CHECK(server.connections() == 0);
        server.start_accepting();
        c.settimeout(5.0);
        CHECK(c.recv(100) == "queued");
        server.stop_accepting();
        server.stop_accepting();  // twice is harmless
        server.start_accepting();
        CHECK(ask(server.server_port(), "again") == "again");
        server.stop();
    });
}

TEST_CASE("close_refuses_new_connections_and_leaves_running_handlers_alone") {
    gev::run([] {
        gev::Event entered, go;
        gev::net::StreamServer server(Address("127.0.0.1", 0), [&](Socket& s, const Address&) {
            entered.set();
            go.wait();
            echo(s, {});
        });
        server.start();
        const auto port = server.server_port();
        auto c = gev::net::create_connection("127.0.0.1", port, 5s);
        REQUIRE(entered.wait(5.0));
        server.close();
        CHECK(server.closed());
        CHECK_FALSE(server.accepting());
        server.start_accepting();  // nothing after close()
        CHECK_FALSE(server.accepting());
        CHECK_THROWS_AS(gev::net::create_connection("127.0.0.1", port, 5s), gev::net::ConnectionRefused);
        go.set();
        c.sendall("still served");
        c.settimeout(5.0);
        CHECK(c.recv(100) == "still served");
        c.close();
        server.stop(5.0);
    });
}

TEST_CASE("a_pool_of_the_callers_is_the_spawn_policy_and_a_full_one_pauses_accepting") {
    gev::run([] {
        gev::Pool pool(1);
        gev::Event entered, release;
        gev::net::StreamServer server(Address("127.0.0.1", 0),
                                      [&](Socket& s, const Address&) {
                                          entered.set();
                                          release.wait();
                                          echo(s, {});
                                      },
                                      {.pool = &pool});
        server.start();
        auto first = gev::net::create_connection("127.0.0.1", server.server_port(), 5s);
        auto second = gev::net::create_connection("127.0.0.1", server.server_port(), 5s);
        REQUIRE(entered.wait(5.0));
        gev::sleep(0.05);  // time for the loop to take the second, were it not paused
        CHECK(pool.full());
        CHECK(pool.size() == 1);  // the second waits, unaccepted
        CHECK(server.connections() == 1);
        release.set();
        first.sendall("one");
        CHECK(first.recv(10) == "one");
        first.close();
        second.sendall("two");
        second.settimeout(5.0);
        CHECK(second.recv(10) == "two");
        second.close();
        server.stop(5.0);
        CHECK(pool.empty());
    });
}

TEST_CASE("a_group_as_the_pool_can_be_joined_by_the_caller") {
    gev::run([] {
        gev::Group handlers;
        gev::net::StreamServer server(Address("127.0.0.1", 0), echo, {.pool = &handlers});
        server.start();
        auto c = gev::net::create_connection("127.0.0.1", server.server_port(), 5s);
        c.sendall("x");
        CHECK(c.recv(10) == "x");
        CHECK(handlers.size() == 1);
        server.close();
        c.close();
        CHECK(handlers.join(5.0));
    });
}

TEST_CASE("max_accept_lets_spawned_handlers_run_between_batches_of_accepts") {
    for (const std::size_t max_accept : {std::size_t(2), std::size_t(100)}) {
        gev::run([max_accept] {
            std::vector<std::size_t> seen;  // connections running when each handler first ran
            gev::net::StreamServer* self = nullptr;
            gev::net::StreamServer server(Address("127.0.0.1", 0),
                                          [&](Socket& s, const Address&) {
                                              seen.push_back(self->connections());
                                              s.sendall("hi");
                                          },
                                          {.max_accept = max_accept});
            self = &server;
            server.start();
            server.stop_accepting();  // the connections wait in the backlog
            std::vector<Socket> clients;
            for (int i = 0; i < 4; ++i)
                clients.push_back(gev::net::create_connection("127.0.0.1", server.server_port(), 5s));
            server.start_accepting();
            for (auto& c : clients) {
                c.settimeout(5.0);
                CHECK(c.recv(10) == "hi");
            }
            REQUIRE(seen.size() == 4);
            CAPTURE(max_accept);
            CHECK(seen.front() == std::min<std::size_t>(max_accept, 4));
            server.stop();
        });
    }
}

TEST_CASE("serve_refuses_one_pool_for_several_hubs") {
    gev::Pool pool(4);
    CHECK_THROWS_AS(gev::net::serve(Address("127.0.0.1", 0), echo, {.threads = 2, .server = {.pool = &pool}}),
                    std::invalid_argument);
}
