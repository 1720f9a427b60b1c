// Opening the connection a URL names, for the HTTP client (http/client.cpp) and the WebSocket
// client (ws/connect.cpp): TCP, then for https a TLS handshake that verifies the server's
// certificate and name. Library internal.
#pragma once

#include <geventpp/http/client.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <geventpp/net/stream.hpp>
#include <memory>
#include <optional>

namespace gev::http::detail {

// host:port, always with the port (authority() leaves the default one out): the peer error
// messages name.
std::string peer(const Url& u);

// The client context https:// uses unless told otherwise: the system's CAs, certificate and
// hostname verification on (net::ssl::create_default_context), made once for the process.
const net::ssl::SSLContext& default_client_context();
// A client context that accepts any certificate (SessionOptions::verify = false), made once.
const net::ssl::SSLContext& unverified_client_context();

// The stream to `u`: a plain SocketStream for http, a handshaken SSLSocket for https (with
// `context`, offering `resume` when it holds a session). Waits at most `timeout` to connect; the
// handshake is bounded by the caller's deadline. Throws what create_connection and the
// handshake throw (net::ssl::CertificateError naming the host when verification fails).
std::unique_ptr<net::Stream> dial(const Url& u, const net::ssl::SSLContext& context, Seconds timeout,
                                  const net::ssl::SSLSession& resume = {});

}  // namespace gev::http::detail
