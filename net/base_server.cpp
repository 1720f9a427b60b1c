#include <geventpp/net/base_server.hpp>

namespace gev::net {

BaseServer::BaseServer(Address address, ServerOptions options)
    : address_(address),
      options_(options),
      handlers_(options.spawn > 0 ? std::make_unique<Pool>(options.spawn) : std::make_unique<Group>()) {}

BaseServer::~BaseServer() = default;

void BaseServer::start() {
    if (started_) return;
    open();
    started_ = true;
    loop_ = spawn(SpawnOptions{"server " + address_.to_string(), 0}, [this] { serve_loop(); });
}

void BaseServer::serve_forever() {
    start();
    stopped_.wait();
}

void BaseServer::stop(Seconds timeout) {
    if (!started_ || stopping_) return;
    stopping_ = true;
    stop_accepting();
    loop_.kill();
    if (auto me = getcurrent(); me && handlers_->contains(me)) handlers_->discard(me);
    // However the wait below ends — also by the caller's own Timeout or a kill, which the caller
    // then still sees — the server ends stopped.
    struct Stopped {
        BaseServer& s;
        ~Stopped() {
            s.release();
            s.stopped_.set();
        }
    } stopped{*this};
    try {
        if (!handlers_->join(timeout ? timeout : options_.stop_timeout)) handlers_->kill();
    } catch (...) {
        handlers_->kill(nullptr, false);
        throw;
    }
}

}  // namespace gev::net
