// gev::net::BaseServer: what StreamServer and DatagramServer share, gevent.baseserver's job:
// options, the greenlet that accepts or receives, the Group (or Pool) of handler greenlets,
// and the lifecycle start / serve_forever / stop(timeout).
//
// stop(timeout) stops taking new work at once, lets handlers finish for up to `timeout`
// (ServerOptions::stop_timeout by default), then kills the rest; it may be called from a
// handler. serve_forever() returns once stop() finished. A gev::Timeout of the caller's (or a
// kill) that fires during the wait raises from stop(), which still kills the handlers left and
// leaves the server stopped. A server belongs to the hub that started it.
#pragma once

#include <cstddef>
#include <geventpp/net/address.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/pool.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <memory>
#include <utility>

namespace gev::net {

struct ServerOptions {
    int backlog = 1024;
    // 0: a greenlet for every connection or datagram; N: at most N at once (gevent's
    // spawn=Pool(N)); the accept loop waits while the pool is full.
    std::size_t spawn = 0;
    // SO_REUSEPORT, so several hubs can each listen on the same port.
    bool reuse_port = false;
    // TCP_NODELAY on accepted TCP connections (as Go's net/http does).
    bool nodelay = true;
    Seconds stop_timeout = 1.0;
    // TLS servers (StreamServer with an SSLContext, HTTPS): the handshake must be done within
    // this, so a client that connects and sends nothing holds its greenlet no longer.
    Seconds handshake_timeout = 10.0;
};

class BaseServer {
public:
    virtual ~BaseServer();
    BaseServer(const BaseServer&) = delete;
    BaseServer& operator=(const BaseServer&) = delete;

    // Binds at once (so EADDRINUSE is thrown here) and starts serving in a greenlet.
    void start();
    void serve_forever();
    // A default Seconds means options.stop_timeout.
    void stop(Seconds timeout = {});

    bool started() const noexcept { return started_; }
    // The address it serves on; with port 0, the port the kernel chose.
    Address address() const { return address_; }
    std::uint16_t server_port() const { return address_.port(); }
    // Handlers running now.
    std::size_t connections() const noexcept { return handlers_->size(); }

protected:
    BaseServer(Address address, ServerOptions options);

    // Creates and binds the socket; sets address_ to what was bound.
    virtual void open() = 0;
    // Accepts or receives until the socket is closed or the greenlet is killed.
    virtual void serve_loop() = 0;
    // At stop, first: take no new work (a StreamServer closes its listener).
    virtual void stop_accepting() noexcept {}
    // At stop, last, once the handlers are gone (a DatagramServer closes its socket).
    virtual void release() noexcept {}

    template <class F, class... Args>
    void spawn_handler(F&& fn, Args&&... args) {
        handlers_->spawn(std::forward<F>(fn), std::forward<Args>(args)...);
    }
    bool stopping() const noexcept { return stopping_; }

    Address address_;
    ServerOptions options_;

private:
    std::unique_ptr<Group> handlers_;
    AnyGreenlet loop_;
    Event stopped_;
    bool started_ = false;
    bool stopping_ = false;
};

}  // namespace gev::net
