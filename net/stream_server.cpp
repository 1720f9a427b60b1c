#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <geventpp/net/stream_server.hpp>
#include <geventpp/runtime/pool.hpp>
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
    : address_(address), handler_(std::move(handler)), options_(options) {
    if (options_.spawn > 0) {
        handlers_ = std::make_unique<Pool>(options_.spawn);
    } else {
        handlers_ = std::make_unique<Group>();
    }
}

StreamServer::StreamServer(Socket listener, Handler handler, ServerOptions options)
    : StreamServer(listener.getsockname(), std::move(handler), options) {
    listener_ = std::move(listener);
}

StreamServer::~StreamServer() {
    if (started_ && !stopped_.is_set()) stop(0.0);
}

void StreamServer::start() {
    if (started_) return;
    if (!listener_) listener_ = listen_on(address_, options_.backlog, options_.reuse_port);
    address_ = listener_.getsockname();
    started_ = true;
    acceptor_ = spawn(SpawnOptions{"StreamServer " + address_.to_string(), 0}, [this] { accept_loop(); });
}

void StreamServer::serve_forever() {
    start();
    stopped_.wait();
}

Address StreamServer::address() const {
    return address_;
}

std::size_t StreamServer::connections() const noexcept {
    return handlers_->size();
}

void StreamServer::accept_loop() {
    const bool tcp = address_.family() != AF_UNIX;
    auto backoff = 5ms;
    bool reported = false;
    for (;;) {
        std::pair<Socket, Address> conn;
        try {
            conn = listener_.accept();
        } catch (const SocketError& e) {
            const int err = e.code().value();
            if (stopping_ || err == EBADF) return;
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
        handlers_->spawn(
            [this](Socket& sock, const Address& peer) {
                struct Closer {
                    Socket& s;
                    ~Closer() { s.close(); }
                } closer{sock};
                handler_(sock, peer);
            },
            std::move(conn.first), conn.second);
    }
}

void StreamServer::stop(Seconds timeout) {
    if (!started_ || stopping_) return;
    stopping_ = true;
    listener_.close();  // the accept loop wakes with EBADF and ends
    if (auto me = getcurrent(); me && handlers_->contains(me)) handlers_->discard(me);
    if (!handlers_->join(timeout ? timeout : options_.stop_timeout)) handlers_->kill();
    if (acceptor_) acceptor_.join();
    stopped_.set();
}

}  // namespace gev::net
