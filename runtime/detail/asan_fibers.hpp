// Tells AddressSanitizer when the hub switches stacks. Debian's Boost.Context is built without
// sanitizer hooks, so ASan would believe every greenlet runs on its thread's stack: an
// exception thrown in a greenlet (kill, Timeout) would leave stale poison behind, and later
// reports would be false. The hub's pick_next() calls leaving() for each switch; every place a
// context may resume calls arrived(): park.cpp after each suspension, and the algorithm's entry
// points (Boost's dispatcher resumes inside its own loop, then calls them); a greenlet's first
// instruction calls started(). Without ASan, all are empty inline functions.
#pragma once

#include <boost/fiber/context.hpp>
#include <geventpp/runtime/detail/greenlet_state.hpp>

namespace gev::detail::asan {

#if defined(__SANITIZE_ADDRESS__)
void leaving(boost::fibers::context* from, boost::fibers::context* to) noexcept;
void arrived() noexcept;
void started(const GreenletState& g) noexcept;
#else
inline void leaving(boost::fibers::context*, boost::fibers::context*) noexcept {}
inline void arrived() noexcept {}
inline void started(const GreenletState&) noexcept {}
#endif

}  // namespace gev::detail::asan
