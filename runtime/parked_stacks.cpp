#include "detail/parked_stacks.hpp"

#include <sys/mman.h>

#include <cstdint>

#include "detail/stack_pool.hpp"

namespace gev::detail {

void ParkedStacks::add(Entry& e) noexcept {
    e.round = round_;
    e.next = nullptr;
    e.prev = tail_;
    if (tail_)
        tail_->next = &e;
    else
        head_ = &e;
    tail_ = &e;
    e.linked = true;
    switching_ = &e;
    if (!scheduled_) schedule();
}

void ParkedStacks::unlink(Entry& e) noexcept {
    if (e.prev)
        e.prev->next = e.next;
    else
        head_ = e.next;
    if (e.next)
        e.next->prev = e.prev;
    else
        tail_ = e.prev;
    e.linked = false;
}

void ParkedStacks::look() noexcept {
    ++round_;
    const std::uintptr_t page = StackPool::page_size();
    // Parked before the previous look: parked for at least a whole period.
    while (head_ && head_->round + 2 <= round_) {
        Entry& e = *head_;
        unlink(e);
        const auto lo = reinterpret_cast<std::uintptr_t>(e.stack_lo);
        if (!e.low) continue;  // cannot be: it switched away before the hub came here
        const auto hi = (reinterpret_cast<std::uintptr_t>(e.low) - switch_reserve) / page * page;
        if (hi > lo) ::madvise(const_cast<char*>(e.stack_lo), hi - lo, MADV_DONTNEED);
    }
    if (head_) schedule();
}

void ParkedStacks::schedule() noexcept {
    scheduled_ = true;
    timer_.expires_after(period);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        scheduled_ = false;
        if (!ec) look();
    });
}

}  // namespace gev::detail
