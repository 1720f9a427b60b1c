// What may reach the wire in an HTTP message head: the checks that keep a caller's string (a
// header set from a query parameter, a URL typed by a user) from ending a line early and
// writing a second header, response or request. The server's Response and the client use them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gev::http::detail {

// RFC 9110 §5.6.2 token (field names, methods): one or more of ! # $ % & ' * + - . ^ _ ` | ~,
// digits and letters.
bool is_token(std::string_view s) noexcept;

// RFC 9110 §5.5 field value: no control character but HTAB (so no CR, LF or NUL); bytes from
// 0x80 up (obs-text) are allowed.
bool is_field_value(std::string_view s) noexcept;

// Character classes of RFC 3986: a decimal digit, a hex digit, and a reg-name character
// (unreserved or sub-delims; pct-encoded is checked apart).
inline bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
inline bool is_hex(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_reg_name_char(char c) noexcept;

// RFC 9110 §7.2 Host: uri-host [ ":" port ] — an IPv6 literal in brackets, an IPv4 address or a
// reg-name (unreserved, sub-delims, %XX), then digits after a colon. Empty is valid.
bool is_host_field(std::string_view s) noexcept;

// `s` without the optional whitespace (spaces and tabs, RFC 9110 §5.6.3) around it.
inline std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Calls fn(element) for each element of a comma-separated list (RFC 9110 §5.6.1): optional
// whitespace trimmed, empty elements skipped.
template <class F>
void for_each_list_element(std::string_view list, F&& fn) {
    for (;;) {
        const auto comma = list.find(',');
        const auto element = trim_ows(list.substr(0, comma));
        if (!element.empty()) fn(element);
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

// `s` for an error message: its first `most` bytes, control characters escaped (\x0d), so the
// message stays one line.
std::string printable(std::string_view s, std::size_t most);

// Throws std::invalid_argument, naming `call`, unless `name` is a token and `value` a field
// value.
void check_field(std::string_view call, std::string_view name, std::string_view value);

}  // namespace gev::http::detail
