// What a gev::ws::WebSocket is made of: Beast's websocket stream over a Transport (the stream,
// the bytes read past the handshake, the write lock), and the state that lets one greenlet
// receive while others send or close.
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstddef>
#include <geventpp/net/stream.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/lock.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/ws/websocket.hpp>
#include <memory>
#include <optional>
#include <string>

#include "frame_tracker.hpp"

namespace gev::ws {

namespace detail {

// Sets a flag for the length of a scope.
class FlagScope {
public:
    explicit FlagScope(bool& flag, bool value = true) noexcept : flag_(flag) { flag_ = value; }
    FlagScope(const FlagScope&) = delete;
    FlagScope& operator=(const FlagScope&) = delete;
    ~FlagScope() { flag_ = false; }

private:
    bool& flag_;
};

// Thrown into the receiving greenlet by close() from another greenlet: the receiver, the only
// one reading, then runs the closing handshake.
struct CloseRequested {};
// A message that started did not finish within WebSocketOptions::message_timeout.
struct MessageTimeout {};
// The peer's close frame has a code no range of RFC 6455 §7.4.2 holds (5000 and up, which
// Beast would echo): thrown from Beast's control callback, before it answers.
struct BadCloseCode {};

// The next layer under Beast's stream (Asio's SyncReadStream and SyncWriteStream).
class Transport {
public:
    using executor_type = boost::asio::io_context::executor_type;

    explicit Transport(WebSocket::Impl& owner) : owner_(owner) {}
    // Beast's stream keeps a timer for its asynchronous operations; we use none.
    executor_type get_executor();

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec);
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers);
    // Writes all of `buffers` under the connection's write lock (which send() holds around a
    // whole message), so that a control frame the receiver writes never lands inside a frame a
    // sender is writing.
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec);
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers);

    WebSocket::Impl& owner() noexcept { return owner_; }

private:
    // Shows the first `n` bytes of `buffers`, just handed to Beast, to the frame tracker.
    template <class MutableBufferSequence>
    std::size_t handed(const MutableBufferSequence& buffers, std::size_t n) noexcept;

    WebSocket::Impl& owner_;
};

// Beast's end of the closing handshake: shut down our side, read until the peer's end of
// stream (bounded by close_timeout), close the stream.
void teardown(boost::beast::role_type role, Transport& transport, boost::system::error_code& ec);

}  // namespace detail

class WebSocket::Impl {
public:
    Impl(std::unique_ptr<net::Stream> stream, std::string unread, const WebSocketOptions& options,
         boost::beast::role_type role);

    // Records why the connection ended and closes the stream.
    void finish(std::uint16_t code, std::string reason = {});
    // Fails the connection: a close frame with `code` if the stream allows one, then the end.
    void fail(std::uint16_t code, std::string_view reason);
    // The closing handshake, run by the only greenlet reading; `reason` is at most the 123 bytes
    // a close frame holds (close() cut it).
    void close_handshake(std::uint16_t code, std::string_view reason);
    void send(std::string_view data, bool binary);
    // Between messages, with nothing buffered in Beast (server side: the frame tracker knows),
    // waits for the stream to be readable here rather than deep in Beast's read, so an idle
    // connection's greenlet keeps one stack page. Throws CloseRequested, SocketError.
    void wait_for_message();
    // The reason text of the peer's close frame.
    std::string peer_reason() const;

    std::unique_ptr<net::Stream> stream;
    std::string unread;  // bytes read past the handshake, served first
    // From the WebSocketOptions (the rest serve the handshake only: an idle connection is kept small);
    // zero for none.
    Clock::duration send_timeout;
    Clock::duration message_timeout;
    Seconds close_timeout;
    boost::beast::websocket::stream<detail::Transport> ws;
    Lock write_lock;
    bool send_in_progress = false;  // send() holds write_lock...
    bool sender_parked = false;     // ...and waits in the stream for room

    bool receiving = false;      // a greenlet is in receive()
    bool reader_parked = false;  // ... and waits in the stream, where close() may interrupt it
    gev::detail::GreenletState* receiver = nullptr;
    std::unique_ptr<std::pair<std::uint16_t, std::string>> close_request;
    detail::FrameTracker frames;   // server side: what Beast's read buffer holds
    std::size_t received = 0;      // bytes read since the last whole frame or message
    TimePoint message_deadline{};  // set when a message starts
    boost::beast::role_type role;

    bool closing = false;  // a close frame was sent or received, or the connection failed
    Event done;            // the connection has ended
    std::uint16_t code = 0;
    std::string reason;
    std::string subprotocol;
};

namespace detail {

template <class MutableBufferSequence>
std::size_t Transport::read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    auto& o = owner_;
    if (!o.unread.empty()) {
        ec = {};
        const auto n = boost::asio::buffer_copy(buffers, boost::asio::buffer(o.unread));
        o.unread.erase(0, n);
        return handed(buffers, n);
    }
    if (!o.receiving) return handed(buffers, o.stream->read_some(buffers, ec));
    if (o.close_request) throw CloseRequested{};
    FlagScope parked(o.reader_parked);
    // Once a message has started (bytes of it arrived), the rest must come in time.
    std::optional<Timeout> bound;
    if (o.message_timeout.count() > 0 && (o.received || !o.ws.is_message_done())) {
        const auto now = Clock::now();
        if (o.message_deadline == TimePoint{}) o.message_deadline = now + o.message_timeout;
        bound.emplace(o.message_deadline - now, MessageTimeout{});
    }
    const auto n = o.stream->read_some(buffers, ec);
    o.received += n;
    return handed(buffers, n);
}

template <class MutableBufferSequence>
std::size_t Transport::handed(const MutableBufferSequence& buffers, std::size_t n) noexcept {
    if (owner_.role != boost::beast::role_type::server) return n;
    std::size_t left = n;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); left && it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
        const boost::asio::mutable_buffer b(*it);
        const std::size_t take = std::min(b.size(), left);
        owner_.frames.scan(static_cast<const unsigned char*>(b.data()), take);
        left -= take;
    }
    return n;
}

template <class MutableBufferSequence>
std::size_t Transport::read_some(const MutableBufferSequence& buffers) {
    return net::detail::or_throw([&](boost::system::error_code& ec) { return read_some(buffers, ec); });
}

template <class ConstBufferSequence>
std::size_t Transport::write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    auto& o = owner_;
    // Inside send(), the sending greenlet is the caller unless it is parked in the stream below
    // (then the caller is the receiver, writing a pong or a close): it already holds the lock.
    std::unique_lock<Lock> lock(o.write_lock, std::defer_lock);
    const bool sender = o.send_in_progress && !o.sender_parked;
    if (!sender) lock.lock();
    FlagScope parked(o.sender_parked, sender);
    return o.stream->write_some(buffers, ec);  // all of them, or an error
}

template <class ConstBufferSequence>
std::size_t Transport::write_some(const ConstBufferSequence& buffers) {
    return net::detail::or_throw([&](boost::system::error_code& ec) { return write_some(buffers, ec); });
}

}  // namespace detail

}  // namespace gev::ws
