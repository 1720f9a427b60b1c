// Greenlets: gevent's lightweight threads, as Boost.Fiber fibers on the current hub.
//
//   auto g = gev::spawn([](int n) { gev::sleep(1s); return n * 2; }, 21);
//   int v = g.get();                 // blocks this greenlet only; rethrows g's exception
//
// spawn() schedules the greenlet to start at the hub's next turn and returns at once. A
// greenlet runs until it returns or throws; an exception that escapes it is kept for get() and
// reported once on stderr ("Greenlet-3 failed with std::runtime_error: ..."); it never ends the
// process. kill() raises GreenletExit (or the given exception) at the target's next blocking
// point; a greenlet that ends with GreenletExit counts as successful.
//
// Blocking calls (cancellation points): join, get, kill(block=true), joinall, killall, wait,
// iwait. Handles are cheap to copy and may be used from any hub; spawn() needs a running hub
// (gev::run) and throws UsageError otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <geventpp/runtime/detail/greenlet_state.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gev {

// Options for spawn(): a name for reports, and the stack size (0: the hub's default,
// gev::default_stack_size). Stacks are committed lazily, so a large size costs address space,
// not memory.
struct SpawnOptions {
    std::string name;
    std::size_t stack_size = 0;
};

inline constexpr std::size_t default_stack_size = 256 * 1024;

namespace detail {
struct GreenletAccess;
}

// A handle to a greenlet of any result type.
class AnyGreenlet {
public:
    AnyGreenlet() = default;

    explicit operator bool() const noexcept { return s_ != nullptr; }
    friend bool operator==(const AnyGreenlet& a, const AnyGreenlet& b) noexcept { return a.s_ == b.s_; }

    std::string name() const { return st().name(); }
    void set_name(std::string name) { st().set_name(std::move(name)); }
    // Scheduled to run (gevent's `started`); stays true after it finished.
    bool started() const { return st().started(); }
    // Finished, whether by returning, throwing or being killed.
    bool ready() const { return st().ready(); }
    // gevent's `dead`: finished (a killed, never-started greenlet is dead too).
    bool dead() const { return st().ready(); }
    bool successful() const { return st().ready() && st().successful(); }
    // The exception that ended it; null while running, on success and after GreenletExit.
    std::exception_ptr exception() const { return st().exception(); }

    // Waits until it finished; false if the timeout passed first.
    bool join(Seconds timeout = {}) const;

    // Raises `e` in the greenlet at its next blocking point; a greenlet not yet started never
    // runs. With `block`, waits (up to `timeout`) for it to finish.
    template <class E = GreenletExit>
    void kill(E e = E{}, bool block = true, Seconds timeout = {}) const {
        kill_with(std::make_exception_ptr(std::move(e)), block, timeout);
    }
    void kill_with(std::exception_ptr e, bool block = true, Seconds timeout = {}) const;

    // Calls fn(greenlet) when it finishes (link), only on success (link_value) or only when
    // an exception ended it (link_exception). The callback runs on the finishing greenlet's
    // hub. Returns an id for unlink().
    std::uint64_t link(std::function<void(AnyGreenlet)> fn) const;
    std::uint64_t link_value(std::function<void(AnyGreenlet)> fn) const;
    std::uint64_t link_exception(std::function<void(AnyGreenlet)> fn) const;
    void unlink(std::uint64_t id) const { st().unlink(id); }

protected:
    explicit AnyGreenlet(std::shared_ptr<detail::GreenletState> s) : s_(std::move(s)) {}
    detail::GreenletState& st() const;
    std::shared_ptr<detail::GreenletState> s_;

private:
    friend struct detail::GreenletAccess;  // the runtime's own way in
    std::uint64_t add_link(std::function<void(AnyGreenlet)> fn, int when) const;
};

namespace detail {

template <class T>
class GreenletResult : public GreenletState {
public:
    using GreenletState::GreenletState;
    std::optional<T> value;
};

template <>
class GreenletResult<void> : public GreenletState {
public:
    using GreenletState::GreenletState;
};

template <class T, class F>
class GreenletImpl final : public GreenletResult<T> {
public:
    GreenletImpl(std::string name, bool report, F fn) : GreenletResult<T>(std::move(name), report) {
        if constexpr (apart) {
            fn_ = std::make_unique<F>(std::move(fn));
        } else {
            fn_.emplace(std::move(fn));
        }
    }

private:
    // A function with large captures (a server's socket and peer address) is kept apart until
    // the greenlet starts, then moved onto its stack: a greenlet parked for hours (an idle
    // WebSocket) keeps them in the stack page it has anyway, not in its heap block.
    static constexpr bool apart = sizeof(F) > 64;

    void invoke() override {
        if constexpr (apart) {
            F fn = std::move(*fn_);
            fn_.reset();
            run(fn);
        } else {
            run(*fn_);
        }
    }
    void run(F& fn) {
        if constexpr (std::is_void_v<T>) {
            fn();
        } else {
            this->value.emplace(fn());
        }
    }
    void release_function() noexcept override { fn_.reset(); }
    std::conditional_t<apart, std::unique_ptr<F>, std::optional<F>> fn_;
};

// Throws the exception that ended `s`, or GreenletExit if it was killed.
void rethrow_result(GreenletState& s);
// Blocks until `s` finished, turning a timeout into Timeout::Expired.
void join_or_throw(GreenletState& s, Seconds timeout);

}  // namespace detail

// A handle to a greenlet whose function returns T.
template <class T = void>
class Greenlet : public AnyGreenlet {
public:
    Greenlet() = default;

    // Waits for the result; rethrows the greenlet's exception (GreenletExit if it was killed).
    // Throws Timeout::Expired if `timeout` passes first.
    T get(Seconds timeout = {}) const {
        detail::join_or_throw(st(), timeout);
        detail::rethrow_result(st());
        if constexpr (!std::is_void_v<T>) return *result().value;
    }

    // The value, once it finished successfully; empty otherwise.
    template <class U = T>
    requires(!std::is_void_v<U>) std::optional<U> value()
    const {
        if (!ready() || exception() || st().killed()) return std::nullopt;
        return result().value;
    }

private:
    friend struct detail::GreenletAccess;
    explicit Greenlet(std::shared_ptr<detail::GreenletResult<T>> s) : AnyGreenlet(std::move(s)) {}
    detail::GreenletResult<T>& result() const { return static_cast<detail::GreenletResult<T>&>(st()); }
};

namespace detail {

// The runtime's own way into handles: the state behind one, and a handle made for a state.
struct GreenletAccess {
    static GreenletState& state(const AnyGreenlet& g) { return g.st(); }
    static AnyGreenlet handle(std::shared_ptr<GreenletState> s) { return AnyGreenlet(std::move(s)); }
    template <class T>
    static Greenlet<T> handle(std::shared_ptr<GreenletResult<T>> s) {
        return Greenlet<T>(std::move(s));
    }
};

template <class F, class... Args>
auto make_greenlet(SpawnOptions opts, bool report, F&& fn, Args&&... args) {
    using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
    auto bound = [f = std::forward<F>(fn), ... a = std::forward<Args>(args)]() mutable -> R {
        return std::invoke(f, a...);
    };
    auto s = std::make_shared<GreenletImpl<R, decltype(bound)>>(std::move(opts.name), report, std::move(bound));
    s->start(opts.stack_size);
    return GreenletAccess::handle<R>(std::move(s));
}

template <class F>
constexpr bool is_options = std::is_same_v<std::decay_t<F>, SpawnOptions>;

}  // namespace detail

// gevent.spawn(fn, *args): starts fn(args...) in a new greenlet on the current hub.
template <class F, class... Args>
requires(!detail::is_options<F>) auto spawn(F&& fn, Args&&... args) {
    return detail::make_greenlet(SpawnOptions{}, true, std::forward<F>(fn), std::forward<Args>(args)...);
}

// spawn with a name and/or stack size.
template <class F, class... Args>
auto spawn(SpawnOptions opts, F&& fn, Args&&... args) {
    return detail::make_greenlet(std::move(opts), true, std::forward<F>(fn), std::forward<Args>(args)...);
}

// gevent.spawn_later(seconds, fn, *args): like spawn, but fn starts after `delay`.
template <class F, class... Args>
auto spawn_later(Seconds delay, F&& fn, Args&&... args) {
    return spawn(
        [delay, f = std::forward<F>(fn)](auto&&... a) mutable {
            sleep(delay);
            return std::invoke(f, std::forward<decltype(a)>(a)...);
        },
        std::forward<Args>(args)...);
}

// The greenlet running now; an empty handle on a hub's main context.
AnyGreenlet getcurrent();

// Waits for every greenlet to finish, or the first `count` of them, up to `timeout`; returns
// those that finished, in the order they did (gevent's joinall). With `raise_error`, rethrows
// the exception of the first to end with one.
std::vector<AnyGreenlet> joinall(const std::vector<AnyGreenlet>& greenlets, Seconds timeout = {},
                                 bool raise_error = false, std::optional<std::size_t> count = std::nullopt);

// gevent.kill(greenlet, exception): raises `e` (GreenletExit by default) in g at its next
// blocking point and returns at once; g.kill(e, false) as a free function.
void kill(const AnyGreenlet& g, std::exception_ptr e = nullptr);

// Kills every greenlet with `e` (GreenletExit by default); with `block`, waits for them.
void killall(const std::vector<AnyGreenlet>& greenlets, std::exception_ptr e = nullptr, bool block = true,
             Seconds timeout = {});

}  // namespace gev
