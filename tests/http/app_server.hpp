// A server for a test: runs `body(port)` in a hub with an http::Server for `app` on a free port
// of 127.0.0.1, without the access log, and stops it afterwards.
#pragma once

#include <functional>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/runtime/hub.hpp>

template <class F>
void with_app_server(gev::http::App& app, gev::http::ServerOptions options, F&& body) {
    options.access_log = false;
    gev::run([&] {
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), options);
        server.start();
        body(server.server_port());
        server.stop(0.1);
    });
}
