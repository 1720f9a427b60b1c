#include "detail/http_date.hpp"

#include <ctime>

namespace gev::http::detail {

const std::string& http_date() {
    thread_local std::time_t cached_at = 0;
    thread_local std::string cached;
    const std::time_t now = std::time(nullptr);
    if (now != cached_at) {
        cached_at = now;
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached = buf;
    }
    return cached;
}

std::string log_date() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    return buf;
}

}  // namespace gev::http::detail
