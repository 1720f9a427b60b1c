// The server side of the opening handshake: http::Request::websocket(), defined here so that
// the http layer does not depend on this one.
#include <algorithm>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/ws/websocket.hpp>

#include "detail/impl.hpp"

namespace gev::http {

namespace bhttp = boost::beast::http;
namespace bws = boost::beast::websocket;

namespace {

bool has_token(std::string_view list, std::string_view token) {
    return bhttp::token_list(list).exists(token);
}

// The first of ours the client offered (Sec-WebSocket-Protocol), or "".
std::string choose_subprotocol(const std::vector<std::string>& ours, std::string_view offered) {
    std::vector<std::string_view> theirs;
    while (!offered.empty()) {
        const auto comma = offered.find(',');
        auto item = offered.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) theirs.push_back(item);
        offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    }
    for (const auto& p : ours) {
        if (std::find(theirs.begin(), theirs.end(), p) != theirs.end()) return p;
    }
    return {};
}

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
    if (header("Sec-WebSocket-Version") != "13") {
        throw HTTPError(426, "Unsupported WebSocket version; this server speaks 13.",
                        {{"Sec-WebSocket-Version", "13"}});
    }
    if (options.check_origin && !options.check_origin(header("Origin"))) abort(403, "Origin not allowed.");

    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target_, version_);
    for (const auto& f : headers_) req.insert(f.name_string(), f.value());
    const auto subprotocol = choose_subprotocol(options.subprotocols, header("Sec-WebSocket-Protocol"));

    // The connection keeps the WebSocket until the handler has returned, then closes it.
    auto held = std::make_shared<std::shared_ptr<ws::WebSocket>>();
    std::string unread;
    auto sock = source_.take_over(
        unread,
        [held](bool failed) {
            if (*held && !(*held)->closed()) (*held)->close(failed ? ws::internal_error : ws::normal);
        },
        [held] {
            if (*held && !(*held)->closed()) {
                gev::spawn([ws = *held] { ws->close(ws::going_away, "server stopping"); });
            }
        });
    auto impl = std::make_unique<ws::WebSocket::Impl>(std::move(sock), std::move(unread), options,
                                                      boost::beast::role_type::server);
    impl->subprotocol = subprotocol;
    impl->ws.set_option(bws::stream_base::decorator([subprotocol](bws::response_type& res) {
        res.set(bhttp::field::server, "geventpp");
        if (!subprotocol.empty()) res.set(bhttp::field::sec_websocket_protocol, subprotocol);
    }));
    boost::system::error_code ec;
    impl->ws.accept(req, ec);
    if (ec) throw net::SocketError(EPROTO, "WebSocket handshake: " + ec.message());
    *held = std::make_shared<ws::WebSocket>(std::move(impl));
    return *held;
}

}  // namespace gev::http
