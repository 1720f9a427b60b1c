#include <geventpp/http/response.hpp>
#include <geventpp/runtime/error.hpp>

namespace gev::http {

void Response::set_cookie(std::string_view name, std::string_view value, std::string_view attributes) {
    std::string v;
    v.append(name).append("=").append(value);
    if (!attributes.empty()) v.append("; ").append(attributes);
    headers_.insert(boost::beast::http::field::set_cookie, v);
}

void Response::write(std::string_view piece) {
    if (!started_) sink_.start_stream(*this);
    sink_.write_piece(piece);
}

void Response::reset() {
    if (started_) throw UsageError("Response::reset after the response started — its status line is already sent");
    status_ = 200;
    headers_.clear();
    body.clear();
    queue_.reset();
}

}  // namespace gev::http
