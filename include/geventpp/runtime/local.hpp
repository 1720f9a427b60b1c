// gev::local<T>: a value per greenlet, gevent.local.local.
//
//   gev::local<Request> current;                 // e.g. at namespace scope
//   void handler() { current->path = "/"; ...; use(current->path); }
//
// Each greenlet that uses a local gets its own T, made on its first use there (default-
// constructed, or by the factory given to the constructor, called in that greenlet), and
// destroyed when that greenlet finishes — before join() returns — or when the local itself is
// destroyed, whichever comes first. A greenlet spawned from another starts with no value, as in
// gevent. Code outside any greenlet (a hub's main context: Hub::post callbacks, a thread before
// gev::run or with no hub at all) has one value per thread, destroyed when the thread exits:
// gevent's main greenlet, one per thread.
//
// C++ `thread_local` is not this: every greenlet of a hub runs on the hub's thread, so they all
// share one thread_local. Per-request or per-connection state a handler keeps in a
// thread_local leaks from one greenlet into the next; keep it in a gev::local.
//
// Nothing here blocks, except the factory, which may (it runs in the calling greenlet, and a
// blocking factory is a cancellation point like any other code). If it throws, the exception
// propagates and nothing is stored: the next use calls it again. A local may be used from
// greenlets of any hub and from plain threads at once; each sees only its own value. Destroying
// a local destroys its values in every greenlet: do it only once no greenlet uses them. A
// value's destructor runs in its greenlet as it finishes (or in whoever destroys the local) and
// should not block. Not copyable or movable: a local is its own identity.
// The mechanism: docs/local.md.
#pragma once

#include <concepts>
#include <functional>
#include <geventpp/runtime/detail/local_slots.hpp>
#include <memory>
#include <utility>

namespace gev {

template <class T>
class local {
public:
    // Values are default-constructed.
    local() requires std::default_initializable<T> : factory_([] { return T(); }) {}
    // Values are made by factory() (gevent's local subclass with an __init__).
    explicit local(std::function<T()> factory) : factory_(std::move(factory)) {}

    local(const local&) = delete;
    local& operator=(const local&) = delete;

    // The calling greenlet's value, made now if it has none.
    T& get() {
        auto& slots = detail::current_local_slots();
        if (auto* v = slots.find(registry_.id())) return static_cast<Value*>(v)->value;
        auto made = std::make_shared<Value>(factory_);
        T& value = made->value;
        registry_.track(made);
        slots.insert(registry_.id(), std::move(made));
        return value;
    }
    T& operator*() { return get(); }
    T* operator->() { return std::addressof(get()); }

    // Whether the calling greenlet has a value yet (gevent's hasattr).
    bool has_value() const { return detail::current_local_slots().find(registry_.id()) != nullptr; }
    // Destroys the calling greenlet's value, if any; the next use makes a new one (gevent's
    // delattr). Other greenlets' values stay.
    void reset() { detail::current_local_slots().erase(registry_.id()); }

private:
    struct Value final : detail::LocalValue {
        explicit Value(const std::function<T()>& factory) : value(factory()) {}
        ~Value() override { destroy(); }
        void destroy_value() noexcept override { value.~T(); }
        union {
            T value;
        };
    };

    std::function<T()> factory_;
    detail::LocalRegistry registry_;  // last: destroys the values before the factory goes
};

}  // namespace gev
