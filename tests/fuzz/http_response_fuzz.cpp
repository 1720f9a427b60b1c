// libFuzzer target for the client's response parser: each input is what a server sends on one
// connection, answering one request. The bytes come from a scripted stream (whole, a byte at a
// time or in 7-byte pieces, by the input's length) into the reader Session uses
// (http/detail/response_reader.hpp), with small limits so that the fuzzer reaches them:
// whatever they are, the reader returns a response within its limits or throws ProtocolError or
// a net::SocketError — it never crashes, hangs, or allocates past its limits (libFuzzer's
// -rss_limit_mb). Seed corpus: tests/fuzz/response_corpus. Run: make fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <string>
#include <string_view>

#include "../../http/detail/response_reader.hpp"
#include "../scripted_stream.hpp"

namespace {
constexpr std::uint64_t max_body = 1 << 20;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    static const std::size_t pieces[] = {std::string::npos, 1, 7};
    gev::run([&] {
        test::ScriptedStream stream(std::string(input), pieces[size % 3]);
        try {
            gev::http::detail::ResponseReader reader(stream, "fuzz", {4096, max_body, 10}, false);
            reader.read_header();
            // A few bytes through the streaming path, then the rest as request() reads it.
            char piece[97];
            std::size_t total = reader.read_some(piece, sizeof piece);
            total += reader.read_body().size();
            if (total > max_body) {
                std::fprintf(stderr, "the reader returned a body of %zu bytes, past its limit\n", total);
                std::abort();
            }
            (void)reader.reusable();
        } catch (const gev::http::ProtocolError&) {
        } catch (const gev::net::SocketError&) {
        }
    });
    return 0;
}
