#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <geventpp/runtime/monitor.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "detail/greenlet_props.hpp"
#include "detail/hub_impl.hpp"
#include "detail/monitor_registry.hpp"

namespace gev {
namespace {

using monitor::MonitorOptions;

struct Watched {
    Hub* hub;
    std::uint64_t switches;
    Clock::time_point since;
    bool reported;
};

std::atomic<int> report_fd{2};

int backtrace_signal() {
    return SIGRTMIN + 4;
}

// Runs on the blocked hub's thread, so the greenlet it names is the one running there (the
// monitor thread must not look at another thread's greenlets: they may be gone by then).
void on_backtrace_signal(int) {
    char name[128] = "<hub>";
    if (auto* g = detail::current_greenlet()) g->format_name(name, sizeof name);
    Hub* hub = Hub::current();
    char line[256];
    const int len = std::snprintf(line, sizeof line,
                                  "geventpp: greenlet '%s' has run %ld ms without yielding; its hub is blocked. "
                                  "Backtrace of the hub thread:\n",
                                  name, hub ? detail::HubAccess::impl(*hub).blocked_ms.load() : 0L);
    const int fd = report_fd.load();
    [[maybe_unused]] auto r = ::write(fd, line, static_cast<std::size_t>(std::min<int>(len, sizeof line - 1)));
    void* frames[64];
    const int n = ::backtrace(frames, 64);
    ::backtrace_symbols_fd(frames, n, fd);
}

class Monitor {
public:
    static Monitor& get() {
        static Monitor m;
        return m;
    }

    void attach(Hub& hub) {
        std::lock_guard lk(mutex_);
        hubs_.push_back({&hub, detail::HubAccess::impl(hub).switches.load(), Clock::now(), false});
        if (!env_checked_) {
            env_checked_ = true;
            if (const char* v = std::getenv("GEV_MONITOR"); v && *v && std::string(v) != "0") {
                options_ = MonitorOptions{};
                if (const char* t = std::getenv("GEV_MONITOR_THRESHOLD_MS")) {
                    options_.threshold = std::chrono::milliseconds(std::max(1, std::atoi(t)));
                }
                start_locked();
            }
        }
    }

    void detach(Hub& hub) {
        std::lock_guard lk(mutex_);
        std::erase_if(hubs_, [&](const Watched& w) { return w.hub == &hub; });
    }

    void start(MonitorOptions o) {
        std::lock_guard lk(mutex_);
        options_ = o;
        start_locked();
    }

    void stop() {
        std::thread t;
        {
            std::lock_guard lk(mutex_);
            stopping_ = true;
            t = std::move(thread_);
        }
        cv_.notify_all();
        if (t.joinable()) t.join();
        std::lock_guard lk(mutex_);
        stopping_ = false;
    }

    bool running() {
        std::lock_guard lk(mutex_);
        return thread_.joinable();
    }

private:
    void start_locked() {
        report_fd.store(options_.fd);
        if (thread_.joinable()) return;
        // backtrace() loads its unwinder on first use; do it here, not in a signal handler.
        void* warm[1];
        ::backtrace(warm, 1);
        struct sigaction sa {};
        sa.sa_handler = on_backtrace_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ::sigaction(backtrace_signal(), &sa, nullptr);
        thread_ = std::thread([this] { loop(); });
    }

    void loop() {
        std::unique_lock lk(mutex_);
        while (!stopping_) {
            const auto period = std::max(std::chrono::milliseconds(1), options_.threshold / 4);
            cv_.wait_for(lk, period);
            if (stopping_) break;
            const auto now = Clock::now();
            for (auto& w : hubs_) check(w, now);
        }
    }

    void check(Watched& w, Clock::time_point now) {
        auto& impl = detail::HubAccess::impl(*w.hub);
        const auto switches = impl.switches.load(std::memory_order_relaxed);
        if (switches != w.switches || impl.idle.load(std::memory_order_relaxed)) {
            w.switches = switches;
            w.since = now;
            w.reported = false;
            return;
        }
        if (w.reported || now - w.since < options_.threshold) return;
        w.reported = true;
        impl.blocked_ms.store(
            static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(now - w.since).count()));
        ::pthread_kill(impl.thread, backtrace_signal());
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Watched> hubs_;
    MonitorOptions options_;
    std::thread thread_;
    bool stopping_ = false;
    bool env_checked_ = false;
};

}  // namespace

namespace monitor {
void start(MonitorOptions options) {
    Monitor::get().start(options);
}
void stop() {
    Monitor::get().stop();
}
bool running() {
    return Monitor::get().running();
}
}  // namespace monitor

namespace detail {
void monitor_attach(Hub& hub) {
    Monitor::get().attach(hub);
}
void monitor_detach(Hub& hub) {
    Monitor::get().detach(hub);
}
}  // namespace detail

}  // namespace gev
