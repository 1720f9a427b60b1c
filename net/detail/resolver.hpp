// The ThreadPool on which name lookups run, shared by gev::net::getaddrinfo and the patched
// getaddrinfo of libgeventpp_monkey.
#pragma once

#include <geventpp/runtime/threadpool.hpp>

namespace gev::net::detail {

ThreadPool& resolver_pool();

}  // namespace gev::net::detail
