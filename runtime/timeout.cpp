#include <cstdio>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/timeout.hpp>

namespace gev {

Timeout::Expired::Expired(const Timeout* source, Clock::duration span) : source_(source) {
    std::snprintf(what_, sizeof what_, "Timeout: %g seconds expired", std::chrono::duration<double>(span).count());
}

Timeout::Timeout(Seconds seconds) : owner_(detail::current_greenlet()), span_(seconds.span()) {
    if (!owner_) {
        throw UsageError("gev::Timeout made outside a greenlet — make it inside gev::run(...) or a greenlet it spawns");
    }
    deadline = seconds.deadline();
    armed = static_cast<bool>(seconds);
    owner_->push_timeout(*this);
}

Timeout::~Timeout() {
    owner_->pop_timeout(*this);
}

void Timeout::cancel() noexcept {
    armed = false;
}

void Timeout::raise() {
    if (exception_) std::rethrow_exception(exception_);
    throw Expired(this, span_);
}

}  // namespace gev
