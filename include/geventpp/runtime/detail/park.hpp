// Parking the current greenlet: the one blocking point every blocking call of geventpp goes
// through. A parked greenlet wakes when it is notified, when its deadline passes, when it is
// killed, or when an enclosing gev::Timeout expires; the last two raise an exception out of the
// blocking call. See docs/cancellation.md.
#pragma once

#include <atomic>
#include <boost/fiber/context.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <mutex>
#include <thread>

namespace gev::detail {

// The lock of every runtime object. Boost.Fiber's own spinlock reserves ~5 KiB of stack in
// lock() (a std::random_device for back-off), which would make every parked greenlet keep a
// second stack page; this one needs a few bytes.
class Spinlock {
public:
    void lock() noexcept {
        for (unsigned spins = 0; locked_.exchange(true, std::memory_order_acquire);) {
            while (locked_.load(std::memory_order_relaxed)) {
                if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
                    __builtin_ia32_pause();
#endif
                } else {
                    std::this_thread::yield();
                }
            }
        }
    }
    bool try_lock() noexcept {
        return !locked_.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept {
        locked_.store(false, std::memory_order_release);
    }

private:
    std::atomic<bool> locked_{false};
};
using SpinGuard = std::unique_lock<Spinlock>;
inline constexpr TimePoint forever = TimePoint::max();

class GreenletState;

// The greenlet running on this thread, or nullptr on a hub's main context.
GreenletState* current_greenlet() noexcept;

// Throws UsageError naming `call` when the calling thread runs no hub.
void require_hub(const char* call);

// One parked greenlet; lives on the parked greenlet's stack.
struct Waiter {
    boost::fibers::waker waker;
    Waiter* next = nullptr;
    Waiter* prev = nullptr;
    bool linked = false;
    bool notified = false;
};

// FIFO of parked greenlets, guarded by its owner's Spinlock. Waiters re-check their condition
// after every wake-up, as with a condition variable.
class WaitList {
public:
    WaitList() = default;
    WaitList(const WaitList&) = delete;
    WaitList& operator=(const WaitList&) = delete;

    // Parks the calling greenlet (or the hub's main context) until notified or `deadline`.
    // `lk` holds the owner's lock on entry and again on return, also when it throws.
    // Returns false when the deadline passed without a notification. Throws the pending kill
    // exception, or Timeout::Expired of an enclosing Timeout.
    bool wait(SpinGuard& lk, TimePoint deadline = forever);

    // Wakes the oldest waiter that can still be woken; false if there was none.
    bool notify_one() noexcept;
    void notify_all() noexcept;
    bool empty() const noexcept { return head_ == nullptr; }

private:
    void push(Waiter& w) noexcept;
    void remove(Waiter& w) noexcept;
    Waiter* head_ = nullptr;
    Waiter* tail_ = nullptr;
};

// Parks the calling greenlet until `deadline` (gev::sleep). Throws on kill and Timeout.
void park_until(TimePoint deadline);

// Lets every other ready greenlet run once (gev::sleep(0)). A cancellation point.
void yield();

}  // namespace gev::detail
