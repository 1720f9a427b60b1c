// Reading one HTTP response from a stream, within the client's limits: the part of the client
// that parses what a server sends, apart from Session so that the fuzzer
// (tests/fuzz/http_response_fuzz.cpp) drives it over a scripted stream.
//
// Memory is bounded whatever the server sends: the read buffer holds at most max_header + 4 KiB
// (so a header, a chunk-size line or a trailer that never ends is an error, not a growing
// buffer), and read_body() stops at max_body. Interim 1xx responses other than 101 are read and
// dropped, at most max_informational of them. Errors: ProtocolError for a malformed or
// over-limit response, net::SocketError (ConnectionReset when the server closed before a byte of
// the response) for the connection. No deadline of its own: the caller's gev::Timeout bounds it.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <geventpp/net/stream.hpp>
#include <optional>
#include <string>

namespace gev::http::detail {

struct ResponseLimits {
    std::uint32_t max_header = 64 * 1024;   // status line and fields, each response
    std::optional<std::uint64_t> max_body;  // nothing: no limit (a stream read piece by piece)
    int max_informational = 10;             // 1xx responses skipped before the final one
};

class ResponseReader {
public:
    // `peer` names the server in error messages; `head` for the answer to a HEAD (no body).
    ResponseReader(net::Stream& stream, std::string peer, ResponseLimits limits, bool head);
    ResponseReader(const ResponseReader&) = delete;
    ResponseReader& operator=(const ResponseReader&) = delete;

    // Reads up to the end of the final response's header.
    void read_header();
    // Up to `size` bytes of the body into `data`; 0 at its end, when a chunked body's trailer
    // fields have been dropped.
    std::size_t read_some(char* data, std::size_t size);
    // The rest of the body.
    std::string read_body();

    // Whether any byte of a response came (a request that failed before may be sent again).
    bool got_some() const noexcept;
    const boost::beast::http::response_header<>& header() const noexcept { return parser_->get().base(); }
    int status() const noexcept { return static_cast<int>(parser_->get().result_int()); }
    // The response is complete, nothing extra came after it, and the server keeps the
    // connection open: it can carry the next request.
    bool reusable() const noexcept;

private:
    void start();
    [[noreturn]] void fail(boost::system::error_code ec, const char* reading) const;

    net::Stream& stream_;
    std::string peer_;
    ResponseLimits limits_;
    bool head_;
    int informational_ = 0;
    std::size_t header_fields_ = 0;  // of the final response (its trailer's come after them)
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
};

}  // namespace gev::http::detail
