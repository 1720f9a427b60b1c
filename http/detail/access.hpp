// The library's own way into Request and Response: their constructors and what only the server
// and the router use are private, so that a handler sees no internal type. http/server.cpp
// makes requests and responses through this and sends a response's queue; http/router.cpp sets
// the params a route matched.
#pragma once

#include <geventpp/http/request.hpp>
#include <geventpp/http/response.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gev::http::detail {

struct Access {
    static Request request(std::string_view method, std::string_view target, unsigned version,
                           const boost::beast::http::fields& headers, const net::Address& remote, RequestSource& source,
                           std::size_t max_body) {
        return Request(method, target, version, headers, remote, source, max_body);
    }
    static void set_params(Request& r, std::vector<std::pair<std::string, std::string>> params) {
        r.params_ = std::move(params);
    }

    static Response response(BodySink& sink) { return Response(sink); }
    static const BodyQueue& queue(const Response& r) noexcept { return r.queue_; }
    static void mark_started(Response& r) noexcept { r.started_ = true; }
};

}  // namespace gev::http::detail
