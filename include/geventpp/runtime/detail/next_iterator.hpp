// An input iterator over anything with `std::optional<T> next()`: Queue, IMap and IWait use it
// so that `for (auto& x : source)` blocks for each item and stops when next() has none.
#pragma once

#include <cstddef>
#include <optional>

namespace gev::detail {

template <class Source, class T>
class NextIterator {
public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;

    NextIterator() = default;
    explicit NextIterator(Source* s) : s_(s) { ++*this; }

    T& operator*() { return *cur_; }
    NextIterator& operator++() {
        cur_ = s_->next();
        if (!cur_) s_ = nullptr;
        return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const NextIterator& a, const NextIterator& b) noexcept { return a.s_ == b.s_; }

private:
    Source* s_ = nullptr;
    std::optional<T> cur_;
};

}  // namespace gev::detail
