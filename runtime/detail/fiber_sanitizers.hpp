// Tells AddressSanitizer and ThreadSanitizer when the hub switches stacks. Debian's Boost.Context
// is built without sanitizer hooks, so they would believe every greenlet runs on its thread's
// stack: ASan would keep stale poison after an exception thrown in a greenlet (kill, Timeout) and
// report errors that are not there; TSan would mix the call stacks of the thread's greenlets. The
// hub's pick_next() calls leaving() for each switch; every place a context may resume calls
// arrived(): park.cpp after each suspension, a greenlet's first instruction, and the algorithm's
// entry points (Boost's dispatcher resumes inside its own loop, then calls them). Without
// sanitizers all of these are empty inline functions.
//
// ASan's stack-use-after-return detection stays off (make test sets detect_stack_use_after_return=0):
// Boost resumes a finished fiber once more, from its dispatcher, to unwind it, so the fake stack
// cannot go at the fiber's last switch, and nothing of ours runs when the unwinding ends.
//
// TSan keeps a shadow call stack per fiber, so no instrumented function may return between
// leaving() and the switch itself: leaving() and pick_next() are GEV_NO_TSAN_FRAME.
#pragma once

#include <boost/fiber/context.hpp>

// GCC says __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__; clang (the fuzz build) says __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define GEV_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define GEV_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GEV_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define GEV_TSAN 1
#endif
#endif

#define GEV_NO_TSAN_FRAME __attribute__((no_sanitize("thread")))
// For what a GEV_NO_TSAN_FRAME function calls and TSan should still see: kept out of line under
// TSan (an inlined body would lose its instrumentation), inlined otherwise (it is on every switch).
#if defined(GEV_TSAN)
#define GEV_TSAN_OUT_OF_LINE __attribute__((noinline))
#else
#define GEV_TSAN_OUT_OF_LINE __attribute__((always_inline))
#endif

namespace gev::detail::sanitizer {

#if defined(GEV_ASAN) || defined(GEV_TSAN)
// The running context switches to `to`.
GEV_NO_TSAN_FRAME void leaving(boost::fibers::context* to) noexcept;
void arrived() noexcept;
// The running greenlet has finished: its next switch is its last.
void dying() noexcept;
#else
inline void leaving(boost::fibers::context*) noexcept {}
inline void arrived() noexcept {}
inline void dying() noexcept {}
#endif

// A greenlet stack handed out and given back: LeakSanitizer scans it for pointers while it is in
// use (Boost keeps the fiber's own records on it), and TSan gets a fiber for it (returned).
#if defined(GEV_ASAN) || defined(GEV_TSAN)
void* stack_created(const void* bottom, std::size_t size) noexcept;
void stack_destroyed(void* fiber, const void* bottom, std::size_t size) noexcept;
#else
inline void* stack_created(const void*, std::size_t) noexcept {
    return nullptr;
}
inline void stack_destroyed(void*, const void*, std::size_t) noexcept {}
#endif

}  // namespace gev::detail::sanitizer
