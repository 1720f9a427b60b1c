// Raw-bytes HTTP exchanges for the black-box server tests.
#pragma once

#include <geventpp/net/error.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <string>

// The responses in `r` with each Date's value, which changes with the second, as "-".
inline std::string without_date(std::string r) {
    for (auto at = r.find("\r\nDate: "); at != std::string::npos; at = r.find("\r\nDate: ", at + 1)) {
        r.replace(at + 8, r.find("\r\n", at + 2) - at - 8, "-");
    }
    return r;
}

// Sends `request` and returns everything the server sends until it closes the connection.
inline std::string roundtrip(std::uint16_t port, const std::string& request, gev::Seconds timeout = 5.0) {
    auto s = gev::net::create_connection("127.0.0.1", port, timeout);
    s.sendall(request);
    std::string out;
    for (std::string piece; !(piece = s.recv(65536)).empty();) out += piece;
    return out;
}

inline bool starts_with(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
}
inline bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}
// How many times `part` occurs in `s` (overlaps counted): the status lines in a reply.
inline std::size_t count(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

// Sends `head`, then `filler` over and over (up to `limit` bytes) from another greenlet, and
// returns what the server answered until it closed; `sent` says how much went out.
inline std::string send_endless(std::uint16_t port, const std::string& head, const std::string& filler,
                                std::size_t limit, std::size_t& sent) {
    auto s = gev::net::create_connection("127.0.0.1", port, 10.0);
    s.sendall(head);
    sent = 0;
    auto sender = gev::spawn([&] {
        try {
            while (sent < limit) {
                s.sendall(filler);
                sent += filler.size();
            }
        } catch (const gev::net::SocketError&) {
        }
    });
    std::string out;
    try {
        for (std::string piece; !(piece = s.recv(65536)).empty();) out += piece;
    } catch (const gev::net::SocketError&) {
    }
    sender.kill();
    return out;
}
