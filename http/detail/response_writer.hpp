// The one writer of an HTTP server's responses: a handler's whole response, a streamed one
// (head, then framed pieces), a 100 Continue and the server's own refusals all go out through
// put_head, the one place that owns the headers the server sets (Server, Date, Content-Length,
// Transfer-Encoding, Connection) and drops a handler's copies of them. Writes wait at most
// ServerOptions::send_timeout each; a failed write throws net::SocketError (ConnectionState::io_failed).
#pragma once

#include <boost/beast/http/fields.hpp>
#include <cstddef>
#include <cstdint>
#include <geventpp/http/response.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "connection_state.hpp"

namespace gev::http::detail {

// Replaces what `r` holds with a plain-text answer: the server's for a handler that failed or
// aborted.
void set_plain_answer(Response& r, int status, std::string body);

class ResponseWriter {
public:
    explicit ResponseWriter(ConnectionState& c) noexcept : c_(c) {}

    // For the next request's answer.
    void reset() noexcept;
    // The head of a streamed response is out.
    bool started() const noexcept { return started_; }
    // Body bytes sent of the streamed response.
    std::size_t body_bytes() const noexcept { return body_bytes_; }

    // "HTTP/1.1 100 Continue", which precedes the final response.
    void send_continue();
    // A streamed response: its head (framed by the handler's Content-Length, chunked in
    // HTTP/1.1, else by closing), its pieces, its end. UsageError for what the framing forbids.
    void start_stream(Response& r);
    void write_piece(std::string_view piece);
    void finish_stream();
    // A whole response; a 1xx status (a handler's mistake) is sent as 500 and logged. Returns
    // the status and body bytes sent, for the access log.
    std::pair<int, std::size_t> respond_whole(Response& r, std::string_view target);
    // The server's own answer to a request it refuses, which closes the connection: the body
    // (the status's reason phrase unless given) bytes sent, nothing when the client was gone.
    std::optional<std::size_t> refuse(int status, std::string_view body = {});

private:
    // How a response's body is delimited on the wire.
    enum class Framing { none, length, chunked, until_close };

    // Writes the status line and headers into head_buf_ (the handler's `fields` but those the
    // server owns, then Server, Date, a default Content-Type, the framing and Connection).
    std::string_view put_head(int status, const boost::beast::http::fields& fields, Framing framing,
                              std::uint64_t length, std::string_view default_type);
    template <class Buffers>
    void send(const Buffers& buffers);

    ConnectionState& c_;
    std::string head_buf_;
    bool started_ = false;
    Framing framing_ = Framing::none;  // of the streamed response
    std::uint64_t length_left_ = 0;    // of a streamed response with a declared Content-Length
    std::size_t body_bytes_ = 0;
};

}  // namespace gev::http::detail
