// gev::http::Response: what a handler answers (Bottle's `response`).
//
//   response.set_header("Content-Type", "text/plain");
//   response.body = "Hello, World!";                  // sent with Content-Length when the handler returns
//
//   response.write("START");                          // or stream: each piece reaches the client at once
//   gev::sleep(3s);
//   response.write("MIDDLE");
//
//   response.stream(queue);                           // or hand over a Queue: its items are sent as they
//                                                     // arrive, and close() ends the response
//
// Streaming uses chunked encoding on HTTP/1.1 and a close-delimited body on HTTP/1.0, unless the
// handler set Content-Length first: then the pieces are sent as they are, writing more than
// declared throws UsageError, and a response that ends short closes its connection (the client
// sees it cut). An empty piece is skipped; it does not end the response. write() blocks while
// the client is slow to read (a cancellation point; the server's send_timeout bounds each
// wait) and throws net::SocketError if the client went away.
//
// Nothing a handler passes can end a header line early: set_header, add_header, set_cookie
// throw std::invalid_argument for a name that is not a token or a value that holds CR, LF, NUL
// or another control character (response splitting), and set_status for a code outside
// 100-999. The server owns Content-Length (but see above), Transfer-Encoding, Connection,
// Server and Date; a handler's "Connection: close" closes the connection after the response.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <geventpp/runtime/queue.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace gev::http {

class Response;

namespace detail {
// Where a streamed response goes (the connection).
class BodySink {
public:
    virtual void start_stream(Response& r) = 0;
    virtual void write_piece(std::string_view piece) = 0;

protected:
    ~BodySink() = default;
};
// The library's own way into Request and Response (http/detail/access.hpp).
struct Access;
}  // namespace detail

using BodyQueue = std::shared_ptr<Queue<std::string>>;

class Response {
public:
    int status() const noexcept { return status_; }
    // 100-999; a final response may not be 1xx (101 comes from an upgrade: gev::ws::upgrade(request)).
    void set_status(int status);

    // Replaces the header's values / adds one more. Throws std::invalid_argument (see above).
    void set_header(std::string_view name, std::string_view value);
    void add_header(std::string_view name, std::string_view value);
    const boost::beast::http::fields& headers() const noexcept { return headers_; }

    // Adds a Set-Cookie header; `attributes` such as "Path=/; HttpOnly". The name must be a
    // token, the value cookie-octets (RFC 6265: no space, '"', ',', ';' or '\\'; may be quoted):
    // std::invalid_argument otherwise.
    void set_cookie(std::string_view name, std::string_view value, std::string_view attributes = {});

    // The body of a response that is not streamed.
    std::string body;

    // Sends the status and headers now (if not yet) and `piece` as the next part of the body.
    void write(std::string_view piece);
    // After the handler returns, sends each item of `q` as it arrives, until q is closed.
    void stream(BodyQueue q) { queue_ = std::move(q); }

    // The status line and headers have been sent.
    bool started() const noexcept { return started_; }
    // Forgets status, headers and body (not possible once started), e.g. to answer an error.
    void reset();

private:
    friend struct detail::Access;  // the server makes responses and sends their queues
    explicit Response(detail::BodySink& sink) : sink_(sink) {}

    detail::BodySink& sink_;
    int status_ = 200;
    boost::beast::http::fields headers_;
    BodyQueue queue_;
    bool started_ = false;
};

}  // namespace gev::http
