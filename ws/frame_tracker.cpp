#include "detail/frame_tracker.hpp"

#include <algorithm>

namespace gev::ws::detail {

void FrameTracker::scan(const unsigned char* p, std::size_t n) noexcept {
    while (n) {
        at_message_end_ = false;  // until a frame that ends a message ends with the bytes taken
        if (in_payload_) {
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remain_, n));
            p += take;
            n -= take;
            remain_ -= take;
            if (remain_ == 0) frame_done();
            continue;
        }
        head_[have_++] = *p++;
        --n;
        if (have_ == 2) {
            const unsigned len7 = head_[1] & 0x7f;
            need_ = std::uint8_t(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (head_[1] & 0x80 ? 4 : 0));
        }
        if (have_ == need_) header_done();
    }
}

void FrameTracker::header_done() noexcept {
    const unsigned len7 = head_[1] & 0x7f;
    if (len7 < 126) {
        remain_ = len7;
    } else {
        const std::size_t bytes = len7 == 126 ? 2 : 8;
        remain_ = 0;
        for (std::size_t i = 0; i < bytes; ++i) remain_ = remain_ << 8 | head_[2 + i];
    }
    have_ = 0;
    need_ = 2;
    in_payload_ = true;
    if (remain_ == 0) frame_done();
}

void FrameTracker::frame_done() noexcept {
    in_payload_ = false;
    const bool fin = head_[0] & 0x80;
    const bool control = head_[0] & 0x08;
    if (fin && !control) {
        ++messages_;
        at_message_end_ = true;
    }
}

}  // namespace gev::ws::detail
