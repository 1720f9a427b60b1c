#include <boost/beast/http/message.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/ws/client.hpp>
#include <optional>

#include "detail/impl.hpp"

namespace gev::ws {

namespace bhttp = boost::beast::http;
namespace bws = boost::beast::websocket;

std::shared_ptr<WebSocket> connect(std::string_view url, const Options& options, Seconds timeout) {
    constexpr std::string_view scheme = "ws://";
    if (url.substr(0, scheme.size()) != scheme) {
        throw WebSocketError("only ws:// URLs are supported (no TLS here): '" + std::string(url) + "'");
    }
    const auto u = http::Url::parse("http://" + std::string(url.substr(scheme.size())));
    std::optional<Timeout> bound;
    if (timeout.span().count() > 0) bound.emplace(timeout);
    auto impl = std::make_unique<WebSocket::Impl>(net::create_connection(u.host, u.port, timeout), std::string(),
                                                  options, boost::beast::role_type::client);
    std::string offered;
    for (const auto& p : options.subprotocols) offered += (offered.empty() ? "" : ", ") + p;
    impl->ws.set_option(bws::stream_base::decorator([&](bws::request_type& req) {
        req.set(bhttp::field::user_agent, "geventpp");
        if (!offered.empty()) req.set(bhttp::field::sec_websocket_protocol, offered);
        if (!options.origin.empty()) req.set(bhttp::field::origin, options.origin);
    }));
    const auto host = u.port == 80 ? u.host : u.host + ":" + std::to_string(u.port);
    bws::response_type res;
    boost::system::error_code ec;
    impl->ws.handshake(res, host, u.target, ec);
    if (ec) {
        const int status = res.result_int();
        if (status && status != 101) {
            throw HandshakeError(status, "WebSocket handshake refused: HTTP " + std::to_string(status) + " " +
                                             std::string(res.reason()));
        }
        throw HandshakeError(0, "WebSocket handshake failed: " + ec.message());
    }
    impl->subprotocol = std::string(res[bhttp::field::sec_websocket_protocol]);
    impl->sock.settimeout({});
    return std::make_shared<WebSocket>(std::move(impl));
}

}  // namespace gev::ws
