// gev::Event: a flag greenlets can wait for, gevent.event.Event.
//
// set() wakes every waiter; wait() blocks until the flag is set (a cancellation point).
// Safe to share between hubs and plain threads: an Event set on one hub wakes waiters on
// another. Not copyable; share it by reference or std::shared_ptr.
//
// rawlink(fn) calls fn(event) once, in the loop of the hub that called rawlink, after the
// flag is next set (soon, if it is set now); fn must not block (spawn a greenlet for that), and
// the Event must outlive the call. unlink(id) cancels it; destroying the Event drops the links
// that have not run. rawlink throws UsageError outside a hub.
#pragma once

#include <cstdint>
#include <functional>
#include <geventpp/runtime/detail/raw_links.hpp>
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

    std::uint64_t rawlink(std::function<void(Event&)> fn);
    void unlink(std::uint64_t id) noexcept { links_.remove(id); }

private:
    friend class Waitable;  // gev::wait watches the flag
    detail::RawLinks links_{*this};
};

}  // namespace gev
