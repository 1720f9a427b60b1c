// Dates the HTTP server writes, formatted at most once a second per thread.
#pragma once

#include <string>

namespace gev::http::detail {

// "Wed, 25 Nov 2026 14:00:00 GMT" (RFC 9110 IMF-fixdate), for the Date header.
const std::string& http_date();
// "25/Nov/2026:14:00:00 +0000", for the access log.
std::string log_date();

}  // namespace gev::http::detail
