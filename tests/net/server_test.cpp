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
