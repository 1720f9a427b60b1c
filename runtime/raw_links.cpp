#include <algorithm>
#include <atomic>
#include <geventpp/runtime/detail/raw_links.hpp>
#include <geventpp/runtime/hub.hpp>

namespace gev::detail {

struct RawLinks::Link final : ReadinessListener, std::enable_shared_from_this<Link> {
    Link(std::uint64_t id, Hub& hub, std::function<void()> fn) : id(id), hub(hub), fn(std::move(fn)) {}

    // With the source's lock held, perhaps on another thread: only hand the call to the hub.
    void fire(std::size_t) noexcept override {
        try {
            hub.post([self = shared_from_this()] {
                if (!self->cancelled.load(std::memory_order_acquire)) self->fn();
                self->spent.store(true, std::memory_order_release);
            });
        } catch (...) {
            // Out of memory for the posted call: the link is lost, the setter goes on.
            spent.store(true, std::memory_order_release);
        }
    }

    const std::uint64_t id;
    Hub& hub;
    std::function<void()> fn;
    // Until its posted call ran, a fired link stays listed, so that the owner's destructor
    // can still cancel that call.
    std::atomic<bool> spent{false};
    std::atomic<bool> cancelled{false};
};

RawLinks::~RawLinks() {
    SpinGuard lk(lock_);
    for (auto& link : links_) {
        source_.remove_listener(*link);
        link->cancelled.store(true, std::memory_order_release);
    }
}

std::uint64_t RawLinks::add(std::function<void()> fn) {
    require_hub("rawlink");
    std::shared_ptr<Link> link;
    {
        SpinGuard lk(lock_);
        std::erase_if(links_, [](const auto& l) { return l->spent.load(std::memory_order_acquire); });
        link = std::make_shared<Link>(++next_id_, *Hub::current(), std::move(fn));
        links_.push_back(link);
    }
    source_.add_listener(*link, 0);
    return link->id;
}

void RawLinks::remove(std::uint64_t id) noexcept {
    SpinGuard lk(lock_);
    auto it = std::find_if(links_.begin(), links_.end(), [id](const auto& l) { return l->id == id; });
    if (it == links_.end()) return;
    source_.remove_listener(**it);
    (*it)->cancelled.store(true, std::memory_order_release);
    links_.erase(it);
}

}  // namespace gev::detail
