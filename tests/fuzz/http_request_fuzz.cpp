// libFuzzer target for the HTTP request path: each input is what one client sends on one
// connection, read by the server's connection core from a scripted stream (fuzz_app.hpp).
// Whatever the bytes, the server answers with HTTP responses (a route's answer, or a 4xx for
// what it cannot parse) and closes — it never crashes, leaks, or hangs. Seed corpus:
// tests/fuzz/http_corpus. Run: make fuzz.
#include <cstdint>
#include <string_view>

#include "fuzz_app.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Every answer is an HTTP response; nothing (a request cut off, or none at all) is allowed.
    fuzz::expect_http_answer(fuzz::exchange({reinterpret_cast<const char*>(data), size}));
    return 0;
}
