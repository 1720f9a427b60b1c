#include "fuzz_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/json.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/http/static_file.hpp>
#include <geventpp/ws/websocket.hpp>
#include <thread>

namespace fuzz {

namespace {

void echo(gev::ws::WebSocket& ws) {
    while (auto message = ws.receive()) {
        if (message->binary) {
            ws.send_binary(message->data);
        } else {
            ws.send(message->data);
        }
    }
}

gev::http::App& app(const std::string& files) {
    static gev::http::App app;
    app.get("/hello", [] { return std::string("Hello, World!"); });
    app.post("/upload", [](gev::http::Request& request) {
        std::size_t received = 0;
        request.read_body([&](std::string_view piece) { received += piece.size(); });
        return "received " + std::to_string(received) + " bytes";
    });
    app.post("/body", [](gev::http::Request& request) { return request.body(); });
    app.route("/form", [](gev::http::Request& request) {
        std::string out;
        for (const auto& [k, v] : request.query()) out += k + "=" + v + "\n";
        for (const auto& [k, v] : request.forms()) out += k + "=" + v + "\n";
        return out + request.cookie("session");
    });
    app.post("/json", [](gev::http::Request& request) { return gev::http::json_body(request); });
    app.get("/items/<id:int>", [](gev::http::Request& request) { return std::string(request.param("id")); });
    app.get("/files/<path:path>", [files](gev::http::Request& request, gev::http::Response& response) {
        gev::http::static_file(request, response, request.param("path"), files);
    });
    app.get("/teapot", [] { gev::http::abort(418, "short and stout"); });
    app.get("/moved", [] { gev::http::redirect("/hello"); });
    app.get("/stream", [](gev::http::Request&, gev::http::Response& response) {
        for (const char* piece : {"START", "", "MIDDLE", "END"}) response.write(piece);
    });
    app.route("/echo", [](gev::http::Request& request) {
        auto ws = gev::ws::upgrade(request);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        echo(*ws);
    });
    app.route("/echo-deflate", [](gev::http::Request& request) {
        gev::ws::Options options;
        options.permessage_deflate = true;
        options.max_message = 1 << 20;
        auto ws = gev::ws::upgrade(request, options);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        echo(*ws);
    });
    return app;
}

std::string start() {
    const auto dir = std::filesystem::temp_directory_path() / ("gevfuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "files");
    std::ofstream(dir / "files" / "page.html") << "<html>a static page, served with ranges</html>\n";
    const std::string path = (dir / "server.sock").string();
    std::thread([path, files = (dir / "files").string()] {
        gev::run([&] {
            gev::http::Options options;
            options.access_log = false;
            options.max_body = 1 << 20;
            gev::http::Server server(gev::net::Address::unix_socket(path), std::ref(app(files)), options);
            server.serve_forever();
        });
    }).detach();
    for (int i = 0; i < 500 && !std::filesystem::exists(path); ++i) ::usleep(10'000);
    return path;
}

}  // namespace

const std::string& server() {
    static const std::string path = start();
    return path;
}

std::string exchange(std::string_view input) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    server().copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) std::abort();
    std::string out;
    bool writing = true;
    if (input.empty()) {
        ::shutdown(fd, SHUT_WR);
        writing = false;
    }
    for (;;) {
        pollfd p{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
        ::poll(&p, 1, -1);
        if (writing && (p.revents & POLLOUT)) {
            const ssize_t n = ::send(fd, input.data(), input.size(), MSG_NOSIGNAL);
            if (n > 0) input.remove_prefix(static_cast<std::size_t>(n));
            if (n < 0 || input.empty()) {  // sent, or the server stopped reading for good
                ::shutdown(fd, SHUT_WR);
                writing = false;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[65536];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                out.append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EAGAIN) {
                break;
            }
        }
    }
    ::close(fd);
    return out;
}

}  // namespace fuzz
