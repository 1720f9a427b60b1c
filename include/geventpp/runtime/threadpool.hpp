// gev::ThreadPool: run blocking, CPU-bound or foreign code on worker OS threads,
// gevent.threadpool.ThreadPool.
//
//   gev::ThreadPool pool(4);
//   auto digest = pool.apply(sha256_file, path);     // only this greenlet waits
//   auto later = pool.spawn(compress, data);         // an AsyncResult, get() it when needed
//
// Only the calling greenlet waits for the result; its hub keeps running the others. A
// function's exception comes back to the greenlet through get()/apply(). The destructor
// finishes the queued work and joins the threads. spawn() and apply() may be called from any
// hub; apply() is a cancellation point (the work itself still runs to completion).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <geventpp/runtime/async_result.hpp>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace gev {

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

    std::size_t maxsize() const noexcept { return threads_.size(); }
    // Tasks queued or running.
    std::size_t size() const;

private:
    void submit(std::function<void()> task);
    void work();

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace gev
