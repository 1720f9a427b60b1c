// gev::net::Socket: a blocking-style socket that blocks only the calling greenlet,
// gevent.socket.socket.
//
//   auto sock = gev::net::create_connection("127.0.0.1", 8080, 5s);
//   sock.sendall("GET / HTTP/1.0\r\n\r\n");
//   std::string reply = sock.recv(4096);      // "" once the peer closed
//
// Every call first tries the non-blocking syscall; only on EAGAIN does the greenlet park until
// the hub's epoll says the socket is ready (a ready socket costs one syscall). Blocking calls
// (accept, connect, recv*, send*, wait_read/wait_write) are cancellation points: kill() and
// gev::Timeout interrupt them, and so does the socket's own timeout (settimeout), which throws
// SocketTimeout. A socket in non-blocking mode (setblocking(false), i.e. settimeout(0.0)) never
// parks: a call that would wait throws WouldBlock, Python's BlockingIOError. A peer reset throws
// ConnectionReset; end of stream is an empty recv.
//
// Socket models Asio's SyncReadStream and SyncWriteStream, so Beast's synchronous HTTP and
// WebSocket algorithms run on it unchanged. A socket belongs to the hub that made it: use it
// from greenlets of that hub only. Movable, not copyable; the destructor closes it.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <geventpp/net/address.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/net/stream.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace gev::detail {
struct PolledFd;
}

namespace gev::net {

class Socket {
public:
    Socket() = default;
    // A new socket: socket(family, type, protocol), non-blocking underneath.
    Socket(int family, int type, int protocol = 0);
    // Takes ownership of an open file descriptor (made non-blocking).
    static Socket adopt(int fd);

    Socket(Socket&& other) noexcept;
    Socket& operator=(Socket&& other) noexcept;
    ~Socket();

    explicit operator bool() const noexcept { return fd_ >= 0; }
    int fileno() const noexcept { return fd_; }
    int family() const;
    int type() const;

    // Timeout for each blocking call on this socket; a default Seconds means none, 0.0 means
    // non-blocking (a call that would wait throws WouldBlock).
    void settimeout(Seconds timeout) noexcept { timeout_ = timeout; }
    Seconds gettimeout() const noexcept { return timeout_; }
    // Python's setblocking: false is settimeout(0.0), true is settimeout(None).
    void setblocking(bool blocking) noexcept { timeout_ = blocking ? Seconds() : Seconds(0.0); }
    // False only in non-blocking mode (gettimeout() == 0.0); a timeout still blocks.
    bool getblocking() const noexcept { return !timeout_ || timeout_.span() > Clock::duration::zero(); }

    // A new socket on a duplicate of the descriptor (F_DUPFD_CLOEXEC), with this one's timeout.
    // Throws SocketError(EBADF) for a closed socket.
    Socket dup() const;

    void setsockopt(int level, int option, int value);
    int getsockopt(int level, int option) const;

    void bind(const Address& address);
    void listen(int backlog = 128);
    // Waits for a connection; the new socket and the peer's address.
    std::pair<Socket, Address> accept();
    // Connects, waiting for the handshake. Throws ConnectionRefused, SocketTimeout...
    void connect(const Address& address);

    // Up to n bytes; fewer if that is what arrived; 0 at end of stream.
    std::size_t recv_into(void* buffer, std::size_t n, int flags = 0);
    std::string recv(std::size_t n, int flags = 0);
    // recv_into without waiting (Python's recv with MSG_DONTWAIT): nothing when no data is
    // there now. Costs no syscall when the hub's epoll has not seen the socket readable since
    // the last read drained it.
    std::optional<std::size_t> try_recv_into(void* buffer, std::size_t n);
    // Sends what the kernel takes now (at least one byte); returns how much.
    std::size_t send(std::string_view data, int flags = 0);
    // Sends everything, waiting as needed.
    void sendall(std::string_view data, int flags = 0);
    // Sends all of `buffers` in order, gathered into as few syscalls as they allow.
    void sendall(std::span<const boost::asio::const_buffer> buffers);
    // Python's socket.sendfile(file, offset, count): sends `count` bytes (to the end of the file
    // when nullopt) of the open file `file_fd` from `offset` with sendfile(2), waiting whenever
    // the socket is full (each wait bounded by the socket timeout: SocketTimeout). Returns the
    // bytes sent: fewer when the file ends first, 0 for an empty file. The file's offset is left
    // at offset + sent, also when an error stops it (Python seeks the file so). sendfile(2)'s
    // errors throw SocketError (Python would fall back to send() for a file it refuses). The
    // read of the file happens on the hub: a file not in the page cache stalls it for the disk
    // (see docs/fileobject.md). Stream sockets only, and a count of 0 is refused, as Python's
    // ValueError (std::invalid_argument both).
    std::size_t sendfile(int file_fd, off_t offset = 0, std::optional<std::size_t> count = std::nullopt);
    std::pair<std::string, Address> recvfrom(std::size_t n, int flags = 0);
    // Up to n bytes into buffer, and who sent them.
    std::pair<std::size_t, Address> recvfrom_into(void* buffer, std::size_t n, int flags = 0);
    std::size_t sendto(std::string_view data, const Address& address, int flags = 0);

    void shutdown(int how);
    // Closes the socket; greenlets blocked on it get SocketError(EBADF).
    void close() noexcept;

    Address getsockname() const;
    Address getpeername() const;

    // Without a greenlet waiting: calls fn once, from the hub's loop, when the socket has
    // something to read (data, end of stream or an error). fn must not block (spawn a greenlet).
    // Returns false, and keeps nothing, when the socket may be readable right now: read it
    // instead. A server parks idle keep-alive connections this way; closing the socket drops fn.
    bool notify_readable(std::function<void()> fn);

    // gevent.socket.wait_read / wait_write: block until ready. Throws SocketTimeout.
    void wait_read(Seconds timeout = {});
    void wait_write(Seconds timeout = {});

    // Asio SyncReadStream / SyncWriteStream.
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
        std::array<iovec, max_iov> iov;
        return readv_some(iov.data(), to_iovec(buffers, iov), ec);
    }
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers) {
        return detail::or_throw([&](boost::system::error_code& ec) { return read_some(buffers, ec); });
    }
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
        std::array<iovec, max_iov> iov;
        return writev_some(iov.data(), to_iovec(buffers, iov), ec);
    }
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers) {
        return detail::or_throw([&](boost::system::error_code& ec) { return write_some(buffers, ec); });
    }

private:
    static constexpr std::size_t max_iov = 16;
    explicit Socket(int fd);

    template <class Buffers>
    static std::size_t to_iovec(const Buffers& buffers, std::array<iovec, max_iov>& iov) {
        std::size_t n = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
            boost::asio::const_buffer b(*it);
            if (b.size() == 0) continue;
            if (n == max_iov) break;
            iov[n].iov_base = const_cast<void*>(b.data());
            iov[n].iov_len = b.size();
            ++n;
        }
        return n;
    }
    // Throw SocketError (and subclasses) on failure; return 0 at end of stream.
    std::size_t readv_some(iovec* iov, std::size_t n);
    std::size_t writev_some(const iovec* iov, std::size_t n);
    // The error_code forms Asio's stream concepts want: SocketError becomes `ec` (eof at end of
    // stream); kill and Timeout still throw.
    std::size_t readv_some(iovec* iov, std::size_t n, boost::system::error_code& ec);
    std::size_t writev_some(const iovec* iov, std::size_t n, boost::system::error_code& ec);

    enum class Direction { read, write };
    // Runs `attempt` (a non-blocking syscall returning >= 0 or -1 with errno) while the
    // direction's flag says ready; on EAGAIN clears the flag and parks until the hub's epoll
    // sets it. Returns the syscall's result; throws SocketError (naming `call`), SocketTimeout.
    template <class Attempt>
    std::size_t io(Direction d, const char* call, Attempt attempt);
    // Parks until readable / writable; throws SocketTimeout (naming `call`) or EBADF.
    // `deadline` starts as TimePoint::min() and is set from the socket timeout on first use.
    void await(Direction d, const char* call, TimePoint& deadline);

    int fd_ = -1;
    bool stream_ = false;
    Seconds timeout_;
    std::shared_ptr<gev::detail::PolledFd> watch_;
};

// socket.socketpair(family, type): two connected sockets (AF_UNIX by default). Throws
// SocketError for a family or type the kernel does not pair (EAFNOSUPPORT, EOPNOTSUPP...).
std::pair<Socket, Socket> socketpair(int family = AF_UNIX, int type = SOCK_STREAM, int protocol = 0);

// gevent.socket.create_connection((host, port), timeout): resolves host, connects to the
// first address that accepts, and gives the socket `timeout` as its timeout.
Socket create_connection(const std::string& host, std::uint16_t port, Seconds timeout = {},
                         const Address* source = nullptr);

}  // namespace gev::net
