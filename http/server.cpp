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
    check_options();
}

Server::Server(net::Socket listener, http::Handler handler, ServerOptions options)
    : net::StreamServer(
          std::move(listener), [this](net::Socket& sock, const net::Address& peer) { serve(sock, peer, 0); },
          options.net),
      handler_(std::move(handler)),
      options_(std::move(options)) {
    check_options();
}

void Server::check_options() {
    detail::check_field("http::Server", "Server", options_.server_name);
    // A connection resumed from idle must not wait for a spawn slot.
    if (options_.net.spawn > 0 || dynamic_cast<Pool*>(options_.net.pool)) options_.idle_without_greenlet = false;
}

Server::Server(const char* listener, http::Handler handler, ServerOptions options)
    : Server(net::parse_address(listener), std::move(handler), std::move(options)) {}

Server::~Server() {
    stop(0.0);
}

void Server::serve(net::Socket& sock, const net::Address& peer, std::size_t served) {
    if (options_.ssl_context) return accept_tls(sock, peer);
    net::SocketStream stream(std::move(sock));
    Connection::IdleHandOff hand_off;
    if (options_.idle_without_greenlet) {
        hand_off = [this, &stream, &peer](std::size_t n) { return hold_idle(stream.socket(), peer, n); };
    }
    Connection(stream, peer, handler_, options_, served, std::move(hand_off), upgraded_).run();
}

void Server::accept_tls(net::Socket& sock, const net::Address& peer) {
    auto tls = options_.ssl_context->wrap_socket(std::move(sock), true, {}, false);
    tls.settimeout(options_.net.handshake_timeout);
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
    serve_tls(tls, peer, 0);
}

void Server::serve_tls(net::ssl::SSLSocket& tls, const net::Address& peer, std::size_t served) {
    Connection::IdleHandOff hand_off;
    if (options_.idle_without_greenlet) {
        hand_off = [this, &tls, &peer](std::size_t n) { return hold_idle(tls, peer, n); };
    }
    Connection(tls, peer, handler_, options_, served, std::move(hand_off), upgraded_).run();
}

// The connection only comes here when a read without waiting found nothing: OpenSSL holds no
// decrypted data, at most the start of a record whose rest makes the socket readable.
bool Server::hold_idle(IdleConnection::Transport& conn, const net::Address& peer, std::size_t served) {
    if (stopping()) return false;
    auto it = idle_.insert(idle_.end(), IdleConnection{std::move(conn), peer, served, Clock::now()});
    if (it->socket().notify_readable([this, it] { resume(it); })) return true;
    conn = std::move(it->conn);  // data is there already: go on reading on this greenlet
    idle_.erase(it);
    return false;
}

bool Server::hold_idle(net::Socket& sock, const net::Address& peer, std::size_t served) {
    IdleConnection::Transport conn(std::move(sock));
    if (hold_idle(conn, peer, served)) return true;
    sock = std::move(std::get<net::Socket>(conn));
    return false;
}

bool Server::hold_idle(net::ssl::SSLSocket& tls, const net::Address& peer, std::size_t served) {
    IdleConnection::Transport conn(std::move(tls));
    if (hold_idle(conn, peer, served)) return true;
    tls = std::move(std::get<net::ssl::SSLSocket>(conn));
    return false;
}

void Server::resume(std::list<IdleConnection>::iterator it) {
    IdleConnection p = std::move(*it);
    idle_.erase(it);
    spawn_handler(
        [this](IdleConnection::Transport& conn, const net::Address& peer, std::size_t served) {
            if (auto* tls = std::get_if<net::ssl::SSLSocket>(&conn)) return serve_tls(*tls, peer, served);
            auto& sock = std::get<net::Socket>(conn);
            struct Closer {
                net::Socket& s;
                ~Closer() { s.close(); }
            } closer{sock};
            serve(sock, peer, served);
        },
        std::move(p.conn), p.peer, p.served);
}

net::Socket& Server::IdleConnection::socket() noexcept {
    if (auto* tls = std::get_if<net::ssl::SSLSocket>(&conn)) return tls->socket();
    return std::get<net::Socket>(conn);
}

void Server::IdleConnection::close() noexcept {
    std::visit([](auto& c) { c.close(); }, conn);
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
                idle_.front().close();
                idle_.pop_front();
            }
        }
    });
}

void Server::stopping_handlers() noexcept {
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
