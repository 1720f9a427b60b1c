#include <charconv>
#include <geventpp/net/base_server.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/net/resolve.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <string>

namespace gev::net {

namespace {
std::unique_ptr<Group> own_group(const ServerOptions& o) {
    if (o.pool) return nullptr;
    if (o.spawn > 0) return std::make_unique<Pool>(o.spawn);
    return std::make_unique<Group>();
}

std::uint16_t parse_port(std::string_view listener, std::string_view text) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port > 65535) {
        throw AddressError("Failed to parse address '" + std::string(listener) + "': '" + std::string(text) +
                           "' is not a port number (0-65535)");
    }
    return static_cast<std::uint16_t>(port);
}
}  // namespace

Address parse_address(std::string_view listener) {
    const auto colon = listener.rfind(':');
    if (colon == std::string_view::npos) return Address("", parse_port(listener, listener));
    const std::uint16_t port = parse_port(listener, listener.substr(colon + 1));
    std::string host(listener.substr(0, colon));
    int family = AF_INET;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        family = AF_INET6;
        host = host.substr(1, host.size() - 2);
    }
    if (host == "*") host.clear();
    if (host.empty()) return Address(family == AF_INET6 ? "::" : "", port);
    try {
        Address numeric(host, port);
        if (numeric.family() == family) return numeric;
    } catch (const AddressError&) {
        if (family == AF_INET && host.find(':') == std::string::npos) return getaddrinfo(host, port, family).front();
    }
    throw AddressError("Failed to parse address '" + std::string(listener) +
                       "': an IPv6 host goes in brackets, as [::1]:8080, and only it");
}

BaseServer::BaseServer(Address address, ServerOptions options)
    : address_(address),
      options_(options),
      own_handlers_(own_group(options)),
      handlers_(options.pool ? options.pool : own_handlers_.get()) {}

BaseServer::~BaseServer() = default;

void BaseServer::start() {
    if (started_) return;
    open();
    started_ = true;
    start_accepting();
}

void BaseServer::start_accepting() {
    if (!started_ || closed_ || accepting_) return;
    accepting_ = true;
    // A loop that was asked to pause while it was handing off work has not ended yet: it goes on.
    if (loop_ && !loop_.ready()) return;
    loop_ = spawn(SpawnOptions{"server " + address_.to_string(), 0}, [this] { serve_loop(); });
}

void BaseServer::stop_accepting() {
    if (!accepting_) return;
    accepting_ = false;
    // Parked waiting for new work, the loop holds nothing: end it there. Elsewhere it sees
    // accepting() false before its next wait and returns.
    if (waiting_ && loop_ && getcurrent() != loop_) loop_.kill();
}

void BaseServer::close() {
    if (closed_) return;
    stop_accepting();
    closed_ = true;
    close_listener();
}

void BaseServer::took_work() {
    if (++taken_in_a_row_ < options_.max_accept) return;
    taken_in_a_row_ = 0;
    sleep(0);
}

void BaseServer::serve_forever() {
    start();
    stopped_.wait();
}

void BaseServer::stop(Seconds timeout) {
    if (!started_ || stopping_) return;
    stopping_ = true;
    close();
    stopping_handlers();
    if (loop_ && getcurrent() != loop_) loop_.kill();
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
