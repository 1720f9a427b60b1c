#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <geventpp/net/ssl_context.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <geventpp/net/stream_server.hpp>
#include <geventpp/runtime/sleep.hpp>

namespace gev::net {

using namespace std::chrono_literals;

Socket listen_on(const Address& address, int backlog, bool reuse_port) {
    Socket s(address.family(), SOCK_STREAM);
    if (address.family() == AF_UNIX) {
        ::unlink(address.path().c_str());
    } else {
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        if (reuse_port) s.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    }
    s.bind(address);
    s.listen(backlog);
    return s;
}

StreamServer::StreamServer(Address address, Handler handler, ServerOptions options)
    : BaseServer(address, options), handler_(std::move(handler)) {}

namespace {

// The plain handler that runs the TLS handshake, bounded by handshake_timeout, before `handler`.
StreamServer::Handler handshaking(ssl::SSLContext context, StreamServer::TLSHandler handler,
                                  Seconds handshake_timeout) {
    return [context = std::move(context), handler = std::move(handler), handshake_timeout](Socket& sock,
                                                                                           const Address& peer) {
        const Seconds timeout = sock.gettimeout();
        auto tls = context.wrap_socket(std::move(sock), true, {}, false);
        tls.settimeout(handshake_timeout);
        try {
            tls.do_handshake();
        } catch (const SocketError& e) {
            std::fprintf(stderr, "geventpp: %s\n", e.what());
            return;
        }
        tls.settimeout(timeout);
        handler(tls, peer);
    };
}

}  // namespace

StreamServer::StreamServer(Address address, ssl::SSLContext context, TLSHandler handler, ServerOptions options)
    : StreamServer(std::move(address), handshaking(std::move(context), std::move(handler), options.handshake_timeout),
                   options) {}

StreamServer::StreamServer(const char* listener, Handler handler, ServerOptions options)
    : StreamServer(parse_address(listener), std::move(handler), options) {}

StreamServer::StreamServer(Socket listener, Handler handler, ServerOptions options)
    : BaseServer(listener.getsockname(), options), handler_(std::move(handler)), listener_(std::move(listener)) {}

StreamServer::~StreamServer() {
    stop(0.0);
}

void StreamServer::open() {
    if (!listener_) listener_ = listen_on(address_, options_.backlog, options_.reuse_port);
    address_ = listener_.getsockname();
}

void StreamServer::serve_loop() {
    const bool tcp = address_.family() != AF_UNIX;
    auto backoff = 5ms;
    bool reported = false;
    while (accepting()) {
        std::pair<Socket, Address> conn;
        try {
            conn = wait_for_work([this] { return listener_.accept(); });
        } catch (const SocketError& e) {
            const int err = e.code().value();
            if (stopping() || err == EBADF) return;
            if (err == ECONNABORTED || err == EPROTO || err == EINTR) continue;
            if (!reported) {
                std::fprintf(stderr, "geventpp: StreamServer %s: %s; backing off until it clears\n",
                             address_.to_string().c_str(), e.what());
                reported = true;
            }
            sleep(backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, 500ms);
            continue;
        }
        backoff = 5ms;
        reported = false;
        if (tcp && options_.nodelay) conn.first.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
        spawn_handler(
            [this](Socket& sock, const Address& peer) {
                struct Closer {
                    Socket& s;
                    ~Closer() { s.close(); }
                } closer{sock};
                handler_(sock, peer);
            },
            std::move(conn.first), conn.second);
        took_work();
    }
}

}  // namespace gev::net
