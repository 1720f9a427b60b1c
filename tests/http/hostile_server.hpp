// A raw socket server on 127.0.0.1 for tests of the HTTP and WebSocket clients: each accepted
// connection runs the test's script, which reads the client's requests (recorded in order) and
// sends exact bytes back. with_hostile() bounds the client's side by a 10 s Timeout.
#pragma once

#include <cctype>
#include <geventpp/geventpp.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hostile {

struct Hostile {
    std::uint16_t port = 0;
    int connections = 0;
    std::vector<std::string> requests;  // every request received (head and body), in order
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
    std::string authority() const { return "127.0.0.1:" + std::to_string(port); }
    int count(std::string_view request_line_start) const {
        int n = 0;
        for (const auto& r : requests) n += r.rfind(request_line_start, 0) == 0;
        return n;
    }
};

// One accepted connection, as the server's script sees it.
struct Conn {
    gev::net::Socket sock;
    Hostile& h;
    std::string pending;

    // The next request (head and Content-Length body), recorded; "" when the client closed.
    std::string next_request() {
        for (;;) {
            if (const auto end = pending.find("\r\n\r\n"); end != std::string::npos) {
                std::string head = pending.substr(0, end + 4);
                std::size_t length = 0;
                std::string lower = head;
                for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (const auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
                    length = std::stoul(head.substr(cl + 17));
                }
                while (pending.size() < end + 4 + length) {
                    if (!more()) return {};
                }
                std::string request = pending.substr(0, end + 4 + length);
                pending.erase(0, request.size());
                h.requests.push_back(request);
                return request;
            }
            if (!more()) return {};
        }
    }
    bool more() {
        const std::string got = sock.recv(65536);
        pending += got;
        return !got.empty();
    }
    void send(std::string_view bytes) { sock.sendall(bytes); }
    // Waits until the client closes its side.
    void drain() {
        while (more()) {
        }
    }
};

inline std::string ok(std::string_view body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// The target of a recorded request ("GET /a?q=1 HTTP/1.1" -> "/a?q=1").
inline std::string target_of(const std::string& request) {
    const auto sp = request.find(' ');
    return request.substr(sp + 1, request.find(' ', sp + 1) - sp - 1);
}

// A header of a recorded request ("" when absent).
inline std::string header_of(const std::string& request, const std::string& name) {
    const auto at = request.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 4;
    return request.substr(start, request.find("\r\n", start) - start);
}

// Runs client(h) against a raw server whose every connection runs script(conn, index).
template <class Script, class Client>
void with_hostile(Script script, Client client) {
    gev::run([&] {
        Hostile h;
        auto listener = gev::net::listen_on(gev::net::Address("127.0.0.1", 0));
        h.port = listener.getsockname().port();
        gev::Group conns;
        auto acceptor = gev::spawn([&] {
            for (;;) {
                auto accepted = listener.accept();
                auto conn = std::make_shared<Conn>(Conn{std::move(accepted.first), h, {}});
                const int index = h.connections++;
                conns.spawn([&script, conn, index] {
                    try {
                        script(*conn, index);
                    } catch (const gev::net::SocketError&) {  // the client went: fine
                    }
                });
            }
        });
        auto stop = [&] {
            acceptor.kill();
            conns.kill();
        };
        try {
            gev::Timeout bound(10.0);  // an old client that hangs fails here, not the suite
            client(h);
        } catch (...) {
            stop();
            throw;
        }
        stop();
    });
}

// A server that answers every request with 200 "ok" and closes.
inline void answer_ok_and_close(Conn& c, int) {
    if (!c.next_request().empty()) c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    c.sock.close();
}

}  // namespace hostile
