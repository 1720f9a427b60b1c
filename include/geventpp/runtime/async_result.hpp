// gev::AsyncResult<T>: a value (or exception) that will arrive later, gevent.event.AsyncResult.
//
// A copyable handle: every copy sees the same result. set()/set_exception() may be called from
// any hub or plain thread (ThreadPool workers do); get() blocks the calling greenlet until the
// result is there (a cancellation point), then returns it or rethrows the exception.
// rawlink(fn) calls fn(result) once, in the loop of the hub that called rawlink, after a value
// or exception is set (soon, if one is there now); fn must not block. unlink(id) cancels it.
// rawlink throws UsageError outside a hub.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <geventpp/runtime/detail/raw_links.hpp>
#include <geventpp/runtime/detail/readiness.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace gev {

namespace detail {

template <class T>
struct ResultSlot {
    std::optional<T> value;
};
template <>
struct ResultSlot<void> {
    bool value = false;
};

template <class T>
class AsyncState : public Readiness {
public:
    template <class... V>
    void set(V&&... v) {
        SpinGuard lk(lock_);
        if constexpr (std::is_void_v<T>) {
            slot_.value = true;
        } else {
            slot_.value.emplace(std::forward<V>(v)...);
        }
        exception_ = nullptr;
        set_ready(lk);
    }
    void set_exception(std::exception_ptr e) {
        SpinGuard lk(lock_);
        exception_ = std::move(e);
        set_ready(lk);
    }
    std::exception_ptr exception() const {
        SpinGuard lk(lock_);
        return exception_;
    }
    // Call only once ready.
    T take_copy() const {
        SpinGuard lk(lock_);
        if (exception_) std::rethrow_exception(exception_);
        if constexpr (!std::is_void_v<T>) return *slot_.value;
    }
    std::optional<T> value() const requires(!std::is_void_v<T>) {
        SpinGuard lk(lock_);
        return slot_.value;
    }
    RawLinks& links() noexcept { return links_; }

private:
    RawLinks links_{*this};
    ResultSlot<T> slot_;
    std::exception_ptr exception_;
};

}  // namespace detail

template <class T = void>
class AsyncResult {
public:
    AsyncResult() : s_(std::make_shared<detail::AsyncState<T>>()) {}

    // Stores the value and wakes every waiter.
    template <class... V>
    void set(V&&... v) const {
        s_->set(std::forward<V>(v)...);
    }
    void set_exception(std::exception_ptr e) const { s_->set_exception(std::move(e)); }
    template <class E>
    void set_exception(E e) const {
        s_->set_exception(std::make_exception_ptr(std::move(e)));
    }

    bool ready() const noexcept { return s_->ready(); }
    bool successful() const { return ready() && !s_->exception(); }
    std::exception_ptr exception() const { return s_->exception(); }
    template <class U = T>
    requires(!std::is_void_v<U>) std::optional<U> value()
    const { return s_->value(); }

    // Blocks until ready; false if the timeout passed first.
    bool wait(Seconds timeout = {}) const { return s_->wait_ready(timeout.deadline()); }

    // The value, or rethrows the exception. Throws Timeout::Expired if `timeout` passes first.
    T get(Seconds timeout = {}) const {
        if (!wait(timeout)) throw Timeout::Expired(nullptr, timeout.span());
        return s_->take_copy();
    }
    // gevent's get(block=False): throws Timeout::Expired when not ready yet.
    T get_nowait() const { return get(Seconds(0.0)); }

    // The callback holds the result weakly: a result nobody else holds is never set, and
    // its links go with it.
    std::uint64_t rawlink(std::function<void(AsyncResult)> fn) const {
        return s_->links().add([weak = std::weak_ptr(s_), fn = std::move(fn)] {
            if (auto s = weak.lock()) fn(AsyncResult(std::move(s)));
        });
    }
    void unlink(std::uint64_t id) const noexcept { s_->links().remove(id); }

    detail::Readiness& readiness() const noexcept { return *s_; }

private:
    explicit AsyncResult(std::shared_ptr<detail::AsyncState<T>> s) : s_(std::move(s)) {}
    std::shared_ptr<detail::AsyncState<T>> s_;
};

}  // namespace gev
