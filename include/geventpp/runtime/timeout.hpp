// gev::Timeout: a deadline over a block of code, gevent's `with Timeout(seconds):`.
//
//   {
//       gev::Timeout t(5s);
//       auto line = sock.recv(1024);       // throws gev::Timeout::Expired after 5 s
//   }
//
// The timeout is in force from construction until the object is destroyed or cancel()ed, and
// fires only at a blocking point of the greenlet that made it: whatever blocks (sleep, queue
// get, join, socket I/O...) throws Timeout::Expired, or the exception given to the constructor.
// Nested timeouts fire in deadline order; a cancelled one never fires. Expired::is(t) tells
// whether it was `t` that fired, gevent's `except Timeout as e: if e is not t: raise`.
//
// gevent's `with Timeout(s, False):` (end the block silently) is Timeout::within(s, fn), and
// gevent.with_timeout(s, fn, timeout_value=v) is gev::with_timeout(s, fn, v).
// Timeout objects belong to the greenlet that made them and cannot be moved; construction starts
// them, so gevent's `t = Timeout.start_new(s)` is `auto t = gev::Timeout::start_new(s)` (the
// object is made in place) or simply `gev::Timeout t(s)`.
#pragma once

#include <exception>
#include <geventpp/runtime/detail/greenlet_state.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <optional>
#include <type_traits>
#include <utility>

namespace gev {

class Timeout : private detail::TimeoutScope {
public:
    class Expired : public std::exception {
    public:
        Expired(const Timeout* source, Clock::duration span);
        const char* what() const noexcept override { return what_; }
        // Whether `t` is the Timeout that fired.
        bool is(const Timeout& t) const noexcept { return source_ == &t; }

    private:
        const Timeout* source_;
        char what_[64];
    };

    // Starts a timeout of `seconds` for the current greenlet; a default Seconds (no timeout)
    // makes a Timeout that never fires.
    explicit Timeout(Seconds seconds);
    // Fires by throwing `exception` instead of Expired.
    template <class E>
    Timeout(Seconds seconds, E exception) : Timeout(seconds) {
        exception_ = std::make_exception_ptr(std::move(exception));
    }
    ~Timeout();
    Timeout(const Timeout&) = delete;

    // gevent's Timeout.start_new(seconds, exception): a started Timeout, made in the caller's
    // variable (a prvalue, so the unmovable object needs no move).
    static Timeout start_new(Seconds seconds) { return Timeout(seconds); }
    template <class E>
    static Timeout start_new(Seconds seconds, E exception) {
        return Timeout(seconds, std::move(exception));
    }
    Timeout& operator=(const Timeout&) = delete;

    // Stops it; a cancelled timeout never fires.
    void cancel() noexcept;
    // Armed and not yet fired.
    bool pending() const noexcept { return armed && !fired; }

    // Runs fn(); returns false if `seconds` passed first (the block ends silently).
    template <class F>
    static bool within(Seconds seconds, F&& fn) {
        Timeout t(seconds);
        try {
            std::forward<F>(fn)();
            return true;
        } catch (const Expired& e) {
            if (!e.is(t)) throw;
            return false;
        }
    }

private:
    [[noreturn]] void raise() override;
    detail::GreenletState* owner_ = nullptr;
    Clock::duration span_{};
    std::exception_ptr exception_;
};

// Runs fn() under a timeout; throws Timeout::Expired if it passes.
template <class F>
auto with_timeout(Seconds seconds, F&& fn) {
    Timeout t(seconds);
    return std::forward<F>(fn)();
}

// Runs fn() under a timeout; returns `timeout_value` if it passes.
template <class F, class V>
auto with_timeout(Seconds seconds, F&& fn, V timeout_value) -> std::invoke_result_t<F> {
    Timeout t(seconds);
    try {
        return std::forward<F>(fn)();
    } catch (const Timeout::Expired& e) {
        if (!e.is(t)) throw;
        return timeout_value;
    }
}

}  // namespace gev
