// Greenlets parked for a while give back the memory of their stack below their frames: a
// greenlet that once ran deep (parsing a request, a TLS or WebSocket handshake) and then waits
// for hours keeps only the pages it still uses. See docs/stacks.md.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>
#include <chrono>
#include <cstdint>

namespace gev::detail {

class StackReclaimer {
public:
    // One parked greenlet; lives in the frame that parks.
    struct Entry : boost::intrusive::list_base_hook<> {
        const char* stack_lo = nullptr;  // the lowest usable byte of the stack (above the guard)
        const char* low = nullptr;       // the frame of the hub's pick_next as it switched away
        std::uint64_t round = 0;
    };

    // How often parked greenlets are looked at; one parked longer than this gives its pages
    // back at the next look (madvise, and a page fault per page when it runs deep again: ~20 us
    // on these VMs, so only for greenlets that wait long).
    static constexpr std::chrono::milliseconds period{500};
    // What the switch uses below `low`: Boost's resume and the saved registers (~130 bytes).
    static constexpr std::size_t switch_reserve = 256;

    explicit StackReclaimer(boost::asio::io_context& io) : timer_(io) {}
    StackReclaimer(const StackReclaimer&) = delete;
    StackReclaimer& operator=(const StackReclaimer&) = delete;

    // The greenlet whose stack holds `e` parks / woke up. Parked greenlets are kept in the
    // order they parked, so a look stops at the first one that parked recently.
    void add(Entry& e) noexcept;
    void remove(Entry& e) noexcept {
        if (e.is_linked()) parked_.erase(parked_.iterator_to(e));
        if (switching_ == &e) switching_ = nullptr;
    }
    // The hub's pick_next, on the stack of the greenlet that switches away: `sp` is its frame.
    void switched(const void* sp) noexcept {
        if (switching_) {
            switching_->low = static_cast<const char*>(sp);
            switching_ = nullptr;
        }
    }

private:
    void look() noexcept;
    void schedule() noexcept;

    // Oldest first.
    boost::intrusive::list<Entry, boost::intrusive::constant_time_size<false>> parked_;
    Entry* switching_ = nullptr;  // added, not switched away yet
    std::uint64_t round_ = 0;
    bool scheduled_ = false;
    boost::asio::steady_timer timer_;
};

}  // namespace gev::detail
