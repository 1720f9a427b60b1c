// A crowd of chat clients for samples/chat: `websockets` WebSocket clients and `pollers`
// long-pollers connect, wait until the room counts them all, then one message is posted and
// every client must receive it. Prints the delivery latencies; exits 1 if anyone missed it.
// Usage: chat_crowd <port> <websockets> <pollers>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr std::string_view message = "hello, crowd";

// Reads one HTTP response with a Content-Length body from `s`; returns the body.
std::string read_response(gev::net::Socket& s) {
    std::string in;
    for (;;) {
        const auto end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
            const auto cl = in.find("Content-Length: ");
            const auto length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
            if (in.size() >= end + 4 + length) return in.substr(end + 4, length);
        }
        char piece[4096];
        const auto n = s.recv_into(piece, sizeof piece);
        if (n == 0) throw std::runtime_error("poll connection closed");
        in.append(piece, n);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <port> <websockets> <pollers>\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    const std::size_t n_ws = std::strtoul(argv[2], nullptr, 10);
    const std::size_t n_poll = std::strtoul(argv[3], nullptr, 10);
    const std::string base = "127.0.0.1:" + std::to_string(port);

    return gev::run([&] {
        std::vector<double> latencies;
        gev::TimePoint posted_at{};
        gev::Event posted, everyone_served;
        std::size_t failed = 0;
        auto arrived = [&] {
            posted.wait();
            latencies.push_back(std::chrono::duration<double, std::milli>(gev::Clock::now() - posted_at).count());
        };

        // Connect everyone, 200 at a time; each client then waits for the message.
        gev::Group clients;
        gev::Pool connecting(200);
        for (std::size_t i = 0; i < n_ws + n_poll; ++i) {
            const bool is_ws = i < 2 * std::min(n_ws, n_poll) ? i % 2 == 0 : n_ws > n_poll;
            connecting.spawn([&, is_ws] {
                try {
                    if (is_ws) {
                        auto ws = gev::ws::connect("ws://" + base + "/ws", {}, 30.0);
                        clients.spawn([&, ws] {
                            auto m = ws->receive();
                            if (m && m->data == message) {
                                arrived();
                            } else {
                                ++failed;
                            }
                            everyone_served.wait();  // closing now would slow the others down
                        });
                    } else {
                        auto s =
                            std::make_shared<gev::net::Socket>(gev::net::create_connection("127.0.0.1", port, 30.0));
                        s->sendall("GET /poll HTTP/1.1\r\nHost: " + base + "\r\n\r\n");
                        clients.spawn([&, s] {
                            const auto reply = nlohmann::json::parse(read_response(*s));
                            if (!reply["messages"].empty() && reply["messages"][0] == message) {
                                arrived();
                            } else {
                                ++failed;
                            }
                        });
                    }
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "client failed: %s\n", e.what());
                    ++failed;
                }
            });
        }
        connecting.join();

        // Wait until the room counts every client, then post.
        gev::http::Session http;
        const auto deadline = gev::Clock::now() + 60s;
        for (;;) {
            const auto stats = nlohmann::json::parse(http.get("http://" + base + "/stats").body);
            if (stats["websockets"] == n_ws - failed && stats["pollers"] == n_poll) break;
            if (gev::Clock::now() > deadline) {
                std::fprintf(stderr, "the room never counted everyone: %s\n", stats.dump().c_str());
                return 1;
            }
            gev::sleep(50ms);
        }
        posted_at = gev::Clock::now();
        posted.set();
        http.post("http://" + base + "/send", std::string(message), "text/plain");
        const auto until = gev::Clock::now() + 60s;
        while (latencies.size() + failed < n_ws + n_poll && gev::Clock::now() < until) gev::sleep(10ms);
        everyone_served.set();
        if (!clients.join(60.0)) std::fprintf(stderr, "some clients never got the message\n");

        std::sort(latencies.begin(), latencies.end());
        auto pct = [&](double p) {
            return latencies.empty() ? 0.0
                                     : latencies[std::min(latencies.size() - 1, std::size_t(p * latencies.size()))];
        };
        std::printf("delivered %zu/%zu (websockets %zu, pollers %zu): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                    latencies.size(), n_ws + n_poll, n_ws, n_poll, pct(0.5), pct(0.99), pct(1.0));
        return latencies.size() == n_ws + n_poll ? 0 : 1;
    });
}
