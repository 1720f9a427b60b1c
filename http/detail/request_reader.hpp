// The HTTP server's request reader: a request's head within the server's bounds (request line,
// each field, the whole block, the field count, header_timeout) and its checks (framing, Host,
// target form), then its body as the handler reads it (Content-Length or chunked, each wait at
// most body_timeout, a chunk line or trailer at most max_chunk_line, a 100 Continue first when
// the client asked for one), and what the handler left of it drained before the next request.
// Beast's parser parses; this is the policy around it. A body that cannot be read throws
// net::SocketError (ConnectionState::fault says why).
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "connection_state.hpp"
#include "response_writer.hpp"

namespace gev::http::detail {

class RequestReader {
public:
    using Head = boost::beast::http::request_header<>;

    // `writer` sends the 100 Continue a body read owes the client.
    RequestReader(ConnectionState& c, ResponseWriter& writer) noexcept : c_(c), writer_(writer) {}

    // A new parser for the next request (its bytes may be buffered already).
    void start();
    // Bytes of the next request already read.
    bool buffered() const noexcept { return buffer_.size() > 0; }
    // Reads what the client has sent by now, without waiting: how many bytes (0: the client
    // closed), nothing when none is there.
    std::optional<std::size_t> read_ready();
    // Waits for the first bytes of the next request; false when the client closed or failed.
    bool read_first();
    // Reads the rest of the head (within header_timeout) and checks it: 0 when the request can
    // be served, -1 when the client just went, else the status to refuse it with.
    int read_head();
    // The head parsed (only after a read_head() that did not return -1).
    const Head& head() const noexcept { return parser_->get(); }
    bool head_done() const noexcept { return parser_ && parser_->is_header_done(); }
    // Whether the parser's flags say the client keeps the connection open.
    bool keep_alive() const noexcept { return parser_->keep_alive(); }

    std::optional<std::uint64_t> declared_body_length() const;
    // Up to n bytes of the request body into `out`; 0 at its end. Throws net::SocketError.
    std::size_t read_body_some(char* out, std::size_t n);
    bool body_done() const noexcept { return parser_->is_done(); }
    // The client waits for a 100 Continue that was not sent: no body will come.
    bool body_withheld() const noexcept { return expects_continue_ && !continue_sent_; }
    // Reads and drops what the handler left of the body, up to max_drain: false if more is left
    // or it could not be read.
    bool drain_body();
    // The bytes read past the head, which leave the reader (its buffer's memory too): a
    // connection taken over may stay open for hours.
    std::string take_unread();

private:
    // Reads until the parser has the whole header block, which may take max_header_bytes in
    // all. (Beast's header_limit bounds one put() only: the fields it has parsed are consumed,
    // so a block arriving in pieces could grow past it a field at a time, without end.)
    boost::system::error_code read_header_block();
    // The status to refuse a parsed head with (framing, Host, path), or 0.
    int check_head();
    // An absolute-form target made origin-form (its authority the Host), or the status to refuse it.
    int take_absolute_form();
    [[noreturn]] void body_failed(boost::system::error_code ec);

    ConnectionState& c_;
    ResponseWriter& writer_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::buffer_body>> parser_;
    // Refuses chunk extensions longer than max_chunk_line (Beast's parser callback).
    std::function<void(std::uint64_t, std::string_view, boost::system::error_code&)> chunk_header_ =
        [this](std::uint64_t, std::string_view extensions, boost::system::error_code& ec) {
            if (extensions.size() > c_.options.max_chunk_line) ec = boost::beast::http::error::buffer_overflow;
        };
    bool expects_continue_ = false;  // an HTTP/1.1 request with Expect: 100-continue
    bool continue_sent_ = false;
    std::size_t head_fields_ = 0;  // the request's header fields (trailers come after them)
    std::string valid_host_;       // the last Host field that passed is_host_field
};

}  // namespace gev::http::detail
