#include <cstdio>
#include <geventpp/http/server.hpp>
#include <geventpp/net/serve.hpp>
#include <geventpp/net/socket_stream.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <geventpp/runtime/sleep.hpp>

#include "detail/connection.hpp"
#include "detail/field_syntax.hpp"
#include "detail/response_writer.hpp"

namespace gev::http {

using detail::Connection;

Server::Server(net::Address address, http::Handler handler, ServerOptions options)
    : net::StreamServer(
          address, [this](net::Socket& sock, const net::Address& peer) { serve(sock, peer, 0); }, options.net),
      handler_(std::move(handler)),
      options_(std::move(options)) {
    detail::check_field("http::Server", "Server", options_.server_name);
    // A connection resumed from idle must not wait for a spawn slot.
    if (options_.net.spawn > 0) options_.idle_without_greenlet = false;
}

Server::~Server() {
    stop(0.0);
}

void Server::serve(net::Socket& sock, const net::Address& peer, std::size_t served) {
    if (options_.ssl_context) return serve_tls(sock, peer);
    net::SocketStream stream(std::move(sock));
    Connection::IdleHandOff hand_off;
    if (options_.idle_without_greenlet) {
        hand_off = [this, &stream, &peer](std::size_t n) { return hold_idle(stream.socket(), peer, n); };
    }
    Connection(stream, peer, handler_, options_, served, std::move(hand_off), upgraded_).run();
}

void Server::serve_tls(net::Socket& sock, const net::Address& peer) {
    auto tls = options_.ssl_context->wrap_socket(std::move(sock), true, {}, false);
    tls.settimeout(options_.handshake_timeout);
    try {
        tls.do_handshake();
    } catch (const net::SocketError& e) {
        if (options_.access_log) std::fprintf(stderr, "geventpp: %s\n", e.what());
        const auto* refused = dynamic_cast<const net::ssl::SSLError*>(&e);
        if (refused && refused->reason() == "http request") {
            // nginx's answer to plain HTTP on an HTTPS port, in plain HTTP.
            net::SocketStream plain(std::move(tls.socket()));
            detail::ConnectionState state(plain, peer, options_);
            detail::ResponseWriter(state).refuse(400, "The plain HTTP request was sent to HTTPS port\n");
            plain.shutdown_and_drain(1.0, 64 * 1024);
        }
        return;
    }
    tls.settimeout({});
    Connection(tls, peer, handler_, options_, 0, {}, upgraded_).run();
}

bool Server::hold_idle(net::Socket& sock, const net::Address& peer, std::size_t served) {
    if (stopping()) return false;
    auto it = idle_.insert(idle_.end(), IdleConnection{std::move(sock), peer, served, Clock::now()});
    if (it->sock.notify_readable([this, it] { resume(it); })) return true;
    sock = std::move(it->sock);  // data is there already: go on reading on this greenlet
    idle_.erase(it);
    return false;
}

void Server::resume(std::list<IdleConnection>::iterator it) {
    IdleConnection p = std::move(*it);
    idle_.erase(it);
    spawn_handler(
        [this](net::Socket& sock, const net::Address& peer, std::size_t served) {
            struct Closer {
                net::Socket& s;
                ~Closer() { s.close(); }
            } closer{sock};
            serve(sock, peer, served);
        },
        std::move(p.sock), p.peer, p.served);
}

void Server::open() {
    StreamServer::open();
    if (!options_.idle_without_greenlet) return;
    // Closes connections idle for longer than keepalive_timeout, oldest first.
    sweeper_ = spawn(SpawnOptions{"keep-alive sweeper " + address().to_string(), 0}, [this] {
        const auto timeout = options_.keepalive_timeout.span();
        const auto period =
            std::clamp<Clock::duration>(timeout / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
        for (;;) {
            gev::sleep(period);
            const auto now = Clock::now();
            while (!idle_.empty() && now - idle_.front().since >= timeout) {
                idle_.front().sock.close();
                idle_.pop_front();
            }
        }
    });
}

void Server::stop_accepting() noexcept {
    StreamServer::stop_accepting();
    if (sweeper_) sweeper_.kill(GreenletExit{}, false);
    idle_.clear();  // closes the idle connections
    for (auto& upgrade : upgraded_) upgrade.server_stopping();
}

void serve_connection(net::Stream& stream, const net::Address& peer, const Handler& handler,
                      const ServerOptions& options) {
    detail::check_field("http::serve_connection", "Server", options.server_name);
    boost::intrusive::list<Upgrade> upgraded;
    Connection(stream, peer, handler, options, 0, {}, upgraded).run();
}

void serve(const net::Address& address, const http::Handler& handler, ServeOptions options) {
    net::serve(
        address,
        [&](const net::Address& a, const net::ServerOptions& o) {
            ServerOptions per_hub = options.server;
            per_hub.net = o;
            return std::make_unique<Server>(a, handler, per_hub);
        },
        {.threads = options.threads, .server = options.server.net, .on_listening = std::move(options.on_listening)});
}

}  // namespace gev::http
