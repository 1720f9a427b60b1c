#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/threadpool.hpp>

namespace gev {

ThreadPool::ThreadPool(std::size_t maxsize) {
    if (maxsize == 0) throw UsageError("ThreadPool needs at least one thread — pass maxsize >= 1");
    threads_.reserve(maxsize);
    for (std::size_t i = 0; i < maxsize; ++i) threads_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lk(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> task) {
    {
        std::lock_guard lk(mutex_);
        tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
}

std::size_t ThreadPool::size() const {
    std::lock_guard lk(mutex_);
    return tasks_.size() + running_;
}

void ThreadPool::work() {
    std::unique_lock lk(mutex_);
    for (;;) {
        cv_.wait(lk, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, and the queue is drained
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        ++running_;
        lk.unlock();
        task();
        task = nullptr;
        lk.lock();
        --running_;
    }
}

}  // namespace gev
