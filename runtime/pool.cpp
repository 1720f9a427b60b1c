#include <geventpp/runtime/pool.hpp>

namespace gev {

Group::~Group() {
    for (auto& [s, m] : members_) {
        if (m.link) {
            m.greenlet.unlink(m.link);
        } else {
            s->detach_group(*this);
        }
    }
}

void Group::add(const AnyGreenlet& g, bool blocking, Seconds timeout) {
    if (contains(g)) return;
    if (!reserve(blocking, timeout)) throw PoolFull();
    track(g);
}

void Group::track(const AnyGreenlet& g) {
    auto* s = &detail::GreenletAccess::state(g);
    members_.emplace(s, Member{g, 0});
    if (s->attach_group(*this)) return;
    // Linked on the state itself: AnyGreenlet::link would wrap the function once more.
    const auto id = s->link([this, s](detail::GreenletState&) { untrack(s); }, detail::GreenletState::link_always);
    if (auto it = members_.find(s); it != members_.end()) it->second.link = id;
}

void Group::untrack(detail::GreenletState* s) noexcept {
    auto it = members_.find(s);
    if (it == members_.end()) return;
    if (it->second.link) {
        it->second.greenlet.unlink(it->second.link);
    } else {
        s->detach_group(*this);
    }
    members_.erase(it);
    unreserve();
    if (members_.empty()) {
        detail::SpinGuard lk(lock_);
        empty_waiters_.notify_all();
    }
}

void Group::discard(const AnyGreenlet& g) {
    untrack(&detail::GreenletAccess::state(g));
}

bool Group::contains(const AnyGreenlet& g) const {
    return members_.count(&detail::GreenletAccess::state(g)) != 0;
}

std::vector<AnyGreenlet> Group::greenlets() const {
    std::vector<AnyGreenlet> out;
    out.reserve(members_.size());
    for (const auto& [s, m] : members_) out.push_back(m.greenlet);
    return out;
}

bool Group::join(Seconds timeout, bool raise_error) {
    const auto deadline = timeout.deadline();
    if (raise_error) {
        // Each member in turn, rethrowing its failure as soon as it is found.
        for (auto& g : greenlets()) {
            if (!detail::GreenletAccess::state(g).wait_ready(deadline)) return false;
            if (auto e = g.exception()) std::rethrow_exception(e);
        }
    }
    detail::SpinGuard lk(lock_);
    while (!members_.empty()) {
        if (!empty_waiters_.wait(lk, deadline)) return members_.empty();
    }
    return true;
}

void Group::kill(std::exception_ptr e, bool block, Seconds timeout) {
    killall(greenlets(), std::move(e), block, timeout);
}

void Group::killone(const AnyGreenlet& g, std::exception_ptr e, bool block, Seconds timeout) {
    if (contains(g)) g.kill_with(std::move(e), block, timeout);
}

}  // namespace gev
