#include <algorithm>
#include <cassert>
#include <cstdio>
#include <geventpp/runtime/detail/local_slots.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/pool.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/runtime/wait.hpp>
#include <utility>

#include "detail/fiber_sanitizers.hpp"
#include "detail/greenlet_props.hpp"
#include "detail/hub_impl.hpp"

namespace gev {
namespace detail {

namespace {
std::atomic<std::uint64_t> greenlet_ids{0};
}

GreenletState::GreenletState(std::string name, bool report_errors)
    : id_(greenlet_ids.fetch_add(1, std::memory_order_relaxed)), report_errors_(report_errors) {
    set_name(std::move(name));
}

void GreenletState::set_name(std::string name) {
    name_ = name.empty() ? nullptr : std::make_unique<std::string>(std::move(name));
}

std::string GreenletState::name() const {
    return name_ ? *name_ : "Greenlet-" + std::to_string(id_);
}

void GreenletState::format_name(char* buf, std::size_t size) const noexcept {
    if (name_) {
        std::snprintf(buf, size, "%s", name_->c_str());
    } else {
        std::snprintf(buf, size, "Greenlet-%llu", static_cast<unsigned long long>(id_));
    }
}

GreenletState::~GreenletState() = default;

void GreenletState::join_live(GreenletState*& head) noexcept {
    live_prev_ = nullptr;
    live_next_ = head;
    if (head) head->live_prev_ = this;
    head = this;
}

void GreenletState::leave_live(GreenletState*& head) noexcept {
    if (live_prev_)
        live_prev_->live_next_ = live_next_;
    else
        head = live_next_;
    if (live_next_) live_next_->live_prev_ = live_prev_;
    live_prev_ = live_next_ = nullptr;
}

void GreenletState::main() noexcept {
    sanitizer::arrived();
    assert(greenlet_of(boost::fibers::context::active()) == this);  // attached when scheduled
    try {
        if (interrupted_.load(std::memory_order_acquire)) raise_interrupt();  // killed before it started
        invoke();
    } catch (const GreenletExit&) {
        killed_ = true;
    } catch (...) {
        exception_ = std::current_exception();
    }
    finish();
    sanitizer::dying();
}

LocalSlots& GreenletState::locals() {
    if (!locals_) locals_ = std::make_unique<LocalSlots>();
    return *locals_;
}

void GreenletState::finish() noexcept {
    release_function();
    if (locals_) locals_->clear();  // still this greenlet: a destructor may use other locals
    detail::HubAccess::impl(*hub_).remove_live(*this);
    {
        SpinGuard lk(park_lock_);
        done_ = true;
        pending_ = nullptr;
    }
    Group* group;
    {
        SpinGuard lk(lock_);
        group = std::exchange(group_, nullptr);
        set_ready(lk);
    }
    if (exception_ && report_errors_) {
        std::fprintf(stderr, "geventpp: %s failed with %s\n", name().c_str(), describe(exception_).c_str());
    }
    if (group) group->untrack(this);
    const bool ok = !exception_;
    // Once ready, link() calls at once instead of adding, so links_ only shrinks now. Taking
    // one link at a time lets a callback unlink a later one (gevent's behaviour).
    for (;;) {
        LinkEntry l;
        {
            SpinGuard lk(lock_);
            if (links_.empty()) break;
            l = std::move(links_.front());
            links_.erase(links_.begin());
        }
        if (l.when == link_always || (l.when == link_success) == ok) {
            try {
                l.fn(*this);
            } catch (...) {
                std::fprintf(stderr, "geventpp: a link callback of %s failed with %s\n", name().c_str(),
                             describe(std::current_exception()).c_str());
            }
        }
    }
}

bool GreenletState::successful() const noexcept {
    SpinGuard lk(lock_);
    return !exception_;
}

bool GreenletState::killed() const noexcept {
    SpinGuard lk(lock_);
    return killed_;
}

std::exception_ptr GreenletState::exception() const noexcept {
    SpinGuard lk(lock_);
    return exception_;
}

void GreenletState::interrupt(std::exception_ptr e) noexcept {
    SpinGuard lk(park_lock_);
    if (done_) return;
    pending_ = std::move(e);
    interrupted_.store(true, std::memory_order_release);
    if (is_parked_) parked_.wake();
}

TimePoint GreenletState::park_begin(const boost::fibers::waker& w, TimePoint deadline) {
    TimePoint until = deadline;
    if (timeouts_) {
        for (auto* t = timeouts_; t; t = t->parent) {
            if (t->armed && !t->fired && t->deadline < until) until = t->deadline;
        }
        if (until != deadline) {
            const auto now = Clock::now();
            if (until <= now) raise_expired_timeout(now);
        }
    }
    SpinGuard lk(park_lock_);
    if (pending_) {
        lk.unlock();
        raise_interrupt();
    }
    parked_ = w;
    is_parked_ = true;
    return until;
}

void GreenletState::park_end() noexcept {
    SpinGuard lk(park_lock_);
    is_parked_ = false;
}

void GreenletState::raise_pending() {
    if (interrupted_.load(std::memory_order_acquire)) raise_interrupt();
    if (timeouts_) raise_expired_timeout(Clock::now());
}

void GreenletState::raise_interrupt() {
    std::exception_ptr e;
    {
        SpinGuard lk(park_lock_);
        e = std::move(pending_);
        pending_ = nullptr;
        interrupted_.store(false, std::memory_order_relaxed);
    }
    if (!e) e = std::make_exception_ptr(GreenletExit{});  // kill()'s default, should none be pending
    std::rethrow_exception(e);
}

void GreenletState::raise_expired_timeout(TimePoint now) {
    // The earliest deadline fires first; on a tie the outer Timeout, which was made first.
    TimeoutScope* due = nullptr;
    for (auto* t = timeouts_; t; t = t->parent) {
        if (t->armed && !t->fired && t->deadline <= now && (!due || t->deadline <= due->deadline)) due = t;
    }
    if (!due) return;
    due->fired = true;
    due->raise();
}

void GreenletState::push_timeout(TimeoutScope& s) noexcept {
    s.parent = timeouts_;
    timeouts_ = &s;
}

void GreenletState::pop_timeout(TimeoutScope& s) noexcept {
    for (auto** p = &timeouts_; *p; p = &(*p)->parent) {
        if (*p == &s) {
            *p = s.parent;
            return;
        }
    }
}

std::uint64_t GreenletState::link(Link fn, int when) {
    SpinGuard lk(lock_);
    if (!is_ready(lk)) {
        links_.push_back({next_link_, when, std::move(fn)});
        return next_link_++;
    }
    lk.unlock();
    const bool ok = !exception();
    if (when == link_always || (when == link_success) == ok) fn(*this);
    return 0;
}

bool GreenletState::attach_group(Group& g) noexcept {
    SpinGuard lk(lock_);
    if (is_ready(lk) || group_) return false;
    group_ = &g;
    return true;
}

void GreenletState::detach_group(Group& g) noexcept {
    SpinGuard lk(lock_);
    if (group_ == &g) group_ = nullptr;
}

void GreenletState::unlink(std::uint64_t id) noexcept {
    SpinGuard lk(lock_);
    std::erase_if(links_, [id](const LinkEntry& l) { return l.id == id; });
}

void rethrow_result(GreenletState& s) {
    if (auto e = s.exception()) std::rethrow_exception(e);
    if (s.killed()) throw GreenletExit{};
}

void join_or_throw(GreenletState& s, Seconds timeout) {
    if (!GreenletAccess::handle(s.shared_from_this()).join(timeout)) throw Timeout::Expired(nullptr, timeout.span());
}

}  // namespace detail

detail::GreenletState& AnyGreenlet::st() const {
    if (!s_) throw UsageError("empty gev::Greenlet handle — assign it the result of gev::spawn first");
    return *s_;
}

bool AnyGreenlet::join(Seconds timeout) const {
    auto& s = st();
    if (detail::current_greenlet() == &s) {
        throw UsageError("Greenlet::join on the current greenlet would wait forever — join it from another greenlet");
    }
    return s.wait_ready(timeout.deadline());
}

void AnyGreenlet::kill_with(std::exception_ptr e, bool block, Seconds timeout) const {
    auto& s = st();
    if (!e) e = std::make_exception_ptr(GreenletExit{});
    if (detail::current_greenlet() == &s) {
        if (block) std::rethrow_exception(e);
        s.interrupt(std::move(e));
        return;
    }
    s.interrupt(std::move(e));
    if (block) join(timeout);
}

std::uint64_t AnyGreenlet::add_link(std::function<void(AnyGreenlet)> fn, int when) const {
    return st().link([fn = std::move(fn)](detail::GreenletState& s) { fn(AnyGreenlet(s.shared_from_this())); }, when);
}

std::uint64_t AnyGreenlet::link(std::function<void(AnyGreenlet)> fn) const {
    return add_link(std::move(fn), detail::GreenletState::link_always);
}
std::uint64_t AnyGreenlet::link_value(std::function<void(AnyGreenlet)> fn) const {
    return add_link(std::move(fn), detail::GreenletState::link_success);
}
std::uint64_t AnyGreenlet::link_exception(std::function<void(AnyGreenlet)> fn) const {
    return add_link(std::move(fn), detail::GreenletState::link_failure);
}

AnyGreenlet getcurrent() {
    auto* g = detail::current_greenlet();
    return g ? detail::GreenletAccess::handle(g->shared_from_this()) : AnyGreenlet();
}

std::vector<AnyGreenlet> joinall(const std::vector<AnyGreenlet>& greenlets, Seconds timeout, bool raise_error,
                                 std::optional<std::size_t> count) {
    const std::size_t want = std::min(count.value_or(greenlets.size()), greenlets.size());
    std::vector<AnyGreenlet> done;
    done.reserve(want);
    if (want == 0) return done;
    IWait finished(std::vector<Waitable>(greenlets.begin(), greenlets.end()), timeout);
    while (done.size() < want) {
        const auto i = finished.next();
        if (!i) break;
        const auto& g = greenlets[*i];
        if (raise_error) {
            if (auto e = g.exception()) std::rethrow_exception(e);
        }
        done.push_back(g);
    }
    return done;
}

void kill(const AnyGreenlet& g, std::exception_ptr e) {
    g.kill_with(std::move(e), false);
}

void killall(const std::vector<AnyGreenlet>& greenlets, std::exception_ptr e, bool block, Seconds timeout) {
    if (!e) e = std::make_exception_ptr(GreenletExit{});
    for (const auto& g : greenlets) detail::GreenletAccess::state(g).interrupt(e);
    if (!block) return;
    const auto deadline = timeout.deadline();
    auto* me = detail::current_greenlet();
    for (const auto& g : greenlets) {
        if (&detail::GreenletAccess::state(g) != me && !detail::GreenletAccess::state(g).wait_ready(deadline)) return;
    }
}

}  // namespace gev
