#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>

namespace gev::http {

namespace {
int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
}  // namespace

std::string url_decode(std::string_view s, bool plus_is_space) {
    if (s.find('%') == std::string_view::npos && (!plus_is_space || s.find('+') == std::string_view::npos)) {
        return std::string(s);  // nothing to decode: most paths
    }
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Request::Request(std::string_view method, std::string_view target, unsigned version,
                 const boost::beast::http::fields& headers, const net::Address& remote, detail::RequestSource& source,
                 std::size_t max_body)
    : method_(method),
      target_(target),
      version_(version),
      headers_(headers),
      remote_(remote),
      source_(source),
      body_limit_(max_body) {
    const auto q = target.find('?');
    path_ = url_decode(target.substr(0, q));
    if (q != std::string_view::npos) query_string_ = target.substr(q + 1);
}

std::string_view Request::header(std::string_view name) const {
    auto it = headers_.find(name);
    return it == headers_.end() ? std::string_view{} : std::string_view(it->value());
}

std::map<std::string, std::string> parse_urlencoded(std::string_view rest) {
    std::map<std::string, std::string> out;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        out[url_decode(pair.substr(0, eq), true)] =
            eq == std::string_view::npos ? std::string{} : url_decode(pair.substr(eq + 1), true);
    }
    return out;
}

std::map<std::string, std::string> Request::query() const {
    return parse_urlencoded(query_string_);
}

std::map<std::string, std::string> Request::forms() {
    if (header("Content-Type").substr(0, 33) != "application/x-www-form-urlencoded") {
        abort(415, "Expected an application/x-www-form-urlencoded body");
    }
    return parse_urlencoded(body());
}

std::string Request::cookie(std::string_view name) const {
    std::string_view rest = header("Cookie");
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        const auto pair = trim(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
    return {};
}

std::string_view Request::param(std::string_view name) const {
    for (const auto& [k, v] : params_) {
        if (k == name) return v;
    }
    return {};
}

std::string Request::body() {
    if (const auto declared = source_.declared_body_length(); declared && *declared > body_limit_) {
        abort(413, "Payload Too Large");
    }
    std::string out;
    read_body([&](std::string_view piece) {
        if (out.size() + piece.size() > body_limit_) abort(413, "Payload Too Large");
        out.append(piece);
    });
    return out;
}

}  // namespace gev::http
