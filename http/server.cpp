#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/net/serve.hpp>
#include <geventpp/net/socket_stream.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <optional>
#include <stdexcept>

#include "detail/access.hpp"
#include "detail/field_syntax.hpp"
#include "detail/http_date.hpp"
#include "detail/trailer.hpp"

namespace gev::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace std::string_view_literals;

namespace {

// Takes over an idle connection (its stream is then closed here) and returns true, or returns false.
using Parker = std::function<bool(std::size_t served)>;

// What the read buffer may hold beyond a header block of max_header_bytes: so that the header
// limit (431), not the buffer's, is what a long header block meets.
constexpr std::size_t header_read_slack = 1024;
// How long a connection closing with request bytes unread keeps reading (and dropping) them,
// so that its last answer is not destroyed by a reset (nginx's lingering close).
constexpr double linger_seconds = 1.0;

class Connection final : public detail::RequestSource, public detail::BodySink {
public:
    Connection(net::Stream& stream, const net::Address& peer, const Handler& handler, const Options& options,
               std::size_t served, Parker park, boost::intrusive::list<Upgrade>& upgraded)
        : stream_(stream),
          peer_(peer),
          handler_(handler),
          options_(options),
          served_(served),
          park_(std::move(park)),
          upgraded_(upgraded) {}
    ~Connection() {
        if (upgrade_) upgraded_.erase(upgraded_.iterator_to(*upgrade_));
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Serves requests until the connection closes or fails.
    void run();

    void read_body(const std::function<void(std::string_view)>& sink) override;
    std::optional<std::uint64_t> declared_body_length() const override {
        const auto length = parser_->content_length();
        return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
    }
    std::unique_ptr<net::Stream> take_over(std::string& unread, std::shared_ptr<Upgrade> upgrade) override;
    const std::string& server_name() const noexcept override { return options_.server_name; }
    void start_stream(Response& r) override;
    void write_piece(std::string_view piece) override;

private:
    // How the client's side of the exchange failed, if it did: not the handler's failure.
    enum class Fault { none, gone, timed_out, bad_body };
    // How a response's body is delimited on the wire.
    enum class Framing { none, length, chunked, until_close };

    // Reads the next request's header; false when the connection should just close.
    [[gnu::noinline]] bool read_header();
    // Reads until the parser has the whole header block, which may take max_header_bytes in
    // all. (Beast's header_limit bounds one put() only: the fields it has parsed are consumed,
    // so a block arriving in pieces could grow past it a field at a time, without end.)
    boost::system::error_code read_header_block();
    // The status to refuse a parsed head with (framing, Host, path), or 0.
    int check_head();
    // An absolute-form target made origin-form (its authority the Host), or the status to refuse it.
    int take_absolute_form();
    // Runs the handler on the request read and sends its answer; false when the connection
    // should close. The frame a handler runs in: a WebSocket handler parks in it for hours, so
    // what only comes before or after the handler stays out of it (see docs/stacks.md).
    bool serve_one();
    // The handler failed with the exception being handled. True when `res` now holds the 500
    // to send; false when the connection must close (the response had started, or the failure
    // was the client's: then it is answered 408 or 400 if it can still be).
    [[gnu::noinline]] bool handler_failed(Response& res, std::string_view target);
    [[gnu::noinline]] void respond_whole(Response& r);
    [[gnu::noinline]] void finish_stream();
    void refuse(int status, std::string_view body);
    // Writes the status line and headers into head_buf_ (the handler's `fields` but those the
    // server owns, then Server, Date, a default Content-Type, the framing and Connection).
    std::string_view put_head(int status, const bhttp::fields& fields, Framing framing, std::uint64_t length,
                              std::string_view default_type);
    // Up to n bytes of the request body into `out`; 0 at its end. Throws net::SocketError.
    std::size_t read_body_some(char* out, std::size_t n);
    [[noreturn]] void body_failed(boost::system::error_code ec);
    // Reads and drops what the handler left of the body, up to max_drain: false if more is left.
    bool drain_body();
    // Stops sending and drops what the client still sends for a while (bounded), so that a
    // close with unread bytes does not reset the connection under the last answer.
    void linger();
    template <class Buffers>
    void send(const Buffers& buffers);
    [[noreturn]] void io_failed(boost::system::error_code ec, const char* call);
    // The handler of `target` failed with the exception being handled: says so on stderr.
    [[gnu::noinline]] void report_failure(std::string_view target);
    [[gnu::noinline]] void log(int status, std::size_t bytes);

    net::Stream& stream_;
    const net::Address& peer_;  // lives as long as the connection's greenlet
    const Handler& handler_;
    const Options& options_;
    beast::flat_buffer buffer_;
    std::string head_buf_;
    std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
    // Refuses chunk extensions longer than max_chunk_line (Beast's parser callback).
    std::function<void(std::uint64_t, std::string_view, boost::system::error_code&)> chunk_header_ =
        [this](std::uint64_t, std::string_view extensions, boost::system::error_code& ec) {
            if (extensions.size() > options_.max_chunk_line) ec = bhttp::error::buffer_overflow;
        };
    unsigned version_ = 11;
    bool head_ = false;
    bool keep_alive_ = true;
    bool expects_continue_ = false;  // an HTTP/1.1 request with Expect: 100-continue
    bool continue_sent_ = false;
    bool started_ = false;  // the head of a streamed response is out
    Fault fault_ = Fault::none;
    Framing framing_ = Framing::none;  // of the streamed response
    std::uint64_t length_left_ = 0;    // of a streamed response with a declared Content-Length
    std::size_t head_fields_ = 0;      // the request's header fields (trailers come after them)
    std::string valid_host_;           // the last Host field that passed is_host_field
    std::size_t sent_body_ = 0;
    Clock::time_point started_at_;
    std::size_t served_;
    std::size_t resumed_at_ = served_;
    Parker park_;
    std::shared_ptr<Upgrade> upgrade_;           // set once the connection was taken over
    boost::intrusive::list<Upgrade>& upgraded_;  // the server's
};

void Connection::run() {
    try {
        while (read_header() && serve_one()) {
        }
    } catch (const net::SocketError&) {  // the client is gone or failed: the connection just ends
    }
}

bool Connection::serve_one() {
    const auto& head = parser_->get();
    version_ = head.version();
    head_ = head.method() == bhttp::verb::head;
    // From the flags the parser set as it read the Connection header: the message's own
    // keep_alive() looks the header up and walks its tokens again (~500 instructions).
    keep_alive_ = parser_->keep_alive();
    continue_sent_ = false;
    started_ = false;
    fault_ = Fault::none;
    framing_ = Framing::none;
    sent_body_ = 0;
    ++served_;
    if (options_.max_requests_per_connection && served_ >= options_.max_requests_per_connection) {
        keep_alive_ = false;
    }
    Request req =
        detail::Access::request(head.method_string(), head.target(), version_, head, peer_, *this, options_.max_body);
    Response res = detail::Access::response(*this);
    try {
        handler_(req, res);
    } catch (const HTTPError& e) {
        if (upgrade_) {
            upgrade_->handler_returned(true);
            return false;
        }
        if (res.started()) {
            report_failure(head.target());
            return false;
        }
        res.reset();
        res.set_status(e.status());
        for (const auto& [name, value] : e.headers()) res.set_header(name, value);
        res.set_header("Content-Type", "text/plain; charset=utf-8");
        res.body = e.body();
        if (e.status() == 413) keep_alive_ = false;  // nothing more of that body is read
    } catch (const GreenletExit&) {
        throw;
    } catch (const Timeout::Expired&) {
        throw;
    } catch (const net::SocketError&) {
        if (upgrade_) {  // the WebSocket's client went away
            upgrade_->handler_returned(true);
            return false;
        }
        if (!handler_failed(res, head.target())) return false;
    } catch (...) {
        if (upgrade_) {
            report_failure(head.target());
            upgrade_->handler_returned(true);
            return false;
        }
        if (!handler_failed(res, head.target())) return false;
    }
    if (upgrade_) {
        log(101, 0);
        upgrade_->handler_returned(false);
        return false;
    }
    if (const auto& queue = detail::Access::queue(res)) {
        for (auto& piece : *queue) res.write(piece);
        if (!res.started()) res.write({});  // an empty queue: still a (streamed) response
    }
    if (res.started()) {
        finish_stream();
        log(res.status(), sent_body_);
    } else {
        respond_whole(res);
    }
    if (parser_->is_done()) return keep_alive_;
    // Whatever the handler left of the body must go before the next request.
    if (keep_alive_ && !(expects_continue_ && !continue_sent_) && drain_body()) {
        return true;
    }
    linger();
    return false;
}

bool Connection::handler_failed(Response& res, std::string_view target) {
    if (fault_ != Fault::none) {
        if (res.started()) return false;
        if (fault_ == Fault::timed_out) refuse(408, "Request Timeout");
        if (fault_ == Fault::bad_body) refuse(400, "Bad Request");
        return false;
    }
    report_failure(target);
    if (res.started()) return false;  // half a response is out: only closing tells the client
    res.reset();
    res.set_status(500);
    res.set_header("Content-Type", "text/plain; charset=utf-8");
    res.body = "Internal Server Error";
    return true;
}

bool Connection::read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(boost::none);
    parser_->on_chunk_header(chunk_header_);
    buffer_.max_size(options_.max_header_bytes + header_read_slack);
    stream_.settimeout({});  // the waits below are bounded by their own Timeouts
    const std::size_t first_read = std::min<std::size_t>(16 * 1024, buffer_.max_size());
    boost::system::error_code ec;
    // Idle: park the connection without a greenlet, or wait for the first byte of the next
    // request for up to keepalive_timeout.
    if (buffer_.size() == 0) {
        // A connection resumed from parking was resumed because its next request is there.
        if (park_ && served_ > resumed_at_) {
            // Let the hub run the others and look at epoll first: a client in a request loop
            // has often sent its next request by then, which this greenlet then reads, instead
            // of parking and a new greenlet being spawned for it at once (ab -k: every request).
            gev::sleep(0);
            auto space = buffer_.prepare(first_read);
            if (auto n = stream_.try_recv_into(space.data(), space.size())) {
                if (*n == 0) return false;  // the client closed
                buffer_.commit(*n);
            } else if (park_(served_)) {
                return false;
            }
        }
    }
    if (buffer_.size() == 0) {
        const bool in_time = Timeout::within(options_.keepalive_timeout, [&] {
            auto space = buffer_.prepare(first_read);
            buffer_.commit(stream_.read_some(boost::asio::buffer(space), ec));
        });
        if (!in_time || ec) return false;  // idle too long, closed, reset
    }
    started_at_ = Clock::now();
    if (!Timeout::within(options_.header_timeout, [&] { ec = read_header_block(); })) {
        refuse(408, "Request Timeout");
        return false;
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        // Beast parses nothing before the whole header block is in: the request line is too
        // long only if no line end comes within max_request_line.
        const auto data = buffer_.data();
        const std::string_view read(static_cast<const char*>(data.data()),
                                    std::min(data.size(), options_.max_request_line + 2));
        const bool request_line_done =
            !parser_->get().method_string().empty() || read.find("\r\n") != std::string_view::npos;
        if (request_line_done) {
            refuse(431, "Request Header Fields Too Large");
        } else {
            refuse(414, "URI Too Long");
        }
        return false;
    }
    if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset) {
        return false;
    }
    if (ec) {
        refuse(400, "Bad Request");
        return false;
    }
    if (const int status = check_head()) {
        version_ = parser_->get().version();
        const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
        refuse(status, {reason.data(), reason.size()});
        return false;
    }
    return true;
}

boost::system::error_code Connection::read_header_block() {
    std::size_t taken = 0;
    for (;;) {
        boost::system::error_code ec;
        const auto used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        taken += used;
        if (!ec && parser_->is_header_done()) return {};
        if (ec && ec != bhttp::error::need_more) return ec;
        if (taken + buffer_.size() >= options_.max_header_bytes) return bhttp::error::header_limit;
        const auto space = buffer_.prepare(std::min<std::size_t>(buffer_.max_size() - buffer_.size(), 16 * 1024));
        const auto n = stream_.read_some(boost::asio::buffer(space), ec);
        if (ec == boost::asio::error::eof) {
            return taken + buffer_.size() > 0 ? bhttp::error::partial_message : bhttp::error::end_of_stream;
        }
        if (ec) return ec;
        buffer_.commit(n);
    }
}

int Connection::take_absolute_form() {
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
    if (authority.empty() || !detail::is_host_field(authority)) return 400;  // no userinfo either
    const std::string host(authority);
    std::string path = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
    if (path.front() == '?') path.insert(0, "/");
    head.target(path);
    head.set(bhttp::field::host, host);
    return 0;
}

int Connection::check_head() {
    const auto& head = parser_->get();
    if (head.target().size() + head.method_string().size() + 10 > options_.max_request_line) return 414;
    // One walk over the fields (their names were looked up as they were parsed): no lookups
    // for the common request without a body.
    std::size_t fields = 0, hosts = 0;
    bool transfer_encoding = false;
    std::string_view host;
    expects_continue_ = false;
    for (const auto& f : head) {
        ++fields;
        if (f.name_string().size() + f.value().size() + 4 > options_.max_field_bytes) return 431;
        if (f.name() == bhttp::field::host) {
            ++hosts;
            host = f.value();
        } else if (f.name() == bhttp::field::transfer_encoding) {
            transfer_encoding = true;
        } else if (f.name() == bhttp::field::expect && head.version() >= 11) {
            // RFC 9110 §10.1.1: case-insensitive, in any Expect line.
            detail::for_each_list_element(
                f.value(), [&](std::string_view e) { expects_continue_ |= beast::iequals(e, "100-continue"); });
        }
    }
    head_fields_ = fields;
    if (fields > options_.max_headers) return 431;
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never two, and a valid one.
    if (hosts > 1 || (hosts == 0 && head.version() >= 11)) return 400;
    // The Host of a keep-alive client's requests is most often the last one's, checked then.
    if (host != valid_host_) {
        if (!detail::is_host_field(host)) return 400;
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
            detail::for_each_list_element(f.value(), [&](std::string_view coding) {
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

void Connection::read_body(const std::function<void(std::string_view)>& sink) {
    char chunk[8192];
    while (const auto n = read_body_some(chunk, sizeof chunk)) sink(std::string_view(chunk, n));
}

std::size_t Connection::read_body_some(char* out, std::size_t n) {
    if (parser_->is_done()) return 0;
    auto& head = parser_->get();
    // The client holds the body back until told to go on; never once a final response has started.
    if (expects_continue_ && !continue_sent_ && !started_) {
        continue_sent_ = true;
        send(boost::asio::buffer("HTTP/1.1 100 Continue\r\n\r\n"sv));
    }
    parser_->eager(true);
    stream_.settimeout(options_.body_timeout);
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
            detail::drop_trailer(head, head_fields_) > options_.max_chunk_line) {
            body_failed(bhttp::error::buffer_overflow);  // the trailer has the chunk line's bound
        }
        const std::size_t got = n - head.body().size;
        if (got || parser_->is_done()) return got;
        // What is left in the buffer is the start of an element the parser cannot finish yet:
        // a chunk-size line, its extensions, the trailer section.
        if (buffer_.size() >= options_.max_chunk_line) body_failed(bhttp::error::buffer_overflow);
        buffer_.max_size(buffer_.size() + 64 * 1024);
        const auto space = buffer_.prepare(64 * 1024);
        const auto read = stream_.read_some(boost::asio::buffer(space), ec);
        if (ec == boost::asio::error::eof) {
            parser_->put_eof(ec);
            body_failed(ec ? ec : bhttp::error::partial_message);
        }
        if (ec) body_failed(ec);
        buffer_.commit(read);
    }
}

void Connection::body_failed(boost::system::error_code ec) {
    keep_alive_ = false;
    if (ec.category() == boost::system::system_category()) io_failed(ec, "recv from ");
    const std::string from = peer_.to_string();
    if (ec == bhttp::error::partial_message) {
        // RFC 9112 §8: an incomplete message. A client that only shut down its sending side
        // still reads the 400.
        fault_ = Fault::bad_body;
        throw net::ConnectionReset(ECONNRESET, "recv from " + from +
                                                   ": the client closed the connection in the middle "
                                                   "of the request body");
    }
    fault_ = Fault::bad_body;
    if (ec == bhttp::error::buffer_overflow) {
        throw net::SocketError(EPROTO, "request body from " + from +
                                           ": a chunk-size line, its extensions or the trailer section is longer than "
                                           "max_chunk_line (" +
                                           std::to_string(options_.max_chunk_line) + " bytes)");
    }
    throw net::SocketError(EPROTO, "request body from " + from + ": " + ec.message());
}

bool Connection::drain_body() {
    if (const auto left = parser_->content_length_remaining(); left && *left > options_.max_drain) return false;
    char sink[8192];
    try {
        for (std::size_t drained = 0; drained <= options_.max_drain;) {
            const auto n = read_body_some(sink, sizeof sink);
            if (n == 0) return true;
            drained += n;
        }
    } catch (const net::SocketError&) {
    }
    return false;
}

void Connection::linger() {
    if (!stream_.is_open()) return;
    try {
        stream_.shutdown_write();
        Timeout::within(linger_seconds, [&] {
            char sink[16384];
            for (std::size_t total = 0; total < options_.max_drain;) {
                const auto n = stream_.recv_into(sink, sizeof sink);
                if (n == 0) break;
                total += n;
            }
        });
    } catch (const net::SocketError&) {
    }
}

template <class Buffers>
void Connection::send(const Buffers& buffers) {
    stream_.settimeout(options_.send_timeout);
    try {
        stream_.send_buffers(buffers);
    } catch (const net::SocketError& e) {
        io_failed(boost::system::error_code(e.code().value(), boost::system::system_category()), "send to ");
    }
}

void Connection::io_failed(boost::system::error_code ec, const char* call) {
    fault_ = ec.value() == ETIMEDOUT ? Fault::timed_out : Fault::gone;
    keep_alive_ = false;
    net::detail::throw_socket_error(ec.value(), (call + peer_.to_string()).c_str());
}

std::unique_ptr<net::Stream> Connection::take_over(std::string& unread, std::shared_ptr<Upgrade> upgrade) {
    upgraded_.push_back(*upgrade);
    upgrade_ = std::move(upgrade);
    const auto data = buffer_.data();
    unread.assign(static_cast<const char*>(data.data()), data.size());
    buffer_ = beast::flat_buffer();  // its memory too: the connection may now stay open for hours
    keep_alive_ = false;
    stream_.settimeout({});
    return stream_.release();
}

std::string_view Connection::put_head(int status, const bhttp::fields& fields, Framing framing, std::uint64_t length,
                                      std::string_view default_type) {
    // The status line and fields written straight into one buffer: no Beast message and
    // serializer (their field allocations, keep-alive token parsing and buffer-sequence walks
    // were a third of the server's instructions a request; bench/README.md). The handler's
    // fields go out as set (Response checked them), except those the server owns.
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    const std::string& date = detail::http_date();
    std::size_t need = 200 + reason.size() + options_.server_name.size() + date.size() + default_type.size();
    for (const auto& f : fields) need += f.name_string().size() + f.value().size() + 4;
    if (head_buf_.size() < need) head_buf_.resize(need);  // only grows: nothing to clear each time
    char* p = head_buf_.data();
    const auto put = [&p](std::string_view piece) {
        std::memcpy(p, piece.data(), piece.size());
        p += piece.size();
    };
    const auto put_number = [&p](std::uint64_t n) { p = std::to_chars(p, p + 20, n).ptr; };
    put(version_ == 10 ? "HTTP/1.0 "sv : "HTTP/1.1 "sv);
    put_number(static_cast<std::uint64_t>(status));
    put(" "sv);
    put(reason);
    put("\r\n"sv);
    bool typed = false;
    for (const auto& f : fields) {
        switch (f.name()) {
            case bhttp::field::connection:
                if (bhttp::token_list(f.value()).exists("close")) keep_alive_ = false;
                continue;
            case bhttp::field::content_length:
            case bhttp::field::transfer_encoding:
            case bhttp::field::server:
            case bhttp::field::date:
                continue;
            case bhttp::field::content_type:
                typed = true;
                break;
            default:
                break;
        }
        put(f.name_string());
        put(": "sv);
        put(f.value());
        put("\r\n"sv);
    }
    put("Server: "sv);
    put(options_.server_name);
    put("\r\nDate: "sv);
    put(date);
    put("\r\n"sv);
    if (!typed && framing != Framing::none) {
        put("Content-Type: "sv);
        put(default_type);
        put("\r\n"sv);
    }
    if (framing == Framing::length) {
        put("Content-Length: "sv);
        put_number(length);
        put("\r\n"sv);
    } else if (framing == Framing::chunked) {
        put("Transfer-Encoding: chunked\r\n"sv);
    }
    if (version_ == 10 && keep_alive_) put("Connection: keep-alive\r\n"sv);
    if (version_ != 10 && !keep_alive_) put("Connection: close\r\n"sv);
    put("\r\n"sv);
    return {head_buf_.data(), static_cast<std::size_t>(p - head_buf_.data())};
}

void Connection::start_stream(Response& r) {
    const int status = r.status();
    if (status < 200) {
        throw UsageError("Response::write with status " + std::to_string(status) +
                         ": a final response cannot be 1xx (101 comes from gev::ws::upgrade(request))");
    }
    std::uint64_t declared = 0;
    const auto length = r.headers().find(bhttp::field::content_length);
    if (length != r.headers().end()) {
        const auto v = length->value();
        if (v.empty() || std::from_chars(v.data(), v.data() + v.size(), declared).ptr != v.data() + v.size()) {
            throw std::invalid_argument("Response::write: Content-Length '" + std::string(v) +
                                        "' is not a decimal number of bytes");
        }
    }
    if (status == 204 || status == 304) {
        framing_ = Framing::none;
    } else if (length != r.headers().end()) {
        framing_ = Framing::length;
    } else if (version_ == 11) {
        framing_ = Framing::chunked;
    } else {
        framing_ = Framing::until_close;
        if (!head_) keep_alive_ = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
    length_left_ = declared;
    started_ = true;
    send(boost::asio::buffer(put_head(status, r.headers(), framing_, declared, "text/html; charset=utf-8")));
    detail::Access::mark_started(r);
}

void Connection::write_piece(std::string_view piece) {
    if (piece.empty() || head_) return;
    switch (framing_) {
        case Framing::none:
            throw UsageError("Response::write: a 204 or 304 response has no body");
        case Framing::length:
            if (piece.size() > length_left_) {
                throw UsageError("Response::write: " + std::to_string(piece.size()) +
                                 " bytes more, where the declared "
                                 "Content-Length leaves " +
                                 std::to_string(length_left_));
            }
            length_left_ -= piece.size();
            send(boost::asio::buffer(piece.data(), piece.size()));
            break;
        case Framing::chunked:
            send(bhttp::make_chunk(boost::asio::buffer(piece.data(), piece.size())));
            break;
        case Framing::until_close:
            send(boost::asio::buffer(piece.data(), piece.size()));
            break;
    }
    sent_body_ += piece.size();
}

void Connection::finish_stream() {
    if (framing_ == Framing::chunked && !head_) send(bhttp::make_chunk_last());
    // Shorter than declared: only closing tells the client it was cut.
    if (framing_ == Framing::length && length_left_ > 0 && !head_) keep_alive_ = false;
}

void Connection::respond_whole(Response& r) {
    int status = r.status();
    if (status < 200) {
        std::fprintf(stderr,
                     "geventpp: %s %.*s answered %d: a final response cannot be 1xx (101 comes from "
                     "gev::ws::upgrade(request)); sent 500 instead\n",
                     peer_.to_string().c_str(), int(parser_->get().target().size()), parser_->get().target().data(),
                     status);
        r.reset();
        r.set_status(status = 500);
        r.set_header("Content-Type", "text/plain; charset=utf-8");
        r.body = "Internal Server Error";
    }
    const bool bodiless = status == 204 || status == 304;
    const std::string& body = r.body;
    const auto head = put_head(status, r.headers(), bodiless ? Framing::none : Framing::length, body.size(),
                               "text/html; charset=utf-8");
    const bool send_body = !head_ && !bodiless;
    const std::array<boost::asio::const_buffer, 2> out{boost::asio::buffer(head.data(), head.size()),
                                                       boost::asio::buffer(body.data(), send_body ? body.size() : 0)};
    send(out);
    log(status, send_body ? body.size() : 0);
}

void Connection::refuse(int status, std::string_view body) {
    keep_alive_ = false;
    static const bhttp::fields none;
    const auto head = put_head(status, none, Framing::length, body.size(), "text/plain; charset=utf-8");
    const std::array<boost::asio::const_buffer, 2> out{boost::asio::buffer(head.data(), head.size()),
                                                       boost::asio::buffer(body.data(), body.size())};
    try {
        send(out);
    } catch (const net::SocketError&) {
        return;
    }
    log(status, body.size());
    linger();
}

void Connection::report_failure(std::string_view target) {
    std::fprintf(stderr, "geventpp: %s %.*s failed with %s\n", peer_.to_string().c_str(), int(target.size()),
                 target.data(), gev::detail::describe(std::current_exception()).c_str());
}

void Connection::log(int status, std::size_t bytes) {
    if (!options_.access_log) return;
    std::string line = "-";
    if (parser_ && parser_->is_header_done()) {
        const auto& h = parser_->get();
        line = std::string(h.method_string()) + " " + std::string(h.target()) + " HTTP/" +
               std::to_string(h.version() / 10) + "." + std::to_string(h.version() % 10);
    }
    const double took = std::chrono::duration<double>(Clock::now() - started_at_).count();
    std::fprintf(stderr, "%s - - [%s] \"%s\" %d %zu %.6f\n", peer_.host().c_str(), detail::log_date().c_str(),
                 line.c_str(), status, bytes, took);
}

}  // namespace

Server::Server(net::Address address, http::Handler handler, Options options)
    : net::StreamServer(
          address, [this](net::Socket& sock, const net::Address& peer) { serve(sock, peer, 0); }, options.net),
      handler_(std::move(handler)),
      options_(std::move(options)) {
    detail::check_field("http::Server", "Server", options_.server_name);
    if (options_.net.spawn > 0) options_.park_idle = false;  // a resumed connection must not wait for a slot
}

Server::~Server() {
    stop(0.0);
}

void Server::serve(net::Socket& sock, const net::Address& peer, std::size_t served) {
    net::SocketStream stream(std::move(sock));
    Parker parker;
    if (options_.park_idle) {
        parker = [this, &stream, &peer](std::size_t n) { return park(stream.socket(), peer, n); };
    }
    Connection(stream, peer, handler_, options_, served, std::move(parker), upgraded_).run();
}

bool Server::park(net::Socket& sock, const net::Address& peer, std::size_t served) {
    if (stopping()) return false;
    auto it = parked_.insert(parked_.end(), Parked{std::move(sock), peer, served, Clock::now()});
    if (it->sock.notify_readable([this, it] { resume(it); })) return true;
    sock = std::move(it->sock);  // data is there already: go on reading on this greenlet
    parked_.erase(it);
    return false;
}

void Server::resume(std::list<Parked>::iterator it) {
    Parked p = std::move(*it);
    parked_.erase(it);
    spawn_handler(
        [this](net::Socket& sock, const net::Address& peer, std::size_t served) {
            struct Closer {
                net::Socket& s;
                ~Closer() { s.close(); }
            } closer{sock};
            serve(sock, peer, served);
        },
        std::move(p.sock), p.peer, p.served);
}

void Server::open() {
    StreamServer::open();
    if (!options_.park_idle) return;
    // Closes parked connections idle for longer than keepalive_timeout, oldest first.
    sweeper_ = spawn(SpawnOptions{"keep-alive sweeper " + address().to_string(), 0}, [this] {
        const auto timeout = options_.keepalive_timeout.span();
        const auto period =
            std::clamp<Clock::duration>(timeout / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
        for (;;) {
            gev::sleep(period);
            const auto now = Clock::now();
            while (!parked_.empty() && now - parked_.front().since >= timeout) {
                parked_.front().sock.close();
                parked_.pop_front();
            }
        }
    });
}

void Server::stop_accepting() noexcept {
    StreamServer::stop_accepting();
    if (sweeper_) sweeper_.kill(GreenletExit{}, false);
    parked_.clear();  // closes the idle connections
    for (auto& upgrade : upgraded_) upgrade.server_stopping();
}

void serve_connection(net::Stream& stream, const net::Address& peer, const Handler& handler, const Options& options) {
    detail::check_field("http::serve_connection", "Server", options.server_name);
    boost::intrusive::list<Upgrade> upgraded;
    Connection(stream, peer, handler, options, 0, {}, upgraded).run();
}

void serve(const net::Address& address, const http::Handler& handler, Options options, std::size_t threads,
           std::function<void(std::uint16_t)> on_listening) {
    net::serve(address,
               [&](const net::Address& a, const net::ServerOptions& o) {
                   Options per_hub = options;
                   per_hub.net = o;
                   return std::make_unique<Server>(a, handler, per_hub);
               },
               {.threads = threads, .server = options.net, .on_listening = std::move(on_listening)});
}

}  // namespace gev::http
