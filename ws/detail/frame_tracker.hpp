// Where the frames are in the bytes a server-side WebSocket hands to Beast's stream, so that
// receive() knows when Beast's read buffer holds nothing: then it waits for the next message
// in its own shallow frame (the greenlet keeps one stack page while idle, ~5 KiB less) instead
// of deep inside Beast's read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace gev::ws::detail {

class FrameTracker {
public:
    // The next `n` bytes of the stream.
    void scan(const unsigned char* bytes, std::size_t n) noexcept;
    // The reader returned a whole message.
    void message_read() noexcept { ++read_; }
    // The reader has consumed everything scanned: the last byte scanned ends the final frame of
    // the last message it returned.
    bool drained() const noexcept { return at_message_end_ && messages_ == read_; }

private:
    // Called once the header in head_ is complete.
    void header_done() noexcept;
    void frame_done() noexcept;

    std::uint64_t remain_ = 0;    // payload bytes of the current frame not scanned yet
    std::uint32_t messages_ = 0;  // final frames of data messages scanned (mod 2^32)
    std::uint32_t read_ = 0;      // messages the reader returned (mod 2^32)
    std::array<unsigned char, 14> head_{};
    std::uint8_t have_ = 0;  // header bytes collected
    std::uint8_t need_ = 2;  // header bytes needed, known once the first two are
    bool in_payload_ = false;
    bool at_message_end_ = true;
};

}  // namespace gev::ws::detail
