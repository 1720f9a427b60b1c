// gev::Seconds — the timeout argument of every blocking call.
//
// gevent takes timeouts as float seconds or None; geventpp takes a Seconds, which converts from
// any std::chrono duration (`2s`, `150ms`) or from a double number of seconds (`2.5`).
// A default-constructed Seconds means "no timeout" (gevent's None).
#pragma once

#include <chrono>

namespace gev {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

class Seconds {
public:
    constexpr Seconds() noexcept = default;
    template <class Rep, class Period>
    constexpr Seconds(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT: implicit by design
        : span_(std::chrono::duration_cast<Clock::duration>(d)), set_(true) {}
    constexpr Seconds(double seconds) noexcept  // NOLINT: implicit by design, like gevent's floats
        : span_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))), set_(true) {}

    // True when a timeout was given.
    constexpr explicit operator bool() const noexcept { return set_; }
    constexpr Clock::duration span() const noexcept { return span_; }

    // The absolute deadline this timeout gives when started now; TimePoint::max() for none.
    TimePoint deadline() const noexcept {
        if (!set_) return TimePoint::max();
        const auto now = Clock::now();
        if (span_ <= Clock::duration::zero()) return now;
        if (span_ >= TimePoint::max() - now) return TimePoint::max();
        return now + span_;
    }

private:
    Clock::duration span_{};
    bool set_ = false;
};

}  // namespace gev
