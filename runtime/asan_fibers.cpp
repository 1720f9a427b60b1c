#include "detail/asan_fibers.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#include "detail/greenlet_props.hpp"

namespace gev::detail::asan {

namespace {

using boost::fibers::context;
using boost::fibers::type;

// A stack as ASan must be told of it, and the fake stack it keeps for stack-use-after-return
// while the context is switched out.
struct Stack {
    const void* bottom = nullptr;
    std::size_t size = 0;
    void* fake = nullptr;
};

// The thread's own stack (learnt from ASan at the first switch) and Boost's dispatcher's
// (malloc'd inside Boost: found when the dispatcher first runs).
thread_local Stack t_main, t_dispatcher;
thread_local bool t_switching = false;
thread_local bool t_left_main = false;

// A greenlet's record is in its GreenletState; the bounds come from our stack allocator.
Stack* stack_of(context* ctx, Stack& scratch) noexcept {
    if (ctx->is_context(type::main_context)) return &t_main;
    if (ctx->is_context(type::dispatcher_context)) return &t_dispatcher;
    GreenletState* g = greenlet_of(ctx);
    if (!g) return nullptr;  // a greenlet that has not started yet
    scratch.bottom = g->stack_limit;
    scratch.size = g->stack_size;
    return &scratch;
}

void** fake_slot(context* ctx) noexcept {
    if (ctx->is_context(type::main_context)) return &t_main.fake;
    if (ctx->is_context(type::dispatcher_context)) return &t_dispatcher.fake;
    GreenletState* g = greenlet_of(ctx);
    return g ? &g->asan_fake_stack : nullptr;
}

// Sets ASan's idea of the running context's stack without switching.
void adopt(const void* bottom, std::size_t size) noexcept {
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, bottom, size);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}

}  // namespace

void leaving(context* from, context* to) noexcept {
    if (from == to || t_switching) return;
    Stack scratch;
    const Stack* target = stack_of(to, scratch);
    // A finished greenlet never comes back: its fake stack goes (nullptr slot).
    void** slot = from->terminated_is_linked() ? nullptr : fake_slot(from);
    __sanitizer_start_switch_fiber(slot, target ? target->bottom : nullptr, target ? target->size : 0);
    t_switching = true;
    t_left_main = from->is_context(type::main_context);
}

void arrived() noexcept {
    if (!t_switching) return;
    t_switching = false;
    context* ctx = context::active();
    void** slot = fake_slot(ctx);
    const void* old_bottom = nullptr;
    std::size_t old_size = 0;
    __sanitizer_finish_switch_fiber(slot ? *slot : nullptr, &old_bottom, &old_size);
    if (t_left_main && !t_main.bottom) {
        t_main.bottom = old_bottom;
        t_main.size = old_size;
    }
    if (ctx->is_context(type::dispatcher_context) && !t_dispatcher.bottom) {
        int here = 0;
        void* region = nullptr;
        std::size_t size = 0;
        __asan_locate_address(&here, nullptr, 0, &region, &size);
        t_dispatcher.bottom = region;
        t_dispatcher.size = size;
        adopt(region, size);
    }
}

void started(const GreenletState& g) noexcept {
    arrived();
    adopt(g.stack_limit, g.stack_size);  // leaving() could not tell a greenlet not yet started
}

}  // namespace gev::detail::asan
#endif
