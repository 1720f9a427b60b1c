// Tells AddressSanitizer and ThreadSanitizer when the hub switches stacks. Debian's Boost.Context
// is built without sanitizer hooks, so they would believe every greenlet runs on its thread's
// stack: ASan would keep stale poison after an exception thrown in a greenlet (kill, Timeout) and
// report errors that are not there; TSan would mix the call stacks of the thread's greenlets. The
// hub's pick_next() calls leaving() for each switch; every place a context may resume calls
// arrived(): park.cpp after each suspension, a greenlet's first instruction, and the algorithm's
// entry points (Boost's dispatcher resumes inside its own loop, then calls them). A greenlet's
// TSan fiber lives as long as its stack: created() when the stack is handed out, destroyed() when
// it is given back. Without sanitizers all of these are empty inline functions.
//
// TSan keeps a shadow call stack per fiber, so no instrumented function may return between
// leaving() and the switch itself: leaving() and pick_next() are GEV_NO_TSAN_FRAME.
#pragma once

#include <boost/fiber/context.hpp>

#define GEV_NO_TSAN_FRAME __attribute__((no_sanitize("thread")))

namespace gev::detail::sanitizer {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
GEV_NO_TSAN_FRAME void leaving(boost::fibers::context* from, boost::fibers::context* to) noexcept;
void arrived() noexcept;
#else
inline void leaving(boost::fibers::context*, boost::fibers::context*) noexcept {}
inline void arrived() noexcept {}
#endif

#if defined(__SANITIZE_THREAD__)
void* created() noexcept;
void destroyed(void* fiber) noexcept;
#else
inline void* created() noexcept {
    return nullptr;
}
inline void destroyed(void*) noexcept {}
#endif

}  // namespace gev::detail::sanitizer
