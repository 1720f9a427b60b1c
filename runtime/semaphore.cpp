#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/semaphore.hpp>

namespace gev {

bool Semaphore::acquire(bool blocking, Seconds timeout) {
    detail::SpinGuard lk(lock_);
    const auto deadline = blocking ? timeout.deadline() : Clock::now();
    while (counter_ == 0) {
        if (!blocking || !waiters_.wait(lk, deadline)) {
            if (counter_ == 0) return false;
        }
    }
    --counter_;
    return true;
}

void Semaphore::release() {
    detail::SpinGuard lk(lock_);
    if (counter_ >= bound_) throw UsageError(over_release_);
    ++counter_;
    waiters_.notify_one();
}

std::size_t Semaphore::wait(Seconds timeout) {
    detail::SpinGuard lk(lock_);
    const auto deadline = timeout.deadline();
    while (counter_ == 0) {
        if (!waiters_.wait(lk, deadline)) break;
    }
    // Pass the wake-up on: this waiter took nothing.
    if (counter_ > 0) waiters_.notify_one();
    return counter_;
}

std::size_t Semaphore::counter() const noexcept {
    detail::SpinGuard lk(lock_);
    return counter_;
}

}  // namespace gev
