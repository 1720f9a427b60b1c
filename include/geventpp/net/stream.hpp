// gev::net::Stream: the connected byte stream a protocol runs over. The HTTP server's
// connection and the WebSocket are written against it, so they run the same over a plain socket
// (SocketStream), a TLS stream, or bytes a test scripts.
//
//   void greet(gev::net::Stream& s) {
//       s.sendall("hello\r\n");
//       char buf[512];
//       const auto n = s.recv_into(buf, sizeof buf);   // 0 once the peer has closed
//   }
//
// Every waiting call blocks only the calling greenlet and is a cancellation point: kill(), a
// gev::Timeout and the stream's own timeout (settimeout: SocketTimeout) interrupt it. Failures
// throw SocketError and its subclasses; the end of the stream is a read of 0 bytes, not an error.
// A stream belongs to the greenlets of one hub. Implement it to carry a protocol over a transport
// of your own; Stream also models Asio's SyncReadStream and SyncWriteStream over those calls, so
// Beast's synchronous algorithms run on any stream.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace gev::net {

namespace detail {
// The throwing form of an Asio stream call from its error_code form: call(ec), then throws
// boost::system::system_error if it failed.
template <class Call>
std::size_t or_throw(Call&& call) {
    boost::system::error_code ec;
    const std::size_t n = call(ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
}
}  // namespace detail

class Stream {
public:
    Stream() = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    virtual ~Stream() = default;

    // Up to n bytes into `buffer`, fewer if that is what has arrived, waiting for at least one;
    // 0 at the end of the stream.
    virtual std::size_t recv_into(void* buffer, std::size_t n) = 0;
    // recv_into without waiting: nothing when no byte is there now.
    virtual std::optional<std::size_t> try_recv_into(void* buffer, std::size_t n) = 0;
    // Sends all of `buffers`, in order, waiting for room as needed.
    virtual void sendall(std::span<const boost::asio::const_buffer> buffers) = 0;
    void sendall(std::string_view data) {
        const boost::asio::const_buffer b(data.data(), data.size());
        sendall(std::span(&b, 1));
    }
    // Waits until recv_into would not wait (data, the end of the stream, or an error is there).
    virtual void wait_read() = 0;
    // Ends what we send (the peer reads the end of the stream); reading goes on.
    virtual void shutdown_write() = 0;
    // shutdown_write(), then reads and drops what the peer still sends until it closes, at most
    // `at_most` bytes for at most `within`: a close then does not reset the connection under
    // the last bytes we sent (nginx's lingering close). A failure of the stream ends it quietly.
    void shutdown_and_drain(Seconds within, std::size_t at_most);
    // Closes the stream; greenlets waiting in it get SocketError(EBADF).
    virtual void close() noexcept = 0;
    virtual bool is_open() const noexcept = 0;
    // The bound on each waiting call from now on; a default Seconds means none.
    virtual void settimeout(Seconds timeout) noexcept = 0;
    // Moves the connection into a new stream, leaving this one closed: how a protocol that
    // takes the connection over (a WebSocket) keeps it past the frame that served the request.
    virtual std::unique_ptr<Stream> release() = 0;

    // Asio's SyncReadStream and SyncWriteStream. The error_code forms turn SocketError into
    // `ec` (asio::error::eof at the end of the stream); kill and gev::Timeout still throw.
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec);
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers);
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec);
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers);

    // sendall of any Asio buffer sequence; returns its size.
    template <class ConstBufferSequence>
    std::size_t send_buffers(const ConstBufferSequence& buffers);
};

template <class MutableBufferSequence>
std::size_t Stream::read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec.clear();
    // Reads fill the first buffer that has room: the protocols here read into one buffer.
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
        const boost::asio::mutable_buffer b(*it);
        if (b.size() == 0) continue;
        try {
            const auto n = recv_into(b.data(), b.size());
            if (n == 0) ec = boost::asio::error::eof;
            return n;
        } catch (const SocketError& e) {
            ec = boost::system::error_code(e.code().value(), boost::system::system_category());
            return 0;
        }
    }
    return 0;
}

template <class MutableBufferSequence>
std::size_t Stream::read_some(const MutableBufferSequence& buffers) {
    return detail::or_throw([&](boost::system::error_code& ec) { return read_some(buffers, ec); });
}

template <class ConstBufferSequence>
std::size_t Stream::send_buffers(const ConstBufferSequence& buffers) {
    if constexpr (std::is_convertible_v<ConstBufferSequence, boost::asio::const_buffer>) {
        const boost::asio::const_buffer b(buffers);
        if (b.size()) sendall(std::span(&b, 1));
        return b.size();
    } else {
        // Sixteen at a time, in storage left uninitialised (this runs for every frame sent).
        union Batch {
            Batch() {}
            boost::asio::const_buffer b[16];
        } batch;
        std::size_t n = 0, total = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
            const boost::asio::const_buffer b(*it);
            if (b.size() == 0) continue;
            if (n == std::size(batch.b)) {
                sendall(std::span(batch.b, n));
                n = 0;
            }
            new (&batch.b[n++]) boost::asio::const_buffer(b);
            total += b.size();
        }
        if (n) sendall(std::span(batch.b, n));
        return total;
    }
}

template <class ConstBufferSequence>
std::size_t Stream::write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    ec.clear();
    try {
        return send_buffers(buffers);
    } catch (const SocketError& e) {
        ec = boost::system::error_code(e.code().value(), boost::system::system_category());
        return 0;
    }
}

template <class ConstBufferSequence>
std::size_t Stream::write_some(const ConstBufferSequence& buffers) {
    return detail::or_throw([&](boost::system::error_code& ec) { return write_some(buffers, ec); });
}

}  // namespace gev::net
