#include <geventpp/runtime/event.hpp>

namespace gev {

void Event::set() noexcept {
    detail::SpinGuard lk(lock_);
    set_ready(lk);
}

void Event::clear() noexcept {
    detail::SpinGuard lk(lock_);
    clear_ready(lk);
}

bool Event::wait(Seconds timeout) {
    return wait_ready(timeout.deadline());
}

}  // namespace gev
