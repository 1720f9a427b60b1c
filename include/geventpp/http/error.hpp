// HTTP errors a handler raises to answer with a status, Bottle's abort() and redirect().
//
//   if (!ws) gev::http::abort(400, "Expected WebSocket request.");
//
// The server (or the App's error handler for that code) turns them into the response. The
// status must be 100-999 and the headers must be safe to send (names tokens, values without
// CR, LF, NUL or other controls): the constructor throws std::invalid_argument otherwise, so
// `redirect(user_input)` cannot split the response.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gev::http {

class HTTPError : public std::runtime_error {
public:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    HTTPError(int status, std::string body, Headers headers = {});
    int status() const noexcept { return status_; }
    const std::string& body() const noexcept { return body_; }
    // Headers the response must carry (Location for a redirect, Allow for a 405).
    const Headers& headers() const noexcept { return headers_; }

private:
    int status_;
    std::string body_;
    Headers headers_;
};

// Ends the handler with `status` and `text` as the body.
[[noreturn]] inline void abort(int status, std::string text = {}) {
    throw HTTPError(status, std::move(text));
}

// Ends the handler with a redirect to `url` (303 See Other by default, as Bottle does).
[[noreturn]] inline void redirect(std::string url, int status = 303) {
    throw HTTPError(status, {}, {{"Location", std::move(url)}});
}

}  // namespace gev::http
