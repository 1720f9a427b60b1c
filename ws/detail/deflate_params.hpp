// One permessage-deflate element of a Sec-WebSocket-Extensions header (RFC 7692 §7.1), as both
// sides of the handshake read it: the server an offer, the client the server's answer. Library
// internal (ws/accept.cpp, ws/connect.cpp).
#pragma once

#include <optional>
#include <string_view>

namespace gev::ws::detail {

struct DeflateParams {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    int server_max_window_bits = 0;  // 0: absent
    int client_max_window_bits = 0;  // 0: absent; -1: present without a value (an offer may)
};

// Nothing when the element is not permessage-deflate, names a parameter §7.1 does not define or
// one twice, or gives a value §7.1 does not allow: the takeovers take none, window bits are
// 8..15 without leading zeroes (quoted or not), and only an offer (response = false) may give
// client_max_window_bits without a value.
std::optional<DeflateParams> parse_deflate(std::string_view element, bool response);

}  // namespace gev::ws::detail
