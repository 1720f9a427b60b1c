#include "detail/dial.hpp"

#include <geventpp/net/socket_stream.hpp>

namespace gev::http::detail {

std::string peer(const Url& u) {
    Url with_port = u;
    with_port.port = u.default_port();
    return with_port.authority() + ":" + std::to_string(u.port);
}

const net::ssl::SSLContext& default_client_context() {
    static const net::ssl::SSLContext context = net::ssl::create_default_context();
    return context;
}

const net::ssl::SSLContext& unverified_client_context() {
    static const net::ssl::SSLContext context = [] {
        net::ssl::SSLContext c(net::ssl::Protocol::tls_client);
        c.set_check_hostname(false);
        c.set_verify_mode(net::ssl::VerifyMode::none);
        return c;
    }();
    return context;
}

std::unique_ptr<net::Stream> dial(const Url& u, const net::ssl::SSLContext& context, Seconds timeout,
                                  const net::ssl::SSLSession& resume) {
    net::Socket sock = net::create_connection(u.host, u.port, timeout);
    sock.settimeout({});  // the caller's deadline (a gev::Timeout) bounds every call from here
    if (u.scheme != "https") return std::make_unique<net::SocketStream>(std::move(sock));
    auto tls = std::make_unique<net::ssl::SSLSocket>(context.wrap_socket(std::move(sock), false, u.host, false));
    tls->set_session(resume);
    tls->do_handshake();
    return tls;
}

}  // namespace gev::http::detail
