#include <cstdio>
#include <geventpp/net/datagram_server.hpp>
#include <geventpp/runtime/pool.hpp>

namespace gev::net {

DatagramServer::DatagramServer(Address address, Handler handler, ServerOptions options)
    : address_(address), handler_(std::move(handler)), options_(options) {
    if (options_.spawn > 0) {
        handlers_ = std::make_unique<Pool>(options_.spawn);
    } else {
        handlers_ = std::make_unique<Group>();
    }
}

DatagramServer::~DatagramServer() {
    if (started_ && !stopped_.is_set()) stop(0.0);
}

void DatagramServer::start() {
    if (started_) return;
    socket_ = Socket(address_.family(), SOCK_DGRAM);
    if (options_.reuse_port) socket_.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    socket_.bind(address_);
    address_ = socket_.getsockname();
    started_ = true;
    receiver_ = spawn(SpawnOptions{"DatagramServer " + address_.to_string(), 0}, [this] { receive_loop(); });
}

void DatagramServer::serve_forever() {
    start();
    stopped_.wait();
}

void DatagramServer::receive_loop() {
    for (;;) {
        std::pair<std::string, Address> datagram;
        try {
            datagram = socket_.recvfrom(65536);
        } catch (const SocketError& e) {
            if (stopping_ || e.code().value() == EBADF) return;
            std::fprintf(stderr, "geventpp: DatagramServer %s: %s\n", address_.to_string().c_str(), e.what());
            continue;
        }
        handlers_->spawn([this](std::string& data, const Address& from) { handler_(std::move(data), from); },
                         std::move(datagram.first), datagram.second);
    }
}

void DatagramServer::stop(Seconds timeout) {
    if (!started_ || stopping_) return;
    stopping_ = true;
    if (auto me = getcurrent(); me && handlers_->contains(me)) handlers_->discard(me);
    receiver_.kill();
    if (!handlers_->join(timeout ? timeout : options_.stop_timeout)) handlers_->kill();
    socket_.close();
    stopped_.set();
}

}  // namespace gev::net
