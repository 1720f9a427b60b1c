#include <algorithm>
#include <geventpp/net/reader.hpp>

namespace gev::net {

bool Reader::fill() {
    if (pos_ > 0) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    const std::size_t old = buffer_.size();
    buffer_.resize(old + 16384);
    std::size_t got = 0;
    try {
        got = socket_.recv_into(buffer_.data() + old, 16384);
    } catch (...) {
        buffer_.resize(old);  // a timeout or an error leaves nothing but what was read
        throw;
    }
    buffer_.resize(old + got);
    return got > 0;
}

std::string Reader::readline(std::size_t limit) {
    std::size_t scanned = pos_;
    for (;;) {
        const auto nl = buffer_.find('\n', scanned);
        if (nl != std::string::npos || buffer_.size() - pos_ >= limit) {
            const std::size_t end = std::min(nl == std::string::npos ? buffer_.size() : nl + 1, pos_ + limit);
            std::string line = buffer_.substr(pos_, end - pos_);
            pos_ = end;
            return line;
        }
        scanned = buffer_.size();
        const std::size_t consumed = pos_;
        if (!fill()) {
            std::string rest = buffer_.substr(pos_);
            pos_ = buffer_.size();
            return rest;
        }
        scanned -= consumed;
    }
}

std::string Reader::read(std::size_t n) {
    while (buffer_.size() - pos_ < n && fill()) {
    }
    const std::size_t take = std::min(n, buffer_.size() - pos_);
    std::string out = buffer_.substr(pos_, take);
    pos_ += take;
    return out;
}

}  // namespace gev::net
