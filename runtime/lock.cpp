#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/lock.hpp>

#include "detail/greenlet_props.hpp"

namespace gev {

namespace {
// A greenlet, a hub's main context or a plain thread: whoever is running.
const void* me() noexcept {
    return detail::running_context();
}
}  // namespace

bool RLock::acquire(bool blocking, Seconds timeout) {
    if (owner_ == me()) {
        ++count_;
        return true;
    }
    if (!sem_.acquire(blocking, timeout)) return false;
    owner_ = me();
    count_ = 1;
    return true;
}

void RLock::release() {
    if (owner_ != me()) {
        throw UsageError("RLock::release by a greenlet that does not hold it — only the owner may release");
    }
    if (--count_ == 0) {
        owner_ = nullptr;
        sem_.release();
    }
}

bool RLock::is_owned() const noexcept {
    return owner_ == me();
}

}  // namespace gev
