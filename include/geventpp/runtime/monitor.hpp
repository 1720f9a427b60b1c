// Blocked-hub detection: gevent's monitor thread.
//
// A watchdog thread notices when one greenlet has run for longer than a threshold without
// yielding to its hub (a CPU-bound loop, or a call that blocks the OS thread) and reports, once
// per incident, the greenlet's name and a backtrace of the hub thread:
//
//   geventpp: greenlet 'worker' has run 153 ms without yielding; its hub is blocked.
//
// Opt-in: set GEV_MONITOR=1 in the environment (GEV_MONITOR_THRESHOLD_MS overrides the 100 ms
// default), or call gev::monitor::start(). Thread-safe.
#pragma once

#include <chrono>

namespace gev::monitor {

struct MonitorOptions {
    std::chrono::milliseconds threshold{100};
    // Where reports go.
    int fd = 2;
};

// Starts the watchdog (or changes its options). Every hub running gev::run is watched.
void start(MonitorOptions options = {});
// Stops the watchdog and waits for its thread.
void stop();
bool running();

}  // namespace gev::monitor
