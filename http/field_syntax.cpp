#include "detail/field_syntax.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gev::http::detail {

namespace {

// Letters, digits and `extra`.
constexpr std::array<bool, 256> alnum_and(std::string_view extra) {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : extra) t[static_cast<unsigned char>(c)] = true;
    return t;
}

constexpr auto tchar_table = alnum_and("!#$%&'*+-.^_`|~");
constexpr auto reg_name_table = alnum_and("-._~!$&'()*+,;=");

}  // namespace

bool is_reg_name_char(char c) noexcept {
    return reg_name_table[static_cast<unsigned char>(c)];
}

bool is_host_field(std::string_view s) noexcept {
    std::size_t i = 0;
    if (!s.empty() && s.front() == '[') {  // IP-literal: an IPv6 address (IPvFuture is not taken)
        const auto close = s.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (i = 1; i < close; ++i) {
            if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.') return false;
        }
        ++i;
    } else {
        const char* p = s.data();
        const char* const end = p + s.size();
        for (;;) {  // runs of reg-name characters (one lookup a byte), each ended by %XX, ':' or the end
            while (p != end && reg_name_table[static_cast<unsigned char>(*p)]) ++p;
            if (p == end || *p != '%') break;
            if (end - p < 3 || !is_hex(p[1]) || !is_hex(p[2])) return false;
            p += 3;
        }
        i = static_cast<std::size_t>(p - s.data());
    }
    if (i == s.size()) return true;
    if (s[i] != ':') return false;
    for (++i; i < s.size(); ++i) {
        if (!is_digit(s[i])) return false;
    }
    return true;
}

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
    // Eight bytes at a time while none is below 0x20 or 0x7f (the bit tricks of "Bit Twiddling
    // Hacks": hasless and haszero); the word that has one, and the tail, byte by byte.
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        const std::uint64_t del = w ^ (ones * 0x7f);
        if ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs) break;
    }
    for (; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
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
