// The server side of the opening handshake: http::Request::websocket(), defined here so that
// the http layer does not depend on this one.
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

#include "../http/detail/field_syntax.hpp"
#include "detail/impl.hpp"

namespace gev::http {

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

// Whether a permessage-deflate offer asks for server_max_window_bits=8 (quoted or not).
bool asks_for_8_bit_window(std::string_view offer) {
    for (auto semi = offer.find(';'); semi != std::string_view::npos; semi = offer.find(';')) {
        offer.remove_prefix(semi + 1);
        std::string param;
        for (char c : offer.substr(0, offer.find(';'))) {
            if (c != ' ' && c != '\t' && c != '"') param += c;
        }
        if (boost::beast::iequals(param, "server_max_window_bits=8")) return true;
    }
    return false;
}

// The extension offers we can take as they are: zlib has no 8-bit window, so Beast would answer
// server_max_window_bits=8 with 9, larger than offered, which RFC 7692 §7.1.2.1 forbids; such an
// offer is declined (left out) instead.
std::string acceptable_offers(std::string_view offers) {
    std::string out;
    http::detail::for_each_list_element(offers, [&](std::string_view offer) {
        if (asks_for_8_bit_window(offer)) return;
        if (!out.empty()) out += ", ";
        out += offer;
    });
    return out;
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
struct Upgrade final : detail::Upgrade, std::enable_shared_from_this<Upgrade> {
    std::optional<ws::WebSocket> ws;

    std::shared_ptr<ws::WebSocket> handle() { return {shared_from_this(), &*ws}; }
    void handler_returned(bool failed) override {
        if (ws && !ws->closed()) ws->close(failed ? ws::internal_error : ws::normal);
    }
    void server_stopping() override {
        if (ws && !ws->closed()) gev::spawn([ws = handle()] { ws->close(ws::going_away, "server stopping"); });
    }
};

}  // namespace

std::shared_ptr<ws::WebSocket> Request::websocket() {
    return websocket(ws::Options{});
}

std::shared_ptr<ws::WebSocket> Request::websocket(const ws::Options& options) {
    if (method_ != "GET" || version_ < 11 || !has_token(header("Connection"), "upgrade") ||
        !has_token(header("Upgrade"), "websocket")) {
        return nullptr;
    }
    if (header("Sec-WebSocket-Key").empty()) abort(400, "Missing Sec-WebSocket-Key.");
    if (!is_websocket_key(header("Sec-WebSocket-Key"))) {
        abort(400, "Sec-WebSocket-Key is not 16 bytes, base64-encoded (RFC 6455 section 4.2.1).");
    }
    if (header("Sec-WebSocket-Version") != "13") {
        throw HTTPError(426, "Unsupported WebSocket version; this server speaks 13.",
                        {{"Sec-WebSocket-Version", "13"}});
    }
    if (options.same_origin && !same_origin(header("Origin"), header("Host"))) abort(403, "Origin not allowed.");
    if (options.check_origin && !options.check_origin(header("Origin"))) abort(403, "Origin not allowed.");

    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target_, version_);
    for (const auto& f : headers_) {
        if (f.name() == bhttp::field::sec_websocket_extensions) {
            if (const auto offers = acceptable_offers(f.value()); !offers.empty()) req.insert(f.name(), offers);
        } else {
            req.insert(f.name_string(), f.value());
        }
    }
    const auto subprotocol = choose_subprotocol(options.subprotocols, header("Sec-WebSocket-Protocol"));

    auto upgrade = std::make_shared<Upgrade>();
    std::string unread;
    auto sock = source_.take_over(unread, upgrade);
    auto impl = std::make_unique<ws::WebSocket::Impl>(std::move(sock), std::move(unread), options,
                                                      boost::beast::role_type::server);
    impl->subprotocol = subprotocol;
    // Beast keeps the decorator for the stream's life: it refers to the impl's copy.
    impl->ws.set_option(bws::stream_base::decorator([chosen = &impl->subprotocol](bws::response_type& res) {
        res.set(bhttp::field::server, "geventpp");
        if (!chosen->empty()) res.set(bhttp::field::sec_websocket_protocol, *chosen);
    }));
    boost::system::error_code ec;
    impl->ws.accept(req, ec);
    if (ec) throw net::SocketError(EPROTO, "WebSocket handshake: " + ec.message());
    upgrade->ws.emplace(std::move(impl));
    return upgrade->handle();
}

}  // namespace gev::http
