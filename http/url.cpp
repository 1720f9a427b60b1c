// Url::parse: http and https URLs split as RFC 3986 and WHATWG split them, refusing what they refuse, so
// that the host a caller checks (an allow-list on Url::parse(url).host) is the host we connect
// to, and so that nothing from the URL can end the request line.
#include <geventpp/http/client.hpp>
#include <stdexcept>
#include <string>

#include "detail/field_syntax.hpp"

namespace gev::http {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

using detail::is_digit;
using detail::is_hex;
using detail::is_reg_name_char;

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

[[noreturn]] void refuse(std::string_view url, const std::string& why) {
    throw ProtocolError("URL '" + detail::printable(url, 200) + "': " + why);
}

}  // namespace

Url Url::parse(std::string_view url) {
    for (unsigned char c : url) {
        if (c <= 0x20 || c == 0x7f) {
            const char byte[] = {hex_digits[c >> 4], hex_digits[c & 15], 0};
            throw std::invalid_argument("URL '" + detail::printable(url, 200) + "' holds a space or control byte (0x" +
                                        byte + "): percent-encode it (%" + byte +
                                        "); sent raw it would end the request line and could smuggle a second "
                                        "request");
        }
    }
    const auto colon = url.find(':');
    std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
    for (char& c : scheme) c = lower(c);
    if (scheme != "http" && scheme != "https") {
        throw ProtocolError("only http:// and https:// URLs are supported: '" + detail::printable(url, 200) + "'");
    }
    std::string_view rest = url.substr(colon + 1);
    if (rest.substr(0, 2) != "//") refuse(url, "expected " + scheme + "://host/...");
    rest.remove_prefix(2);

    Url u;
    u.scheme = scheme;
    u.port = u.default_port();
    const auto end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (authority.find('\\') != std::string_view::npos) {
        refuse(url, "a backslash in the host part (WHATWG reads it as '/', others as part of the host)");
    }
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        u.userinfo = std::string(authority.substr(0, at));
        authority.remove_prefix(at + 1);
    }

    std::string_view port;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {  // IP-literal, RFC 3986 §3.2.2
        const auto close = authority.find(']');
        if (close == std::string_view::npos) refuse(url, "an IPv6 address without its closing ']'");
        const std::string_view v6 = authority.substr(1, close - 1);
        bool colons = false;
        for (char c : v6) {
            if (c == ':') colons = true;
            if (!is_hex(c) && c != ':' && c != '.') {
                refuse(url, "the IPv6 address '" + std::string(v6) + "' holds '" + std::string(1, c) +
                                "' (zone ids and IPvFuture are not supported)");
            }
        }
        if (!colons) refuse(url, "'[" + std::string(v6) + "]' is not an IPv6 address");
        u.host = std::string(v6);
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') refuse(url, "characters after the IPv6 address");
    } else {
        const auto c = authority.find(':');
        u.host = std::string(authority.substr(0, c));
        authority.remove_prefix(u.host.size());
        // reg-name without pct-encoded: a percent-encoded host is refused rather than decoded
        // (WHATWG decodes it, a resolver would not, and the two must agree).
        for (char ch : u.host) {
            if (!is_reg_name_char(ch)) {
                refuse(url, "the host '" + u.host + "' holds '" + std::string(1, ch) +
                                "' (allowed: letters, digits, -._~!$&'()*+,;=)");
            }
        }
    }
    if (!authority.empty()) {  // ":port"
        has_port = true;
        port = authority.substr(1);
    }
    if (u.host.empty()) refuse(url, "no host");
    for (char& c : u.host) c = lower(c);

    if (has_port && !port.empty()) {  // an empty port means the default one
        unsigned value = 0;
        for (char c : port) {
            if (!is_digit(c)) refuse(url, "the port '" + std::string(port) + "' is not a number");
            value = value * 10 + static_cast<unsigned>(c - '0');
            if (value > 65535) refuse(url, "the port '" + std::string(port) + "' is above 65535");
        }
        if (value == 0) refuse(url, "port 0");
        u.port = static_cast<std::uint16_t>(value);
    }

    tail = tail.substr(0, tail.find('#'));  // the fragment stays with the client
    u.target.clear();
    if (tail.empty() || tail.front() != '/') u.target.push_back('/');
    for (unsigned char c : tail) {  // bytes above ASCII go percent-encoded, as browsers send them
        if (c >= 0x80) {
            u.target += '%';
            u.target += hex_digits[c >> 4];
            u.target += hex_digits[c & 15];
        } else {
            u.target += static_cast<char>(c);
        }
    }
    return u;
}

std::string Url::authority() const {
    std::string out;
    if (host.find(':') != std::string::npos) {
        out.append("[").append(host).append("]");
    } else {
        out = host;
    }
    if (port != default_port()) out.append(":").append(std::to_string(port));
    return out;
}

std::uint16_t Url::default_port() const noexcept {
    return scheme == "https" ? 443 : 80;
}

}  // namespace gev::http
