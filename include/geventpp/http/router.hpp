// gev::http::App: Bottle-style routing over the raw handler interface.
//
//   gev::http::App app;
//   app.route("/hello/<name>", [](gev::http::Request& req) { return "Hello " + std::string(req.param("name")); });
//   app.route("/item/<id:int>", show_item, {"GET", "POST"});
//   app.route("/static/<file:path>", serve_file);
//   app.error(404, [](const gev::http::HTTPError& e) { return std::string("nothing here"); });
//   gev::http::Server server({"127.0.0.1", 8080}, std::ref(app));
//
// A route function may take (Request&, Response&), (Request&) or nothing, and return void, a
// string (the body), a BodyQueue (streamed until the queue is closed) or a JSON value
// (nlohmann::json, anything with dump(): sent as application/json). Wildcards: <name>
// (one path segment), <name:int>, <name:float>, <name:path> (the rest, slashes included).
// A path that matches no route gets 404; one that matches with another method 405 with an
// Allow header; HEAD is served by the GET route. Routes are added before serving; App is then
// read-only and may be shared by every hub.
#pragma once

#include <functional>
#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>
#include <geventpp/http/response.hpp>
#include <map>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace gev::http {

class App {
public:
    using Route = std::function<void(Request&, Response&)>;
    using ErrorPage = std::function<std::string(const HTTPError&)>;

    template <class F>
    App& route(const std::string& pattern, F&& fn, std::vector<std::string> methods = {"GET"}) {
        return add(pattern, adapt(std::forward<F>(fn)), std::move(methods));
    }
    template <class F>
    App& get(const std::string& pattern, F&& fn) {
        return route(pattern, std::forward<F>(fn), {"GET"});
    }
    template <class F>
    App& post(const std::string& pattern, F&& fn) {
        return route(pattern, std::forward<F>(fn), {"POST"});
    }
    // The body of responses with this status (abort(status) or a missing route).
    App& error(int status, ErrorPage fn) {
        errors_[status] = std::move(fn);
        return *this;
    }

    // The raw handler: routes one request.
    void operator()(Request& req, Response& res) const;

private:
    struct Token {
        enum Kind { literal, segment, integer, number, path } kind;
        std::string text;  // the literal, or the wildcard's name
    };
    struct Entry {
        std::vector<Token> tokens;
        std::vector<std::string> methods;
        Route fn;
    };

    App& add(const std::string& pattern, Route fn, std::vector<std::string> methods);
    static bool match(const std::vector<Token>& tokens, std::string_view path,
                      std::vector<std::pair<std::string, std::string>>& params);
    // The route for the request, its parameters set; throws HTTPError 404 or 405. Kept out of
    // the frame the handler runs in, as error_page is (a WebSocket handler parks there).
    [[gnu::noinline]] const Entry* find(Request& req) const;
    // Fills `res` from the error handler for e's status; false when there is none.
    [[gnu::noinline]] bool error_page(const HTTPError& e, Response& res) const;

    template <class F>
    static Route adapt(F&& fn) {
        return [fn = std::forward<F>(fn)](Request& req, Response& res) mutable {
            auto call = [&]() -> decltype(auto) {
                if constexpr (std::is_invocable_v<F&, Request&, Response&>) {
                    return fn(req, res);
                } else if constexpr (std::is_invocable_v<F&, Request&>) {
                    return fn(req);
                } else {
                    return fn();
                }
            };
            using R = decltype(call());
            if constexpr (std::is_void_v<R>) {
                call();
            } else if constexpr (std::is_convertible_v<R, BodyQueue>) {
                res.stream(call());
            } else if constexpr (requires(const R& r) { r.dump(); }) {
                res.set_header("Content-Type", "application/json");
                res.body = call().dump();
            } else {
                res.body = std::string(call());
            }
        };
    }

    std::unordered_map<std::string, std::vector<Entry>> static_;
    std::vector<Entry> dynamic_;
    std::map<int, ErrorPage> errors_;
};

}  // namespace gev::http
