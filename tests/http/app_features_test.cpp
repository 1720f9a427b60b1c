// Static files, JSON and form bodies through the App router.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/json.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/http/static_file.hpp>
#include <string>

#include "raw_client.hpp"

namespace fs = std::filesystem;

namespace {
struct Site {
    fs::path root = fs::temp_directory_path() / ("gevtest-site-" + std::to_string(::getpid()));
    Site() {
        fs::create_directories(root / "sub");
        std::ofstream(root / "index.html") << "<h1>home</h1>";
        std::ofstream(root / "sub" / "data.txt") << "0123456789";
        std::ofstream(root.parent_path() / ("gevtest-secret-" + std::to_string(::getpid()))) << "secret";
    }
    ~Site() {
        fs::remove_all(root);
        fs::remove(root.parent_path() / ("gevtest-secret-" + std::to_string(::getpid())));
    }
};

template <class F>
void with_app_server(const Site& site, F&& body) {
    gev::run([&] {
        gev::http::App app;
        app.get("/static/<path:path>", [&](gev::http::Request& q, gev::http::Response& r) {
            gev::http::static_file(q, r, q.param("path"), site.root.native());
        });
        app.post("/json", [](gev::http::Request& q) {
            auto in = gev::http::json_body(q);
            return nlohmann::json{{"name", in["name"]}, {"len", in["name"].get<std::string>().size()}};
        });
        app.post("/form", [](gev::http::Request& q) { return q.forms()["who"]; });
        gev::http::ServerOptions o;
        o.access_log = false;
        gev::http::Server server(gev::net::Address("127.0.0.1", 0), std::ref(app), o);
        server.start();
        body(server.server_port());
        server.stop(0.1);
    });
}
}  // namespace

TEST_CASE("static_files_with_type_length_etag_and_conditional_get") {
    Site site;
    with_app_server(site, [](auto port) {
        auto r = roundtrip(port, "GET /static/index.html HTTP/1.0\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.0 200 OK"));
        CHECK(has(r, "Content-Type: text/html; charset=utf-8\r\n"));
        CHECK(has(r, "Content-Length: 13\r\n"));
        CHECK(has(r, "Last-Modified: "));
        const auto at = r.find("ETag: ") + 6;
        const auto etag = r.substr(at, r.find("\r\n", at) - at);
        CHECK(r.substr(r.size() - 13) == "<h1>home</h1>");
        auto again = roundtrip(port, "GET /static/index.html HTTP/1.0\r\nIf-None-Match: " + etag + "\r\n\r\n");
        CHECK(starts_with(again, "HTTP/1.0 304 Not Modified"));
    });
}

TEST_CASE("static_file_ranges_give_206_or_416") {
    Site site;
    with_app_server(site, [](auto port) {
        auto r = roundtrip(port, "GET /static/sub/data.txt HTTP/1.0\r\nRange: bytes=2-5\r\n\r\n");
        CHECK(starts_with(r, "HTTP/1.0 206 Partial Content"));
        CHECK(has(r, "Content-Range: bytes 2-5/10\r\n"));
        CHECK(r.substr(r.size() - 4) == "2345");
        auto tail = roundtrip(port, "GET /static/sub/data.txt HTTP/1.0\r\nRange: bytes=-3\r\n\r\n");
        CHECK(tail.substr(tail.size() - 3) == "789");
        auto bad = roundtrip(port, "GET /static/sub/data.txt HTTP/1.0\r\nRange: bytes=50-60\r\n\r\n");
        CHECK(starts_with(bad, "HTTP/1.0 416"));
        CHECK(has(bad, "Content-Range: bytes */10\r\n"));
    });
}

TEST_CASE("static_files_refuse_path_traversal_and_404_missing_files") {
    Site site;
    with_app_server(site, [](auto port) {
        const auto secret = "gevtest-secret-" + std::to_string(::getpid());
        CHECK(starts_with(roundtrip(port, "GET /static/../" + secret + " HTTP/1.0\r\n\r\n"), "HTTP/1.0 403"));
        CHECK(starts_with(roundtrip(port, "GET /static/sub/%2e%2e/%2e%2e/" + secret + " HTTP/1.0\r\n\r\n"),
                          "HTTP/1.0 403"));
        CHECK(starts_with(roundtrip(port, "GET /static/nope.txt HTTP/1.0\r\n\r\n"), "HTTP/1.0 404"));
    });
}

TEST_CASE("json_bodies_in_and_out_and_400_for_bad_json") {
    Site site;
    with_app_server(site, [](auto port) {
        const std::string body = R"({"name": "ann"})";
        auto r = roundtrip(port, "POST /json HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
        CHECK(has(r, "Content-Type: application/json\r\n"));
        CHECK(has(r, R"({"len":3,"name":"ann"})"));
        auto bad = roundtrip(port, "POST /json HTTP/1.0\r\nContent-Length: 3\r\n\r\n{x:");
        CHECK(starts_with(bad, "HTTP/1.0 400"));
    });
}

TEST_CASE("form_bodies_are_decoded") {
    Site site;
    with_app_server(site, [](auto port) {
        const std::string body = "who=J%C3%BCrgen+K&x=1";
        auto r = roundtrip(port,
                           "POST /form HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
        CHECK(r.substr(r.size() - 9) == "Jürgen K");
        CHECK(starts_with(roundtrip(port, "POST /form HTTP/1.0\r\nContent-Length: 3\r\n\r\nwho"), "HTTP/1.0 415"));
    });
}
