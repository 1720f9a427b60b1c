// Where gev::local keeps its values: each greenlet (and each thread's main context) holds the
// values it created, by the local's id; each local tracks its values weakly, so that whichever
// ends first — the greenlet or the local — destroys them. See docs/local.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <geventpp/runtime/detail/park.hpp>
#include <memory>
#include <utility>
#include <vector>

namespace gev::detail {

// One value of one gev::local in one greenlet. Destroyed once, by the first of its greenlet's
// end, its local's destruction, or local::reset(); the memory goes with the last reference.
class LocalValue {
public:
    LocalValue() = default;
    LocalValue(const LocalValue&) = delete;
    LocalValue& operator=(const LocalValue&) = delete;
    virtual ~LocalValue() = default;

    // Destroys the value unless that happened already; safe from any thread.
    void destroy() noexcept {
        if (alive_.exchange(false, std::memory_order_acq_rel)) destroy_value();
    }
    bool alive() const noexcept { return alive_.load(std::memory_order_acquire); }

protected:
    virtual void destroy_value() noexcept = 0;

private:
    std::atomic<bool> alive_{true};
};

// The values one greenlet (or one thread's main context) holds. Used only by its own thread.
class LocalSlots {
public:
    LocalSlots() = default;
    LocalSlots(const LocalSlots&) = delete;
    LocalSlots& operator=(const LocalSlots&) = delete;
    ~LocalSlots() { clear(); }

    LocalValue* find(std::uint64_t id) const noexcept;
    void insert(std::uint64_t id, std::shared_ptr<LocalValue> value);
    // Destroys the value of local `id`, if there is one.
    void erase(std::uint64_t id) noexcept;
    // Destroys every value, also those a destructor creates meanwhile (it may use a local).
    void clear() noexcept;

private:
    std::vector<std::pair<std::uint64_t, std::shared_ptr<LocalValue>>> values_;
    std::size_t prune_at_ = 16;
};

// The slots of the calling greenlet, or of the calling thread's main context outside one.
LocalSlots& current_local_slots();

// What one gev::local knows of its values in every greenlet, so that they die with it.
// track() may be called from any thread.
class LocalRegistry {
public:
    LocalRegistry() noexcept;
    LocalRegistry(const LocalRegistry&) = delete;
    LocalRegistry& operator=(const LocalRegistry&) = delete;
    // Destroys every value of this local still alive, in whichever greenlet holds it.
    ~LocalRegistry();

    // Unique for the process's lifetime: a new local never sees an old one's values.
    std::uint64_t id() const noexcept { return id_; }
    void track(const std::shared_ptr<LocalValue>& value);

private:
    std::uint64_t id_;
    Spinlock lock_;
    std::vector<std::weak_ptr<LocalValue>> values_;
    std::size_t prune_at_ = 16;
};

}  // namespace gev::detail
