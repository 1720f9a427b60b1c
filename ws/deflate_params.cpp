#include "detail/deflate_params.hpp"

#include <boost/beast/core/string.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "../http/detail/field_syntax.hpp"

namespace gev::ws::detail {

namespace {

// 8..15 written without leading zeroes; 0 otherwise.
int window_bits(std::string_view v) {
    if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
    if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + v[1] - '0';
    return 0;
}

}  // namespace

std::optional<DeflateParams> parse_deflate(std::string_view element, bool response) {
    using http::detail::trim_ows;
    const auto semi = element.find(';');
    if (!boost::beast::iequals(trim_ows(element.substr(0, semi)), "permessage-deflate")) return std::nullopt;
    DeflateParams out;
    std::vector<std::string> seen;
    for (auto rest = semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1); !rest.empty();) {
        const auto next = rest.find(';');
        const auto param = trim_ows(rest.substr(0, next));
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        const auto eq = param.find('=');
        const bool valued = eq != std::string_view::npos;
        std::string name(trim_ows(param.substr(0, eq)));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto value = valued ? trim_ows(param.substr(eq + 1)) : std::string_view{};
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        for (const auto& s : seen) {
            if (s == name) return std::nullopt;
        }
        seen.push_back(name);
        if (name == "server_no_context_takeover" || name == "client_no_context_takeover") {
            if (valued) return std::nullopt;
            (name[0] == 's' ? out.server_no_context_takeover : out.client_no_context_takeover) = true;
        } else if (name == "server_max_window_bits") {
            out.server_max_window_bits = window_bits(value);
            if (out.server_max_window_bits == 0) return std::nullopt;
        } else if (name == "client_max_window_bits") {
            if (!valued && response) return std::nullopt;
            out.client_max_window_bits = valued ? window_bits(value) : -1;
            if (out.client_max_window_bits == 0) return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace gev::ws::detail
