#include <cstdio>
#include <geventpp/net/datagram_server.hpp>

namespace gev::net {

DatagramServer::DatagramServer(Address address, Handler handler, ServerOptions options)
    : BaseServer(address, options), handler_(std::move(handler)) {}

DatagramServer::~DatagramServer() {
    stop(0.0);
}

void DatagramServer::open() {
    socket_ = Socket(address_.family(), SOCK_DGRAM);
    if (options_.reuse_port) socket_.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    socket_.bind(address_);
    address_ = socket_.getsockname();
}

void DatagramServer::serve_loop() {
    while (accepting()) {
        std::pair<std::string, Address> datagram;
        try {
            datagram = wait_for_work([this] { return socket_.recvfrom(65536); });
        } catch (const SocketError& e) {
            if (stopping() || e.code().value() == EBADF) return;
            std::fprintf(stderr, "geventpp: DatagramServer %s: %s\n", address_.to_string().c_str(), e.what());
            continue;
        }
        spawn_handler([this](std::string& data, const Address& from) { handler_(std::move(data), from); },
                      std::move(datagram.first), datagram.second);
        took_work();
    }
}

}  // namespace gev::net
