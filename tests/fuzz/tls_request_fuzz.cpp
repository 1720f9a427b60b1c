// libFuzzer target for the HTTP request path over TLS: each input is the plaintext one client
// sends on one TLS connection (fuzz_app.hpp: tls_exchange), decrypted by the server's TLS
// stream and read by its connection core. Whatever the bytes, the answer is HTTP responses and a
// close — never a crash, a leak or a hang. OpenSSL's own fuzzing covers OpenSSL; this covers
// our BIO and the stream's reads and writes around it. Seed corpus: tests/fuzz/http_corpus.
#include <cstdint>
#include <string_view>

#include "fuzz_app.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Every answer is an HTTP response; nothing (a request cut off, or none at all) is allowed.
    fuzz::expect_http_answer(fuzz::tls_exchange({reinterpret_cast<const char*>(data), size}));
    return 0;
}
