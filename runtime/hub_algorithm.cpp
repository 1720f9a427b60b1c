#include "detail/hub_algorithm.hpp"

#include <boost/asio/post.hpp>

#include "detail/fiber_sanitizers.hpp"
#include "detail/greenlet_props.hpp"

namespace gev::detail {

namespace ctx_type = boost::fibers;

HubAlgorithm::HubAlgorithm() : impl_(detail::HubAccess::impl(hub_)), timer_(impl_.io), work_(boost::asio::make_work_guard(impl_.io)) {}

HubAlgorithm::~HubAlgorithm() = default;

void HubAlgorithm::awakened(boost::fibers::context* ctx) noexcept {
    sanitizer::arrived();
    attach_if_starting(ctx);
    ctx->ready_link(ready_);
}

inline boost::fibers::context* HubAlgorithm::next_ready() noexcept {
    sanitizer::arrived();
    // Only the dispatcher may run io handlers: a handler run while a greenlet is switching
    // out could make that greenlet ready before it has stopped running.
    if (dispatcher_turn_) {
        const auto now = Clock::now();
        if (now - last_io_poll_ >= io_budget) {
            last_io_poll_ = now;
            impl_.io.poll();
        }
        // Sockets: on the budget while greenlets are ready, and always before the hub would
        // block. After io.poll(), so an epoll edge that poll consumed is still seen here.
        if (ready_.empty() || now - last_harvest_ >= reactor_budget) {
            last_harvest_ = now;
            impl_.reactor.harvest();
        }
    }
    if (ready_.empty()) return nullptr;  // only the dispatcher ever finds the queue empty
    boost::fibers::context* ctx = &ready_.front();
    ready_.pop_front();
    dispatcher_turn_ = ctx->is_context(boost::fibers::type::dispatcher_context);
    impl_.switches.store(impl_.switches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return ctx;
}

GEV_NO_TSAN_FRAME boost::fibers::context* HubAlgorithm::pick_next() noexcept {
    impl_.reclaimer.switched(__builtin_frame_address(0));
    boost::fibers::context* ctx = next_ready();
    t_running = ctx;  // null: the dispatcher runs next
    if (ctx) sanitizer::leaving(ctx);
    return ctx;
}

bool HubAlgorithm::has_ready_fibers() const noexcept {
    sanitizer::arrived();
    return !ready_.empty();
}

void HubAlgorithm::suspend_until(const TimePoint& deadline) noexcept {
    sanitizer::arrived();
    // A wake-up handler already ran (in a poll) after the dispatcher last looked at its remote
    // queue: look again before blocking, or that wake-up is lost.
    if (woken_) {
        woken_ = false;
        return;
    }
    // One timer, re-armed only when the earliest deadline changes.
    if (deadline != TimePoint::max() && deadline != armed_) {
        armed_ = deadline;
        timer_.expires_at(deadline);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) armed_ = TimePoint::min();
        });
    }
    impl_.reactor.arm();
    impl_.idle.store(true, std::memory_order_relaxed);
    impl_.io.run_one();
    impl_.idle.store(false, std::memory_order_relaxed);
    woken_ = false;  // the dispatcher looks at its remote queue next
}

void HubAlgorithm::notify() noexcept {
    // Called from other threads after they queued one of our fibers: wake a blocked run_one.
    // One post is enough until the hub has run it.
    if (!wake_posted_.exchange(true, std::memory_order_acq_rel)) {
        boost::asio::post(impl_.io, [this] {
            wake_posted_.store(false, std::memory_order_release);
            woken_ = true;
        });
    }
}

}  // namespace gev::detail
