#include "fuzz_app.hpp"

#include <sys/socket.h>
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
#include <geventpp/net/ssl.hpp>
#include <geventpp/ws/websocket.hpp>

#include "../scripted_stream.hpp"

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

gev::http::App make_app(const std::string& files) {
    gev::http::App app;
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
        gev::ws::WebSocketOptions options;
        options.permessage_deflate = true;
        options.max_message = 1 << 20;
        auto ws = gev::ws::upgrade(request, options);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        echo(*ws);
    });
    return app;
}

const std::string& files() {
    static const std::string path = [] {
        const auto dir = std::filesystem::temp_directory_path() / ("gevfuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir / "files");
        std::ofstream(dir / "files" / "page.html") << "<html>a static page, served with ranges</html>\n";
        return (dir / "files").string();
    }();
    return path;
}

// How an input is cut into writes: whole, a byte at a time or in 7-byte pieces, chosen by its
// length so that the fuzzer explores where the server's reads cut the bytes.
std::size_t piece_size(std::string_view input) {
    static const std::size_t pieces[] = {std::string::npos, 1, 7};
    return pieces[input.size() % 3];
}

// The server's side of one connection on `stream`, with the fuzz app; runs in a hub.
void serve(gev::net::Stream& stream) {
    static gev::http::App app = make_app(files());
    gev::http::ServerOptions options;
    options.access_log = false;
    options.max_body = 1 << 20;
    gev::http::serve_connection(stream, gev::net::Address("127.0.0.1", 40000), std::ref(app), options);
}

}  // namespace

std::string exchange(std::string_view input) {
    test::ScriptedStream stream(std::string(input), piece_size(input));
    gev::run([&] { serve(stream); });
    return stream.written();
}

std::string tls_exchange(std::string_view input) {
    namespace ssl = gev::net::ssl;
    const std::size_t piece = piece_size(input);
    std::string out;
    gev::run([&] {
        static const std::string cert = GEV_SOURCE_ROOT "/samples/server.crt";
        static const ssl::SSLContext server_side = [] {
            ssl::SSLContext c(ssl::Protocol::tls_server);
            c.load_cert_chain(cert, GEV_SOURCE_ROOT "/samples/server.key");
            return c;
        }();
        static const ssl::SSLContext client_side = [] {
            ssl::SSLContext c(ssl::Protocol::tls_client);
            c.load_verify_locations(cert);
            return c;
        }();
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
        auto server = gev::spawn([&, fd = fds[0]] {
            try {
                auto tls = server_side.wrap_socket(gev::net::Socket::adopt(fd), true);
                serve(tls);
            } catch (const gev::net::SocketError&) {
            }
        });
        auto tls = client_side.wrap_socket(gev::net::Socket::adopt(fds[1]), false, "localhost");
        auto reader = gev::spawn([&] {
            char buf[16384];
            try {
                while (const auto n = tls.recv_into(buf, sizeof buf)) out.append(buf, n);
            } catch (const gev::net::SocketError&) {
            }
        });
        try {
            for (std::size_t at = 0; at < input.size(); at += piece) tls.sendall(input.substr(at, piece));
            tls.shutdown_write();
        } catch (const gev::net::SocketError&) {
        }
        reader.join();
        server.join();
    });
    return out;
}

void expect_http_answer(const std::string& out) {
    if (!out.empty() && out.rfind("HTTP/1.", 0) != 0) {
        std::fprintf(stderr, "the server wrote something other than an HTTP response: %.80s\n", out.c_str());
        std::abort();
    }
}

}  // namespace fuzz
