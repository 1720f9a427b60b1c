// gev::net::DatagramServer: handle each UDP datagram in a greenlet, gevent.server.DatagramServer.
//
//   gev::net::DatagramServer server({"127.0.0.1", 9000}, [&](std::string data, const gev::net::Address& from) {
//       server.sendto("Received " + std::to_string(data.size()) + " bytes", from);
//   });
//   server.serve_forever();
//
// start() binds at once; serve_forever() blocks until stop(). A handler's exception is
// reported on stderr and the server goes on. Belongs to the hub that started it.
#pragma once

#include <functional>
#include <geventpp/net/address.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/stream_server.hpp>
#include <memory>
#include <string>

namespace gev::net {

class DatagramServer {
public:
    using Handler = std::function<void(std::string data, const Address& from)>;

    DatagramServer(Address address, Handler handler, ServerOptions options = {});
    ~DatagramServer();
    DatagramServer(const DatagramServer&) = delete;
    DatagramServer& operator=(const DatagramServer&) = delete;

    void start();
    void serve_forever();
    void stop(Seconds timeout = {});

    // Sends a datagram from the server's socket.
    std::size_t sendto(std::string_view data, const Address& to) { return socket_.sendto(data, to); }
    Address address() const { return address_; }
    std::uint16_t server_port() const { return address_.port(); }

private:
    void receive_loop();

    Address address_;
    Handler handler_;
    ServerOptions options_;
    Socket socket_;
    std::unique_ptr<Group> handlers_;
    AnyGreenlet receiver_;
    Event stopped_;
    bool started_ = false;
    bool stopping_ = false;
};

}  // namespace gev::net
