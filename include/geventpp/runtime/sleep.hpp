// gev::sleep: block the current greenlet, not the thread.
//
// sleep(0) (or sleep()) lets every other ready greenlet run once and comes back, gevent's
// cooperative yield. Both are cancellation points: kill() and gev::Timeout interrupt them.
// Throws UsageError outside a hub.
#pragma once

#include <geventpp/runtime/seconds.hpp>

namespace gev {

void sleep(Seconds seconds = Seconds(Clock::duration::zero()));

}  // namespace gev
