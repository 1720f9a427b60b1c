// gev::signal_handler: run a function in a greenlet when a Unix signal arrives,
// gevent.signal_handler.
//
//   auto on_term = gev::signal_handler(SIGTERM, [&] { server.stop(); });
//
// Each time the signal arrives, fn runs in a new greenlet on the hub that installed the
// handler (so it may block). The handler stays installed until the object is destroyed or
// cancel()ed. Must be made inside a hub; not copyable.
#pragma once

#include <functional>
#include <memory>

namespace gev {

class SignalHandler {
public:
    SignalHandler(int signum, std::function<void()> fn);
    ~SignalHandler();
    SignalHandler(SignalHandler&&) noexcept;
    SignalHandler& operator=(SignalHandler&&) noexcept;

    void cancel() noexcept;

    struct State;

private:
    std::shared_ptr<State> state_;
};

inline SignalHandler signal_handler(int signum, std::function<void()> fn) {
    return SignalHandler(signum, std::move(fn));
}

}  // namespace gev
