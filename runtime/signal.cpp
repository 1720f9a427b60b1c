#include <boost/asio/signal_set.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/signal.hpp>

namespace gev {

struct SignalHandler::State : std::enable_shared_from_this<State> {
    State(boost::asio::io_context& io, int signum, std::function<void()> f) : set(io, signum), fn(std::move(f)) {}
    boost::asio::signal_set set;
    std::function<void()> fn;

    void arm() {
        set.async_wait([self = shared_from_this()](const boost::system::error_code& ec, int) {
            if (ec) return;  // cancelled
            spawn(self->fn);
            self->arm();
        });
    }
};

SignalHandler::SignalHandler(int signum, std::function<void()> fn) {
    detail::require_hub("gev::signal_handler");
    state_ = std::make_shared<State>(Hub::current()->io(), signum, std::move(fn));
    state_->arm();
}

SignalHandler::~SignalHandler() {
    cancel();
}

SignalHandler::SignalHandler(SignalHandler&&) noexcept = default;

SignalHandler& SignalHandler::operator=(SignalHandler&& o) noexcept {
    cancel();
    state_ = std::move(o.state_);
    return *this;
}

void SignalHandler::cancel() noexcept {
    if (!state_) return;
    boost::system::error_code ec;
    state_->set.cancel(ec);
    state_.reset();
}

}  // namespace gev
