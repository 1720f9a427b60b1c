// gev::net::serve: a StreamServer on every core. Share-nothing: N hubs on N threads, each with
// its own SO_REUSEPORT listener on the same port, so the kernel spreads connections and a
// handler never leaves the hub that accepted it.
//
//   gev::net::serve({"127.0.0.1", 8080}, handler, {.threads = 4});   // until SIGINT/SIGTERM
//
// Blocks until SIGINT or SIGTERM, then stops every hub's server gracefully
// (ServerOptions::stop_timeout) and returns. Like Go, it first raises the process's soft limit
// on open descriptors to the hard limit.
#pragma once

#include <cstddef>
#include <functional>
#include <geventpp/net/stream_server.hpp>

namespace gev::net {

// How serve runs: on how many hubs, with what options for each hub's server, and who is told
// the port. http::serve takes the same shape with http::ServerOptions.
template <class Server>
struct BasicServeOptions {
    std::size_t threads = 1;
    Server server{};
    // Called on the main hub once every hub listens, with the port; e.g. to print it.
    std::function<void(std::uint16_t port)> on_listening;
};
using ServeOptions = BasicServeOptions<ServerOptions>;

void serve(const Address& address, const StreamServer::Handler& handler, ServeOptions options = {});

// The same for any server: `make` builds one hub's server (called on each hub's thread).
using ServerFactory = std::function<std::unique_ptr<BaseServer>(const Address&, const ServerOptions&)>;
void serve(const Address& address, const ServerFactory& make, ServeOptions options = {});

}  // namespace gev::net
