// The Boost.Fiber scheduling algorithm that makes a thread a hub. See docs/hub.md.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/scheduler.hpp>
#include <chrono>

#include "fiber_sanitizers.hpp"
#include "hub_impl.hpp"

namespace gev::detail {

class HubAlgorithm final : public boost::fibers::algo::algorithm {
public:
    // How long ready greenlets may run before the hub looks at its sockets (epoll)...
    static constexpr std::chrono::microseconds reactor_budget{100};
    // ...and at its io_context (timers, posts from other threads, signals). Each io_context
    // poll costs Asio one or two epoll_wait calls, so it comes less often.
    static constexpr std::chrono::microseconds io_budget{1000};

    HubAlgorithm();
    ~HubAlgorithm() override;

    void awakened(boost::fibers::context* ctx) noexcept override;
    boost::fibers::context* pick_next() noexcept override;
    bool has_ready_fibers() const noexcept override;
    void suspend_until(const TimePoint& deadline) noexcept override;
    void notify() noexcept override;

    Hub& hub() noexcept { return hub_; }

private:
    // pick_next() without the switch annotation: everything it does but leave (see
    // fiber_sanitizers.hpp for why the two are apart).
    GEV_TSAN_OUT_OF_LINE boost::fibers::context* next_ready() noexcept;

    Hub hub_;
    HubAccess::Impl& impl_;
    boost::fibers::scheduler::ready_queue_type ready_;
    boost::asio::steady_timer timer_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    TimePoint armed_ = TimePoint::min();
    TimePoint last_harvest_{};
    TimePoint last_io_poll_{};
    bool dispatcher_turn_ = false;
    std::atomic<bool> wake_posted_{false};
    bool woken_ = false;  // a wake-up handler ran since the dispatcher last blocked
};

}  // namespace gev::detail
