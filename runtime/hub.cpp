#include <boost/asio/post.hpp>
#include <boost/fiber/operations.hpp>
#include <cstdio>
#include <geventpp/runtime/hub.hpp>

#include "detail/hub_algorithm.hpp"
#include "detail/monitor_registry.hpp"

namespace gev {

namespace {
thread_local Hub* t_hub = nullptr;
}

Hub::Hub() : impl_(std::make_unique<Impl>()) {
    t_hub = this;
    detail::StackPool::install_overflow_handler();
}

Hub::~Hub() {
    if (t_hub == this) t_hub = nullptr;
}

Hub* Hub::current() noexcept {
    return t_hub;
}

boost::asio::io_context& Hub::io() noexcept {
    return impl_->io;
}

std::size_t Hub::greenlet_count() const noexcept {
    return impl_->live_count;
}

void Hub::post(std::function<void()> fn) {
    boost::asio::post(impl_->io, [fn = std::move(fn)] {
        try {
            fn();
        } catch (...) {
            std::fprintf(stderr, "geventpp: a function posted to a hub failed with %s\n",
                         detail::describe(std::current_exception()).c_str());
        }
    });
}

void Hub::Impl::add_live(detail::GreenletState& g) noexcept {
    g.join_live(live);
    ++live_count;
}

void Hub::Impl::remove_live(detail::GreenletState& g) noexcept {
    g.leave_live(live);
    --live_count;
}

namespace detail {

void require_hub(const char* call) {
    if (!t_hub || !detail::HubAccess::impl(*t_hub).in_run) {
        throw UsageError(std::string(call) +
                         " called outside a hub — run your code inside gev::run(...) or a greenlet it spawns");
    }
}

HubRun::HubRun() {
    if (!t_hub) boost::fibers::use_scheduling_algorithm<HubAlgorithm>();
    auto& impl = detail::HubAccess::impl(*t_hub);
    if (impl.in_run) {
        throw UsageError("gev::run called inside a running hub — spawn a greenlet (gev::spawn) instead");
    }
    impl.in_run = true;
    monitor_attach(*t_hub);
}

HubRun::~HubRun() {
    auto& impl = detail::HubAccess::impl(*t_hub);
    // Kill what is left so its destructors run, newest first, until nothing is alive.
    while (impl.live) {
        std::vector<std::shared_ptr<GreenletState>> rest;
        for (auto* g = impl.live; g; g = g->next_live()) rest.push_back(g->shared_from_this());
        for (auto& g : rest) g->interrupt(std::make_exception_ptr(GreenletExit{}));
        for (auto& g : rest) g->wait_ready(forever);
    }
    monitor_detach(*t_hub);
    impl.in_run = false;
}

void HubRun::wait(GreenletState& main) {
    main.wait_ready(forever);
}

}  // namespace detail
}  // namespace gev
