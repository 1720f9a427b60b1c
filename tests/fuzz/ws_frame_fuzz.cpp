// libFuzzer target for the WebSocket frame path: after a valid upgrade (to /echo, or to
// /echo-deflate with permessage-deflate negotiated when the input's first byte is odd), the rest
// of the input is what the client sends as frames, read from a scripted stream (fuzz_app.hpp).
// Whatever they are, the server echoes whole messages, fails the connection with a close code,
// or sees the client go — it never crashes, leaks or hangs. Seed corpus: tests/fuzz/ws_corpus.
// Run: make fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_app.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return -1;
    const bool deflate = data[0] & 1;
    std::string input = std::string("GET ") + (deflate ? "/echo-deflate" : "/echo") +
                        " HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                        (deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "") + "\r\n";
    input.append(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string out = fuzz::exchange(input);
    if (out.rfind("HTTP/1.1 101 ", 0) != 0) {
        std::fprintf(stderr, "the upgrade was not answered with 101: %.80s\n", out.c_str());
        std::abort();
    }
    return 0;
}
