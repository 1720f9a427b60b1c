// What the runtime offers the layers built on it (net) beyond its public headers: the hub's
// readiness layer (Reactor, PolledFd), on which net's sockets and the monkey library wait. Another
// layer includes this header, never runtime/detail/*: what it names is what the runtime keeps
// stable for its siblings.
#pragma once

#include "detail/reactor.hpp"  // IWYU pragma: export
