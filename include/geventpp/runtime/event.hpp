// gev::Event: a flag greenlets can wait for, gevent.event.Event.
//
// set() wakes every waiter; wait() blocks until the flag is set (a cancellation point).
// Safe to share between hubs and plain threads: an Event set on one hub wakes waiters on
// another. Not copyable; share it by reference or std::shared_ptr.
#pragma once

#include <geventpp/runtime/detail/readiness.hpp>
#include <geventpp/runtime/seconds.hpp>

namespace gev {

class Waitable;

class Event : private detail::Readiness {
public:
    void set() noexcept;
    void clear() noexcept;
    bool is_set() const noexcept { return ready(); }
    // Blocks until set; returns the flag, so false means the timeout passed.
    bool wait(Seconds timeout = {});

private:
    friend class Waitable;  // gev::wait watches the flag
};

}  // namespace gev
