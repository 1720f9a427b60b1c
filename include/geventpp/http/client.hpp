// A blocking-style HTTP/1.1 client (the part of urllib / requests that ports need).
//
//   auto r = gev::http::get("http://127.0.0.1:8080/hello");       // one-off
//   gev::http::Session s;                                         // keep-alive, a pool per host
//   auto page = s.get("http://127.0.0.1:8080/");
//   auto up = s.post("http://127.0.0.1:8080/upload", data, "text/plain");
//   auto stream = s.open("GET", "http://127.0.0.1:8080/stream");  // read a streamed body as it comes
//   while (auto piece = stream.read_some()) use(*piece);
//
// http:// and https:// URLs. For https the server's certificate and name are verified against
// the system's CAs by default (SessionOptions::ssl_context for others, SessionOptions::verify =
// false to skip it in tests): a failure throws net::ssl::CertificateError naming the host and
// the reason. A Session pools TLS connections per host as it pools plain ones, and resumes the
// host's TLS session on a new connection. Every call blocks only the calling greenlet and is a
// cancellation point. A Session belongs to one hub.
//
// Deadline: the session's timeout (default 30 s) bounds the whole exchange, like Go's
// Client.Timeout: connecting, sending and reading the whole response of request()/get()/post();
// for a ClientStream, from open() to its last read_some(). When it passes, net::SocketTimeout
// naming the peer. A gev::Timeout of the caller's own still fires as itself (Timeout::Expired).
//
// Limits (SessionOptions): a response header block (each 1xx included) of max_header bytes,
// 64 KiB; a body of max_response bytes for request(), 64 MiB (a ClientStream's body is not
// limited, its memory is: about max_header + 16 KiB whatever the server sends); chunk-size lines
// and trailers fit in the same max_header (+ 4 KiB) buffer. 1xx responses (103 Early Hints, a
// stray 100 Continue) are skipped, at most 10 of them; a 101 is returned as it is.
//
// Errors: what the caller gives that would reach the wire raw — a URL with a space or a control
// byte, a method that is not a token, a header name or value that could end its line —
// throws std::invalid_argument before anything is sent. A URL that does not parse (RFC 3986:
// bad port, empty host, a backslash in the authority, a host outside reg-name / IP-literal)
// throws ProtocolError, as does a malformed or over-limit response. Connection refused and
// resets are net::SocketError subclasses. A request is sent again, once, on a new connection only
// when it is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and its pooled connection failed
// before any byte of the response came — never after a timeout.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/ssl_socket.hpp>
#include <geventpp/net/stream.hpp>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gev::http {

class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ClientResponse {
    int status = 0;
    boost::beast::http::fields headers;
    std::string body;
    std::string_view header(std::string_view name) const;
};

// A URL split for the client, as RFC 3986 and WHATWG split it:
// http://[userinfo@]host[:port][/path][?query][#fragment]. The scheme is case-insensitive; the
// authority ends at the first '/', '?' or '#'; userinfo is what comes before its last '@'.
struct Url {
    std::string scheme = "http";  // "http" or "https", lower-cased
    std::string userinfo;  // as written (percent-encoded); sent as Authorization: Basic, decoded
    std::string host;      // lower-cased; an IPv6 literal without its brackets
    std::uint16_t port = 80;
    std::string target = "/";  // path and query ("/" for an empty path); the fragment is dropped
    // Throws std::invalid_argument for a space or control byte, ProtocolError for the rest.
    static Url parse(std::string_view url);
    // host[:port] as the Host header carries it (brackets around IPv6, no port when it is the
    // scheme's default).
    std::string authority() const;
    // 443 for https, 80 for http.
    std::uint16_t default_port() const noexcept;
};

// A response whose body is read piece by piece, as it arrives. Its memory stays bounded (see
// above) however long the body; the session's timeout runs from open() to the last read_some().
class ClientStream {
public:
    ClientStream(ClientStream&&) noexcept;
    ClientStream& operator=(ClientStream&&) noexcept;
    ~ClientStream();

    int status() const noexcept;
    const boost::beast::http::fields& headers() const noexcept;
    // The next piece of the body, or nothing at its end. Throws ProtocolError,
    // net::SocketError, net::SocketTimeout when the deadline passed.
    std::optional<std::string> read_some();

private:
    friend class Session;
    struct State;
    explicit ClientStream(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;  // Beast's parser does not move
};

struct SessionOptions {
    // Bounds each whole exchange (see above); a default Seconds{} means no deadline.
    Seconds timeout = 30.0;
    std::size_t max_idle_per_host = 8;
    std::string user_agent = "geventpp";
    // A bigger response body from request()/get()/post() is a ProtocolError naming this.
    std::uint64_t max_response = 64 * 1024 * 1024;
    // Status line and fields of one response; bigger is a ProtocolError naming this.
    std::uint32_t max_header = 64 * 1024;
    // https://: the client TLS context (CAs, client certificate, ALPN, versions); by default
    // the system's CAs with certificate and hostname verification on.
    std::optional<net::ssl::SSLContext> ssl_context{};
    // false: any certificate is accepted when ssl_context is not set (for tests only: Go's
    // InsecureSkipVerify, requests' verify=False).
    bool verify = true;
};

class Session {
public:
    Session() = default;
    explicit Session(SessionOptions options) : options_(std::move(options)) {}

    ClientResponse request(std::string_view method, std::string_view url, std::string body = {},
                           const Headers& headers = {});
    ClientResponse get(std::string_view url, const Headers& headers = {}) { return request("GET", url, {}, headers); }
    ClientResponse post(std::string_view url, std::string body,
                        std::string_view content_type = "application/octet-stream");
    // Sends the request on a new connection and returns once the final response's header is in.
    ClientStream open(std::string_view method, std::string_view url, std::string body = {},
                      const Headers& headers = {});

    // Idle pooled connections (all hosts).
    std::size_t idle_connections() const noexcept;

private:
    std::unique_ptr<net::Stream> connect(const Url& u, bool& reused);
    // Pools the stream; `fresh`: its first exchange, whose TLS session is kept for resuming.
    void give_back(const Url& u, std::unique_ptr<net::Stream> stream, bool fresh);
    const net::ssl::SSLContext& tls_context() const;

    SessionOptions options_;
    // Keyed by scheme://host:port.
    std::map<std::string, std::vector<std::unique_ptr<net::Stream>>> idle_;
    std::map<std::string, net::ssl::SSLSession> tls_sessions_;
};

// One-off requests on a fresh connection; `timeout` bounds the whole exchange.
ClientResponse get(std::string_view url, Seconds timeout = 30.0);
ClientResponse post(std::string_view url, std::string body, std::string_view content_type = "application/octet-stream",
                    Seconds timeout = 30.0);

}  // namespace gev::http
