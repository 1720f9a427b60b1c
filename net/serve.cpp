#include <sys/resource.h>

#include <csignal>
#include <geventpp/net/serve.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/signal.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gev::net {

void serve(const Address& address, const StreamServer::Handler& handler, ServeOptions options) {
    serve(
        address,
        [&handler](const Address& a, const ServerOptions& o) { return std::make_unique<StreamServer>(a, handler, o); },
        std::move(options));
}

namespace {
// As Go does at start-up: a soft limit of 1,024 descriptors (a common default) would cap a server
// meant for tens of thousands of connections far below what the system allows it.
void raise_descriptor_limit() noexcept {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
    }
}
}  // namespace

void serve(const Address& address, const ServerFactory& make, ServeOptions options) {
    raise_descriptor_limit();
    const std::size_t threads = options.threads ? options.threads : 1;
    if (options.server.pool && threads > 1) {
        throw std::invalid_argument(
            "gev::net::serve: ServerOptions::pool belongs to one hub; with threads > 1 use "
            "ServerOptions::spawn, a Pool of that size on each hub");
    }
    ServerOptions server_options = options.server;
    server_options.reuse_port = server_options.reuse_port || threads > 1;
    Event stop;
    std::vector<std::thread> others;
    gev::run([&] {
        auto main_server = make(address, server_options);
        main_server->start();
        // The other hubs listen on the same port: the one the first bind got, for port 0.
        const Address bound = main_server->address();
        std::vector<Event> listening(threads - 1);
        for (std::size_t i = 1; i < threads; ++i) {
            others.emplace_back([&, i] {
                gev::run([&] {
                    auto server = make(bound, server_options);
                    server->start();
                    listening[i - 1].set();
                    stop.wait();
                    server->stop();
                });
            });
        }
        for (auto& e : listening) e.wait();
        auto on_int = signal_handler(SIGINT, [&] { stop.set(); });
        auto on_term = signal_handler(SIGTERM, [&] { stop.set(); });
        if (options.on_listening) options.on_listening(bound.port());
        stop.wait();
        main_server->stop();
    });
    for (auto& t : others) t.join();
}

}  // namespace gev::net
