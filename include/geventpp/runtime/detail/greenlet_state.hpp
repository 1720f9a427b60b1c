// What a greenlet is behind its handles: its fiber, result, cancellation state, Timeout scopes
// and links. Shared by the handles (gev::Greenlet) and the running fiber.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <geventpp/runtime/detail/readiness.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gev {
class Hub;
class Group;
}  // namespace gev

namespace gev::detail {

class LocalSlots;

// One gev::Timeout in force around the current greenlet's code. Scopes nest as a stack.
struct TimeoutScope {
    TimePoint deadline = forever;
    TimeoutScope* parent = nullptr;
    bool armed = false;
    bool fired = false;
    // Throws this scope's exception; defined by gev::Timeout.
    [[noreturn]] virtual void raise() = 0;

protected:
    ~TimeoutScope() = default;
};

class GreenletState : public Readiness, public std::enable_shared_from_this<GreenletState> {
public:
    using Link = std::function<void(GreenletState&)>;

    GreenletState(std::string name, bool report_errors);
    virtual ~GreenletState();

    // Creates the fiber on the current hub, ready to run at the hub's next turn.
    void start(std::size_t stack_size);

    // The name given at spawn, or "Greenlet-N" (formatted on demand: spawning stays cheap).
    std::string name() const;
    // The same into `buf`, without allocating (for signal handlers).
    void format_name(char* buf, std::size_t size) const noexcept;
    void set_name(std::string name);
    bool started() const noexcept { return started_; }
    // After it finished: true unless an exception other than GreenletExit escaped it.
    bool successful() const noexcept;
    bool killed() const noexcept;
    std::exception_ptr exception() const noexcept;
    Hub* hub() const noexcept { return hub_; }

    // gevent's kill: raise `e` at the greenlet's next blocking point (or prevent its start).
    void interrupt(std::exception_ptr e) noexcept;

    // Blocking-point protocol, called by the greenlet itself (see park.cpp).
    TimePoint park_begin(const boost::fibers::waker& w, TimePoint deadline);
    void park_end() noexcept;
    void raise_pending();

    void push_timeout(TimeoutScope& s) noexcept;
    void pop_timeout(TimeoutScope& s) noexcept;

    std::uint64_t link(Link fn, int when);
    void unlink(std::uint64_t id) noexcept;
    // A greenlet belongs to at most one Group this way: told when it finishes, before the links
    // run, without a link of its own (a server's handlers: one allocation less each). False
    // when it finished already or has a Group.
    bool attach_group(Group& g) noexcept;
    void detach_group(Group& g) noexcept;
    static constexpr int link_always = 0, link_success = 1, link_failure = 2;

    // The stack the greenlet runs on (set by its allocator as the fiber is made), for
    // overflow reports, the stack reclaimer and the sanitizers; none until then.
    struct Stack {
        const void* limit = nullptr;  // the lowest byte, the guard page's
        std::size_t size = 0;
        void* tsan_fiber = nullptr;  // ThreadSanitizer builds: the greenlet's TSan fiber
    };
    const Stack& stack() const noexcept { return stack_; }
    void set_stack(const Stack& s) noexcept { stack_ = s; }
    // AddressSanitizer builds: where ASan keeps the greenlet's fake stack while it is switched
    // out.
    void** asan_fake_stack() noexcept { return &asan_fake_stack_; }

    // The values of gev::local this greenlet created (made on first use; local.cpp), destroyed
    // when it finishes.
    LocalSlots& locals();

    // The hub's intrusive list of its live greenlets, `head` its first.
    void join_live(GreenletState*& head) noexcept;
    void leave_live(GreenletState*& head) noexcept;
    GreenletState* next_live() const noexcept { return live_next_; }

protected:
    // Runs the user's function and stores its value.
    virtual void invoke() = 0;
    // Destroys the function and what it captured, once the greenlet has finished (gevent drops
    // `run` and its arguments too): a greenlet whose function holds a handle to the greenlet
    // itself would otherwise never be freed.
    virtual void release_function() noexcept = 0;

private:
    void main() noexcept;
    void finish() noexcept;
    [[noreturn]] void raise_interrupt();
    void raise_expired_timeout(TimePoint now);

    std::unique_ptr<std::string> name_;  // most greenlets have none: a pointer is smaller
    std::uint64_t id_;
    Hub* hub_ = nullptr;
    bool report_errors_;
    bool started_ = false;
    bool killed_ = false;
    std::exception_ptr exception_;
    // Cancellation state, guarded by park_lock_: a leaf lock, taken while an object's lock may
    // be held, never the other way round.
    Spinlock park_lock_;
    std::atomic<bool> interrupted_{false};
    bool done_ = false;
    std::exception_ptr pending_;
    boost::fibers::waker parked_;
    bool is_parked_ = false;
    // Only touched by the greenlet itself.
    TimeoutScope* timeouts_ = nullptr;
    struct LinkEntry {
        std::uint64_t id;
        int when;
        Link fn;
    };
    std::vector<LinkEntry> links_;
    std::uint64_t next_link_ = 1;
    Group* group_ = nullptr;
    std::unique_ptr<LocalSlots> locals_;  // most greenlets use no gev::local
    GreenletState* live_prev_ = nullptr;
    GreenletState* live_next_ = nullptr;
    Stack stack_;
    void* asan_fake_stack_ = nullptr;
};

}  // namespace gev::detail
