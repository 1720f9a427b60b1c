#include <algorithm>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/threadpool.hpp>

namespace gev {

ThreadPool::ThreadPool(std::size_t maxsize) {
    resize(maxsize);
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lk(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

std::size_t ThreadPool::maxsize() const {
    std::lock_guard lk(mutex_);
    return maxsize_;
}

void ThreadPool::resize(std::size_t maxsize) {
    if (maxsize == 0) throw UsageError("ThreadPool needs at least one thread — pass maxsize >= 1");
    std::unique_lock lk(mutex_);
    maxsize_ = maxsize;
    join_retired(lk);
    start_threads(lk);
    lk.unlock();
    cv_.notify_all();  // threads beyond the new size wake to leave
}

void ThreadPool::start_threads(std::unique_lock<std::mutex>&) {
    while (threads_.size() - retired_.size() < maxsize_) threads_.emplace_back([this] { work(); });
}

// Joins the threads that left after a shrink. They left the lock for good when they said so,
// so each join waits only for a thread's last instructions.
void ThreadPool::join_retired(std::unique_lock<std::mutex>&) {
    for (auto id : retired_) {
        auto it =
            std::find_if(threads_.begin(), threads_.end(), [id](const std::thread& t) { return t.get_id() == id; });
        it->join();
        threads_.erase(it);
    }
    retired_.clear();
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
        cv_.wait(lk, [this] { return stopping_ || !tasks_.empty() || threads_.size() - retired_.size() > maxsize_; });
        if (!stopping_ && threads_.size() - retired_.size() > maxsize_) {
            retired_.push_back(std::this_thread::get_id());
            return;
        }
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
