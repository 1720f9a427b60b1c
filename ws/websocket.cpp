#include <sys/random.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/websocket/detail/utf8_checker.hpp>
#include <boost/beast/zlib/error.hpp>
#include <cstdint>
#include <cstring>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/detail/park.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/ws/websocket.hpp>
#include <stdexcept>
#include <system_error>

#include "detail/impl.hpp"

namespace gev::ws {

namespace bws = boost::beast::websocket;

namespace detail {

Transport::executor_type Transport::get_executor() {
    Hub* hub = Hub::current();
    if (!hub) throw UsageError("a WebSocket needs a hub — use it inside gev::run");
    return hub->io().get_executor();
}

void teardown(boost::beast::role_type, Transport& transport, boost::system::error_code& ec) {
    ec = {};
    auto& o = transport.owner();
    o.stream->shutdown_and_drain(o.close_timeout, SIZE_MAX);
    o.stream->close();
}

}  // namespace detail

namespace {

// A code an endpoint may put in a close frame (RFC 6455 §7.4): 1005, 1006 and 1015 only report,
// 1004 and 1014–2999 are reserved (Beast, and so our server, fails a peer sending 1014), and
// there are none below 1000 or from 5000 up.
bool sendable_close_code(std::uint16_t c) {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1013) || (c >= 3000 && c <= 4999);
}

bool is_utf8(std::string_view s) {
    // ASCII, the common case, eight bytes a step; otherwise Beast's checker.
    std::size_t i = 0;
    for (std::uint64_t w; i + 8 <= s.size(); i += 8) {
        std::memcpy(&w, s.data() + i, 8);
        if (w & 0x8080808080808080) return bws::detail::check_utf8(s.data() + i, s.size() - i);
    }
    for (; i < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) & 0x80) return bws::detail::check_utf8(s.data() + i, s.size() - i);
    }
    return true;
}

// The reason, cut to the 123 bytes a close frame holds without splitting a UTF-8 character.
std::string_view close_reason_text(std::string_view r) {
    constexpr std::size_t most = 123;
    if (r.size() <= most) return r;
    std::size_t n = most;
    while (n > 0 && (static_cast<unsigned char>(r[n]) & 0xc0) == 0x80) --n;  // r[n] continues a character
    return r.substr(0, n);
}

// The close code a failed read leaves (RFC 6455 section 7.4.1).
std::uint16_t failure_code(const boost::system::error_code& ec) {
    if (ec == bws::error::message_too_big) return too_big;
    if (ec == bws::error::bad_frame_payload) return bad_payload;
    if (ec == bws::condition::protocol_violation) return protocol_error;
    return abnormal;
}

}  // namespace

WebSocket::Impl::Impl(std::unique_ptr<net::Stream> s, std::string rest, const WebSocketOptions& o,
                      boost::beast::role_type role)
    : stream(std::move(s)),
      unread(std::move(rest)),
      send_timeout(o.send_timeout.span()),
      message_timeout(o.message_timeout.span()),
      close_timeout(o.close_timeout),
      ws(*this),
      role(role) {
    ws.read_message_max(o.max_message);
    ws.auto_fragment(false);
    bws::permessage_deflate pmd;
    pmd.server_enable = o.permessage_deflate && role == boost::beast::role_type::server;
    pmd.client_enable = o.permessage_deflate && role == boost::beast::role_type::client;
    ws.set_option(pmd);
    // A ping or pong is a whole frame: waiting after it is waiting between messages.
    ws.control_callback([this](bws::frame_type kind, boost::beast::string_view) {
        if (kind == bws::frame_type::close && ws.reason().code >= 5000) throw detail::BadCloseCode{};
        if (ws.is_message_done()) received = 0;
    });
}

void WebSocket::Impl::fail(std::uint16_t c, std::string_view r) {
    if (closing) return;
    closing = true;
    r = close_reason_text(r);
    if (write_lock.acquire(false)) {  // no frame half written: a close frame can go out
        std::lock_guard held(write_lock, std::adopt_lock);
        std::string payload{char(c >> 8), char(c & 0xff)};
        payload += r;
        std::string frame{char(0x88)};
        const bool masked = role == boost::beast::role_type::client;
        frame += char((masked ? 0x80 : 0) | payload.size());
        if (masked) {  // RFC 6455 §5.3: a key from a strong source of entropy
            char key[4];
            if (::getrandom(key, sizeof key, 0) != sizeof key) throw std::system_error(errno, std::generic_category());
            frame.append(key, sizeof key);
            for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= key[i % 4];
        }
        frame += payload;
        try {
            Timeout::within(close_timeout, [&] { stream->sendall(frame); });
        } catch (const net::SocketError&) {
        } catch (...) {
            finish(c, std::string(r));  // the caller's own Timeout or a kill: closed all the same
            throw;
        }
    }
    finish(c, std::string(r));
}

void WebSocket::Impl::finish(std::uint16_t c, std::string r) {
    if (!code) {
        code = c;
        reason = std::move(r);
    }
    closing = true;
    stream->close();
    done.set();
}

std::string WebSocket::Impl::peer_reason() const {
    const auto& r = ws.reason().reason;
    return std::string(r.data(), r.size());
}

void WebSocket::Impl::close_handshake(std::uint16_t c, std::string_view r) {
    closing = true;
    boost::system::error_code ec;
    try {
        Timeout::within(close_timeout, [&] {
            bws::close_reason why(c);
            why.reason = bws::reason_string(r.data(), r.size());  // close() cut it to 123 bytes
            ws.close(why, ec);
        });
    } catch (...) {
        finish(abnormal);  // the caller's own Timeout or a kill: the handshake is cut, the stream goes
        throw;
    }
    if (ws.reason().code != bws::close_code::none) {
        finish(ws.reason().code, peer_reason());
    } else {
        finish(ec ? std::uint16_t(abnormal) : c, std::string(r));
    }
}

void WebSocket::Impl::send(std::string_view data, bool binary) {
    if (!binary && !is_utf8(data)) {
        throw std::invalid_argument(
            "WebSocket::send: the text is not valid UTF-8 (RFC 6455 §8.1: a peer fails the "
            "connection with 1007); send bytes with send_binary()");
    }
    std::optional<Timeout> bound;
    if (send_timeout.count() > 0) bound.emplace(send_timeout);
    std::lock_guard lock(write_lock);
    if (closing) throw ConnectionClosed(code ? code : std::uint16_t(abnormal));
    ws.binary(binary);
    boost::system::error_code ec;
    detail::FlagScope sending(send_in_progress);
    try {
        ws.write(boost::asio::buffer(data.data(), data.size()), ec);
    } catch (const Timeout::Expired& e) {
        finish(abnormal);  // part of a frame may be out: the stream cannot go on
        if (bound && e.is(*bound)) throw net::SocketTimeout("WebSocket send");
        throw;
    } catch (...) {
        finish(abnormal);  // killed in the middle of a frame: the same
        throw;
    }
    if (ec) {
        finish(abnormal);
        throw ConnectionClosed(code);
    }
}

void WebSocket::Impl::wait_for_message() {
    if (role != boost::beast::role_type::server || !unread.empty() || !frames.drained()) return;
    if (close_request) throw detail::CloseRequested{};
    detail::FlagScope parked(reader_parked);
    stream->wait_read();
}

WebSocket::WebSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocket::~WebSocket() = default;

std::optional<Message> WebSocket::receive() {
    auto& o = *impl_;
    if (o.closing) {
        o.done.wait();
        return std::nullopt;
    }
    if (o.receiving) {
        throw UsageError("WebSocket::receive while another greenlet is receiving — receive from one greenlet only");
    }
    o.receiving = true;
    o.receiver = gev::detail::current_greenlet();
    struct Leave {
        Impl& o;
        ~Leave() {
            o.receiving = false;
            o.receiver = nullptr;
        }
    } leave{o};
    Message m;
    auto buffer = boost::asio::dynamic_buffer(m.data);
    boost::system::error_code ec;
    o.received = 0;
    o.message_deadline = {};
    try {
        o.wait_for_message();
        // Beast's read() makes room for 1,536 bytes first; most messages are short.
        do {
            o.ws.read_some(buffer, 64, ec);
        } while (!ec && !o.ws.is_message_done());
    } catch (const net::SocketError&) {
        o.finish(abnormal);  // closed by another greenlet, as a failed send does
        return std::nullopt;
    } catch (const detail::BadCloseCode&) {
        o.fail(protocol_error, "close code out of range");
        return std::nullopt;
    } catch (const detail::MessageTimeout&) {
        o.fail(policy_error, "message not finished in time");
        return std::nullopt;
    } catch (const detail::CloseRequested&) {
        o.receiving = false;
        const auto [code, reason] = *o.close_request;
        o.close_handshake(code, reason);
        return std::nullopt;
    } catch (...) {
        // Interrupted (kill, Timeout) in the middle of a message: its start is gone, so the
        // stream cannot go on. Between messages nothing was read and the connection stays.
        if (!o.ws.is_message_done()) o.finish(abnormal);
        throw;
    }
    if (!ec) {
        o.frames.message_read();
        m.binary = o.ws.got_binary();
        return m;
    }
    if (ec == bws::error::closed) {
        const std::uint16_t peer = o.ws.reason().code;
        o.finish(peer == bws::close_code::none ? std::uint16_t(no_status) : peer, o.peer_reason());
    } else if (ec.category() == boost::beast::zlib::make_error_code(boost::beast::zlib::error::general).category()) {
        // A compressed message that does not inflate: Beast fails it without a close frame.
        o.fail(protocol_error, "bad compressed data");
    } else {
        o.finish(failure_code(ec));
    }
    return std::nullopt;
}

void WebSocket::send(std::string_view text) {
    impl_->send(text, false);
}

void WebSocket::send_binary(std::string_view bytes) {
    impl_->send(bytes, true);
}

void WebSocket::ping(std::string_view payload) {
    auto& o = *impl_;
    if (o.closing) throw ConnectionClosed(o.code ? o.code : std::uint16_t(abnormal));
    boost::system::error_code ec;
    payload = payload.substr(0, bws::ping_data::static_capacity);
    o.ws.ping(bws::ping_data(payload.data(), payload.size()), ec);
    if (ec) {
        o.finish(abnormal);
        throw ConnectionClosed(o.code);
    }
}

void WebSocket::close(std::uint16_t code, std::string_view reason) {
    if (!sendable_close_code(code)) {
        throw std::invalid_argument("WebSocket::close: " + std::to_string(code) +
                                    " may not be sent in a close frame (RFC 6455 §7.4: 1005, 1006 and 1015 only "
                                    "report; use 1000-1003, 1007-1013 or 3000-4999)");
    }
    if (!is_utf8(reason)) throw std::invalid_argument("WebSocket::close: the reason is not valid UTF-8");
    reason = close_reason_text(reason);
    auto& o = *impl_;
    if (o.closing) {
        o.done.wait(o.close_timeout);
        return;
    }
    if (!o.receiving) {
        o.close_handshake(code, reason);
        return;
    }
    // Another greenlet is reading: it runs the handshake, as the only reader of the stream.
    o.close_request = std::make_unique<std::pair<std::uint16_t, std::string>>(code, reason);
    if (o.reader_parked) o.receiver->interrupt(std::make_exception_ptr(detail::CloseRequested{}));
    if (!o.done.wait(o.close_timeout)) o.finish(abnormal);
}

bool WebSocket::closed() const noexcept {
    return impl_->closing;
}

std::uint16_t WebSocket::close_code() const noexcept {
    return impl_->code;
}

std::string WebSocket::close_reason() const {
    return impl_->reason;
}

const std::string& WebSocket::subprotocol() const noexcept {
    return impl_->subprotocol;
}

}  // namespace gev::ws
