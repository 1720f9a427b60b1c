// What both server fuzz targets share: an HTTP app with routes that exercise the request path
// (parsing, bodies, forms, JSON, cookies, typed wildcards, static files with ranges, errors) and
// WebSocket echo routes, served by the connection core itself (http::serve_connection) on a
// scripted stream: no server thread, no socket, nothing waits. A crash or sanitizer report stops
// the process, and libFuzzer saves the input; a connection that never ends is a libFuzzer
// timeout.
#pragma once

#include <string>
#include <string_view>

namespace fuzz {

// What the server writes on a connection whose client sends `input` and then closes. The
// server reads the input whole, a byte at a time or in 7-byte pieces (chosen by its length), so
// that the fuzzer also explores where reads cut the bytes.
std::string exchange(std::string_view input);

// The same over TLS: a client greenlet handshakes with the server's connection core on a
// socketpair (samples/server.crt), sends `input` as plaintext in pieces as exchange() does, then
// close_notify, and returns what the server answered, decrypted. Explores the TLS stream's
// record path (records cut where the pieces fall, reads and writes interleaved) into the parser.
std::string tls_exchange(std::string_view input);

// Aborts (a finding) unless `out` is nothing or starts as an HTTP response does: whatever the
// client sent, the server answers in HTTP or not at all.
void expect_http_answer(const std::string& out);

}  // namespace fuzz
