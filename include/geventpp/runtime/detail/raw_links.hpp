// The rawlink()/unlink() of Event and AsyncResult: one-shot callbacks that run in the loop of
// the hub that registered them once a Readiness becomes ready (gevent's links, which are
// called in the hub and then dropped). Safe to use from any hub or thread.
#pragma once

#include <cstdint>
#include <functional>
#include <geventpp/runtime/detail/readiness.hpp>
#include <memory>
#include <vector>

namespace gev {
class Hub;
}

namespace gev::detail {

class RawLinks {
public:
    explicit RawLinks(Readiness& source) noexcept : source_(source) {}
    // Drops the links that have not run: a callback posted but not run yet is skipped.
    ~RawLinks();
    RawLinks(const RawLinks&) = delete;
    RawLinks& operator=(const RawLinks&) = delete;

    // Calls fn() in the calling thread's hub once the source is ready (soon, if it is now).
    // Throws UsageError outside a hub. Returns an id for remove().
    std::uint64_t add(std::function<void()> fn);
    // Cancels the link `id` if it has not run; unknown or spent ids are ignored.
    void remove(std::uint64_t id) noexcept;

private:
    struct Link;
    Readiness& source_;
    Spinlock lock_;
    std::vector<std::shared_ptr<Link>> links_;
    std::uint64_t next_id_ = 0;
};

}  // namespace gev::detail
