// Tells AddressSanitizer when the hub switches stacks. Debian's Boost.Context is built without
// sanitizer hooks, so ASan would believe every greenlet runs on its thread's stack: it would keep
// stale poison after an exception thrown in a greenlet (kill, Timeout) and report errors that are
// not there. The hub's pick_next() calls leaving() for each switch; every place a context may
// resume calls arrived(): park.cpp after each suspension, a greenlet's first instruction, and the
// algorithm's entry points (Boost's dispatcher resumes inside its own loop, then calls them).
// Without ASan both are empty inline functions.
#pragma once

#include <boost/fiber/context.hpp>

namespace gev::detail::sanitizer {

#if defined(__SANITIZE_ADDRESS__)
void leaving(boost::fibers::context* from, boost::fibers::context* to) noexcept;
void arrived() noexcept;
#else
inline void leaving(boost::fibers::context*, boost::fibers::context*) noexcept {}
inline void arrived() noexcept {}
#endif

}  // namespace gev::detail::sanitizer
