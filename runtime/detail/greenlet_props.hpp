// Ties a Boost.Fiber context to its GreenletState, so blocking calls find the current greenlet.
#pragma once

#include <boost/fiber/context.hpp>
#include <boost/fiber/properties.hpp>
#include <geventpp/runtime/detail/greenlet_state.hpp>

namespace gev::detail {

struct GreenletProps final : boost::fibers::fiber_properties {
    GreenletProps(boost::fibers::context* ctx, GreenletState* s) : fiber_properties(ctx), state(s) {}
    GreenletState* state;
};

inline GreenletState* greenlet_of(boost::fibers::context* ctx) noexcept {
    auto* p = ctx->get_properties();
    return p ? static_cast<GreenletProps*>(p)->state : nullptr;
}

// The context a hub thread runs: set by the hub each time it picks the context to switch to
// (every switch goes through its pick_next); null before the first and while the dispatcher
// runs. Reading it is one initial-exec thread-local load, where Boost.Fiber's
// context::active() is a __tls_get_addr call into libboost_fiber.
extern thread_local boost::fibers::context* t_running;

// context::active(), the fast way on a hub thread.
inline boost::fibers::context* running_context() noexcept {
    return t_running ? t_running : boost::fibers::context::active();
}

// Called by the hub when it schedules `ctx`: a fiber created by GreenletState::start() gets its
// greenlet here, before it first runs, so every switch to it knows whose stack it is.
void attach_if_starting(boost::fibers::context* ctx) noexcept;

}  // namespace gev::detail
