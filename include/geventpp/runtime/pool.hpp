// gev::Group and gev::Pool: sets of greenlets, gevent.pool's.
//
//   gev::Pool pool(10);                          // at most 10 at once
//   for (auto& r : pool.imap_unordered(fetch, urls)) use(r);
//
// A Group tracks the greenlets spawned through it (or add()ed) until they finish; join() waits
// for all of them, kill() kills them. A Pool is a Group with a size: spawn() blocks the caller
// while the pool is full, add(g, false) throws PoolFull instead. map() returns results in input
// order; imap() yields them in input order as they come, imap_unordered() as they finish (with
// `maxsize`, at most that many finished results wait for the reader; workers beyond wait to
// hand theirs over). apply_async() and map_async() never block: they return a greenlet at once.
// Blocking calls (spawn on a full pool, add, join, apply, map, iteration of imap) are
// cancellation points. A Group belongs to one hub.
#pragma once

#include <cstddef>
#include <exception>
#include <geventpp/runtime/detail/next_iterator.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/queue.hpp>
#include <geventpp/runtime/semaphore.hpp>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gev {

template <class R>
class IMap;

// Pool::add() with blocking=false on a full pool, or whose timeout passed (gevent.pool.PoolFull,
// a queue Full).
class PoolFull : public Full {
public:
    PoolFull() : Full("PoolFull: the pool has no free slot") {}
};

class Group {
public:
    Group() = default;
    virtual ~Group();
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

    // Spawns fn(args...) as a member (waiting for room first, in a Pool).
    template <class F, class... Args>
    auto spawn(F&& fn, Args&&... args) {
        reserve(true, {});
        try {
            auto g = gev::spawn(std::forward<F>(fn), std::forward<Args>(args)...);
            track(g);
            return g;
        } catch (...) {
            unreserve();
            throw;
        }
    }

    // Adds a running greenlet. A full Pool waits for room first (up to `timeout`), or with
    // blocking=false does not wait; either way PoolFull if there is none.
    void add(const AnyGreenlet& g, bool blocking = true, Seconds timeout = {});
    // Stops tracking g (and frees its slot in a Pool).
    void discard(const AnyGreenlet& g);
    bool contains(const AnyGreenlet& g) const;
    std::size_t size() const noexcept { return members_.size(); }
    bool empty() const noexcept { return members_.empty(); }
    // Whether spawn() would wait for room: never for a Group.
    virtual bool full() const noexcept { return false; }
    std::vector<AnyGreenlet> greenlets() const;

    // Waits until every member finished; false if the timeout passed first. With
    // `raise_error`, rethrows the first exception that ended a member.
    bool join(Seconds timeout = {}, bool raise_error = false);
    // Kills every member (GreenletExit by default); with `block`, waits for them.
    void kill(std::exception_ptr e = nullptr, bool block = true, Seconds timeout = {});
    // Kills g if it is a member; does nothing otherwise.
    void killone(const AnyGreenlet& g, std::exception_ptr e = nullptr, bool block = true, Seconds timeout = {});

    // Runs fn(args...) in a member greenlet and returns its result. Called from a member, it
    // runs fn in the caller, as gevent's: spawning would wait for the caller's own slot.
    template <class F, class... Args>
    auto apply(F&& fn, Args&&... args) {
        if (auto me = getcurrent(); me && contains(me))
            return std::invoke(std::forward<F>(fn), std::forward<Args>(args)...);
        return spawn(std::forward<F>(fn), std::forward<Args>(args)...).get();
    }

    // fn() in a member greenlet, returned at once: when the pool is full, a greenlet outside it
    // waits for room. On success callback(result) (callback() for void) runs in that greenlet.
    template <class F>
    auto apply_async(F fn) {
        return apply_async(std::move(fn), [](auto&&...) {});
    }
    template <class F, class C>
    auto apply_async(F fn, C callback) {
        auto run = [fn = std::move(fn), callback = std::move(callback)]() mutable {
            if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
                fn();
                callback();
            } else {
                auto result = fn();
                callback(result);
                return result;
            }
        };
        if (full()) return gev::spawn([this, run = std::move(run)]() mutable { return apply(run); });
        return spawn(std::move(run));
    }

    // map(fn, items) in a greenlet of its own, returned at once; on success callback(results).
    template <class F, class Range>
    auto map_async(F fn, const Range& items) {
        return map_async(std::move(fn), items, [](auto&&) {});
    }
    template <class F, class Range, class C>
    auto map_async(F fn, const Range& items, C callback) {
        using Input = std::decay_t<decltype(*std::begin(items))>;
        return gev::spawn([this, fn = std::move(fn), inputs = std::vector<Input>(std::begin(items), std::end(items)),
                           callback = std::move(callback)]() mutable {
            auto results = map(fn, inputs);
            callback(results);
            return results;
        });
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
    // `maxsize` (at least 1) bounds the finished results waiting for the reader.
    template <class F, class Range>
    auto imap(F fn, const Range& items, std::optional<std::size_t> maxsize = std::nullopt) {
        return make_imap(std::move(fn), items, true, maxsize);
    }
    // Yields each result as soon as it is in, whatever its input position.
    template <class F, class Range>
    auto imap_unordered(F fn, const Range& items, std::optional<std::size_t> maxsize = std::nullopt) {
        return make_imap(std::move(fn), items, false, maxsize);
    }

protected:
    // A Pool takes a free slot here, waiting as add() says; false if it got none. A Group
    // always has room.
    virtual bool reserve(bool /*blocking*/, Seconds /*timeout*/) { return true; }
    virtual void unreserve() noexcept {}

private:
    friend class detail::GreenletState;  // untracks a greenlet attached to it as it finishes
    void track(const AnyGreenlet& g);
    void untrack(detail::GreenletState* s) noexcept;

    template <class F, class Range>
    auto make_imap(F fn, const Range& items, bool ordered, std::optional<std::size_t> maxsize);

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
    bool full() const noexcept override { return free_count() == 0; }
    // Waits until a slot is free; returns the free count (0 if the timeout passed).
    std::size_t wait_available(Seconds timeout = {}) { return slots_.wait(timeout); }
    std::size_t capacity() const noexcept { return size_; }

protected:
    bool reserve(bool blocking, Seconds timeout) override { return slots_.acquire(blocking, timeout); }
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
        explicit State(std::optional<std::size_t> maxsize) : results(maxsize ? *maxsize : Queue<Item>::unbounded) {}
        Queue<Item> results;
        std::size_t total = 0;
        std::size_t yielded = 0;
        bool ordered = true;
        std::map<std::size_t, Item> early;
        AnyGreenlet feeder;
    };

    explicit IMap(std::shared_ptr<State> s) : s_(std::move(s)) {}
    // An abandoned imap stops feeding; workers with a result to hand over drop it.
    ~IMap() {
        if (!s_) return;
        if (s_->feeder && !s_->feeder.ready()) s_->feeder.kill();
        s_->results.close();
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
auto Group::make_imap(F fn, const Range& items, bool ordered, std::optional<std::size_t> maxsize) {
    using Input = std::decay_t<decltype(*std::begin(items))>;
    using R = std::invoke_result_t<F&, const Input&>;
    static_assert(!std::is_void_v<R>, "Group::imap needs a function that returns a value");
    using State = typename IMap<R>::State;
    if (maxsize && *maxsize == 0) throw std::invalid_argument("imap: maxsize must be at least 1");
    auto state = std::make_shared<State>(maxsize);
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
                    try {
                        state->results.put(std::move(item));
                    } catch (const QueueClosed&) {
                        // The reader abandoned the imap.
                    }
                },
                inputs[i]);
        }
    });
    return IMap<R>(std::move(state));
}

}  // namespace gev
