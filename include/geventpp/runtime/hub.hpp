// The hub: one per OS thread, running that thread's greenlets.
//
//   int main() {
//       return gev::run([] {            // the first greenlet of this thread's hub
//           auto g = gev::spawn(work);
//           g.join();
//           return 0;
//       });
//   }
//
// A hub is an asio::io_context plus a Boost.Fiber scheduling algorithm: ready greenlets run
// round-robin; when none is ready the hub blocks in the io_context until a timer, I/O or a
// wake-up from another thread (no busy polling). While greenlets stay ready, the io_context is
// polled at most every 100 µs, so a busy greenlet cannot starve I/O. See docs/hub.md.
//
// gev::run(fn) runs fn as a greenlet and returns its value (or rethrows its exception) once it
// finishes; greenlets still alive then are killed (GreenletExit) and joined, so their
// destructors run. By then fn's locals are gone: kill or join the greenlets that use them
// before fn returns (a gev::Group makes that one call). Hubs on different threads share nothing; the thread-safe ways
// in are Hub::post(), and the cross-hub primitives (Event, AsyncResult, Queue, locks, ThreadPool).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <geventpp/runtime/greenlet.hpp>
#include <memory>
#include <utility>

namespace gev {

namespace detail {
struct HubAccess;
}

class Hub {
public:
    // The hub of the calling thread, or nullptr if it runs none.
    static Hub* current() noexcept;

    // The hub's io_context, for Asio objects that should run on this hub.
    boost::asio::io_context& io() noexcept;
    // Greenlets spawned on this hub and not finished yet.
    std::size_t greenlet_count() const noexcept;
    // Runs fn in this hub's loop, from any thread. fn must not block; an exception it throws
    // is reported on stderr.
    void post(std::function<void()> fn);

    Hub();
    ~Hub();
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

private:
    struct Impl;
    friend struct detail::HubAccess;  // the runtime's own way in
    std::unique_ptr<Impl> impl_;
};

namespace detail {

// Enters the calling thread's hub for the length of gev::run.
class HubRun {
public:
    HubRun();
    // Kills the greenlets still alive, waits for them, and leaves the hub.
    ~HubRun();
    HubRun(const HubRun&) = delete;
    HubRun& operator=(const HubRun&) = delete;
    // Blocks the thread's main context until `main` finished, running the hub meanwhile.
    void wait(GreenletState& main);
};

}  // namespace detail

// Runs fn() as the first greenlet of a hub on the calling thread and returns its result once it
// finishes, rethrowing its exception. Throws UsageError when called inside a running hub.
template <class F>
auto run(F&& fn) {
    detail::HubRun hub;
    auto main = detail::make_greenlet(SpawnOptions{"main", 0}, false, std::forward<F>(fn));
    hub.wait(detail::GreenletAccess::state(main));
    return main.get();
}

}  // namespace gev
