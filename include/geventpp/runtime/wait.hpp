// gev::wait and gev::iwait: wait for the first of several things, gevent's wait/iwait.
//
//   for (std::size_t i : gev::iwait({g1, g2, done_event})) { ... }   // in the order they finish
//
// Greenlets, Events and AsyncResults can be waited for. iwait yields the index (in the list
// given) of each object as it becomes ready; wait returns the indices of the first `count`
// ready ones (all by default). Both stop early when the timeout passes. Cancellation points.
#pragma once

#include <cstddef>
#include <deque>
#include <geventpp/runtime/async_result.hpp>
#include <geventpp/runtime/detail/next_iterator.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <initializer_list>
#include <optional>
#include <vector>

namespace gev {

// Something gev::wait can wait for.
class Waitable {
public:
    Waitable(const AnyGreenlet& g) : r_(&detail::GreenletAccess::state(g)) {}  // NOLINT: implicit by design
    Waitable(Event& e) : r_(&e) {}                      // NOLINT
    template <class T>
    Waitable(const AsyncResult<T>& a) : r_(&a.readiness()) {}  // NOLINT
    detail::Readiness& readiness() const noexcept { return *r_; }

private:
    detail::Readiness* r_;
};

// Yields the indices of the objects as they become ready.
class IWait {
public:
    IWait(std::vector<Waitable> objects, Seconds timeout = {});
    ~IWait();
    IWait(const IWait&) = delete;
    IWait& operator=(const IWait&) = delete;

    // The index of the next ready object; nothing when all were yielded or the timeout passed.
    std::optional<std::size_t> next();

    using iterator = detail::NextIterator<IWait, std::size_t>;
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

private:
    void on_ready(std::size_t index) noexcept;

    struct Slot final : detail::ReadinessListener {
        IWait* owner = nullptr;
        void fire(std::size_t tag) noexcept override { owner->on_ready(tag); }
    };
    std::vector<Waitable> objects_;
    std::vector<Slot> slots_;
    TimePoint deadline_;
    std::size_t yielded_ = 0;
    detail::Spinlock lock_;
    detail::WaitList waiters_;
    std::deque<std::size_t> ready_;
};

inline IWait iwait(std::vector<Waitable> objects, Seconds timeout = {}) {
    return IWait(std::move(objects), timeout);
}

// Indices of the first `count` objects to become ready (all of them by default), in the order
// they did; fewer if the timeout passed.
std::vector<std::size_t> wait(std::vector<Waitable> objects, Seconds timeout = {},
                              std::optional<std::size_t> count = std::nullopt);

}  // namespace gev
