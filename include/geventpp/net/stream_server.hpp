// gev::net::StreamServer: accept connections and handle each in its own greenlet,
// gevent.server.StreamServer.
//
//   gev::net::StreamServer server({"127.0.0.1", 16000}, [](gev::net::Socket& sock, const gev::net::Address& peer) {
//       sock.sendall("Welcome to the echo server! Type quit to exit.\r\n");
//       ...
//   });
//   server.serve_forever();
//
// start() binds and listens at once (so EADDRINUSE is thrown there) and spawns the accept
// loop; serve_forever() blocks until stop(). stop(timeout) stops accepting, lets handlers finish
// for up to `timeout` (ServerOptions::stop_timeout by default), then kills the rest. The
// socket is closed when its handler returns. A handler's exception is reported on stderr and
// ends only its connection. Running out of file descriptors (EMFILE/ENFILE) makes the accept
// loop back off and say so once; it serves again when descriptors free up.
// A server belongs to the hub that started it; for several cores see gev::net::serve.
#pragma once

#include <cstddef>
#include <functional>
#include <geventpp/net/address.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <memory>

namespace gev {
class Group;
}

namespace gev::net {

struct ServerOptions {
    int backlog = 1024;
    // 0: a greenlet for every connection; N: at most N at once (gevent's spawn=Pool(N)); the
    // accept loop waits while the pool is full.
    std::size_t spawn = 0;
    // SO_REUSEPORT, so several hubs can each listen on the same port.
    bool reuse_port = false;
    // TCP_NODELAY on accepted TCP connections (as Go's net/http does).
    bool nodelay = true;
    Seconds stop_timeout = 1.0;
};

class StreamServer {
public:
    using Handler = std::function<void(Socket&, const Address&)>;

    StreamServer(Address address, Handler handler, ServerOptions options = {});
    // Serves on a socket that is already bound and listening (gevent's StreamServer(listener)).
    StreamServer(Socket listener, Handler handler, ServerOptions options = {});
    ~StreamServer();
    StreamServer(const StreamServer&) = delete;
    StreamServer& operator=(const StreamServer&) = delete;

    void start();
    void serve_forever();
    // Stops the server (see above); a default Seconds means options.stop_timeout.
    void stop(Seconds timeout = {});

    bool started() const noexcept { return started_; }
    // The address it listens on; with port 0, the port the kernel chose.
    Address address() const;
    std::uint16_t server_port() const { return address().port(); }
    // Connections being handled now.
    std::size_t connections() const noexcept;

private:
    void accept_loop();

    Address address_;
    Handler handler_;
    ServerOptions options_;
    Socket listener_;
    std::unique_ptr<Group> handlers_;
    AnyGreenlet acceptor_;
    Event stopped_;
    bool started_ = false;
    bool stopping_ = false;
};

// Creates a socket bound to `address` and listening, with SO_REUSEADDR (and SO_REUSEPORT if
// asked); Unix-domain paths are unlinked first.
Socket listen_on(const Address& address, int backlog = 1024, bool reuse_port = false);

}  // namespace gev::net
