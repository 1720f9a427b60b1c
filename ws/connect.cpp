#include <algorithm>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http/message.hpp>
#include <cctype>
#include <geventpp/http/client.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/ws/client.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "../http/detail/dial.hpp"
#include "../http/detail/field_syntax.hpp"
#include "detail/deflate_params.hpp"
#include "detail/impl.hpp"

namespace gev::ws {

namespace bhttp = boost::beast::http;
namespace bws = boost::beast::websocket;

namespace {

// ws://rest or wss://rest, the scheme in any case, parsed as the http:// or https:// URL it
// upgrades from.
http::Url parse(std::string_view url) {
    const auto colon = url.find("://");
    std::string scheme(url.substr(0, colon));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (colon == std::string_view::npos || (scheme != "ws" && scheme != "wss")) {
        throw WebSocketError("only ws:// and wss:// URLs are supported: '" + http::detail::printable(url, 200) + "'");
    }
    return http::Url::parse((scheme == "wss" ? "https" : "http") + std::string(url.substr(colon)));
}

std::string basic_credentials(std::string_view userinfo) {
    namespace b64 = boost::beast::detail::base64;
    std::string plain;
    for (std::size_t i = 0; i < userinfo.size(); ++i) {
        if (userinfo[i] == '%' && i + 2 < userinfo.size() &&
            std::isxdigit(static_cast<unsigned char>(userinfo[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(userinfo[i + 2]))) {
            plain += static_cast<char>(std::stoi(std::string(userinfo.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            plain += userinfo[i];
        }
    }
    std::string out(b64::encoded_size(plain.size()), '\0');
    out.resize(b64::encode(out.data(), plain.data(), plain.size()));
    return "Basic " + out;
}

// Why the client must fail a 101 whose Sec-WebSocket-Extensions is `answer` (RFC 6455 §9.1: only
// what was offered; RFC 7692 §5: one permessage-deflate, parameters valid in a response, a
// configuration we can run), or "" when it may go on. Beast would take any of it.
std::string answer_error(std::string_view answer, const WebSocketOptions& options) {
    if (answer.empty()) return {};
    const std::string quoted = "'" + http::detail::printable(answer, 80) + "'";
    if (!options.permessage_deflate) return "the server accepted the extension " + quoted + ", which was not offered";
    int elements = 0;
    std::optional<detail::DeflateParams> params;
    http::detail::for_each_list_element(answer, [&](std::string_view element) {
        ++elements;
        params = detail::parse_deflate(element, true);
    });
    if (elements != 1)
        return "the server accepted " + std::to_string(elements) + " extensions (" + quoted + "), one was offered";
    if (!params) return "the server's extension answer " + quoted + " is not a valid permessage-deflate response";
    // zlib compresses with 9 bits at the least: an 8-bit window for our messages cannot be kept.
    if (params->client_max_window_bits == 8)
        return "the server asked for client_max_window_bits=8, which zlib cannot keep";
    return {};
}

}  // namespace

std::shared_ptr<WebSocket> connect(std::string_view url, const WebSocketOptions& options, Seconds timeout) {
    const auto u = parse(url);
    if (!options.origin.empty())
        http::detail::check_field("ws::connect (WebSocketOptions::origin)", "Origin", options.origin);
    std::string offered;
    for (const auto& p : options.subprotocols) {
        if (!http::detail::is_token(p)) {
            throw std::invalid_argument("ws::connect: the subprotocol '" + p.substr(0, 80) +
                                        "' in WebSocketOptions::subprotocols is not a token (letters, digits and "
                                        "!#$%&'*+-.^_`|~; no space, comma or CR/LF)");
        }
        offered += (offered.empty() ? "" : ", ") + p;
    }
    const std::string peer = http::detail::peer(u);
    Timeout deadline(timeout);
    try {
        const auto& tls = options.ssl_context ? *options.ssl_context : http::detail::default_client_context();
        auto impl = std::make_unique<WebSocket::Impl>(http::detail::dial(u, tls, timeout), std::string(), options,
                                                      boost::beast::role_type::client);
        impl->ws.set_option(bws::stream_base::decorator([&](bws::request_type& req) {
            req.set(bhttp::field::user_agent, "geventpp");
            if (!offered.empty()) req.set(bhttp::field::sec_websocket_protocol, offered);
            if (!options.origin.empty()) req.set(bhttp::field::origin, options.origin);
            if (!u.userinfo.empty()) req.set(bhttp::field::authorization, basic_credentials(u.userinfo));
        }));
        bws::response_type res;
        boost::system::error_code ec;
        impl->ws.handshake(res, u.authority(), u.target, ec);
        if (ec == boost::system::errc::timed_out) throw net::SocketTimeout("WebSocket handshake with " + peer);
        if (ec) {
            const int status = res.result_int();
            if (status && status != 101) {
                throw HandshakeError(status, "WebSocket handshake refused: HTTP " + std::to_string(status) + " " +
                                                 std::string(res.reason()));
            }
            throw HandshakeError(0, "WebSocket handshake with " + peer + " failed: " + ec.message());
        }
        // RFC 6455 §4.1: a subprotocol or an extension the client did not offer fails the
        // connection (Beast takes whatever the 101 says).
        const std::string_view chosen = res[bhttp::field::sec_websocket_protocol];
        if (!chosen.empty() &&
            std::find(options.subprotocols.begin(), options.subprotocols.end(), chosen) == options.subprotocols.end()) {
            throw HandshakeError(101, "WebSocket handshake with " + peer + ": the server chose the subprotocol '" +
                                          http::detail::printable(chosen, 80) + "', which was not offered");
        }
        if (const auto why = answer_error(res[bhttp::field::sec_websocket_extensions], options); !why.empty()) {
            throw HandshakeError(101, "WebSocket handshake with " + peer + ": " + why);
        }
        impl->subprotocol = std::string(chosen);
        return std::make_shared<WebSocket>(std::move(impl));
    } catch (const Timeout::Expired& e) {
        if (!e.is(deadline)) throw;
        std::ostringstream within;
        within << std::chrono::duration<double>(timeout.span()).count();
        throw net::SocketTimeout("WebSocket handshake with " + peer + " (not done within " + within.str() + " s)");
    }
}

}  // namespace gev::ws
