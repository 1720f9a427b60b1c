// The "has it happened yet" core shared by Greenlet, Event and AsyncResult: a flag, the
// greenlets waiting for it, and listeners (gev::wait/iwait) to tell when it is set.
// Safe to use from any hub or thread.
#pragma once

#include <cstdint>
#include <geventpp/runtime/detail/park.hpp>

namespace gev::detail {

// Told once when a Readiness it watches becomes ready. fire() must not block; it may run on
// another thread, with the Readiness's lock held.
class ReadinessListener {
public:
    virtual void fire(std::size_t tag) noexcept = 0;

protected:
    ~ReadinessListener() = default;

private:
    friend class Readiness;
    ReadinessListener* next_ = nullptr;
    ReadinessListener* prev_ = nullptr;
    std::size_t tag_ = 0;
    class Readiness* source_ = nullptr;
};

class Readiness {
public:
    Readiness() = default;
    Readiness(const Readiness&) = delete;
    Readiness& operator=(const Readiness&) = delete;

    bool ready() const noexcept;
    // Blocks until ready, or until it was set since the call began even if cleared again
    // (gevent's Event.wait: set() then clear() still wakes every waiter, with true); false on
    // timeout. A cancellation point.
    bool wait_ready(TimePoint deadline);

    // Calls w.fire(tag) once when ready (at once if already ready). Returns true if it fired now.
    bool add_listener(ReadinessListener& w, std::size_t tag) noexcept;
    void remove_listener(ReadinessListener& w) noexcept;

protected:
    // Both take the lock_ held by `lk`.
    void set_ready(SpinGuard& lk) noexcept;
    void clear_ready(SpinGuard& lk) noexcept;
    bool is_ready(SpinGuard&) const noexcept { return ready_; }
    mutable Spinlock lock_;

private:
    WaitList waiters_;
    ReadinessListener* listeners_ = nullptr;
    std::uint64_t sets_ = 0;  // how many times it became ready: a waiter's proof it was set
    bool ready_ = false;
};

}  // namespace gev::detail
