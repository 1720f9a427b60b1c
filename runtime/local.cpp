#include <algorithm>
#include <geventpp/runtime/detail/greenlet_state.hpp>
#include <geventpp/runtime/detail/local_slots.hpp>
#include <geventpp/runtime/hub.hpp>

namespace gev::detail {

namespace {

std::atomic<std::uint64_t> local_ids{1};

// Drops the entries whose values are gone once the vector has doubled since the last sweep, so
// a long-lived greenlet that outlives many locals keeps only the live ones.
template <class Vector, class Dead>
void prune(Vector& v, std::size_t& at, Dead dead) {
    if (v.size() < at) return;
    std::erase_if(v, dead);
    at = std::max<std::size_t>(16, 2 * v.size());
}

}  // namespace

LocalValue* LocalSlots::find(std::uint64_t id) const noexcept {
    for (const auto& [key, value] : values_) {
        if (key == id) return value.get();
    }
    return nullptr;
}

void LocalSlots::insert(std::uint64_t id, std::shared_ptr<LocalValue> value) {
    prune(values_, prune_at_, [](const auto& e) { return !e.second->alive(); });
    values_.emplace_back(id, std::move(value));
}

void LocalSlots::erase(std::uint64_t id) noexcept {
    const auto it = std::find_if(values_.begin(), values_.end(), [id](const auto& e) { return e.first == id; });
    if (it == values_.end()) return;
    auto value = std::move(it->second);
    values_.erase(it);
    value->destroy();
}

void LocalSlots::clear() noexcept {
    while (!values_.empty()) {
        auto values = std::move(values_);
        values_.clear();
        for (auto& [key, value] : values) value->destroy();
    }
}

LocalSlots& current_local_slots() {
    // A thread that runs no hub has no greenlets; asking Boost.Fiber would give it a scheduler.
    if (Hub::current()) {
        if (auto* g = current_greenlet()) return g->locals();
    }
    thread_local LocalSlots main_context;
    return main_context;
}

LocalRegistry::LocalRegistry() noexcept : id_(local_ids.fetch_add(1, std::memory_order_relaxed)) {}

LocalRegistry::~LocalRegistry() {
    std::vector<std::weak_ptr<LocalValue>> values;
    {
        SpinGuard lk(lock_);
        values.swap(values_);
    }
    for (auto& weak : values) {
        if (auto value = weak.lock()) value->destroy();
    }
}

void LocalRegistry::track(const std::shared_ptr<LocalValue>& value) {
    SpinGuard lk(lock_);
    prune(values_, prune_at_, [](const auto& w) {
        const auto v = w.lock();
        return !v || !v->alive();
    });
    values_.emplace_back(value);
}

}  // namespace gev::detail
