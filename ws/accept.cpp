// The server side of the opening handshake: gev::ws::upgrade, on http's generic take-over of a
// connection (http knows nothing of this layer).
#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/ws/websocket.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../http/detail/field_syntax.hpp"
#include "detail/deflate_params.hpp"
#include "detail/impl.hpp"

namespace gev::ws {

namespace bhttp = boost::beast::http;
namespace bws = boost::beast::websocket;

namespace {

// gorilla's checkSameOrigin: a request without Origin (not from a browser) passes; otherwise
// the Origin's host[:port] must be the Host header's. "null" and other opaque origins fail.
bool same_origin(std::string_view origin, std::string_view host) {
    if (origin.empty()) return true;
    const auto scheme = origin.find("://");
    return scheme != std::string_view::npos && boost::beast::iequals(origin.substr(scheme + 3), host);
}

// RFC 6455 §4.2.1: a key is 16 bytes, base64-encoded — 22 characters of the alphabet and "=="
// (Node's ws checks the same).
bool is_websocket_key(std::string_view key) {
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    return key.size() == 24 && key.substr(22) == "==" &&
           key.substr(0, 22).find_first_not_of(alphabet) == std::string_view::npos;
}

// The parameters of a permessage-deflate offer we accept as it is; nothing for one §5 has us
// decline, or one asking a window zlib cannot give: Beast would answer server_max_window_bits=9,
// larger than offered (§7.1.2.1).
std::optional<detail::DeflateParams> read_deflate_offer(std::string_view offer) {
    auto params = detail::parse_deflate(offer, false);
    if (params && params->server_max_window_bits == 8) return std::nullopt;
    return params;
}

bool has_token(std::string_view list, std::string_view token) {
    return bhttp::token_list(list).exists(token);
}

// The first of ours the client offered (Sec-WebSocket-Protocol), or "".
std::string choose_subprotocol(const std::vector<std::string>& ours, std::string_view offered) {
    std::vector<std::string_view> theirs;
    http::detail::for_each_list_element(offered, [&](std::string_view p) { theirs.push_back(p); });
    for (const auto& p : ours) {
        if (std::find(theirs.begin(), theirs.end(), p) != theirs.end()) return p;
    }
    return {};
}

// The connection keeps the WebSocket until the handler has returned, then closes it. The
// handler's std::shared_ptr<WebSocket> shares this object's count (one allocation for both).
struct Upgrade final : http::Upgrade, std::enable_shared_from_this<Upgrade> {
    std::optional<WebSocket> ws;

    std::shared_ptr<WebSocket> handle() { return {shared_from_this(), &*ws}; }
    void handler_returned(bool failed) override {
        if (ws && !ws->closed()) ws->close(failed ? internal_error : normal);
    }
    void server_stopping() override {
        if (ws && !ws->closed()) gev::spawn([ws = handle()] { ws->close(going_away, "server stopping"); });
    }
};

}  // namespace

std::shared_ptr<WebSocket> upgrade(http::Request& request, const WebSocketOptions& options) {
    if (request.method() != "GET" || request.version() < 11 || !has_token(request.header("Connection"), "upgrade") ||
        !has_token(request.header("Upgrade"), "websocket")) {
        return nullptr;
    }
    if (request.header("Sec-WebSocket-Key").empty()) http::abort(400, "Missing Sec-WebSocket-Key.");
    if (!is_websocket_key(request.header("Sec-WebSocket-Key"))) {
        http::abort(400, "Sec-WebSocket-Key is not 16 bytes, base64-encoded (RFC 6455 section 4.2.1).");
    }
    if (request.header("Sec-WebSocket-Version") != "13") {
        throw http::HTTPError(426, "Unsupported WebSocket version; this server speaks 13.",
                              {{"Sec-WebSocket-Version", "13"}});
    }
    if (options.same_origin && !same_origin(request.header("Origin"), request.header("Host")))
        http::abort(403, "Origin not allowed.");
    if (options.check_origin && !options.check_origin(request.header("Origin")))
        http::abort(403, "Origin not allowed.");

    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, request.target(), request.version());
    // Beast sees only the first permessage-deflate offer we can accept as it is: it would take
    // the first offer of any kind and drop the parameters it does not know.
    std::optional<detail::DeflateParams> chosen_deflate;
    for (const auto& f : request.headers()) {
        if (f.name() != bhttp::field::sec_websocket_extensions) {
            req.insert(f.name_string(), f.value());
            continue;
        }
        http::detail::for_each_list_element(f.value(), [&](std::string_view offer) {
            if (chosen_deflate) return;
            chosen_deflate = read_deflate_offer(offer);
            if (chosen_deflate) req.set(bhttp::field::sec_websocket_extensions, offer);
        });
    }
    const auto subprotocol = choose_subprotocol(options.subprotocols, request.header("Sec-WebSocket-Protocol"));

    auto taken = std::make_shared<Upgrade>();
    std::string unread;
    auto stream = request.take_over(unread, taken);
    auto impl = std::make_unique<WebSocket::Impl>(std::move(stream), std::move(unread), options,
                                                  boost::beast::role_type::server);
    impl->subprotocol = subprotocol;
    // Beast keeps the decorator for the stream's life, but calls it only in accept() below: the
    // subprotocol is the impl's copy, the server name the server's WebSocketOptions.
    const int window_asked = chosen_deflate ? chosen_deflate->server_max_window_bits : 0;
    impl->ws.set_option(
        bws::stream_base::decorator([chosen = &impl->subprotocol, window_asked,
                                     server = &request.server_name()](bws::response_type& res) {
            res.set(bhttp::field::server, *server);
            if (!chosen->empty()) res.set(bhttp::field::sec_websocket_protocol, *chosen);
            // RFC 7692 §7.1.2.1: an accepted server_max_window_bits is answered, with the same
            // value or less. Beast leaves out the 15 it uses anyway.
            const auto extensions = res[bhttp::field::sec_websocket_extensions];
            if (window_asked && !extensions.empty() &&
                extensions.find("server_max_window_bits") == std::string_view::npos) {
                res.set(bhttp::field::sec_websocket_extensions,
                        std::string(extensions) + "; server_max_window_bits=" + std::to_string(window_asked));
            }
        }));
    boost::system::error_code ec;
    impl->ws.accept(req, ec);
    if (ec) throw net::SocketError(EPROTO, "WebSocket handshake: " + ec.message());
    taken->ws.emplace(std::move(impl));
    return taken->handle();
}

}  // namespace gev::ws
