#include <geventpp/http/response.hpp>
#include <geventpp/runtime/error.hpp>
#include <stdexcept>
#include <string>

#include "detail/field_syntax.hpp"

namespace gev::http {

namespace {
// RFC 6265 §4.1.1 cookie-octet: US-ASCII but controls, whitespace, DQUOTE, comma, semicolon
// and backslash.
bool is_cookie_octet(unsigned char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
           (c >= 0x5d && c <= 0x7e);
}

bool is_cookie_value(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    for (unsigned char c : v) {
        if (!is_cookie_octet(c)) return false;
    }
    return true;
}
}  // namespace

void Response::set_status(int status) {
    if (status < 100 || status > 999) {
        throw std::invalid_argument("Response::set_status(" + std::to_string(status) +
                                    "): a status code has three digits (100-999)");
    }
    status_ = status;
}

void Response::set_header(std::string_view name, std::string_view value) {
    detail::check_field("Response::set_header", name, value);
    headers_.set(name, value);
}

void Response::add_header(std::string_view name, std::string_view value) {
    detail::check_field("Response::add_header", name, value);
    headers_.insert(name, value);
}

void Response::set_cookie(std::string_view name, std::string_view value, std::string_view attributes) {
    if (!detail::is_token(name)) {
        throw std::invalid_argument("Response::set_cookie: '" + std::string(name) +
                                    "' is not a valid cookie name (a token)");
    }
    if (!is_cookie_value(value)) {
        throw std::invalid_argument("Response::set_cookie: the value of cookie " + std::string(name) +
                                    " holds a character a cookie may not (space, '\"', ',', ';', '\\' or a control): "
                                    "encode it first, e.g. percent-encode or base64");
    }
    detail::check_field("Response::set_cookie", "Set-Cookie", attributes);
    std::string v;
    v.append(name).append("=").append(value);
    if (!attributes.empty()) v.append("; ").append(attributes);
    headers_.insert(boost::beast::http::field::set_cookie, v);
}

void Response::write(std::string_view piece) {
    if (!started_) sink_.start_stream(*this);
    sink_.write_piece(piece);
}

void Response::reset() {
    if (started_) throw UsageError("Response::reset after the response started — its status line is already sent");
    status_ = 200;
    headers_.clear();
    body.clear();
    queue_.reset();
}

}  // namespace gev::http
