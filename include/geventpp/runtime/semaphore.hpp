// gev::Semaphore and gev::BoundedSemaphore, gevent.lock's.
//
// acquire() blocks the calling greenlet while the counter is zero (a cancellation point);
// release() wakes one waiter. A BoundedSemaphore throws UsageError when released more often
// than acquired. Both are BasicLockable/Lockable, so std::lock_guard and std::unique_lock
// work. Safe to share between hubs and plain threads.
#pragma once

#include <cstddef>
#include <geventpp/runtime/detail/park.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <limits>

namespace gev {

class Semaphore {
public:
    explicit Semaphore(std::size_t value = 1) : Semaphore(value, std::numeric_limits<std::size_t>::max(), nullptr) {}
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    // Takes one unit; with `blocking`, waits for one (up to `timeout`). False if none was had.
    bool acquire(bool blocking = true, Seconds timeout = {});
    void release();
    // Waits until a unit is free without taking it; returns the counter then.
    std::size_t wait(Seconds timeout = {});

    std::size_t counter() const noexcept;
    bool locked() const noexcept { return counter() == 0; }

    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

protected:
    // `bound`: the most units it may hold; `over_release` is the UsageError message when a
    // release would pass it.
    Semaphore(std::size_t value, std::size_t bound, const char* over_release)
        : counter_(value), bound_(bound), over_release_(over_release) {}

private:
    mutable detail::Spinlock lock_;
    detail::WaitList waiters_;
    std::size_t counter_;
    std::size_t bound_;
    const char* over_release_;
};

class BoundedSemaphore : public Semaphore {
public:
    explicit BoundedSemaphore(std::size_t value = 1)
        : Semaphore(value, value,
                    "BoundedSemaphore::release called more times than acquire — release only what you acquired") {}
};

}  // namespace gev
