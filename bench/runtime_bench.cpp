// Runtime micro-benchmarks: each row beside its limit from the same run.
//
//   switch, raw Boost.Context fiber        the floor: two fibers resuming each other
//   switch, bare Boost.Fiber yield         round_robin, two fibers yielding
//   switch, gev::sleep(0)                  ours, two greenlets yielding   (target <= 1.5x Boost.Fiber)
//   round trip, gev::Channel               two greenlets passing an int back and forth
//   spawn+join                             1,000,000 greenlets, 1,000 at a time (target < 1 s)
//   Queue put+get                          1,000,000 items through an unbounded Queue
//   Event wake-up across hubs              two hubs on two threads ping-ponging via Events
//   gev::local read                        a greenlet reading its own value, beside a thread_local
//
// Each figure is the median of 5 runs. Run: make bench (or build/bench/runtime_bench).
#include <algorithm>
#include <atomic>
#include <boost/context/fiber.hpp>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <geventpp/geventpp.hpp>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double median_of(int runs, const std::function<double()>& once) {
    std::vector<double> v;
    for (int i = 0; i < runs; ++i) v.push_back(once());
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <class F>
double ns_per(long n, F&& body) {
    const auto t0 = Clock::now();
    body();
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

constexpr long switches = 2'000'000;

double raw_context_switch() {
    namespace ctx = boost::context;
    return ns_per(switches, [] {
        long count = 0;
        ctx::fiber f([&](ctx::fiber&& main) {
            for (;;) {
                ++count;
                main = std::move(main).resume();
            }
            return std::move(main);
        });
        for (long i = 0; i < switches / 2; ++i) f = std::move(f).resume();
    });
}

double boost_fiber_yield() {
    double result = 0;
    std::thread t([&] {  // a fresh thread: Boost.Fiber's default round_robin scheduler
        result = ns_per(switches, [] {
            auto body = [] {
                for (long i = 0; i < switches / 2; ++i) boost::this_fiber::yield();
            };
            boost::fibers::fiber a(body), b(body);
            a.join();
            b.join();
        });
    });
    t.join();
    return result;
}

double gev_sleep0() {
    return gev::run([] {
        return ns_per(switches, [] {
            auto body = [] {
                for (long i = 0; i < switches / 2; ++i) gev::sleep(0);
            };
            gev::joinall({gev::spawn(body), gev::spawn(body)});
        });
    });
}

double gev_channel_round_trip() {
    constexpr long trips = 500'000;
    return gev::run([] {
        return ns_per(trips, [] {
            gev::Channel<long> ping, pong;
            auto echo = gev::spawn([&] {
                for (long i = 0; i < trips; ++i) pong.put(ping.get());
            });
            for (long i = 0; i < trips; ++i) {
                ping.put(i);
                pong.get();
            }
            echo.join();
        });
    });
}

double gev_spawn_join_seconds() {
    constexpr long total = 1'000'000, batch = 1000;
    return gev::run([] {
        const auto t0 = Clock::now();
        std::vector<gev::Greenlet<long>> gs;
        gs.reserve(batch);
        long sum = 0;
        for (long done = 0; done < total; done += batch) {
            for (long i = 0; i < batch; ++i) gs.push_back(gev::spawn([i] { return i; }));
            for (auto& g : gs) sum += g.get();
            gs.clear();
        }
        if (sum < 0) std::puts("");
        return std::chrono::duration<double>(Clock::now() - t0).count();
    });
}

double gev_queue_put_get() {
    constexpr long items = 1'000'000;
    return gev::run([] {
        return ns_per(items, [] {
            gev::Queue<long> q;
            auto consumer = gev::spawn([&] {
                long s = 0;
                for (long v : q) s += v;
                return s;
            });
            for (long i = 0; i < items; ++i) {
                q.put(i);
                if (i % 256 == 0) gev::sleep(0);
            }
            q.close();
            consumer.join();
        });
    });
}

double cross_hub_wakeup() {
    constexpr long trips = 20'000;
    gev::Event ready;
    std::vector<gev::Event> ping(trips), pong(trips);
    std::thread other([&] {
        gev::run([&] {
            ready.set();
            for (long i = 0; i < trips; ++i) {
                ping[i].wait();
                pong[i].set();
            }
        });
    });
    const double ns = gev::run([&] {
        ready.wait();
        return ns_per(trips * 2, [&] {
            for (long i = 0; i < trips; ++i) {
                ping[i].set();
                pong[i].wait();
            }
        });
    });
    other.join();
    return ns;
}

constexpr long reads = 20'000'000;
thread_local long t_value = 1;

// The empty asm makes the compiler keep `sum` and forget what memory holds, so each read is done.
double thread_local_read() {
    long sum = 0;
    return ns_per(reads, [&] {
        for (long i = 0; i < reads; ++i) {
            sum += t_value;
            asm volatile("" : "+r"(sum) : : "memory");
        }
    });
}

double gev_local_read() {
    gev::local<long> value;
    return gev::run([&] {
        *value = 1;
        long sum = 0;
        return ns_per(reads, [&] {
            for (long i = 0; i < reads; ++i) {
                sum += *value;
                asm volatile("" : "+r"(sum) : : "memory");
            }
        });
    });
}

void row(const char* what, double ours, const char* unit, const char* peer = nullptr, double peer_value = 0) {
    if (peer) {
        std::printf("%-34s %10.1f %-4s  %-30s %10.1f %-4s  ratio %.2fx\n", what, ours, unit, peer, peer_value, unit,
                    ours / peer_value);
    } else {
        std::printf("%-34s %10.1f %-4s\n", what, ours, unit);
    }
}

}  // namespace

int main() {
    const int runs = 5;
    const double raw = median_of(runs, raw_context_switch);
    const double fiber = median_of(runs, boost_fiber_yield);
    const double ours = median_of(runs, gev_sleep0);
    std::printf("geventpp runtime benchmarks (median of %d runs; ratio = ours / peer, lower is better)\n\n", runs);
    row("switch, raw Boost.Context fiber", raw, "ns");
    row("switch, bare Boost.Fiber yield", fiber, "ns", "vs raw Boost.Context", raw);
    row("switch, gev::sleep(0)", ours, "ns", "vs bare Boost.Fiber yield", fiber);
    row("round trip, gev::Channel", median_of(runs, gev_channel_round_trip), "ns", "vs 2 bare Boost.Fiber yields",
        2 * fiber);
    const double spawn = median_of(runs, gev_spawn_join_seconds);
    row("1,000,000 spawn+join", spawn * 1000, "ms", "vs target 1 s", 1000);
    row("Queue put+get, per item", median_of(runs, gev_queue_put_get), "ns");
    row("Event wake-up across hubs", median_of(runs, cross_hub_wakeup), "ns");
    row("gev::local read", median_of(runs, gev_local_read), "ns", "vs a thread_local read",
        median_of(runs, thread_local_read));
    return 0;
}
