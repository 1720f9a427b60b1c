#include <boost/fiber/detail/spinlock.hpp>
#include <geventpp/runtime/detail/park.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/hub.hpp>

#include "detail/fiber_sanitizers.hpp"
#include "detail/greenlet_props.hpp"
#include "detail/hub_impl.hpp"

namespace gev::detail {

using boost::fibers::context;

namespace {
// Suspends ctx, the greenlet g or a hub's main context (g null), until woken through `waker`
// (or by the deadline).
void suspend(context* ctx, GreenletState* g, TimePoint until, const boost::fibers::waker& waker) noexcept {
    StackReclaimer::Entry parked;
    StackReclaimer* stacks = g && g->stack().limit ? &HubAccess::impl(*g->hub()).reclaimer : nullptr;
    if (stacks) {
        parked.stack_lo = static_cast<const char*>(g->stack().limit) + StackPool::page_size();
        stacks->add(parked);
    }
    if (until == forever) {
        ctx->suspend();
    } else {
        // wait_until wants a locked Boost spinlock to release after the switch; ours is released.
        boost::fibers::detail::spinlock unused;
        boost::fibers::detail::spinlock_lock lk(unused, std::adopt_lock);
        ctx->wait_until(until, lk, boost::fibers::waker(waker));
    }
    sanitizer::arrived();
    if (stacks) stacks->remove(parked);
}
}  // namespace

thread_local context* t_running = nullptr;

GreenletState* current_greenlet() noexcept {
    return greenlet_of(running_context());
}

void WaitList::push(Waiter& w) noexcept {
    w.prev = tail_;
    w.next = nullptr;
    if (tail_)
        tail_->next = &w;
    else
        head_ = &w;
    tail_ = &w;
    w.linked = true;
}

void WaitList::remove(Waiter& w) noexcept {
    if (w.prev)
        w.prev->next = w.next;
    else
        head_ = w.next;
    if (w.next)
        w.next->prev = w.prev;
    else
        tail_ = w.prev;
    w.linked = false;
}

bool WaitList::wait(SpinGuard& lk, TimePoint deadline) {
    context* ctx = running_context();
    GreenletState* g = greenlet_of(ctx);
    Waiter w;
    for (;;) {
        if (deadline != forever && Clock::now() >= deadline) return false;
        w.waker = ctx->create_waker();
        w.notified = false;
        const TimePoint until = g ? g->park_begin(w.waker, deadline) : deadline;
        push(w);
        // Unlocking before the switch is safe: a waker from another thread only queues us
        // for our own dispatcher, which runs after we have switched out.
        lk.unlock();
        suspend(ctx, g, until, w.waker);
        if (g) g->park_end();
        lk.lock();
        if (w.linked) remove(w);
        if (w.notified) return true;
        if (g) g->raise_pending();
    }
}

bool WaitList::notify_one() noexcept {
    while (Waiter* w = head_) {
        remove(*w);
        w->notified = true;
        if (w->waker.wake()) return true;
    }
    return false;
}

void WaitList::notify_all() noexcept {
    while (Waiter* w = head_) {
        remove(*w);
        w->notified = true;
        w->waker.wake();
    }
}

void park_until(TimePoint deadline) {
    context* ctx = running_context();
    GreenletState* g = greenlet_of(ctx);
    if (!g) throw UsageError("gev::sleep called on a hub's main context — call it from a greenlet");
    for (;;) {
        const auto w = ctx->create_waker();
        suspend(ctx, g, g->park_begin(w, deadline), w);
        g->park_end();
        g->raise_pending();
        if (deadline != forever && Clock::now() >= deadline) return;
    }
}

void yield() {
    context* ctx = running_context();
    ctx->yield();
    sanitizer::arrived();
    if (GreenletState* g = greenlet_of(ctx)) g->raise_pending();
}

}  // namespace gev::detail

namespace gev {

void sleep(Seconds seconds) {
    detail::require_hub("gev::sleep");
    if (seconds.span() <= Clock::duration::zero() && seconds) {
        detail::yield();
    } else {
        detail::park_until(seconds.deadline());
    }
}

}  // namespace gev
