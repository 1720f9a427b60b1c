#include <doctest/doctest.h>

#include <atomic>
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

TEST_CASE("threadpool_map_and_imap_keep_input_order_imap_unordered_yields_as_they_finish") {
    gev::run([] {
        gev::ThreadPool pool(4);
        const std::vector<int> delays{40, 1, 20, 5};
        auto slow_square = [](int ms) {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return ms * ms;
        };
        CHECK(pool.map(slow_square, delays) == std::vector<int>{1600, 1, 400, 25});
        std::vector<int> ordered;
        for (int r : pool.imap(slow_square, delays)) ordered.push_back(r);
        CHECK(ordered == std::vector<int>{1600, 1, 400, 25});
        std::vector<int> unordered;
        for (int r : pool.imap_unordered(slow_square, delays)) unordered.push_back(r);
        CHECK(unordered == std::vector<int>{1, 25, 400, 1600});
        auto failing = pool.imap(
            [](int i) {
                if (i == 2) throw std::runtime_error("two");
                return i;
            },
            std::vector<int>{1, 2, 3});
        CHECK(failing.next() == 1);
        CHECK_THROWS_WITH_AS(failing.next(), "two", std::runtime_error);
        CHECK(failing.next() == 3);
        CHECK_FALSE(failing.next());
    });
}

TEST_CASE("threadpool_apply_async_returns_at_once_and_calls_back_in_the_hub") {
    gev::run([] {
        gev::ThreadPool pool(1);
        const auto hub_thread = std::this_thread::get_id();
        std::thread::id callback_thread;
        int got = 0;
        gev::Event called;
        auto r = pool.apply_async(
            [] {
                std::this_thread::sleep_for(20ms);
                return 7;
            },
            [&](int v) {
                got = v;
                callback_thread = std::this_thread::get_id();
                called.set();
            });
        CHECK_FALSE(r.ready());
        CHECK(r.get() == 7);
        CHECK(called.wait(5s));
        CHECK(got == 7);
        CHECK(callback_thread == hub_thread);
        bool failure_called = false;
        auto bad =
            pool.apply_async([]() -> int { throw std::runtime_error("x"); }, [&](int) { failure_called = true; });
        CHECK_THROWS_AS(bad.get(), std::runtime_error);
        gev::sleep(10ms);
        CHECK_FALSE(failure_called);  // the callback is for success, as gevent's
    });
}

TEST_CASE("threadpool_resize_grows_and_shrinks_the_threads") {
    gev::run([] {
        gev::ThreadPool pool(1);
        std::atomic<int> running{0}, most{0};
        auto task = [&] {
            const int now = ++running;
            for (int m = most; now > m && !most.compare_exchange_weak(m, now);) {
            }
            std::this_thread::sleep_for(30ms);
            --running;
        };
        pool.resize(4);
        CHECK(pool.maxsize() == 4);
        std::vector<gev::AsyncResult<>> rs;
        for (int i = 0; i < 8; ++i) rs.push_back(pool.spawn(task));
        for (auto& r : rs) r.get();
        CHECK(most == 4);
        pool.resize(2);
        CHECK(pool.maxsize() == 2);
        most = 0;
        rs.clear();
        for (int i = 0; i < 8; ++i) rs.push_back(pool.spawn(task));
        for (auto& r : rs) r.get();
        CHECK(most <= 2);
        CHECK_THROWS_AS(pool.resize(0), gev::UsageError);
    });
}
