#include "detail/request_reader.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/timeout.hpp>

#include "detail/field_syntax.hpp"
#include "detail/trailer.hpp"

namespace gev::http::detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {
// What the read buffer may hold beyond a header block of max_header_bytes: so that the header
// limit (431), not the buffer's, is what a long header block meets.
constexpr std::size_t header_read_slack = 1024;
// The most a first read of a request takes.
constexpr std::size_t first_read = 16 * 1024;
}  // namespace

void RequestReader::start() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(c_.options.max_header_bytes));
    parser_->body_limit(boost::none);
    parser_->on_chunk_header(chunk_header_);
    buffer_.max_size(c_.options.max_header_bytes + header_read_slack);
    expects_continue_ = false;
    continue_sent_ = false;
}

std::optional<std::size_t> RequestReader::read_ready() {
    auto space = buffer_.prepare(std::min(first_read, buffer_.max_size()));
    const auto n = c_.stream.try_recv_into(space.data(), space.size());
    if (n) buffer_.commit(*n);
    return n;
}

bool RequestReader::read_first() {
    auto space = buffer_.prepare(std::min(first_read, buffer_.max_size()));
    boost::system::error_code ec;
    buffer_.commit(c_.stream.read_some(boost::asio::buffer(space), ec));
    return !ec;
}

int RequestReader::read_head() {
    boost::system::error_code ec;
    if (!Timeout::within(c_.options.header_timeout, [&] { ec = read_header_block(); })) return 408;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        // Beast parses nothing before the whole header block is in: the request line is too
        // long only if no line end comes within max_request_line.
        const auto data = buffer_.data();
        const std::string_view read(static_cast<const char*>(data.data()),
                                    std::min(data.size(), c_.options.max_request_line + 2));
        const bool request_line_done =
            !parser_->get().method_string().empty() || read.find("\r\n") != std::string_view::npos;
        return request_line_done ? 431 : 414;
    }
    if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset) {
        return -1;
    }
    if (ec) return 400;
    if (const int status = check_head()) {
        c_.version = parser_->get().version();
        return status;
    }
    return 0;
}

std::optional<std::uint64_t> RequestReader::declared_body_length() const {
    const auto length = parser_->content_length();
    return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
}

std::string RequestReader::take_unread() {
    const auto data = buffer_.data();
    std::string unread(static_cast<const char*>(data.data()), data.size());
    buffer_ = beast::flat_buffer();
    return unread;
}

boost::system::error_code RequestReader::read_header_block() {
    std::size_t taken = 0;
    for (;;) {
        boost::system::error_code ec;
        const auto used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        taken += used;
        if (!ec && parser_->is_header_done()) return {};
        if (ec && ec != bhttp::error::need_more) return ec;
        if (taken + buffer_.size() >= c_.options.max_header_bytes) return bhttp::error::header_limit;
        const auto space = buffer_.prepare(std::min<std::size_t>(buffer_.max_size() - buffer_.size(), 16 * 1024));
        const auto n = c_.stream.read_some(boost::asio::buffer(space), ec);
        if (ec == boost::asio::error::eof) {
            return taken + buffer_.size() > 0 ? bhttp::error::partial_message : bhttp::error::end_of_stream;
        }
        if (ec) return ec;
        buffer_.commit(n);
    }
}

int RequestReader::take_absolute_form() {
    auto& head = parser_->get();
    const std::string_view target = head.target();
    if (!target.empty() && (target.front() == '/' || target == "*")) return 0;  // origin-form, asterisk-form
    // RFC 9112 §3.2.2: what a client sends a proxy; its authority replaces Host, and the handler
    // sees the path. Anything else (authority-form, a relative path) is not a request-target here.
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return 400;
    const auto scheme = target.substr(0, scheme_end);
    if (!beast::iequals(scheme, "http") && !beast::iequals(scheme, "https")) return 400;
    const auto rest = target.substr(scheme_end + 3);
    const auto path_at = rest.find_first_of("/?");
    const auto authority = rest.substr(0, path_at);
    if (authority.empty() || !is_host_field(authority)) return 400;  // no userinfo either
    const std::string host(authority);
    std::string path = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
    if (path.front() == '?') path.insert(0, "/");
    head.target(path);
    head.set(bhttp::field::host, host);
    return 0;
}

int RequestReader::check_head() {
    const auto& head = parser_->get();
    if (head.target().size() + head.method_string().size() + 10 > c_.options.max_request_line) return 414;
    // One walk over the fields (their names were looked up as they were parsed): no lookups
    // for the common request without a body.
    std::size_t fields = 0, hosts = 0;
    bool transfer_encoding = false;
    std::string_view host;
    for (const auto& f : head) {
        ++fields;
        if (f.name_string().size() + f.value().size() + 4 > c_.options.max_field_bytes) return 431;
        if (f.name() == bhttp::field::host) {
            ++hosts;
            host = f.value();
        } else if (f.name() == bhttp::field::transfer_encoding) {
            transfer_encoding = true;
        } else if (f.name() == bhttp::field::expect && head.version() >= 11) {
            // RFC 9110 §10.1.1: case-insensitive, in any Expect line.
            for_each_list_element(
                f.value(), [&](std::string_view e) { expects_continue_ |= beast::iequals(e, "100-continue"); });
        }
    }
    head_fields_ = fields;
    if (fields > c_.options.max_headers) return 431;
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never two, and a valid one.
    if (hosts > 1 || (hosts == 0 && head.version() >= 11)) return 400;
    // The Host of a keep-alive client's requests is most often the last one's, checked then.
    if (host != valid_host_) {
        if (!is_host_field(host)) return 400;
        valid_host_.assign(host.data(), host.size());
    }
    if (transfer_encoding) {
        // RFC 9112 §6.1 and §6.3: the body's length is reliable only when chunked is the last
        // coding, applied once, in HTTP/1.1, without Content-Length; a coding before it that we
        // do not decode is 501.
        if (head.version() < 11 || parser_->content_length()) return 400;
        std::size_t codings = 0, chunked = 0;
        bool last_chunked = false;
        // "chunked" exactly: it takes no parameters, so "chunked;q=1" is some other coding.
        for (const auto& f : head) {
            if (f.name() != bhttp::field::transfer_encoding) continue;
            for_each_list_element(f.value(), [&](std::string_view coding) {
                ++codings;
                last_chunked = beast::iequals(coding, "chunked");
                chunked += last_chunked;
            });
        }
        if (!last_chunked || chunked != 1) return 400;
        if (codings > 1) return 501;
    }
    if (const int status = take_absolute_form()) return status;
    // A NUL in the decoded path would cut it short wherever it meets the C library (a file
    // name checked as "x.txt\0.png" opens "x.txt").
    const auto target = head.target();
    const auto path = target.substr(0, target.find('?'));
    if (path.find("%00") != std::string_view::npos) return 400;
    return 0;
}

std::size_t RequestReader::read_body_some(char* out, std::size_t n) {
    if (parser_->is_done()) return 0;
    auto& head = parser_->get();
    // The client holds the body back until told to go on; never once a final response has started.
    if (expects_continue_ && !continue_sent_ && !writer_.started()) {
        continue_sent_ = true;
        writer_.send_continue();
    }
    parser_->eager(true);
    c_.stream.settimeout(c_.options.body_timeout);
    for (;;) {
        head.body().data = out;
        head.body().size = n;
        boost::system::error_code ec;
        if (buffer_.size() > 0) {
            buffer_.consume(parser_->put(buffer_.data(), ec));
        } else {
            ec = bhttp::error::need_more;
        }
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec && ec != bhttp::error::need_more) body_failed(ec);
        if (parser_->is_done() && parser_->chunked() &&
            drop_trailer(head, head_fields_) > c_.options.max_chunk_line) {
            body_failed(bhttp::error::buffer_overflow);  // the trailer has the chunk line's bound
        }
        const std::size_t got = n - head.body().size;
        if (got || parser_->is_done()) return got;
        // What is left in the buffer is the start of an element the parser cannot finish yet:
        // a chunk-size line, its extensions, the trailer section.
        if (buffer_.size() >= c_.options.max_chunk_line) body_failed(bhttp::error::buffer_overflow);
        buffer_.max_size(buffer_.size() + 64 * 1024);
        const auto space = buffer_.prepare(64 * 1024);
        const auto read = c_.stream.read_some(boost::asio::buffer(space), ec);
        if (ec == boost::asio::error::eof) {
            parser_->put_eof(ec);
            body_failed(ec ? ec : bhttp::error::partial_message);
        }
        if (ec) body_failed(ec);
        buffer_.commit(read);
    }
}

void RequestReader::body_failed(boost::system::error_code ec) {
    c_.keep_alive = false;
    if (ec.category() == boost::system::system_category()) c_.io_failed(ec, "recv from ");
    const std::string from = c_.peer.to_string();
    if (ec == bhttp::error::partial_message) {
        // RFC 9112 §8: an incomplete message. A client that only shut down its sending side
        // still reads the 400.
        c_.fault = ConnectionState::Fault::bad_body;
        throw net::ConnectionReset(ECONNRESET, "recv from " + from +
                                                   ": the client closed the connection in the middle "
                                                   "of the request body");
    }
    c_.fault = ConnectionState::Fault::bad_body;
    if (ec == bhttp::error::buffer_overflow) {
        throw net::SocketError(EPROTO, "request body from " + from +
                                           ": a chunk-size line, its extensions or the trailer section is longer than "
                                           "max_chunk_line (" +
                                           std::to_string(c_.options.max_chunk_line) + " bytes)");
    }
    throw net::SocketError(EPROTO, "request body from " + from + ": " + ec.message());
}

bool RequestReader::drain_body() {
    if (const auto left = parser_->content_length_remaining(); left && *left > c_.options.max_drain) return false;
    char sink[8192];
    try {
        for (std::size_t drained = 0; drained <= c_.options.max_drain;) {
            const auto n = read_body_some(sink, sizeof sink);
            if (n == 0) return true;
            drained += n;
        }
    } catch (const net::SocketError&) {
    }
    return false;
}

}  // namespace gev::http::detail
