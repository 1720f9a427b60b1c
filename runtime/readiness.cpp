#include <geventpp/runtime/detail/readiness.hpp>

namespace gev::detail {

bool Readiness::ready() const noexcept {
    SpinGuard lk(lock_);
    return ready_;
}

bool Readiness::wait_ready(TimePoint deadline) {
    SpinGuard lk(lock_);
    const std::uint64_t seen = sets_;
    while (!ready_ && sets_ == seen) {
        if (!waiters_.wait(lk, deadline)) return ready_ || sets_ != seen;
    }
    return true;
}

bool Readiness::add_listener(ReadinessListener& w, std::size_t tag) noexcept {
    SpinGuard lk(lock_);
    if (ready_) {
        w.fire(tag);
        return true;
    }
    w.tag_ = tag;
    w.source_ = this;
    w.prev_ = nullptr;
    w.next_ = listeners_;
    if (listeners_) listeners_->prev_ = &w;
    listeners_ = &w;
    return false;
}

void Readiness::remove_listener(ReadinessListener& w) noexcept {
    SpinGuard lk(lock_);
    if (w.source_ != this) return;
    if (w.prev_)
        w.prev_->next_ = w.next_;
    else
        listeners_ = w.next_;
    if (w.next_) w.next_->prev_ = w.prev_;
    w.source_ = nullptr;
}

void Readiness::set_ready(SpinGuard&) noexcept {
    if (ready_) return;
    ready_ = true;
    ++sets_;
    waiters_.notify_all();
    while (ReadinessListener* w = listeners_) {
        listeners_ = w->next_;
        w->source_ = nullptr;
        w->fire(w->tag_);
    }
}

void Readiness::clear_ready(SpinGuard&) noexcept {
    ready_ = false;
}

}  // namespace gev::detail
