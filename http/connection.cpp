#include "detail/connection.hpp"

#include <cstdio>
#include <geventpp/http/error.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>

#include "detail/access.hpp"
#include "detail/http_date.hpp"

namespace gev::http::detail {

namespace bhttp = boost::beast::http;

namespace {
// How long a connection closing with request bytes unread keeps reading (and dropping) them,
// so that its last answer is not destroyed by a reset (nginx's lingering close).
constexpr double linger_seconds = 1.0;
}  // namespace

void ConnectionState::io_failed(boost::system::error_code ec, const char* call) {
    fault = ec.value() == ETIMEDOUT ? Fault::timed_out : Fault::gone;
    keep_alive = false;
    net::detail::throw_socket_error(ec.value(), (call + peer.to_string()).c_str());
}

Connection::Connection(net::Stream& stream, const net::Address& peer, const Handler& handler,
                       const ServerOptions& options, std::size_t served, IdleHandOff hand_off_idle,
                       boost::intrusive::list<Upgrade>& upgraded)
    : state_(stream, peer, options),
      handler_(handler),
      served_(served),
      hand_off_idle_(std::move(hand_off_idle)),
      upgraded_(upgraded) {}

Connection::~Connection() {
    if (upgrade_) upgraded_.erase(upgraded_.iterator_to(*upgrade_));
}

void Connection::run() {
    try {
        while (next_request() && serve_one()) {
        }
    } catch (const net::SocketError&) {  // the client is gone or failed: the connection just ends
    }
}

bool Connection::next_request() {
    reader_.start();
    state_.stream.settimeout({});  // the waits below are bounded by their own Timeouts
    // Idle: hand the connection to the server to wait without a greenlet, or wait for the first byte of the next
    // request for up to keepalive_timeout.
    if (!reader_.buffered() && hand_off_idle_ && served_ > resumed_at_) {
        // A connection resumed from idle was resumed because its next request is there.
        // Let the hub run the others and look at epoll first: a client in a request loop has
        // often sent its next request by then, which this greenlet then reads, instead of
        // going idle and a new greenlet being spawned for it at once (ab -k: every request).
        gev::sleep(0);
        if (const auto n = reader_.read_ready()) {
            if (*n == 0) return false;  // the client closed
        } else if (hand_off_idle_(served_)) {
            return false;
        }
    }
    if (!reader_.buffered()) {
        bool read = false;
        const bool in_time = Timeout::within(state_.options.keepalive_timeout, [&] { read = reader_.read_first(); });
        if (!in_time || !read) return false;  // idle too long, closed, reset
    }
    started_at_ = Clock::now();
    const int status = reader_.read_head();
    if (status == 0) return true;
    if (status > 0) refuse(status);
    return false;
}

bool Connection::serve_one() {
    const auto& head = reader_.head();
    state_.version = head.version();
    state_.head = head.method() == bhttp::verb::head;
    // From the flags the parser set as it read the Connection header: the message's own
    // keep_alive() looks the header up and walks its tokens again (~500 instructions).
    state_.keep_alive = reader_.keep_alive();
    state_.fault = ConnectionState::Fault::none;
    writer_.reset();
    ++served_;
    const auto& options = state_.options;
    if (options.max_requests_per_connection && served_ >= options.max_requests_per_connection) {
        state_.keep_alive = false;
    }
    Request req = Access::request(head.method_string(), head.target(), state_.version, head, state_.peer, *this,
                                  options.max_body);
    Response res = Access::response(*this);
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
        set_plain_answer(res, e.status(), e.body());
        for (const auto& [name, value] : e.headers()) res.set_header(name, value);
        if (e.status() == 413) state_.keep_alive = false;  // nothing more of that body is read
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
    if (const auto& queue = Access::queue(res)) {
        for (auto& piece : *queue) res.write(piece);
        if (!res.started()) res.write({});  // an empty queue: still a (streamed) response
    }
    if (res.started()) {
        writer_.finish_stream();
        log(res.status(), writer_.body_bytes());
    } else {
        const auto [status, bytes] = writer_.respond_whole(res, head.target());
        log(status, bytes);
    }
    if (reader_.body_done()) return state_.keep_alive;
    // Whatever the handler left of the body must go before the next request.
    if (state_.keep_alive && !reader_.body_withheld() && reader_.drain_body()) return true;
    linger();
    return false;
}

bool Connection::handler_failed(Response& res, std::string_view target) {
    if (state_.fault != ConnectionState::Fault::none) {
        if (res.started()) return false;
        if (state_.fault == ConnectionState::Fault::timed_out) refuse(408);
        if (state_.fault == ConnectionState::Fault::bad_body) refuse(400);
        return false;
    }
    report_failure(target);
    if (res.started()) return false;  // half a response is out: only closing tells the client
    set_plain_answer(res, 500, "Internal Server Error");
    return true;
}

void Connection::refuse(int status) {
    if (const auto bytes = writer_.refuse(status)) {
        log(status, *bytes);
        linger();
    }
}

void Connection::read_body(const std::function<void(std::string_view)>& sink) {
    char chunk[8192];
    while (const auto n = reader_.read_body_some(chunk, sizeof chunk)) sink(std::string_view(chunk, n));
}

void Connection::linger() {
    if (state_.stream.is_open()) state_.stream.shutdown_and_drain(linger_seconds, state_.options.max_drain);
}

std::unique_ptr<net::Stream> Connection::take_over(std::string& unread, std::shared_ptr<Upgrade> upgrade) {
    upgraded_.push_back(*upgrade);
    upgrade_ = std::move(upgrade);
    unread = reader_.take_unread();
    state_.keep_alive = false;
    state_.stream.settimeout({});
    return state_.stream.release();
}

void Connection::report_failure(std::string_view target) {
    std::fprintf(stderr, "geventpp: %s %.*s failed with %s\n", state_.peer.to_string().c_str(), int(target.size()),
                 target.data(), gev::detail::describe(std::current_exception()).c_str());
}

void Connection::log(int status, std::size_t bytes) {
    if (!state_.options.access_log) return;
    std::string line = "-";
    if (reader_.head_done()) {
        const auto& h = reader_.head();
        line = std::string(h.method_string()) + " " + std::string(h.target()) + " HTTP/" +
               std::to_string(h.version() / 10) + "." + std::to_string(h.version() % 10);
    }
    const double took = std::chrono::duration<double>(Clock::now() - started_at_).count();
    std::fprintf(stderr, "%s - - [%s] \"%s\" %d %zu %.6f\n", state_.peer.host().c_str(), log_date().c_str(),
                 line.c_str(), status, bytes, took);
}

}  // namespace gev::http::detail
