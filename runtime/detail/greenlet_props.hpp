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

// Called by the hub when it schedules `ctx`: a fiber created by GreenletState::start() gets its
// greenlet here, before it first runs, so every switch to it knows whose stack it is.
void attach_if_starting(boost::fibers::context* ctx) noexcept;

}  // namespace gev::detail
