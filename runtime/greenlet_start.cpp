// GreenletState::start(): where a greenlet gets its fiber. This file instantiates Boost.Context's
// fiber entry and exit frames for our stacks; in the ThreadSanitizer build it is compiled without
// instrumentation (runtime/meson.build), because Boost resumes a finished fiber once more, from
// its dispatcher and past the hub, to unwind those frames.
#include <boost/fiber/fiber.hpp>
#include <geventpp/runtime/hub.hpp>

#include "detail/greenlet_props.hpp"
#include "detail/hub_impl.hpp"
#include "detail/stack_pool.hpp"

namespace gev::detail {

namespace {
// The greenlet whose fiber is being created on this thread: Boost schedules the new fiber from
// inside its constructor, and the hub attaches the greenlet to it then.
thread_local GreenletState* t_starting = nullptr;
}  // namespace

void attach_if_starting(boost::fibers::context* ctx) noexcept {
    if (!t_starting || ctx->get_properties()) return;
    ctx->set_properties(new GreenletProps(ctx, t_starting));
    t_starting = nullptr;
}

void GreenletState::start(std::size_t size) {
    require_hub("gev::spawn");
    hub_ = Hub::current();
    auto& impl = detail::HubAccess::impl(*hub_);
    struct Starting {
        explicit Starting(GreenletState* g) { t_starting = g; }
        ~Starting() { t_starting = nullptr; }
    } starting(this);
    boost::fibers::fiber f(std::allocator_arg, StackAllocator(impl.stacks, size ? size : default_stack_size, *this),
                           [self = shared_from_this()] { self->main(); });
    f.detach();
    impl.add_live(*this);
    started_ = true;
}

}  // namespace gev::detail
