// Raw WebSocket frames for the black-box tests: a client that speaks the protocol by hand, so a
// test can send exactly the bytes a broken or hostile peer would.
#pragma once

#include <cstdint>
#include <geventpp/net/socket.hpp>
#include <string>
#include <utility>

namespace wstest {

// Opens `path` with a handshake written by hand; returns the socket and the response head.
inline std::pair<gev::net::Socket, std::string> open(std::uint16_t port, const std::string& path,
                                                     const std::string& extra_headers = {}) {
    auto s = gev::net::create_connection("127.0.0.1", port, 5.0);
    s.sendall("GET " + path +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
              extra_headers + "\r\n");
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
        char c;
        if (s.recv_into(&c, 1) == 0) break;
        head += c;
    }
    return {std::move(s), head};
}

// One frame as a client sends it: FIN and opcode in `first`, payload masked with `key` unless
// `masked` is false; `length` overrides the length field (to lie about it).
inline std::string frame(std::uint8_t first, const std::string& payload, bool masked = true,
                         std::uint64_t length = UINT64_MAX) {
    const std::uint64_t len = length == UINT64_MAX ? payload.size() : length;
    std::string out(1, char(first));
    const char mask_bit = masked ? char(0x80) : 0;
    if (len < 126) {
        out += char(mask_bit | char(len));
    } else if (len <= 0xffff) {
        out += char(mask_bit | 126);
        out += char(len >> 8);
        out += char(len & 0xff);
    } else {
        out += char(mask_bit | 127);
        for (int i = 7; i >= 0; --i) out += char((len >> (8 * i)) & 0xff);
    }
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) out.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) out += masked ? char(payload[i] ^ key[i % 4]) : payload[i];
    return out;
}

struct Frame {
    int opcode = -1;  // -1: the connection ended
    bool fin = false;
    std::string payload;
    // A close frame's status code (0 if none).
    int close_code() const {
        return payload.size() >= 2 ? (std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]) : 0;
    }
};

inline bool read_exact(gev::net::Socket& s, char* p, std::size_t n) {
    while (n) {
        const auto got = s.recv_into(p, n);
        if (got == 0) return false;
        p += got;
        n -= got;
    }
    return true;
}

// The next frame from the server (unmasked), or opcode -1 at end of stream or reset.
inline Frame read_frame(gev::net::Socket& s) {
    Frame f;
    try {
        unsigned char h[2];
        if (!read_exact(s, reinterpret_cast<char*>(h), 2)) return f;
        std::uint64_t len = h[1] & 0x7f;
        if (len >= 126) {
            unsigned char ext[8];
            const int n = len == 126 ? 2 : 8;
            if (!read_exact(s, reinterpret_cast<char*>(ext), n)) return f;
            len = 0;
            for (int i = 0; i < n; ++i) len = (len << 8) | ext[i];
        }
        f.payload.resize(len);
        if (!read_exact(s, f.payload.data(), len)) return f;
        f.fin = h[0] & 0x80;
        f.opcode = h[0] & 0x0f;
    } catch (const gev::net::SocketError&) {
        f.opcode = -1;
    }
    return f;
}

}  // namespace wstest
