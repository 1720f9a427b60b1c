// A blocking-style HTTP/1.1 client (the part of urllib / requests that ports need).
//
//   auto r = gev::http::get("http://127.0.0.1:8080/hello");       // one-off
//   gev::http::Session s;                                         // keep-alive, a pool per host
//   auto page = s.get("http://127.0.0.1:8080/");
//   auto up = s.post("http://127.0.0.1:8080/upload", data, "text/plain");
//   auto stream = s.open("GET", "http://127.0.0.1:8080/stream");  // read a streamed body as it comes
//   while (auto piece = stream.read_some()) use(*piece);
//
// Only http:// URLs (no TLS here). Every call blocks only the calling greenlet and is a
// cancellation point; the session's timeout bounds connecting and each read or write
// (net::SocketTimeout). Connection refused and resets are net::SocketError subclasses; a
// malformed response is ProtocolError. A request sent on a pooled connection that the server had
// closed meanwhile is retried once on a new connection. A Session belongs to one hub.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdint>
#include <geventpp/net/socket.hpp>
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

// A URL split for the client: http://host[:port]/target.
struct Url {
    std::string host;
    std::uint16_t port = 80;
    std::string target = "/";
    static Url parse(std::string_view url);  // throws ProtocolError
};

// A response whose body is read piece by piece, as it arrives.
class ClientStream {
public:
    int status() const noexcept;
    const boost::beast::http::fields& headers() const noexcept;
    // The next piece of the body, or nothing at its end.
    std::optional<std::string> read_some();

private:
    friend class Session;
    struct State {
        net::Socket sock;
        boost::beast::flat_buffer buffer;
        boost::beast::http::response_parser<boost::beast::http::buffer_body> parser;
    };
    explicit ClientStream(net::Socket sock);
    std::unique_ptr<State> s_;  // Beast's parser does not move
};

class Session {
public:
    struct Options {
        Seconds timeout = 30.0;
        std::size_t max_idle_per_host = 8;
        std::string user_agent = "geventpp";
    };

    Session() = default;
    explicit Session(Options options) : options_(std::move(options)) {}

    ClientResponse request(std::string_view method, std::string_view url, std::string body = {},
                           const Headers& headers = {});
    ClientResponse get(std::string_view url, const Headers& headers = {}) { return request("GET", url, {}, headers); }
    ClientResponse post(std::string_view url, std::string body,
                        std::string_view content_type = "application/octet-stream");
    // Sends the request and returns once the response's header is in.
    ClientStream open(std::string_view method, std::string_view url, std::string body = {},
                      const Headers& headers = {});

    // Idle pooled connections (all hosts).
    std::size_t idle_connections() const noexcept;

private:
    net::Socket connect(const Url& u, bool& reused);
    void send_request(net::Socket& sock, std::string_view method, const Url& u, const std::string& body,
                      const Headers& headers);
    void give_back(const Url& u, net::Socket sock);

    Options options_;
    std::map<std::string, std::vector<net::Socket>> idle_;
};

// One-off requests on a fresh connection.
ClientResponse get(std::string_view url, Seconds timeout = 30.0);
ClientResponse post(std::string_view url, std::string body, std::string_view content_type = "application/octet-stream",
                    Seconds timeout = 30.0);

}  // namespace gev::http
