// gev::net::DatagramServer: handle each UDP datagram in a greenlet, gevent.server.DatagramServer.
//
//   gev::net::DatagramServer server({"127.0.0.1", 9000}, [&](std::string data, const gev::net::Address& from) {
//       server.sendto("Received " + std::to_string(data.size()) + " bytes", from);
//   });
//   server.serve_forever();
//
// Lifecycle as BaseServer. A handler's exception is reported on stderr and the server goes on.
#pragma once

#include <functional>
#include <geventpp/net/base_server.hpp>
#include <geventpp/net/socket.hpp>
#include <string>

namespace gev::net {

class DatagramServer : public BaseServer {
public:
    using Handler = std::function<void(std::string data, const Address& from)>;

    DatagramServer(Address address, Handler handler, ServerOptions options = {});
    ~DatagramServer() override;

    // Sends a datagram from the server's socket.
    std::size_t sendto(std::string_view data, const Address& to) { return socket_.sendto(data, to); }

private:
    void open() override;
    void serve_loop() override;
    void release() noexcept override { socket_.close(); }

    Handler handler_;
    Socket socket_;
};

}  // namespace gev::net
