#include <geventpp/runtime/wait.hpp>

namespace gev {

IWait::IWait(std::vector<Waitable> objects, Seconds timeout)
    : objects_(std::move(objects)), slots_(objects_.size()), deadline_(timeout.deadline()) {
    for (std::size_t i = 0; i < objects_.size(); ++i) {
        slots_[i].owner = this;
        objects_[i].readiness().add_listener(slots_[i], i);
    }
}

IWait::~IWait() {
    for (std::size_t i = 0; i < objects_.size(); ++i) objects_[i].readiness().remove_listener(slots_[i]);
}

void IWait::on_ready(std::size_t index) noexcept {
    detail::SpinGuard lk(lock_);
    ready_.push_back(index);
    waiters_.notify_one();
}

std::optional<std::size_t> IWait::next() {
    if (yielded_ == objects_.size()) return std::nullopt;
    detail::SpinGuard lk(lock_);
    while (ready_.empty()) {
        if (!waiters_.wait(lk, deadline_) && ready_.empty()) return std::nullopt;
    }
    const auto i = ready_.front();
    ready_.pop_front();
    ++yielded_;
    return i;
}

std::vector<std::size_t> wait(std::vector<Waitable> objects, Seconds timeout, std::optional<std::size_t> count) {
    const std::size_t want = count.value_or(objects.size());
    std::vector<std::size_t> out;
    IWait it(std::move(objects), timeout);
    while (out.size() < want) {
        auto i = it.next();
        if (!i) break;
        out.push_back(*i);
    }
    return out;
}

}  // namespace gev
