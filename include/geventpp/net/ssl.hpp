// gev::net::ssl: TLS on OpenSSL 3 for blocking-style code, gevent.ssl. SSLContext holds the
// settings (ssl_context.hpp), SSLSocket is one connection (ssl_socket.hpp), and ssl_error.hpp
// has what they throw. docs/tls.md tells how a TLS connection meets the hub.
#pragma once

#include <geventpp/net/ssl_context.hpp>
#include <geventpp/net/ssl_error.hpp>
#include <geventpp/net/ssl_socket.hpp>
