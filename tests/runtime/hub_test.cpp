#include <doctest/doctest.h>
#include <sys/resource.h>
#include <time.h>

#include <atomic>
#include <geventpp/geventpp.hpp>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {
std::chrono::microseconds process_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) +
           std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(ts.tv_nsec));
}
}  // namespace

TEST_CASE("an_idle_hub_uses_no_cpu") {
    gev::run([] {
        auto sleeper = gev::spawn([] { gev::sleep(10s); });
        gev::sleep(10ms);
        const auto cpu0 = process_cpu();
        gev::sleep(500ms);
        const auto used = process_cpu() - cpu0;
        CHECK(used < 50ms);  // a spinning hub would use ~500 ms
        sleeper.kill();
    });
}

TEST_CASE("a_greenlet_looping_on_sleep_zero_does_not_starve_timers") {
    gev::run([] {
        std::atomic<bool> stop{false};
        auto spinner = gev::spawn([&] {
            while (!stop) gev::sleep(0);
        });
        const auto start = gev::Clock::now();
        gev::sleep(20ms);
        CHECK(gev::Clock::now() - start < 1s);
        stop = true;
        spinner.join();
    });
}

TEST_CASE("post_from_another_thread_runs_on_the_hub_even_while_greenlets_stay_busy") {
    gev::run([] {
        gev::Hub* hub = gev::Hub::current();
        REQUIRE(hub != nullptr);
        std::atomic<bool> ran{false};
        std::thread poster([&] { hub->post([&] { ran = true; }); });
        poster.join();
        const auto start = gev::Clock::now();
        while (!ran && gev::Clock::now() - start < 2s) gev::sleep(0);
        CHECK(ran);
    });
}

TEST_CASE("hubs_on_several_threads_work_side_by_side") {
    std::vector<std::thread> threads;
    std::atomic<int> total{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            total += gev::run([] {
                std::vector<gev::Greenlet<int>> gs;
                for (int i = 0; i < 100; ++i)
                    gs.push_back(gev::spawn([i] {
                        gev::sleep(1ms);
                        return i;
                    }));
                int s = 0;
                for (auto& g : gs) s += g.get();
                return s;
            });
        });
    }
    for (auto& t : threads) t.join();
    CHECK(total == 4 * 4950);
}

TEST_CASE("greenlet_count_tracks_live_greenlets") {
    gev::run([] {
        auto* hub = gev::Hub::current();
        const auto base = hub->greenlet_count();
        auto g = gev::spawn([] { gev::sleep(1s); });
        CHECK(hub->greenlet_count() == base + 1);
        g.kill();
        CHECK(hub->greenlet_count() == base);
    });
}
