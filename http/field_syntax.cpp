#include "detail/field_syntax.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace gev::http::detail {

namespace {
constexpr std::array<bool, 256> tchar_table = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

}  // namespace

std::string printable(std::string_view s, std::size_t most) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s.substr(0, most)) {
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > most) out += "...";
    return out;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (unsigned char c : s) {
        if (!tchar_table[c]) return false;
    }
    return true;
}

bool is_field_value(std::string_view s) noexcept {
    for (unsigned char c : s) {
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
}

void check_field(std::string_view call, std::string_view name, std::string_view value) {
    if (!is_token(name)) {
        throw std::invalid_argument(std::string(call) + ": '" + printable(name, 80) +
                                    "' is not a valid header name (a token: letters, digits and !#$%&'*+-.^_`|~)");
    }
    if (!is_field_value(value)) {
        throw std::invalid_argument(std::string(call) + ": the value of " + std::string(name) + " ('" +
                                    printable(value, 80) +
                                    "') holds a control character (CR, LF, NUL...): it would end the header line");
    }
}

}  // namespace gev::http::detail
