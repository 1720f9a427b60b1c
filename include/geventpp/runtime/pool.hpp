// gev::Group and gev::Pool: sets of greenlets, gevent.pool's.
//
//   gev::Pool pool(10);                          // at most 10 at once
//   for (auto& r : pool.imap_unordered(fetch, urls)) use(r);
//
// A Group tracks the greenlets spawned through it (or add()ed) until they finish; join() waits
// for all of them, kill() kills them. A Pool is a Group with a size: spawn() blocks the caller
// while the pool is full. map() returns results in input order; imap() yields them in input
// order as they come, imap_unordered() as they finish. Blocking calls (spawn on a full pool,
// join, apply, map, iteration of imap) are cancellation points. A Group belongs to one hub.
#pragma once

#include <cstddef>
#include <exception>
#include <geventpp/runtime/detail/next_iterator.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/queue.hpp>
#include <geventpp/runtime/semaphore.hpp>
#include <map>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gev {

template <class R>
class IMap;

class Group {
public:
    Group() = default;
    virtual ~Group();
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

    // Spawns fn(args...) as a member (waiting for room first, in a Pool).
    template <class F, class... Args>
    auto spawn(F&& fn, Args&&... args) {
        reserve();
        try {
            auto g = gev::spawn(std::forward<F>(fn), std::forward<Args>(args)...);
            track(g);
            return g;
        } catch (...) {
            unreserve();
            throw;
        }
    }

    // Adds a running greenlet (waiting for room first, in a Pool).
    void add(const AnyGreenlet& g);
    // Stops tracking g (and frees its slot in a Pool).
    void discard(const AnyGreenlet& g);
    bool contains(const AnyGreenlet& g) const;
    std::size_t size() const noexcept { return members_.size(); }
    bool empty() const noexcept { return members_.empty(); }
    std::vector<AnyGreenlet> greenlets() const;

    // Waits until every member finished; false if the timeout passed first. With
    // `raise_error`, rethrows the first exception that ended a member.
    bool join(Seconds timeout = {}, bool raise_error = false);
    // Kills every member (GreenletExit by default); with `block`, waits for them.
    void kill(std::exception_ptr e = nullptr, bool block = true, Seconds timeout = {});

    // Runs fn(args...) in a member greenlet and returns its result.
    template <class F, class... Args>
    auto apply(F&& fn, Args&&... args) {
        return spawn(std::forward<F>(fn), std::forward<Args>(args)...).get();
    }

    // fn(item) for every item, concurrently; the results in input order.
    template <class F, class Range>
    auto map(F fn, const Range& items) {
        using R = std::invoke_result_t<F&, decltype(*std::begin(items))>;
        static_assert(!std::is_void_v<R>, "Group::map needs a function that returns a value");
        std::vector<Greenlet<R>> gs;
        for (const auto& item : items) gs.push_back(spawn(fn, item));
        std::vector<R> out;
        out.reserve(gs.size());
        for (auto& g : gs) out.push_back(g.get());
        return out;
    }

    // Like map, but a range that yields each result as soon as it and those before it are in.
    template <class F, class Range>
    auto imap(F fn, const Range& items) {
        return make_imap(std::move(fn), items, true);
    }
    // Yields each result as soon as it is in, whatever its input position.
    template <class F, class Range>
    auto imap_unordered(F fn, const Range& items) {
        return make_imap(std::move(fn), items, false);
    }

protected:
    // A Pool waits here for a free slot; a Group never waits.
    virtual void reserve() {}
    virtual void unreserve() noexcept {}

private:
    friend class detail::GreenletState;  // untracks a greenlet attached to it as it finishes
    void track(const AnyGreenlet& g);
    void untrack(detail::GreenletState* s) noexcept;

    template <class F, class Range>
    auto make_imap(F fn, const Range& items, bool ordered);

    struct Member {
        AnyGreenlet greenlet;
        std::uint64_t link;  // 0: attached to the greenlet (attach_group) rather than linked
    };
    std::unordered_map<detail::GreenletState*, Member> members_;
    detail::Spinlock lock_;
    detail::WaitList empty_waiters_;
};

class Pool : public Group {
public:
    explicit Pool(std::size_t size) : size_(size), slots_(size) {}

    std::size_t free_count() const noexcept { return slots_.counter(); }
    bool full() const noexcept { return free_count() == 0; }
    // Waits until a slot is free; returns the free count (0 if the timeout passed).
    std::size_t wait_available(Seconds timeout = {}) { return slots_.wait(timeout); }
    std::size_t capacity() const noexcept { return size_; }

protected:
    void reserve() override { slots_.acquire(); }
    void unreserve() noexcept override { slots_.release(); }

private:
    std::size_t size_;
    BoundedSemaphore slots_;
};

// The range imap()/imap_unordered() return: iterating blocks for the next result and rethrows
// a function's exception when its turn comes.
template <class R>
class IMap {
public:
    struct Item {
        std::size_t index;
        std::optional<R> value;
        std::exception_ptr error;
    };
    struct State {
        Queue<Item> results;
        std::size_t total = 0;
        std::size_t yielded = 0;
        bool ordered = true;
        std::map<std::size_t, Item> early;
        AnyGreenlet feeder;
    };

    explicit IMap(std::shared_ptr<State> s) : s_(std::move(s)) {}
    ~IMap() {
        if (s_ && s_->feeder && !s_->feeder.ready()) s_->feeder.kill();
    }
    IMap(IMap&&) noexcept = default;

    // The next result, or nothing after the last.
    std::optional<R> next() {
        if (s_->yielded == s_->total) return std::nullopt;
        Item item = s_->ordered ? next_in_order() : s_->results.get();
        ++s_->yielded;
        if (item.error) std::rethrow_exception(item.error);
        return std::move(item.value);
    }

    using iterator = detail::NextIterator<IMap, R>;
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

private:
    Item next_in_order() {
        const std::size_t want = s_->yielded;
        while (!s_->early.count(want)) {
            Item it = s_->results.get();
            s_->early.emplace(it.index, std::move(it));
        }
        Item item = std::move(s_->early.at(want));
        s_->early.erase(want);
        return item;
    }
    std::shared_ptr<State> s_;
};

template <class F, class Range>
auto Group::make_imap(F fn, const Range& items, bool ordered) {
    using Input = std::decay_t<decltype(*std::begin(items))>;
    using R = std::invoke_result_t<F&, const Input&>;
    static_assert(!std::is_void_v<R>, "Group::imap needs a function that returns a value");
    using State = typename IMap<R>::State;
    auto state = std::make_shared<State>();
    state->ordered = ordered;
    std::vector<Input> inputs(std::begin(items), std::end(items));
    state->total = inputs.size();
    // A feeder greenlet spawns the workers, so a full Pool blocks it, not the consumer.
    auto f = std::make_shared<F>(std::move(fn));
    state->feeder = gev::spawn([this, f, inputs = std::move(inputs), state] {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            spawn(
                [f, state, i](const Input& in) {
                    typename IMap<R>::Item item{i, std::nullopt, nullptr};
                    try {
                        item.value.emplace((*f)(in));
                    } catch (...) {
                        item.error = std::current_exception();
                    }
                    state->results.put(std::move(item));
                },
                inputs[i]);
        }
    });
    return IMap<R>(std::move(state));
}

}  // namespace gev
