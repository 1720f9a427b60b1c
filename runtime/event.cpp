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

std::uint64_t Event::rawlink(std::function<void(Event&)> fn) {
    return links_.add([this, fn = std::move(fn)] { fn(*this); });
}

}  // namespace gev
