// The checks that keep a caller's string from ending a header line: every byte at every
// position, since the field-value check reads eight bytes at a time.
#include "../../http/detail/field_syntax.hpp"

#include <doctest/doctest.h>

#include <string>

using gev::http::detail::is_field_value;
using gev::http::detail::is_host_field;

TEST_CASE("a_field_value_with_any_control_byte_anywhere_is_refused_and_tab_and_obs_text_pass") {
    for (std::size_t size = 1; size <= 20; ++size) {
        for (std::size_t at = 0; at < size; ++at) {
            for (int c = 0; c < 256; ++c) {
                std::string v(size, 'a');
                v[at] = static_cast<char>(c);
                const bool control = (c < 0x20 && c != '\t') || c == 0x7f;
                CHECK_MESSAGE(is_field_value(v) == !control, "byte ", c, " at ", at, " of ", size);
            }
        }
    }
    CHECK(is_field_value(""));
    CHECK(is_field_value("text/html; charset=utf-8\t\x80\xff"));
    CHECK_FALSE(is_field_value(std::string("abcdefgh\r\nX-Evil: 1")));
}

TEST_CASE("a_host_field_is_uri_host_and_an_optional_port") {
    for (const char* good : {"", "example.com", "EXAMPLE.com:8080", "127.0.0.1", "[::1]", "[::ffff:1.2.3.4]:443",
                             "a%2Eb", "x:", "sub-delims!$&'()*+,;="}) {
        CHECK_MESSAGE(is_host_field(good), good);
    }
    for (const char* bad : {"a b", "a/b", "a@b", "a:b", "a:8:0", "[::1", "[::1]x", "[]", "[g::1]", "%zz", "a%2", ":80x",
                            "a\\b", "a?b", "a#b"}) {
        CHECK_MESSAGE(!is_host_field(bad), bad);
    }
}
