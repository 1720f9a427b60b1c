// gev::Lock and gev::RLock, gevent.lock's.
//
// Lock is a mutex for greenlets: acquire() blocks only the calling greenlet (a cancellation
// point). Releasing an unlocked Lock throws UsageError. RLock may be acquired again by the
// greenlet (or thread) that holds it and must be released as often; releasing it from anyone
// else throws UsageError. Both work with std::lock_guard / std::unique_lock, and across hubs.
#pragma once

#include <atomic>
#include <cstddef>
#include <geventpp/runtime/semaphore.hpp>

namespace gev {

class Lock : public Semaphore {
public:
    Lock() : Semaphore(1, 1, "Lock::release on an unlocked lock — release only a lock you acquired") {}
};

class RLock {
public:
    RLock() = default;
    RLock(const RLock&) = delete;
    RLock& operator=(const RLock&) = delete;

    bool acquire(bool blocking = true, Seconds timeout = {});
    void release();
    bool locked() const noexcept { return sem_.locked(); }
    // Whether the caller holds it.
    bool is_owned() const noexcept;

    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

private:
    Semaphore sem_{1};
    std::atomic<const void*> owner_{nullptr};
    std::size_t count_ = 0;
};

}  // namespace gev
