#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/net/serve.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <optional>

#include "detail/http_date.hpp"

namespace gev::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace std::string_view_literals;

namespace {

// Takes over an idle connection (moving its socket out) and returns true, or returns false.
using Parker = std::function<bool(net::Socket& sock, const net::Address& peer, std::size_t served)>;

class Connection final : public detail::RequestSource, public detail::BodySink {
public:
    Connection(net::Socket& sock, const net::Address& peer, const Handler& handler, const Options& options,
               std::size_t served, Parker park, boost::intrusive::list<detail::Upgrade>& upgraded)
        : sock_(sock),
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

    void run();

    void read_body(const std::function<void(std::string_view)>& sink) override;
    net::Socket take_over(std::string& unread, std::shared_ptr<detail::Upgrade> upgrade) override;
    void start_stream(Response& r) override;
    void write_piece(std::string_view piece) override;

private:
    // Reads the next request's header; false when the connection should just close.
    [[gnu::noinline]] bool read_header();
    // Runs the handler on the request read and sends its answer; false when the connection
    // should close. The frame a handler runs in: a WebSocket handler parks in it for hours, so
    // what only comes before or after the handler stays out of it (see docs/stacks.md).
    bool serve_one();
    [[gnu::noinline]] void respond_whole(Response& r);
    [[gnu::noinline]] void finish_stream();
    void refuse(int status, std::string_view body);
    // The handler of `target` failed with the exception being handled: says so on stderr.
    [[gnu::noinline]] void report_failure(std::string_view target);
    [[gnu::noinline]] void log(int status, std::size_t bytes);

    net::Socket& sock_;
    const net::Address& peer_;  // lives as long as the connection's greenlet
    const Handler& handler_;
    const Options& options_;
    beast::flat_buffer buffer_;
    std::string head_buf_;
    std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
    unsigned version_ = 11;
    bool head_ = false;
    bool keep_alive_ = true;
    bool continue_sent_ = false;
    bool chunked_ = false;
    std::size_t sent_body_ = 0;
    Clock::time_point started_at_;
    std::size_t served_;
    std::size_t resumed_at_ = served_;
    Parker park_;
    std::shared_ptr<detail::Upgrade> upgrade_;           // set once the connection was taken over
    boost::intrusive::list<detail::Upgrade>& upgraded_;  // the server's
};

void Connection::run() {
    while (read_header() && serve_one()) {
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
    chunked_ = false;
    sent_body_ = 0;
    ++served_;
    if (options_.max_requests_per_connection && served_ >= options_.max_requests_per_connection) {
        keep_alive_ = false;
    }
    Request req(head.method_string(), head.target(), version_, head, peer_, *this, options_.max_body);
    Response res(*this);
    try {
        handler_(req, res);
    } catch (const HTTPError& e) {
        if (upgrade_) {
            upgrade_->handler_returned(true);
            return false;
        }
        if (res.started()) throw;
        res.reset();
        res.set_status(e.status());
        for (const auto& [name, value] : e.headers()) res.set_header(name, value);
        res.set_header("Content-Type", "text/plain; charset=utf-8");
        res.body = e.body();
    } catch (const GreenletExit&) {
        throw;
    } catch (const Timeout::Expired&) {
        throw;
    } catch (const net::SocketError&) {
        return false;  // the client went away mid-request; nothing to answer
    } catch (...) {
        report_failure(head.target());
        if (upgrade_) {
            upgrade_->handler_returned(true);
            return false;
        }
        if (res.started()) return false;  // half a response is out: only closing tells the client
        res.reset();
        res.set_status(500);
        res.set_header("Content-Type", "text/plain; charset=utf-8");
        res.body = "Internal Server Error";
    }
    if (upgrade_) {
        log(101, 0);
        upgrade_->handler_returned(false);
        return false;
    }
    if (res.queue()) {
        for (auto& piece : *res.queue()) res.write(piece);
        if (!res.started()) res.write({});  // an empty queue: still a (streamed) response
    }
    if (res.started()) {
        finish_stream();
        log(res.status(), sent_body_);
    } else {
        respond_whole(res);
    }
    if (!keep_alive_) return false;
    // Whatever the handler left of the body must go before the next request.
    if (!parser_->is_done()) {
        if (head[bhttp::field::expect] == "100-continue" && !continue_sent_) return false;
        std::size_t drained = 0;
        read_body([&](std::string_view piece) { drained += piece.size(); });
    }
    return true;
}

bool Connection::read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(boost::none);
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
            auto space = buffer_.prepare(16 * 1024);
            if (auto n = sock_.try_recv_into(space.data(), space.size())) {
                if (*n == 0) return false;  // the client closed
                buffer_.commit(*n);
            } else if (park_(sock_, peer_, served_)) {
                return false;
            }
        }
    }
    if (buffer_.size() == 0) {
        try {
            Timeout idle(options_.keepalive_timeout);
            auto space = buffer_.prepare(16 * 1024);
            const auto n = sock_.read_some(boost::asio::buffer(space), ec);
            buffer_.commit(n);
        } catch (const Timeout::Expired&) {
            return false;
        }
        if (ec) return false;  // closed, reset
    }
    started_at_ = Clock::now();
    try {
        Timeout t(options_.header_timeout);
        bhttp::read_header(sock_, buffer_, *parser_, ec);
    } catch (const Timeout::Expired&) {
        refuse(408, "Request Timeout");
        return false;
    }
    if (ec == bhttp::error::header_limit) {
        // Beast has parsed (and consumed) the request line once it is complete.
        const bool request_line_done = !parser_->get().method_string().empty();
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
    const auto& head = parser_->get();
    if (head.target().size() + head.method_string().size() + 10 > options_.max_request_line) {
        refuse(414, "URI Too Long");
        return false;
    }
    if (static_cast<std::size_t>(std::distance(head.begin(), head.end())) > options_.max_headers) {
        refuse(431, "Request Header Fields Too Large");
        return false;
    }
    // (The parser saw a Content-Length, if any: no lookup for the common request without one.)
    if (parser_->content_length() && head.count(bhttp::field::transfer_encoding)) {
        refuse(400, "Bad Request");
        return false;
    }
    return true;
}

void Connection::read_body(const std::function<void(std::string_view)>& sink) {
    auto& head = parser_->get();
    if (!continue_sent_ && version_ == 11 && head[bhttp::field::expect] == "100-continue") {
        continue_sent_ = true;
        sock_.sendall("HTTP/1.1 100 Continue\r\n\r\n");
    }
    char chunk[8192];
    while (!parser_->is_done()) {
        head.body().data = chunk;
        head.body().size = sizeof chunk;
        boost::system::error_code ec;
        bhttp::read(sock_, buffer_, *parser_, ec);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) {
            keep_alive_ = false;
            throw net::SocketError(EPROTO, "reading the request body: " + ec.message());
        }
        const std::size_t got = sizeof chunk - head.body().size;
        if (got) sink(std::string_view(chunk, got));
    }
}

net::Socket Connection::take_over(std::string& unread, std::shared_ptr<detail::Upgrade> upgrade) {
    upgraded_.push_back(*upgrade);
    upgrade_ = std::move(upgrade);
    const auto data = buffer_.data();
    unread.assign(static_cast<const char*>(data.data()), data.size());
    buffer_ = beast::flat_buffer();  // its memory too: the connection may now stay open for hours
    keep_alive_ = false;
    return std::move(sock_);
}

void Connection::start_stream(Response& r) {
    bhttp::response<bhttp::empty_body> res(static_cast<bhttp::status>(r.status()), version_);
    static_cast<bhttp::fields&>(res) = std::move(r.headers());  // the handler's headers, moved
    res.set(bhttp::field::server, options_.server_name);
    res.set(bhttp::field::date, detail::http_date());
    if (version_ == 11 && !head_) {
        chunked_ = true;
        res.chunked(true);
        res.keep_alive(keep_alive_);
    } else if (!head_) {
        keep_alive_ = false;  // HTTP/1.0: the end of the body is the end of the connection
        res.keep_alive(false);
    } else {
        res.keep_alive(keep_alive_);
    }
    bhttp::response_serializer<bhttp::empty_body> sr(res);
    bhttp::write_header(sock_, sr);
    r.mark_started();
}

void Connection::write_piece(std::string_view piece) {
    if (piece.empty() || head_) return;
    sent_body_ += piece.size();
    if (chunked_) {
        boost::asio::write(sock_, bhttp::make_chunk(boost::asio::buffer(piece.data(), piece.size())));
    } else {
        sock_.sendall(piece);
    }
}

void Connection::finish_stream() {
    if (chunked_) boost::asio::write(sock_, bhttp::make_chunk_last());
}

void Connection::respond_whole(Response& r) {
    // The status line and fields written straight into one buffer, sent with the body in one
    // sendmsg: no Beast message and serializer (their field allocations, keep-alive token
    // parsing and buffer-sequence walks were a third of the server's instructions a request;
    // bench/README.md). The handler's fields go out as set, except those the server owns.
    const int status = r.status();
    const bool bodiless = status < 200 || status == 204 || status == 304;
    const std::string& body = r.body;
    const auto owned = [](bhttp::field f) {
        return f == bhttp::field::content_length || f == bhttp::field::transfer_encoding ||
               f == bhttp::field::connection || f == bhttp::field::server || f == bhttp::field::date;
    };
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    const std::string& date = detail::http_date();
    std::size_t need = 160 + reason.size() + options_.server_name.size() + date.size();
    for (const auto& f : r.headers()) need += f.name_string().size() + f.value().size() + 4;
    if (head_buf_.size() < need) head_buf_.resize(need);  // only grows: nothing to clear each time
    char* p = head_buf_.data();
    const auto put = [&p](std::string_view piece) {
        std::memcpy(p, piece.data(), piece.size());
        p += piece.size();
    };
    const auto put_number = [&p](std::size_t n) { p = std::to_chars(p, p + 20, n).ptr; };
    put(version_ == 10 ? "HTTP/1.0 "sv : "HTTP/1.1 "sv);
    put_number(static_cast<std::size_t>(status));
    put(" "sv);
    put(reason);
    put("\r\n"sv);
    bool typed = false;
    for (const auto& f : r.headers()) {
        if (owned(f.name())) continue;
        typed = typed || f.name() == bhttp::field::content_type;
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
    if (!typed && !bodiless) put("Content-Type: text/html; charset=utf-8\r\n"sv);
    if (!bodiless) {
        put("Content-Length: "sv);
        put_number(body.size());
        put("\r\n"sv);
    }
    if (version_ == 10 && keep_alive_) put("Connection: keep-alive\r\n"sv);
    if (version_ != 10 && !keep_alive_) put("Connection: close\r\n"sv);
    put("\r\n"sv);
    const bool send_body = !head_ && !bodiless;
    const std::array<boost::asio::const_buffer, 2> out{
        boost::asio::buffer(head_buf_.data(), static_cast<std::size_t>(p - head_buf_.data())),
        boost::asio::buffer(body.data(), send_body ? body.size() : 0)};
    boost::asio::write(sock_, out);
    log(status, send_body ? body.size() : 0);
}

void Connection::refuse(int status, std::string_view body) {
    bhttp::response<bhttp::string_body> res(static_cast<bhttp::status>(status), version_ ? version_ : 11);
    res.set(bhttp::field::server, options_.server_name);
    res.set(bhttp::field::date, detail::http_date());
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(false);
    res.body() = std::string(body);
    res.prepare_payload();
    boost::system::error_code ec;
    bhttp::write(sock_, res, ec);
    log(status, body.size());
    // Lingering close: closing with unread request bytes would reset the connection and could
    // destroy this answer before the client reads it. Read (and drop) what is still coming,
    // briefly.
    if (ec) return;
    try {
        sock_.shutdown(SHUT_WR);
        Timeout linger(1.0);
        char sink[16384];
        for (std::size_t total = 0; total < 1024 * 1024;) {
            const auto n = sock_.recv_into(sink, sizeof sink);
            if (n == 0) break;
            total += n;
        }
    } catch (const Timeout::Expired&) {
    } catch (const net::SocketError&) {
    }
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
    if (options_.net.spawn > 0) options_.park_idle = false;  // a resumed connection must not wait for a slot
}

Server::~Server() {
    stop(0.0);
}

void Server::serve(net::Socket& sock, const net::Address& peer, std::size_t served) {
    Parker parker;
    if (options_.park_idle) {
        parker = [this](net::Socket& s, const net::Address& p, std::size_t n) { return park(s, p, n); };
    }
    Connection c(sock, peer, handler_, options_, served, std::move(parker), upgraded_);
    try {
        c.run();
    } catch (const net::SocketError&) {
    }
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
