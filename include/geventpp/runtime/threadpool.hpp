// gev::ThreadPool: run blocking, CPU-bound or foreign code on worker OS threads,
// gevent.threadpool.ThreadPool.
//
//   gev::ThreadPool pool(4);
//   auto digest = pool.apply(sha256_file, path);     // only this greenlet waits
//   auto later = pool.spawn(compress, data);         // an AsyncResult, get() it when needed
//
// Only the calling greenlet waits for the result; its hub keeps running the others. A
// function's exception comes back to the greenlet through get()/apply(). map() runs fn over
// items on the threads and returns the results in input order; imap() yields them in input
// order, imap_unordered() as they finish; apply_async() returns at once and calls its callback
// in the calling hub's loop. resize(n) changes the thread count: threads beyond it leave after
// their task. The destructor finishes the queued work and joins the threads. spawn() and apply()
// may be called from any hub or thread; apply(), map() and iterating imap are cancellation
// points (the work itself still runs to completion); apply_async() needs a hub.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <geventpp/runtime/async_result.hpp>
#include <geventpp/runtime/detail/next_iterator.hpp>
#include <geventpp/runtime/wait.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace gev {

template <class R>
class ThreadPoolIMap;

class ThreadPool {
public:
    explicit ThreadPool(std::size_t maxsize);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // Queues fn(args...) for a worker thread; its result arrives in the AsyncResult.
    template <class F, class... Args>
    auto spawn(F&& fn, Args&&... args) {
        using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
        AsyncResult<R> result;
        submit([result, f = std::forward<F>(fn), ... a = std::forward<Args>(args)]() mutable {
            try {
                if constexpr (std::is_void_v<R>) {
                    std::invoke(f, a...);
                    result.set();
                } else {
                    result.set(std::invoke(f, a...));
                }
            } catch (...) {
                result.set_exception(std::current_exception());
            }
        });
        return result;
    }

    // Runs fn(args...) on a worker thread and returns its result to the calling greenlet.
    template <class F, class... Args>
    auto apply(F&& fn, Args&&... args) {
        return spawn(std::forward<F>(fn), std::forward<Args>(args)...).get();
    }

    // spawn(fn), and on success callback(result) (callback() for void) in the loop of the hub
    // that called apply_async; callback must not block. Throws UsageError outside a hub.
    template <class F, class C>
    auto apply_async(F&& fn, C callback) {
        auto result = spawn(std::forward<F>(fn));
        result.rawlink([callback = std::move(callback)](auto r) mutable {
            if (!r.successful()) return;
            if constexpr (std::is_void_v<decltype(r.get())>) {
                callback();
            } else {
                callback(r.get());
            }
        });
        return result;
    }

    // fn(item) for every item on the threads; the results in input order. Rethrows the first
    // (in input order) exception.
    template <class F, class Range>
    auto map(F fn, const Range& items) {
        std::vector<decltype(spawn(fn, *std::begin(items)).get())> out;
        for (auto& r : spawn_all(fn, items)) out.push_back(r.get());
        return out;
    }
    // Yields fn(item)'s results in input order as they come in.
    template <class F, class Range>
    auto imap(F fn, const Range& items) {
        return make_imap(spawn_all(fn, items), true);
    }
    // Yields the results as they finish.
    template <class F, class Range>
    auto imap_unordered(F fn, const Range& items) {
        return make_imap(spawn_all(fn, items), false);
    }

    // The number of threads (gevent's maxsize).
    std::size_t maxsize() const;
    // Sets it (at least 1): new threads start at once; threads beyond it leave after their
    // current task.
    void resize(std::size_t maxsize);
    // Tasks queued or running.
    std::size_t size() const;

private:
    template <class F, class Range>
    auto spawn_all(F& fn, const Range& items) {
        std::vector<decltype(spawn(fn, *std::begin(items)))> results;
        for (const auto& item : items) results.push_back(spawn(fn, item));
        return results;
    }
    template <class R>
    static ThreadPoolIMap<R> make_imap(std::vector<AsyncResult<R>> results, bool ordered) {
        return ThreadPoolIMap<R>(std::move(results), ordered);
    }
    void submit(std::function<void()> task);
    void work();
    void start_threads(std::unique_lock<std::mutex>& lk);
    void join_retired(std::unique_lock<std::mutex>& lk);

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    std::size_t running_ = 0;
    std::size_t maxsize_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
    std::vector<std::thread::id> retired_;  // threads that left after a resize, to join
};

// The range ThreadPool::imap()/imap_unordered() return: iterating blocks the greenlet for the
// next result and rethrows a function's exception when its turn comes. Abandoning it leaves the
// work running to completion.
template <class R>
class ThreadPoolIMap {
public:
    ThreadPoolIMap(std::vector<AsyncResult<R>> results, bool ordered)
        : results_(std::make_unique<std::vector<AsyncResult<R>>>(std::move(results))) {
        if (!ordered) finished_.emplace(std::vector<Waitable>(results_->begin(), results_->end()));
    }

    // The next result, or nothing after the last.
    std::optional<R> next() {
        std::optional<std::size_t> i;
        if (finished_) {
            i = finished_->next();
        } else if (yielded_ < results_->size()) {
            i = yielded_;
        }
        if (!i) return std::nullopt;
        ++yielded_;
        return (*results_)[*i].get();
    }

    using iterator = detail::NextIterator<ThreadPoolIMap, R>;
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

private:
    std::unique_ptr<std::vector<AsyncResult<R>>> results_;  // IWait watches them where they are
    std::optional<IWait> finished_;
    std::size_t yielded_ = 0;
};

}  // namespace gev
