// gev::http::Request: one HTTP request as a handler sees it (Bottle's `request`).
//
// The request line and headers are parsed before the handler runs; the body is read lazily,
// when the handler asks for it: body() for the whole of it (up to the server's max_body, 413
// beyond, answered without reading it when Content-Length already says so), read_body(sink) to
// stream a large upload in pieces. Reading the body sends "100 Continue" first if the client
// asked for it. Body reads block (cancellation points); each waits at most the server's
// body_timeout, then throws net::SocketTimeout (the server answers 408). A client that goes
// away, or a body whose framing is broken (bad chunk, a chunk line or trailer section over
// the server's max_chunk_line) throws net::SocketError; the server then answers 400 if nothing
// was sent yet, and closes the connection.
// A Request lives for one handler call, on the connection's greenlet.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/intrusive/list.hpp>
#include <cstdint>
#include <functional>
#include <geventpp/net/address.hpp>
#include <geventpp/net/stream.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gev::http {

// A protocol that takes a connection over from the HTTP server after a request (a WebSocket,
// a tunnel): see Request::take_over. The connection keeps it until the handler returns, and
// tells it when the server starts stopping meanwhile.
class Upgrade : public boost::intrusive::list_base_hook<> {
public:
    virtual ~Upgrade() = default;
    // The handler returned (failed: by an exception).
    virtual void handler_returned(bool failed) = 0;
    // The server starts stopping while the handler runs; must not block.
    virtual void server_stopping() = 0;
};

namespace detail {
// The connection a request arrived on.
class RequestSource {
public:
    virtual void read_body(const std::function<void(std::string_view)>& sink) = 0;
    // The body's length when the request declared it (Content-Length), before reading it.
    virtual std::optional<std::uint64_t> declared_body_length() const = 0;
    // See Request::take_over.
    virtual std::unique_ptr<net::Stream> take_over(std::string& unread, std::shared_ptr<Upgrade> upgrade) = 0;
    // The server's ServerOptions::server_name.
    virtual const std::string& server_name() const noexcept = 0;

protected:
    ~RequestSource() = default;
};
// The library's own way into Request and Response (http/detail/access.hpp).
struct Access;
}  // namespace detail

class Request {
public:
    std::string_view method() const noexcept { return method_; }
    // The request target as sent: path and query.
    std::string_view target() const noexcept { return target_; }
    // The percent-decoded path.
    const std::string& path() const noexcept { return path_; }
    std::string_view query_string() const noexcept { return query_string_; }
    // 10 for HTTP/1.0, 11 for HTTP/1.1.
    unsigned version() const noexcept { return version_; }
    const net::Address& remote_addr() const noexcept { return remote_; }
    // What the server calls itself in its Server header (ServerOptions::server_name; WSGI's
    // SERVER_SOFTWARE), for a protocol that takes the connection over and answers itself.
    const std::string& server_name() const noexcept { return source_.server_name(); }

    // A header's value, "" when absent (names are case-insensitive).
    std::string_view header(std::string_view name) const;
    const boost::beast::http::fields& headers() const noexcept { return headers_; }

    // The query string, decoded; a repeated name keeps its last value.
    std::map<std::string, std::string> query() const;
    // A form body (application/x-www-form-urlencoded), decoded: reads the body.
    std::map<std::string, std::string> forms();
    // A cookie's value, "" when absent.
    std::string cookie(std::string_view name) const;

    // Wildcards the router matched, by name ("/hello/<name>").
    std::string_view param(std::string_view name) const;

    // The whole body; abort(413) when it is larger than the server's max_body.
    std::string body();
    // The body in pieces, as they arrive.
    void read_body(const std::function<void(std::string_view)>& sink) { source_.read_body(sink); }

    // Takes the connection over (Go's Hijacker): returns its stream and, in `unread`, the bytes
    // already read past this request's head. The server writes nothing more on it — what
    // answers the request (a 101) is the caller's to send — and keeps `upgrade` until the
    // handler returns, calling server_stopping() if the server stops first. gev::ws::upgrade
    // is built on it.
    std::unique_ptr<net::Stream> take_over(std::string& unread, std::shared_ptr<Upgrade> upgrade) {
        return source_.take_over(unread, std::move(upgrade));
    }

private:
    friend struct detail::Access;  // the server makes requests, the router sets their params
    Request(std::string_view method, std::string_view target, unsigned version,
            const boost::beast::http::fields& headers, const net::Address& remote, detail::RequestSource& source,
            std::size_t max_body);

    std::string_view method_;
    std::string_view target_;
    std::string path_;
    std::string_view query_string_;
    unsigned version_;
    const boost::beast::http::fields& headers_;
    const net::Address& remote_;  // the connection's
    detail::RequestSource& source_;
    std::size_t body_limit_;
    std::vector<std::pair<std::string, std::string>> params_;
};

// Percent-decoding; with `plus_is_space`, '+' becomes ' ' (query strings and forms).
std::string url_decode(std::string_view s, bool plus_is_space = false);
// "a=1&b=x+y" -> {a: "1", b: "x y"}; a repeated name keeps its last value.
std::map<std::string, std::string> parse_urlencoded(std::string_view s);

}  // namespace gev::http
