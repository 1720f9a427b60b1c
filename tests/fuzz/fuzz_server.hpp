// What both fuzz targets share: an HTTP server with routes that exercise the request path
// (parsing, bodies, forms, JSON, cookies, typed wildcards, static files with ranges, errors) and
// WebSocket echo routes, on its own hub and thread for the whole run; and a plain blocking client
// that sends one input on a fresh connection, shuts down its side and reads until the server
// closes. A crash or sanitizer report in the server stops the process, and libFuzzer saves the
// input; a server that never closes the connection is a libFuzzer timeout.
#pragma once

#include <string>
#include <string_view>

namespace fuzz {

// Starts the server once; returns its Unix socket path.
const std::string& server();

// Sends `input` on a new connection and returns everything the server wrote before closing.
std::string exchange(std::string_view input);

}  // namespace fuzz
