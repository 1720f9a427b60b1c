// Queues for greenlets, gevent.queue's: Queue, Channel, JoinableQueue, PriorityQueue,
// LifoQueue.
//
//   gev::Queue<std::string> q;            // unbounded; Queue<T>(n) holds at most n items;
//   q.put("chunk");                       // Queue<T>(0) is a rendezvous Channel
//   for (auto& item : q) { ... }          // ends once close() was called and q is drained
//
// get() blocks while the queue is empty and put() while it is full (both cancellation
// points; with a timeout they throw Empty / Full). close() is the seed's `put(StopIteration)`:
// consumers drain what is left, then their range-for loop ends; put on a closed queue throws
// QueueClosed. Safe to share between hubs and plain threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <geventpp/runtime/detail/next_iterator.hpp>
#include <geventpp/runtime/detail/park.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace gev {

// get_nowait() on an empty queue, or get() whose timeout passed.
class Empty : public std::runtime_error {
public:
    Empty() : std::runtime_error("Empty: the queue has no item") {}
};
// put_nowait() on a full queue, or put() whose timeout passed.
class Full : public std::runtime_error {
public:
    Full() : std::runtime_error("Full: the queue has no room") {}

protected:
    explicit Full(const char* what) : std::runtime_error(what) {}
};
// put() on a closed queue, or get() on a closed queue that is drained.
class QueueClosed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

template <class T>
struct FifoStore {
    std::deque<T> items;
    void push(T v) { items.push_back(std::move(v)); }
    T& next() { return items.front(); }
    void pop() { items.pop_front(); }
    std::size_t size() const { return items.size(); }
};

template <class T>
struct LifoStore {
    std::vector<T> items;
    void push(T v) { items.push_back(std::move(v)); }
    T& next() { return items.back(); }
    void pop() { items.pop_back(); }
    std::size_t size() const { return items.size(); }
};

template <class T, class Compare>
struct PriorityStore {
    std::vector<T> items;
    // std heaps put the largest first; gevent's PriorityQueue gives the smallest.
    struct Later {
        bool operator()(const T& a, const T& b) const { return Compare{}(b, a); }
    };
    void push(T v) {
        items.push_back(std::move(v));
        std::push_heap(items.begin(), items.end(), Later{});
    }
    T& next() { return items.front(); }
    void pop() {
        std::pop_heap(items.begin(), items.end(), Later{});
        items.pop_back();
    }
    std::size_t size() const { return items.size(); }
};

}  // namespace detail

template <class T, class Store>
class BasicQueue {
public:
    static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

    // Unbounded; BasicQueue(n) holds at most n items; BasicQueue(0) is a rendezvous channel
    // (put blocks until a getter is waiting for the item).
    BasicQueue() = default;
    explicit BasicQueue(std::size_t maxsize) : maxsize_(maxsize) {}
    BasicQueue(const BasicQueue&) = delete;
    BasicQueue& operator=(const BasicQueue&) = delete;

    void put(T item, bool block = true, Seconds timeout = {}) {
        detail::SpinGuard lk(lock_);
        check_open("put");
        const auto deadline = block ? timeout.deadline() : Clock::now();
        if (maxsize_ == 0) return rendezvous(lk, std::move(item), block, deadline);
        while (store_.size() >= maxsize_) {
            if (!block || !putters_.wait(lk, deadline)) {
                if (store_.size() >= maxsize_) throw Full{};
            }
            check_open("put");
        }
        push(std::move(item));
    }
    void put_nowait(T item) { put(std::move(item), false); }

    T get(bool block = true, Seconds timeout = {}) {
        detail::SpinGuard lk(lock_);
        if (!wait_item(lk, block, timeout)) {
            if (closed_) throw_drained();
            throw Empty{};
        }
        return pop();
    }
    T get_nowait() { return get(false); }

    // The next item without removing it.
    T peek(bool block = true, Seconds timeout = {}) {
        detail::SpinGuard lk(lock_);
        if (!wait_item(lk, block, timeout)) {
            if (closed_) throw_drained();
            throw Empty{};
        }
        T copy = store_.next();
        getters_.notify_one();  // a peeker took no item: let a getter see it
        return copy;
    }
    T peek_nowait() { return peek(false); }

    // The next item, or nothing once the queue is closed and drained. Blocks while empty.
    std::optional<T> next() {
        detail::SpinGuard lk(lock_);
        if (!wait_item(lk, true, {})) return std::nullopt;
        return pop();
    }

    // No more puts: getters drain what is left, then see the end.
    void close() noexcept {
        detail::SpinGuard lk(lock_);
        closed_ = true;
        getters_.notify_all();
        putters_.notify_all();
    }
    bool closed() const noexcept {
        detail::SpinGuard lk(lock_);
        return closed_;
    }

    std::size_t qsize() const noexcept {
        detail::SpinGuard lk(lock_);
        return store_.size();
    }
    bool empty() const noexcept { return qsize() == 0; }
    // No room for another item (a channel is full unless a getter is waiting for one).
    bool full() const noexcept {
        detail::SpinGuard lk(lock_);
        if (maxsize_ == 0) return waiting_getters_ <= store_.size();
        return store_.size() >= maxsize_;
    }
    std::size_t maxsize() const noexcept { return maxsize_; }

    using iterator = detail::NextIterator<BasicQueue, T>;
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

protected:
    // JoinableQueue's count of items put and not yet marked done.
    std::size_t unfinished_ = 0;
    detail::WaitList all_done_;
    mutable detail::Spinlock lock_;

private:
    void check_open(const char* call) const {
        if (closed_) {
            throw QueueClosed(std::string("Queue::") + call +
                              " on a closed queue — the consumer has finished; check closed() before putting");
        }
    }
    [[noreturn]] static void throw_drained() {
        throw QueueClosed(
            "Queue::get on a closed, drained queue — the producer has finished; iterate with `for (auto& x : q)` "
            "to stop at the end");
    }

    bool wait_item(detail::SpinGuard& lk, bool block, Seconds timeout) {
        const auto deadline = block ? timeout.deadline() : Clock::now();
        while (store_.size() == 0) {
            if (closed_) return false;
            ++waiting_getters_;
            if (maxsize_ == 0) putters_.notify_one();  // a channel putter may be waiting for a getter
            bool woke;
            try {
                woke = getters_.wait(lk, deadline);
            } catch (...) {
                --waiting_getters_;
                throw;
            }
            --waiting_getters_;
            if (!woke && store_.size() == 0) return false;
        }
        return true;
    }

    void push(T item) {
        store_.push(std::move(item));
        ++unfinished_;
        getters_.notify_one();
    }

    T pop() {
        T item = std::move(store_.next());
        store_.pop();
        putters_.notify_one();
        return item;
    }

    // A channel takes an item only when a getter is waiting for it.
    void rendezvous(detail::SpinGuard& lk, T item, bool block, TimePoint deadline) {
        while (waiting_getters_ <= store_.size()) {
            if (!block || !putters_.wait(lk, deadline)) {
                if (waiting_getters_ <= store_.size()) throw Full{};
            }
            check_open("put");
        }
        push(std::move(item));
    }

    Store store_;
    detail::WaitList getters_;
    detail::WaitList putters_;
    std::size_t maxsize_ = unbounded;
    std::size_t waiting_getters_ = 0;
    bool closed_ = false;
};

template <class T>
using Queue = BasicQueue<T, detail::FifoStore<T>>;

// gevent.queue.Channel: a Queue of size 0; put() blocks until a getter waits for the item.
template <class T>
class Channel : public Queue<T> {
public:
    Channel() : Queue<T>(0) {}
};

// Last in, first out.
template <class T>
using LifoQueue = BasicQueue<T, detail::LifoStore<T>>;

// Smallest item first (Compare decides what is smaller), like gevent's heapq-based queue.
template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, detail::PriorityStore<T, Compare>>;

// A Queue that counts unfinished items: task_done() after processing each one, join() waits
// until all are done.
template <class T>
class JoinableQueue : public Queue<T> {
public:
    using Queue<T>::Queue;

    void task_done() {
        detail::SpinGuard lk(this->lock_);
        if (this->unfinished_ == 0) {
            throw UsageError("JoinableQueue::task_done called more times than items were put");
        }
        if (--this->unfinished_ == 0) this->all_done_.notify_all();
    }
    // Blocks until every item put has been marked done; false if the timeout passed first.
    bool join(Seconds timeout = {}) {
        detail::SpinGuard lk(this->lock_);
        const auto deadline = timeout.deadline();
        while (this->unfinished_ > 0) {
            if (!this->all_done_.wait(lk, deadline)) return this->unfinished_ == 0;
        }
        return true;
    }
    std::size_t unfinished_tasks() const noexcept {
        detail::SpinGuard lk(this->lock_);
        return this->unfinished_;
    }
};

}  // namespace gev
