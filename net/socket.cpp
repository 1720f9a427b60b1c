#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <geventpp/net/resolve.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/runtime/error.hpp>

#include "../runtime/layer_api.hpp"
#include "detail/libc.hpp"

namespace gev::net {

using detail::throw_socket_error;
namespace libc = detail::libc;

namespace {
void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_socket_error(errno, "fcntl(O_NONBLOCK)");
}
using libc::would_block;
// The reactor the socket is registered with, or the calling thread's hub's (UsageError naming
// `call` outside a hub).
gev::detail::Reactor& reactor_of(const gev::detail::PolledFd& w, const char* call) {
    return w.reactor ? *w.reactor : gev::detail::Reactor::current(call);
}
}  // namespace

Socket::Socket(int fd) : fd_(fd), watch_(std::make_shared<gev::detail::PolledFd>()) {
    watch_->fd = fd;
    int type = 0;
    socklen_t len = sizeof type;
    stream_ = ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

Socket::Socket(int family, int type, int protocol)
    : Socket([&] {
          const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
          if (fd < 0) throw_socket_error(errno, "socket");
          return fd;
      }()) {}

Socket Socket::adopt(int fd) {
    set_nonblocking(fd);
    return Socket(fd);
}

Socket::Socket(Socket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), stream_(o.stream_), timeout_(o.timeout_), watch_(std::move(o.watch_)) {}

Socket& Socket::operator=(Socket&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
        stream_ = o.stream_;
        timeout_ = o.timeout_;
        watch_ = std::move(o.watch_);
    }
    return *this;
}

Socket::~Socket() {
    close();
}

void Socket::close() noexcept {
    if (fd_ < 0) return;
    if (watch_->reactor) {
        watch_->reactor->remove(*watch_);  // wakes greenlets blocked on it
    }
    watch_->closed = true;
    ::close(fd_);
    fd_ = -1;
}

Socket Socket::dup() const {
    if (fd_ < 0) throw SocketError(EBADF, "dup: the socket is closed");
    const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw_socket_error(errno, "dup");
    Socket copy(fd);
    copy.timeout_ = timeout_;
    return copy;
}

std::pair<Socket, Socket> socketpair(int family, int type, int protocol) {
    int fds[2];
    if (::socketpair(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol, fds) < 0) {
        throw_socket_error(
            errno, ("socketpair(family " + std::to_string(family) + ", type " + std::to_string(type) + ")").c_str());
    }
    return {Socket::adopt(fds[0]), Socket::adopt(fds[1])};
}

int Socket::family() const {
    return getsockname().family();
}

int Socket::type() const {
    return getsockopt(SOL_SOCKET, SO_TYPE);
}

void Socket::setsockopt(int level, int option, int value) {
    if (::setsockopt(fd_, level, option, &value, sizeof value) < 0) throw_socket_error(errno, "setsockopt");
}

int Socket::getsockopt(int level, int option) const {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(fd_, level, option, &value, &len) < 0) throw_socket_error(errno, "getsockopt");
    return value;
}

void Socket::bind(const Address& a) {
    if (::bind(fd_, a.data(), a.size()) < 0) throw_socket_error(errno, ("bind " + a.to_string()).c_str());
}

void Socket::listen(int backlog) {
    if (::listen(fd_, backlog) < 0) throw_socket_error(errno, "listen");
}

void Socket::await(Direction d, const char* call, TimePoint& deadline) {
    if (fd_ < 0) throw SocketError(EBADF, std::string(call) + ": the socket is closed");
    if (deadline == TimePoint::min()) deadline = timeout_.deadline();
    auto w = watch_;  // keeps the PolledFd alive if another greenlet closes the socket meanwhile
    if (!reactor_of(*w, call).wait(*w, d == Direction::write, deadline)) throw SocketTimeout(call);
    if (w->closed) throw SocketError(EBADF, std::string(call) + ": the socket was closed by another greenlet");
}

template <class Attempt>
std::size_t Socket::io(Direction d, const char* call, Attempt attempt) {
    TimePoint deadline = TimePoint::min();
    for (;;) {
        if (fd_ < 0) throw SocketError(EBADF, std::string(call) + ": the socket is closed");
        bool& ready = d == Direction::read ? watch_->readable : watch_->writable;
        if (ready || !getblocking()) {  // a non-blocking socket never parks, so it always tries
            const ssize_t r = attempt();
            if (r >= 0) return static_cast<std::size_t>(r);
            const int err = errno;
            if (err == EINTR) continue;
            if (!would_block(err)) throw_socket_error(err, call);
            ready = false;
            if (!getblocking()) throw WouldBlock(err, call);
        }
        await(d, call, deadline);
    }
}

std::pair<Socket, Address> Socket::accept() {
    Address peer;
    const auto fd = io(Direction::read, "accept", [&] {
        *peer.size_ptr() = sizeof(sockaddr_storage);
        return libc::accept4(fd_, peer.data(), peer.size_ptr(), SOCK_NONBLOCK | SOCK_CLOEXEC);
    });
    return {Socket(static_cast<int>(fd)), peer};
}

void Socket::connect(const Address& a) {
    if (libc::connect(fd_, a.data(), a.size()) == 0) return;
    const std::string call = "connect " + a.to_string();
    if (errno != EINPROGRESS && errno != EINTR) throw_socket_error(errno, call.c_str());
    if (!getblocking()) throw WouldBlock(errno, call);
    TimePoint deadline = TimePoint::min();
    watch_->writable = false;
    for (;;) {
        await(Direction::write, call.c_str(), deadline);
        const int err = getsockopt(SOL_SOCKET, SO_ERROR);
        if (err) throw_socket_error(err, call.c_str());
        sockaddr_storage peer;
        socklen_t len = sizeof peer;
        if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &len) == 0) return;
        watch_->writable = false;  // an early wake-up: still connecting
    }
}

std::size_t Socket::recv_into(void* buffer, std::size_t n, int flags) {
    if (n == 0) return 0;
    if (flags == 0) {
        iovec iov{buffer, n};
        return readv_some(&iov, 1);
    }
    return io(Direction::read, "recv", [&] { return libc::recv(fd_, buffer, n, flags); });
}

std::string Socket::recv(std::size_t n, int flags) {
    std::string out(n, '\0');
    out.resize(recv_into(out.data(), n, flags));
    return out;
}

std::size_t Socket::readv_some(iovec* iov, std::size_t n) {
    if (n == 0) return 0;
    std::size_t want = 0;
    for (std::size_t i = 0; i < n; ++i) want += iov[i].iov_len;
    const auto r = io(Direction::read, "recv", [&] {
        return n == 1 ? libc::recv(fd_, iov[0].iov_base, iov[0].iov_len, 0)
                      : libc::readv(fd_, iov, static_cast<int>(n));
    });
    // A stream socket that gave less than asked for is drained; its next edge will say when
    // more arrives, so skip the read that would fail with EAGAIN. Only once it is registered
    // (no edges before), and not once the peer has shut down (no edge would come again).
    if (stream_ && r > 0 && r < want && watch_->reactor && !watch_->eof) watch_->readable = false;
    return r;
}

std::optional<std::size_t> Socket::try_recv_into(void* buffer, std::size_t n) {
    if (fd_ < 0) throw SocketError(EBADF, "recv: the socket is closed");
    if (!watch_->readable) return std::nullopt;
    for (;;) {
        const ssize_t r = libc::recv(fd_, buffer, n, MSG_DONTWAIT);
        if (r >= 0) {
            // The same short-read rule as readv_some.
            if (stream_ && r > 0 && std::size_t(r) < n && watch_->reactor && !watch_->eof) watch_->readable = false;
            return static_cast<std::size_t>(r);
        }
        if (errno == EINTR) continue;
        if (!would_block(errno)) throw_socket_error(errno, "recv");
        // From now on the hub's epoll says when it is readable again.
        reactor_of(*watch_, "recv").ensure_registered(*watch_);
        watch_->readable = false;
        return std::nullopt;
    }
}

std::size_t Socket::writev_some(const iovec* iov, std::size_t n) {
    if (n == 0) return 0;
    // One buffer, or a few small pieces (a frame header and its payload, a response's head and
    // body) gathered into one: send() costs the kernel less than sendmsg's vector.
    constexpr std::size_t gather_limit = 512;
    if (n == 1) {
        return io(Direction::write, "send",
                  [&] { return libc::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL); });
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < n && total <= gather_limit; ++i) total += iov[i].iov_len;
    if (total <= gather_limit) {
        char gathered[gather_limit];
        char* p = gathered;
        for (std::size_t i = 0; i < n; ++i) {
            std::memcpy(p, iov[i].iov_base, iov[i].iov_len);
            p += iov[i].iov_len;
        }
        return io(Direction::write, "send", [&] { return libc::send(fd_, gathered, total, MSG_NOSIGNAL); });
    }
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = n;
    return io(Direction::write, "send", [&] { return libc::sendmsg(fd_, &msg, MSG_NOSIGNAL); });
}

std::size_t Socket::readv_some(iovec* iov, std::size_t n, boost::system::error_code& ec) {
    ec.clear();
    try {
        const auto got = readv_some(iov, n);
        if (got == 0 && n > 0) ec = boost::asio::error::eof;
        return got;
    } catch (const SocketError& e) {
        ec = boost::system::error_code(e.code().value(), boost::system::system_category());
        return 0;
    }
}

std::size_t Socket::writev_some(const iovec* iov, std::size_t n, boost::system::error_code& ec) {
    ec.clear();
    try {
        return writev_some(iov, n);
    } catch (const SocketError& e) {
        ec = boost::system::error_code(e.code().value(), boost::system::system_category());
        return 0;
    }
}

std::size_t Socket::send(std::string_view data, int flags) {
    return io(Direction::write, "send",
              [&] { return libc::send(fd_, data.data(), data.size(), flags | MSG_NOSIGNAL); });
}

void Socket::sendall(std::string_view data, int flags) {
    while (!data.empty()) data.remove_prefix(send(data, flags));
}

std::size_t Socket::sendfile(int file_fd, off_t offset, std::optional<std::size_t> count) {
    if (!stream_) throw std::invalid_argument("Socket::sendfile: only SOCK_STREAM sockets send files");
    if (count && *count == 0) {
        throw std::invalid_argument("Socket::sendfile: count must be positive — give nullopt for the whole file");
    }
    struct stat st;
    if (::fstat(file_fd, &st) < 0) throw_socket_error(errno, "sendfile: fstat of the file");
    if (st.st_size == 0) return 0;  // Python's answer, for an empty file and a pipe alike
    const std::size_t blocksize = std::min<std::size_t>(count.value_or(st.st_size), std::size_t{1} << 30);
    std::size_t total = 0;
    struct Seek {  // leaves the file's offset after what was sent, however we leave
        int fd;
        const off_t& offset;
        const std::size_t& total;
        ~Seek() {
            if (total > 0) ::lseek(fd, offset + static_cast<off_t>(total), SEEK_SET);
        }
    } seek{file_fd, offset, total};
    for (;;) {
        const std::size_t want = count ? std::min(*count - total, blocksize) : blocksize;
        if (want == 0) return total;
        off_t at = offset + static_cast<off_t>(total);
        const std::size_t sent = io(Direction::write, "sendfile", [&] { return ::sendfile(fd_, file_fd, &at, want); });
        if (sent == 0) return total;  // the file ended
        total += sent;
    }
}

void Socket::sendall(std::span<const boost::asio::const_buffer> buffers) {
    std::array<iovec, max_iov> iov;
    while (!buffers.empty()) {
        std::size_t n = 0, total = 0;
        for (; n < iov.size() && n < buffers.size(); ++n) {
            iov[n].iov_base = const_cast<void*>(buffers[n].data());
            iov[n].iov_len = buffers[n].size();
            total += iov[n].iov_len;
        }
        std::size_t sent = writev_some(iov.data(), n);
        if (sent == total) {  // most often
            buffers = buffers.subspan(n);
            continue;
        }
        // Past what went out: whole buffers, then the part of one.
        while (!buffers.empty() && sent >= buffers.front().size()) {
            sent -= buffers.front().size();
            buffers = buffers.subspan(1);
        }
        if (sent) {
            const auto rest = buffers.front() + sent;
            sendall({static_cast<const char*>(rest.data()), rest.size()});
            buffers = buffers.subspan(1);
        }
    }
}

std::pair<std::size_t, Address> Socket::recvfrom_into(void* buffer, std::size_t n, int flags) {
    Address from;
    const auto got = io(Direction::read, "recvfrom", [&] {
        *from.size_ptr() = sizeof(sockaddr_storage);
        return libc::recvfrom(fd_, buffer, n, flags, from.data(), from.size_ptr());
    });
    return {got, from};
}

std::pair<std::string, Address> Socket::recvfrom(std::size_t n, int flags) {
    std::string buf(n, '\0');
    auto [got, from] = recvfrom_into(buf.data(), n, flags);
    buf.resize(got);
    return {std::move(buf), from};
}

std::size_t Socket::sendto(std::string_view data, const Address& a, int flags) {
    return io(Direction::write, "sendto",
              [&] { return libc::sendto(fd_, data.data(), data.size(), flags | MSG_NOSIGNAL, a.data(), a.size()); });
}

void Socket::shutdown(int how) {
    if (::shutdown(fd_, how) < 0) throw_socket_error(errno, "shutdown");
}

Address Socket::getsockname() const {
    Address a;
    if (::getsockname(fd_, a.data(), a.size_ptr()) < 0) throw_socket_error(errno, "getsockname");
    return a;
}

Address Socket::getpeername() const {
    Address a;
    if (::getpeername(fd_, a.data(), a.size_ptr()) < 0) throw_socket_error(errno, "getpeername");
    return a;
}

bool Socket::notify_readable(std::function<void()> fn) {
    if (fd_ < 0) throw SocketError(EBADF, "notify_readable: the socket is closed");
    reactor_of(*watch_, "notify_readable").ensure_registered(*watch_);
    if (watch_->readable) {
        char c;
        const ssize_t r = libc::recv(fd_, &c, 1, MSG_PEEK);
        if (r >= 0 || !would_block(errno)) return false;  // data, end of stream or an error: read it
        watch_->readable = false;
    }
    watch_->on_readable = std::move(fn);
    return true;
}

void Socket::wait_read(Seconds timeout) {
    if (fd_ < 0) throw SocketError(EBADF, "wait_read: the socket is closed");
    // Data may be there, its edge seen and spent, unless a read came back empty-handed or
    // short since: then the hub's epoll says when more comes, and asking costs a syscall.
    if (watch_->readable) {
        pollfd p{fd_, POLLIN, 0};
        if (libc::poll(&p, 1, 0) > 0) return;
        watch_->readable = false;
    }
    TimePoint deadline = timeout.deadline();
    await(Direction::read, "wait_read", deadline);
}

void Socket::wait_write(Seconds timeout) {
    pollfd p{fd_, POLLOUT, 0};
    if (libc::poll(&p, 1, 0) > 0) {
        watch_->writable = true;
        return;
    }
    TimePoint deadline = timeout.deadline();
    watch_->writable = false;
    await(Direction::write, "wait_write", deadline);
}

Socket create_connection(const std::string& host, std::uint16_t port, Seconds timeout, const Address* source) {
    const auto deadline = timeout.deadline();
    std::exception_ptr last;
    for (const auto& a : getaddrinfo(host, port, AF_UNSPEC, SOCK_STREAM, timeout)) {
        try {
            Socket s(a.family(), SOCK_STREAM);
            if (a.family() != AF_UNIX) s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
            if (source) s.bind(*source);
            if (timeout) {
                const auto left = deadline - Clock::now();
                if (left <= Clock::duration::zero()) throw SocketTimeout("connect " + a.to_string());
                s.settimeout(left);
            }
            s.connect(a);
            s.settimeout(timeout);
            return s;
        } catch (const SocketError&) {
            last = std::current_exception();
        }
    }
    if (last) std::rethrow_exception(last);
    throw AddressError("create_connection: no address for '" + host + "'");
}

}  // namespace gev::net
