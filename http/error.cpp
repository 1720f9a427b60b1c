#include <geventpp/http/error.hpp>
#include <stdexcept>

#include "detail/field_syntax.hpp"

namespace gev::http {

HTTPError::HTTPError(int status, std::string body, Headers headers)
    : std::runtime_error("HTTP " + std::to_string(status) + ": " + body),
      status_(status),
      body_(std::move(body)),
      headers_(std::move(headers)) {
    if (status < 100 || status > 999) {
        throw std::invalid_argument("HTTPError(" + std::to_string(status) +
                                    "): a status code has three digits (100-999)");
    }
    for (const auto& [name, value] : headers_) detail::check_field("HTTPError", name, value);
}

}  // namespace gev::http
