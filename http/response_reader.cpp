#include "detail/response_reader.hpp"

#include <boost/beast/http/read.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/net/error.hpp>
#include <iterator>

#include "detail/trailer.hpp"

namespace gev::http::detail {

namespace bhttp = boost::beast::http;

namespace {
// Room beyond the header limit, so that a header just over it reports header_limit rather than
// a full buffer; it also bounds what a chunk-size line or a trailer may take.
constexpr std::size_t buffer_slack = 4096;
}  // namespace

ResponseReader::ResponseReader(net::Stream& stream, std::string peer, ResponseLimits limits, bool head)
    : stream_(stream), peer_(std::move(peer)), limits_(limits), head_(head), buffer_(limits.max_header + buffer_slack) {
    start();
}

void ResponseReader::start() {
    parser_.emplace();
    parser_->header_limit(limits_.max_header);
    if (limits_.max_body) {
        parser_->body_limit(*limits_.max_body);
    } else {
        parser_->body_limit(boost::none);
    }
    if (head_) parser_->skip(true);
}

bool ResponseReader::got_some() const noexcept {
    return informational_ > 0 || parser_->got_some() || buffer_.size() > 0;
}

bool ResponseReader::reusable() const noexcept {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing: close after it. A body
    // that ended with the connection (§6.3 rule 4 and 8) leaves nothing to reuse.
    const bool framing_ok = (parser_->get().version() >= 11 || !parser_->chunked()) && !parser_->need_eof();
    return parser_->is_done() && parser_->get().keep_alive() && framing_ok && buffer_.size() == 0 && status() != 101;
}

void ResponseReader::fail(boost::system::error_code ec, const char* reading) const {
    const std::string from = std::string(reading) + " from " + peer_;
    if (ec == bhttp::error::end_of_stream) {
        throw net::ConnectionReset(ECONNRESET, "the server " + peer_ + " closed the connection before answering");
    }
    if (ec.category() == boost::system::system_category()) net::detail::throw_socket_error(ec.value(), from.c_str());
    if (ec == bhttp::error::header_limit) {
        throw ProtocolError(from + ": the header is larger than " + std::to_string(limits_.max_header) +
                            " bytes (SessionOptions::max_header)");
    }
    if (ec == bhttp::error::body_limit) {
        throw ProtocolError(from + ": the body is larger than " + std::to_string(limits_.max_body.value_or(0)) +
                            " bytes (SessionOptions::max_response; read a bigger one with Session::open)");
    }
    if (ec == bhttp::error::buffer_overflow) {
        throw ProtocolError(from + ": a line (chunk size, trailer) longer than " +
                            std::to_string(limits_.max_header + buffer_slack) + " bytes");
    }
    throw ProtocolError("malformed response from " + peer_ + " (" + reading + "): " + ec.message());
}

void ResponseReader::read_header() {
    for (;;) {
        boost::system::error_code ec;
        bhttp::read_header(stream_, buffer_, *parser_, ec);
        if (ec) fail(ec, "reading the response header");
        const int s = status();
        if (s < 100 || s > 199 || s == 101) {
            header_fields_ = static_cast<std::size_t>(std::distance(header().begin(), header().end()));
            return;
        }
        // An interim response (103 Early Hints, a 100 Continue we did not ask for): the final
        // one follows on the same connection.
        if (++informational_ > limits_.max_informational) {
            throw ProtocolError("more than " + std::to_string(limits_.max_informational) +
                                " interim (1xx) responses from " + peer_);
        }
        start();
    }
}

std::size_t ResponseReader::read_some(char* data, std::size_t size) {
    auto& p = *parser_;
    while (!p.is_done()) {
        p.get().body().data = data;
        p.get().body().size = size;
        boost::system::error_code ec;
        bhttp::read_some(stream_, buffer_, p, ec);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) fail(ec, "reading the response body");
        const std::size_t got = size - p.get().body().size;
        if (got) return got;
    }
    if (p.chunked()) drop_trailer(p.get(), header_fields_);
    return 0;
}

std::string ResponseReader::read_body() {
    std::string body;
    char chunk[16384];
    while (const std::size_t n = read_some(chunk, sizeof chunk)) body.append(chunk, n);
    return body;
}

}  // namespace gev::http::detail
