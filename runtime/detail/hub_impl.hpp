// The hub's private state, shared by the runtime's sources.
#pragma once

#include <pthread.h>

#include <atomic>
#include <boost/fiber/context.hpp>
#include <cstdint>
#include <geventpp/runtime/hub.hpp>

#include "reactor.hpp"
#include "stack_pool.hpp"
#include "stack_reclaimer.hpp"

struct gev::Hub::Impl {
    boost::asio::io_context io{1};
    detail::Reactor reactor{io};
    detail::StackPool stacks{io};
    detail::StackReclaimer reclaimer{io};  // stack pages of long-parked greenlets
    // Live greenlets of this hub (GreenletState::join_live/leave_live).
    detail::GreenletState* live = nullptr;
    std::size_t live_count = 0;
    bool in_run = false;
    pthread_t thread = pthread_self();
    // Read by the monitor thread.
    std::atomic<std::uint64_t> switches{0};
    std::atomic<bool> idle{false};
    // Set by the monitor thread before it signals this hub's thread to report itself blocked.
    std::atomic<long> blocked_ms{0};

    void add_live(detail::GreenletState& g) noexcept;
    void remove_live(detail::GreenletState& g) noexcept;
};

namespace gev::detail {

// The runtime's own way into a hub's state (Hub::Impl is private to Hub).
struct HubAccess {
    using Impl = Hub::Impl;
    static Impl& impl(Hub& hub) noexcept { return *hub.impl_; }
};

}  // namespace gev::detail
