// gev::net::BaseServer: what StreamServer and DatagramServer share, gevent.baseserver's job:
// options, the greenlet that accepts or receives, the Group (or Pool) of handler greenlets,
// and the lifecycle start / serve_forever / stop(timeout).
//
// stop(timeout) stops taking new work at once, lets handlers finish for up to `timeout`
// (ServerOptions::stop_timeout by default), then kills the rest; it may be called from a
// handler. serve_forever() returns once stop() finished. A gev::Timeout of the caller's (or a
// kill) that fires during the wait raises from stop(), which still kills the handlers left and
// leaves the server stopped. close() stops taking new work for good but leaves the handlers
// running (gevent's close). stop_accepting() pauses taking new work without closing anything:
// new connections queue in the listener's backlog until start_accepting(). A server belongs
// to the hub that started it; call these from its greenlets.
#pragma once

#include <cstddef>
#include <geventpp/net/address.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/pool.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <memory>
#include <string_view>
#include <utility>

namespace gev::net {

struct ServerOptions {
    int backlog = 1024;
    // 0: a greenlet for every connection or datagram; N: at most N at once (gevent's
    // spawn=Pool(N)); the accept loop waits while the pool is full.
    std::size_t spawn = 0;
    // gevent's spawn=pool: the handlers are spawned in this Group or Pool of the caller's
    // (which must outlive the server; a full Pool pauses accepting, as `spawn` does). stop()
    // kills what is left in it, as gevent's does. One hub's: not with gev::net::serve on
    // several threads. Takes precedence over `spawn`.
    Group* pool = nullptr;
    // After this many connections (or datagrams) in a row the accept loop lets the handlers it
    // spawned run before it takes more (gevent's max_accept, accepts per wake-up).
    std::size_t max_accept = 100;
    // SO_REUSEPORT, so several hubs can each listen on the same port.
    bool reuse_port = false;
    // TCP_NODELAY on accepted TCP connections (as Go's net/http does).
    bool nodelay = true;
    Seconds stop_timeout = 1.0;
    // TLS servers (StreamServer with an SSLContext, HTTPS): the handshake must be done within
    // this, so a client that connects and sends nothing holds its greenlet no longer.
    Seconds handshake_timeout = 10.0;
};

// gevent.baseserver.parse_address: a listener given as a string, gevent's forms:
// "8080" and ":8080" (all IPv4 interfaces), "*:8080", "127.0.0.1:8080", "[::1]:8080",
// "[::]:8080", "localhost:8080" (a name is resolved: IPv4 unless in brackets; this blocks the
// greenlet). Throws AddressError("Failed to parse address ...") for anything else.
Address parse_address(std::string_view listener);

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
    // Takes no new work from now on and closes the listener; running handlers go on.
    void close();
    bool closed() const noexcept { return closed_; }

    // Pauses the accept (or receive) loop; the listener stays open and what arrives waits in
    // the kernel. A loop waiting for a connection ends there (this blocks until it has); one
    // handing a connection off (to a full Pool) pauses before it takes the next: nothing
    // accepted is lost.
    void stop_accepting();
    // Resumes a started server's paused loop; nothing after close() or stop().
    void start_accepting();
    bool accepting() const noexcept { return accepting_; }

    bool started() const noexcept { return started_; }
    // The address it serves on; with port 0, the port the kernel chose.
    Address address() const { return address_; }
    std::uint16_t server_port() const { return address_.port(); }
    // Handlers running now (with ServerOptions::pool, everything in that Group or Pool).
    std::size_t connections() const noexcept { return handlers_->size(); }

protected:
    BaseServer(Address address, ServerOptions options);

    // Creates and binds the socket; sets address_ to what was bound.
    virtual void open() = 0;
    // Accepts or receives while accepting(), and returns when not (or the socket is closed).
    // Must make its wait for new work through wait_for_work(), and call took_work() after
    // handing each connection or datagram to spawn_handler().
    virtual void serve_loop() = 0;
    // At close(): take no new work for good (a StreamServer closes its listener).
    virtual void close_listener() noexcept {}
    // At stop(), before waiting for the handlers: tell long-lived work the server stops.
    virtual void stopping_handlers() noexcept {}
    // At stop, last, once the handlers are gone (a DatagramServer closes its socket).
    virtual void release() noexcept {}

    // Runs `wait` (the loop's wait for a connection or datagram), the one place where
    // stop_accepting() interrupts the loop.
    template <class F>
    auto wait_for_work(F&& wait) {
        struct Waiting {
            bool& flag;
            explicit Waiting(bool& f) : flag(f) { flag = true; }
            ~Waiting() { flag = false; }
        } waiting{waiting_};
        return wait();
    }
    // Spawns a handler in the server's Group or Pool (waiting for room in a full Pool).
    template <class F, class... Args>
    void spawn_handler(F&& fn, Args&&... args) {
        handlers_->spawn(std::forward<F>(fn), std::forward<Args>(args)...);
    }
    // The loop took one more connection or datagram: after max_accept in a row, the handlers it
    // spawned run before it takes more. A blocking point: call it from the loop only.
    void took_work();
    bool stopping() const noexcept { return stopping_; }

    Address address_;
    ServerOptions options_;

private:
    std::unique_ptr<Group> own_handlers_;
    Group* handlers_;
    AnyGreenlet loop_;
    Event stopped_;
    std::size_t taken_in_a_row_ = 0;
    bool started_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    bool accepting_ = false;
    bool waiting_ = false;
};

}  // namespace gev::net
