// The patched socket calls. Inside a greenlet, on a blocking fd, each call is made with
// MSG_DONTWAIT (one system call when the socket is ready, as with libc) and, when it would
// block, the greenlet parks on the hub until the fd is ready, then tries again; the thread
// runs other greenlets meanwhile. The first attempt also tells sockets from other fds: read()
// and write() on a pipe or tty wait for readiness, then call libc.
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <geventpp/runtime/sleep.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detail/fd_wait.hpp"
#include "detail/libc.hpp"
#include "detail/monkey.hpp"
#include "detail/resolver.hpp"

namespace libc = gev::net::detail::libc;
namespace monkey = gev::monkey::detail;

namespace {

using libc::would_block;

// What a call that moved `done` bytes before failing with `err` returns, as libc does.
ssize_t partial_or_error(std::size_t done, int err) {
    if (done > 0) return static_cast<ssize_t>(done);
    errno = err;
    return -1;
}

// msg's iovecs, copied on first use so that skipping past transferred bytes leaves the
// caller's array alone.
class Cursor {
public:
    explicit Cursor(msghdr& msg) : msg_(msg) {}
    void skip(std::size_t n) {
        if (iov_.empty()) {
            iov_.assign(msg_.msg_iov, msg_.msg_iov + msg_.msg_iovlen);
            msg_.msg_iov = iov_.data();
        }
        while (n > 0 && msg_.msg_iovlen > 0) {
            auto& v = msg_.msg_iov[0];
            const std::size_t step = std::min(n, v.iov_len);
            v.iov_base = static_cast<char*>(v.iov_base) + step;
            v.iov_len -= step;
            n -= step;
            if (v.iov_len == 0) {
                ++msg_.msg_iov;
                --msg_.msg_iovlen;
            }
        }
    }

private:
    msghdr& msg_;
    std::vector<iovec> iov_;
};

std::size_t total(const msghdr& msg) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < msg.msg_iovlen; ++i) n += msg.msg_iov[i].iov_len;
    return n;
}

bool stream_socket(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

// Waits until fd is ready for `events`, or the deadline of `timeout_option`, computed when
// first needed. False when the deadline passed.
class Waiting {
public:
    Waiting(int fd, short events, int timeout_option) : fd_(fd), events_(events), option_(timeout_option) {}
    bool wait() {
        if (deadline_ == gev::TimePoint::min()) deadline_ = monkey::socket_deadline(fd_, option_);
        return gev::net::detail::wait_fd(fd_, events_, deadline_);
    }

private:
    int fd_;
    short events_;
    int option_;
    gev::TimePoint deadline_ = gev::TimePoint::min();
};

// Which system call a transfer makes: recv, read, recvfrom and their sending twins (one
// buffer, no ancillary data, no msg_flags to report) make the cheaper recvfrom/sendto;
// recvmsg, sendmsg, readv and writev need the msghdr ones.
enum class Form { plain, message };

ssize_t receive_once(int fd, msghdr& m, int flags, Form form) {
    if (form == Form::message || m.msg_iovlen != 1) return libc::recvmsg(fd, &m, flags);
    return libc::recvfrom(fd, m.msg_iov[0].iov_base, m.msg_iov[0].iov_len, flags, static_cast<sockaddr*>(m.msg_name),
                          m.msg_name ? &m.msg_namelen : nullptr);
}

ssize_t transmit_once(int fd, const msghdr& m, int flags, Form form) {
    if (form == Form::message || m.msg_iovlen != 1) return libc::sendmsg(fd, &m, flags);
    return libc::sendto(fd, m.msg_iov[0].iov_base, m.msg_iov[0].iov_len, flags,
                        static_cast<const sockaddr*>(m.msg_name), m.msg_namelen);
}

// recvmsg(2) as on a blocking socket. `not_socket` makes the call for an fd that is no socket.
template <class NotSocket>
ssize_t receive(int fd, msghdr* msg, int flags, Form form, NotSocket not_socket) {
    if (flags & MSG_DONTWAIT) return receive_once(fd, *msg, flags, form);
    Waiting waiting(fd, POLLIN, SO_RCVTIMEO);
    if (!(flags & MSG_WAITALL)) {
        for (;;) {
            const ssize_t r = receive_once(fd, *msg, flags | MSG_DONTWAIT, form);
            if (r >= 0) return r;
            const int err = errno;
            if (err == ENOTSOCK) return not_socket();
            if (err == EINTR) continue;
            if (!would_block(err) || monkey::nonblocking(fd)) return partial_or_error(0, err);
            if (!waiting.wait()) return partial_or_error(0, EAGAIN);
        }
    }
    // MSG_WAITALL: a stream socket fills the whole buffer unless the stream ends or fails first.
    if (!stream_socket(fd)) return receive(fd, msg, flags & ~MSG_WAITALL, form, not_socket);
    msghdr m = *msg;
    Cursor cursor(m);
    const std::size_t want = total(m);
    std::size_t done = 0;
    while (done < want) {
        const ssize_t r = receive_once(fd, m, (flags & ~MSG_WAITALL) | MSG_DONTWAIT, form);
        if (r > 0) {
            done += static_cast<std::size_t>(r);
            cursor.skip(static_cast<std::size_t>(r));
            continue;
        }
        if (r == 0) break;
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err) || monkey::nonblocking(fd)) return partial_or_error(done, err);
        if (!waiting.wait()) return partial_or_error(done, EAGAIN);
    }
    msg->msg_namelen = m.msg_namelen;
    msg->msg_controllen = m.msg_controllen;
    msg->msg_flags = m.msg_flags;
    return static_cast<ssize_t>(done);
}

// sendmsg(2) as on a blocking socket: a stream socket's send returns once all of it is sent.
template <class NotSocket>
ssize_t transmit(int fd, const msghdr* msg, int flags, Form form, NotSocket not_socket) {
    if (flags & MSG_DONTWAIT) return transmit_once(fd, *msg, flags, form);
    Waiting waiting(fd, POLLOUT, SO_SNDTIMEO);
    msghdr m = *msg;
    Cursor cursor(m);
    const std::size_t want = total(m);
    std::size_t done = 0;
    for (;;) {
        const ssize_t r = transmit_once(fd, m, flags | MSG_DONTWAIT, form);
        if (r >= 0) {
            done += static_cast<std::size_t>(r);
            if (done >= want) return static_cast<ssize_t>(done);
            cursor.skip(static_cast<std::size_t>(r));
            m.msg_control = nullptr;  // ancillary data went with the first bytes
            m.msg_controllen = 0;
            continue;
        }
        const int err = errno;
        if (err == ENOTSOCK) return not_socket();
        if (err == EINTR) continue;
        if (!would_block(err) || monkey::nonblocking(fd)) return partial_or_error(done, err);
        if (!waiting.wait()) return partial_or_error(done, EAGAIN);
    }
}

// read()/write() on an fd that is no socket (pipe, tty, file): wait until it is ready unless
// the caller made it non-blocking, then let libc do it.
template <class Call>
auto when_ready(int fd, short events, Call call) {
    if (!monkey::nonblocking(fd)) gev::net::detail::wait_fd(fd, events, gev::detail::forever);
    return call();
}

auto not_a_socket() {
    return [] {
        errno = ENOTSOCK;
        return ssize_t(-1);
    };
}

msghdr message(const iovec* iov, int count) {
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(iov);
    m.msg_iovlen = static_cast<std::size_t>(count);
    return m;
}

msghdr message(void* buffer, std::size_t n, iovec& iov) {
    iov = {buffer, n};
    return message(&iov, 1);
}

// A lookup's answer, freed unless the caller takes it (it may be killed while waiting).
struct Answer {
    int rc = 0;
    int err = 0;
    addrinfo* list = nullptr;
    ~Answer() {
        if (list) ::freeaddrinfo(list);
    }
};

}  // namespace

extern "C" {

ssize_t read(int fd, void* buffer, size_t n) {
    if (!monkey::cooperative(monkey::socket)) return libc::read(fd, buffer, n);
    iovec iov;
    auto m = message(buffer, n, iov);
    return receive(fd, &m, 0, Form::plain,
                   [&] { return when_ready(fd, POLLIN, [&] { return libc::read(fd, buffer, n); }); });
}

ssize_t write(int fd, const void* buffer, size_t n) {
    if (!monkey::cooperative(monkey::socket)) return libc::write(fd, buffer, n);
    iovec iov;
    const auto m = message(const_cast<void*>(buffer), n, iov);
    return transmit(fd, &m, 0, Form::plain,
                    [&] { return when_ready(fd, POLLOUT, [&] { return libc::write(fd, buffer, n); }); });
}

ssize_t readv(int fd, const iovec* iov, int count) {
    if (count < 0 || !monkey::cooperative(monkey::socket)) return libc::readv(fd, iov, count);
    auto m = message(iov, count);
    return receive(fd, &m, 0, Form::message,
                   [&] { return when_ready(fd, POLLIN, [&] { return libc::readv(fd, iov, count); }); });
}

ssize_t writev(int fd, const iovec* iov, int count) {
    if (count < 0 || !monkey::cooperative(monkey::socket)) return libc::writev(fd, iov, count);
    const auto m = message(iov, count);
    return transmit(fd, &m, 0, Form::message,
                    [&] { return when_ready(fd, POLLOUT, [&] { return libc::writev(fd, iov, count); }); });
}

ssize_t recv(int fd, void* buffer, size_t n, int flags) {
    if (!monkey::cooperative(monkey::socket)) return libc::recv(fd, buffer, n, flags);
    iovec iov;
    auto m = message(buffer, n, iov);
    return receive(fd, &m, flags, Form::plain, not_a_socket());
}

ssize_t send(int fd, const void* buffer, size_t n, int flags) {
    if (!monkey::cooperative(monkey::socket)) return libc::send(fd, buffer, n, flags);
    iovec iov;
    const auto m = message(const_cast<void*>(buffer), n, iov);
    return transmit(fd, &m, flags, Form::plain, not_a_socket());
}

ssize_t recvfrom(int fd, void* buffer, size_t n, int flags, sockaddr* from, socklen_t* from_len) {
    if (!monkey::cooperative(monkey::socket) || (from && !from_len)) {
        return libc::recvfrom(fd, buffer, n, flags, from, from_len);
    }
    iovec iov;
    auto m = message(buffer, n, iov);
    m.msg_name = from;
    m.msg_namelen = from ? *from_len : 0;
    const ssize_t r = receive(fd, &m, flags, Form::plain, not_a_socket());
    if (r >= 0 && from) *from_len = m.msg_namelen;
    return r;
}

ssize_t sendto(int fd, const void* buffer, size_t n, int flags, const sockaddr* to, socklen_t to_len) {
    if (!monkey::cooperative(monkey::socket)) return libc::sendto(fd, buffer, n, flags, to, to_len);
    iovec iov;
    auto m = message(const_cast<void*>(buffer), n, iov);
    m.msg_name = const_cast<sockaddr*>(to);
    m.msg_namelen = to ? to_len : 0;
    return transmit(fd, &m, flags, Form::plain, not_a_socket());
}

ssize_t recvmsg(int fd, msghdr* msg, int flags) {
    if (!monkey::cooperative(monkey::socket)) return libc::recvmsg(fd, msg, flags);
    return receive(fd, msg, flags, Form::message, not_a_socket());
}

ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
    if (!monkey::cooperative(monkey::socket)) return libc::sendmsg(fd, msg, flags);
    return transmit(fd, msg, flags, Form::message, not_a_socket());
}

int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
    if (!monkey::cooperative(monkey::socket) || monkey::nonblocking(fd)) return libc::accept4(fd, addr, len, flags);
    if (!Waiting(fd, POLLIN, SO_RCVTIMEO).wait()) return static_cast<int>(partial_or_error(0, EAGAIN));
    return libc::accept4(fd, addr, len, flags);
}

int accept(int fd, sockaddr* addr, socklen_t* len) {
    return accept4(fd, addr, len, 0);
}

int connect(int fd, const sockaddr* addr, socklen_t len) {
    if (!monkey::cooperative(monkey::socket)) return libc::connect(fd, addr, len);
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK) || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return libc::connect(fd, addr, len);
    }
    struct Restore {  // the fd is the caller's blocking fd again however this ends
        int fd, flags;
        ~Restore() {
            const int saved = errno;
            ::fcntl(fd, F_SETFL, flags);
            errno = saved;
        }
    } restore{fd, flags};
    const auto deadline = monkey::socket_deadline(fd, SO_SNDTIMEO);
    int r = libc::connect(fd, addr, len);
    // A Unix socket whose listener's backlog is full refuses at once instead of connecting in
    // the background: retry while the caller's time lasts.
    while (r < 0 && errno == EAGAIN) {
        if (gev::Clock::now() >= deadline) return static_cast<int>(partial_or_error(0, EAGAIN));
        gev::sleep(std::chrono::milliseconds(10));
        r = libc::connect(fd, addr, len);
    }
    if (r == 0 || errno != EINPROGRESS) return r;
    if (!gev::net::detail::wait_fd(fd, POLLOUT, deadline)) return static_cast<int>(partial_or_error(0, EINPROGRESS));
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    return err ? static_cast<int>(partial_or_error(0, err)) : 0;
}

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
    if (!monkey::cooperative(monkey::socket)) return libc::getaddrinfo(node, service, hints, res);
    // Copies: the lookup may outlive this frame if the greenlet is killed while it waits.
    std::optional<std::string> host, port;
    if (node) host = node;
    if (service) port = service;
    std::optional<addrinfo> want;
    if (hints) {
        want = addrinfo{};
        want->ai_flags = hints->ai_flags;
        want->ai_family = hints->ai_family;
        want->ai_socktype = hints->ai_socktype;
        want->ai_protocol = hints->ai_protocol;
    }
    auto answer = gev::net::detail::resolver_pool()
                      .spawn([host, port, want] {
                          auto a = std::make_shared<Answer>();
                          a->rc = libc::getaddrinfo(host ? host->c_str() : nullptr, port ? port->c_str() : nullptr,
                                                    want ? &*want : nullptr, &a->list);
                          a->err = errno;
                          return a;
                      })
                      .get();
    *res = std::exchange(answer->list, nullptr);
    if (answer->rc == EAI_SYSTEM) errno = answer->err;
    return answer->rc;
}

// _FORTIFY_SOURCE builds call these checked forms instead.
[[noreturn]] void __chk_fail() noexcept;

ssize_t __read_chk(int fd, void* buffer, size_t n, size_t buffer_len) {
    if (n > buffer_len) __chk_fail();
    return read(fd, buffer, n);
}

ssize_t __recv_chk(int fd, void* buffer, size_t n, size_t buffer_len, int flags) {
    if (n > buffer_len) __chk_fail();
    return recv(fd, buffer, n, flags);
}

ssize_t __recvfrom_chk(int fd, void* buffer, size_t n, size_t buffer_len, int flags, sockaddr* from,
                       socklen_t* from_len) {
    if (n > buffer_len) __chk_fail();
    return recvfrom(fd, buffer, n, flags, from, from_len);
}

}  // extern "C"
