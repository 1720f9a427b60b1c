#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("threadpool_runs_blocking_work_while_other_greenlets_keep_running") {
    gev::run([] {
        gev::ThreadPool pool(2);
        int ticks = 0;
        auto ticker = gev::spawn([&] {
            for (;;) {
                gev::sleep(5ms);
                ++ticks;
            }
        });
        const auto caller = std::this_thread::get_id();
        auto worker_id = pool.apply([] {
            std::this_thread::sleep_for(100ms);  // blocks the worker thread, not the hub
            return std::this_thread::get_id();
        });
        CHECK(worker_id != caller);
        CHECK(ticks >= 5);
        ticker.kill();
    });
}

TEST_CASE("threadpool_spawn_returns_an_async_result_and_exceptions_come_back") {
    gev::run([] {
        gev::ThreadPool pool(3);
        std::vector<gev::AsyncResult<int>> rs;
        for (int i = 0; i < 10; ++i) rs.push_back(pool.spawn([i] { return i * i; }));
        int sum = 0;
        for (auto& r : rs) sum += r.get();
        CHECK(sum == 285);
        CHECK_THROWS_WITH_AS(pool.apply([]() -> int { throw std::runtime_error("in thread"); }), "in thread",
                             std::runtime_error);
    });
}

TEST_CASE("threadpool_of_zero_threads_is_a_usage_error") {
    CHECK_THROWS_AS(gev::ThreadPool(0), gev::UsageError);
}
