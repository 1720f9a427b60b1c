#include "detail/stack_reclaimer.hpp"

#include <sys/mman.h>

#include <cstdint>

#include "detail/stack_pool.hpp"

namespace gev::detail {

void StackReclaimer::add(Entry& e) noexcept {
    e.round = round_;
    parked_.push_back(e);
    switching_ = &e;
    if (!scheduled_) schedule();
}

void StackReclaimer::look() noexcept {
    ++round_;
    const std::uintptr_t page = StackPool::page_size();
    // Parked before the previous look: parked for at least a whole period.
    while (!parked_.empty() && parked_.front().round + 2 <= round_) {
        Entry& e = parked_.front();
        parked_.pop_front();
        const auto lo = reinterpret_cast<std::uintptr_t>(e.stack_lo);
        if (!e.low) continue;  // cannot be: it switched away before the hub came here
        const auto hi = (reinterpret_cast<std::uintptr_t>(e.low) - switch_reserve) / page * page;
        if (hi > lo) ::madvise(const_cast<char*>(e.stack_lo), hi - lo, MADV_DONTNEED);
    }
    if (!parked_.empty()) schedule();
}

void StackReclaimer::schedule() noexcept {
    scheduled_ = true;
    timer_.expires_after(period);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        scheduled_ = false;
        if (!ec) look();
    });
}

}  // namespace gev::detail
