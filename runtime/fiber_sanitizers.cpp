#include "detail/fiber_sanitizers.hpp"

#if defined(GEV_ASAN) || defined(GEV_TSAN)
#if defined(GEV_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#if defined(GEV_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#include "detail/greenlet_props.hpp"

namespace gev::detail::sanitizer {

namespace {

using boost::fibers::context;
using boost::fibers::type;

// A context that is not a greenlet: its stack as ASan must be told of it, and the fake stack ASan
// keeps for it (stack-use-after-return) while it is switched out.
struct Stack {
    const void* bottom = nullptr;
    std::size_t size = 0;
    void* fake = nullptr;
};

// The thread's own stack (learnt from ASan at the first switch away from it) and Boost's
// dispatcher's (malloc'd inside Boost: found when the dispatcher first runs).
thread_local Stack t_main, t_dispatcher;
#if defined(GEV_TSAN)
thread_local void* t_main_fiber = nullptr;  // the thread's own TSan fiber
#endif
thread_local bool t_switching = false;
thread_local bool t_dying = false;
thread_local bool t_left_main = false;

Stack* special(context* ctx) noexcept {
    if (ctx->is_context(type::main_context)) return &t_main;
    if (ctx->is_context(type::dispatcher_context)) return &t_dispatcher;
    return nullptr;
}

#if defined(GEV_ASAN)
void** fake_slot(context* ctx) noexcept {
    if (Stack* s = special(ctx)) return &s->fake;
    GreenletState* g = greenlet_of(ctx);
    return g ? g->asan_fake_stack() : nullptr;
}

// Sets ASan's idea of the running context's stack without switching.
void adopt(const void* bottom, std::size_t size) noexcept {
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, bottom, size);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}
#endif

}  // namespace

GEV_NO_TSAN_FRAME void leaving(context* to) noexcept {
    context* from = context::active();
    if (from == to || t_switching) return;
    // A greenlet is attached to its fiber when first scheduled (attach_if_starting), so even one
    // that never ran yet is known here, with the stack our allocator gave it.
    const Stack* known = special(to);
    const GreenletState* g = known ? nullptr : greenlet_of(to);
#if defined(GEV_TSAN)
    // The dispatcher runs on the thread's own TSan fiber: it never has an instrumented frame
    // live when it switches (Boost's loop, then our uninstrumented pick_next), so it shares that
    // shadow stack harmlessly; and Boost's last switch, from the dispatcher back to the thread's
    // stack as the thread ends, comes without a pick_next(), when TSan must already be there.
    if (from->is_context(type::main_context) && !t_main_fiber) t_main_fiber = __tsan_get_current_fiber();
    void* fiber = known ? t_main_fiber : g ? g->stack().tsan_fiber : nullptr;
    if (fiber && fiber != __tsan_get_current_fiber()) __tsan_switch_to_fiber(fiber, 0);
#endif
#if defined(GEV_ASAN)
    const void* bottom = known ? known->bottom : g ? g->stack().limit : nullptr;
    const std::size_t size = known ? known->size : g ? g->stack().size : 0;
    // A finished greenlet never comes back: its fake stack goes (nullptr slot). Its state may
    // be gone already, so it is not looked at.
    __sanitizer_start_switch_fiber(t_dying ? nullptr : fake_slot(from), bottom, size);
#endif
    t_switching = true;
    t_dying = false;
    t_left_main = from->is_context(type::main_context);
}

void dying() noexcept {
    t_dying = true;
}

void arrived() noexcept {
    if (!t_switching) return;
    t_switching = false;
#if defined(GEV_ASAN)
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
#endif
}

void* stack_created([[maybe_unused]] const void* bottom, [[maybe_unused]] std::size_t size) noexcept {
#if defined(GEV_ASAN)
    __lsan_register_root_region(bottom, size);
#endif
#if defined(GEV_TSAN)
    return __tsan_create_fiber(0);
#else
    return nullptr;
#endif
}

void stack_destroyed([[maybe_unused]] void* fiber, [[maybe_unused]] const void* bottom,
                     [[maybe_unused]] std::size_t size) noexcept {
#if defined(GEV_ASAN)
    __lsan_unregister_root_region(bottom, size);
#endif
#if defined(GEV_TSAN)
    __tsan_destroy_fiber(fiber);
#endif
}

}  // namespace gev::detail::sanitizer
#endif
