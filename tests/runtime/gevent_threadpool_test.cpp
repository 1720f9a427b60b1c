// gevent's src/gevent/tests/test__threadpool.py, ported case by case to gev::ThreadPool. Cases
// threadpool_test.cpp already covers (apply_raises, the zero-size error) are not repeated here.
// gevent runs TestPool with sizes 1, 2, 3 and 10; the cases below loop over the same sizes.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <geventpp/geventpp.hpp>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gevent_port_helpers.hpp"

using namespace std::chrono_literals;
using namespace gevent_port;

namespace {

int sqr(int x) {
    return x * x;
}

int sqr_random_sleep(int x) {
    thread_local std::minstd_rand gen(std::random_device{}());
    std::this_thread::sleep_for(std::chrono::milliseconds(gen() % 100));
    return x * x;
}

}  // namespace

// test__threadpool.py PoolBasicTests.test_execute_async
TEST_CASE("threadpool_apply_async_runs_every_queued_function") {
    gev::run([] {
        gev::ThreadPool pool(2);
        std::mutex m;
        std::vector<int> r;
        auto append = [&](int v) {
            std::lock_guard lk(m);
            r.push_back(v);
        };
        pool.spawn(append, 1).get(5s);
        CHECK(r == std::vector<int>{1});
        int callbacks = 0;
        gev::Event all_called;
        std::vector<gev::AsyncResult<>> rs;
        for (int v : {2, 3, 4}) {
            rs.push_back(pool.apply_async([&append, v] { append(v); },
                                          [&] {
                                              if (++callbacks == 3) all_called.set();
                                          }));
        }
        for (auto& x : rs) x.get(5s);
        CHECK(all_called.wait(5s));
        std::lock_guard lk(m);
        std::sort(r.begin(), r.end());
        CHECK(r == std::vector<int>{1, 2, 3, 4});
        CHECK(callbacks == 3);
    });
}

// test__threadpool.py PoolBasicTests.test_apply, TestPool.test_apply
TEST_CASE("threadpool_apply_passes_the_arguments_and_returns_the_result") {
    gev::run([] {
        gev::ThreadPool pool(1);
        CHECK(pool.apply([](int a) { return std::pair<std::string, int>("foo", a); }, 1) ==
              std::pair<std::string, int>("foo", 1));
        CHECK(pool.apply(sqr, 5) == 25);
    });
}

// test__threadpool.py TestPool.test_map (sizes 1, 2, 3, 10)
TEST_CASE("threadpool_map_returns_the_results_in_input_order_for_every_size") {
    for (auto size : pool_sizes) {
        CAPTURE(size);
        gev::run([size] {
            gev::ThreadPool pool(size);
            CHECK(pool.map(sqr, range(10)) == squares(10));
            CHECK(pool.map(sqr, range(100)) == squares(100));
        });
    }
}

// test__threadpool.py TestPool.test_async, test_async_callback
TEST_CASE("threadpool_apply_async_gives_the_result_and_calls_back_with_it") {
    gev::run([] {
        gev::ThreadPool pool(1);
        std::vector<int> result;
        gev::Event called;
        auto slow_sqr = [] {
            std::this_thread::sleep_for(80ms);
            return sqr(7);
        };
        auto res = pool.apply_async(slow_sqr, [&](int v) {
            result.push_back(v);
            called.set();
        });
        CHECK(res.get(5s) == 49);
        // gevent: one sleep(0) runs the callback. Here it is posted to the hub's loop, which a
        // busy hub polls at most every 100 us, so it may take a little longer.
        CHECK(called.wait(5s));
        CHECK(result == std::vector<int>{49});
    });
}

// test__threadpool.py TestPool.test_async_timeout
TEST_CASE("threadpool_result_get_with_a_timeout_expires_while_the_work_runs") {
    gev::run([] {
        gev::ThreadPool pool(1);
        auto res = pool.spawn([] {
            std::this_thread::sleep_for(300ms);
            return sqr(6);
        });
        CHECK_THROWS_AS(res.get(0.035), gev::Timeout::Expired);
        CHECK(res.get(5s) == 36);  // the work itself still completes
    });
}

// test__threadpool.py TestPool.test_imap_list_small, test_imap_it_small, test_imap_it_large
TEST_CASE("threadpool_imap_yields_every_result_in_order_then_ends") {
    for (auto size : pool_sizes) {
        CAPTURE(size);
        gev::run([size] {
            gev::ThreadPool pool(size);
            CHECK(collect(pool.imap(sqr, range(10))) == squares(10));
            for (int n : {10, 1000}) CHECK(next_gives_squares_then_ends(pool.imap(sqr, range(n)), n));
        });
    }
}

// test__threadpool.py TestPool.test_imap_random, test_imap_unordered_random
TEST_CASE("threadpool_imaps_of_random_length_work_give_every_result") {
    for (auto size : pool_sizes) {
        CAPTURE(size);
        gev::run([size] {
            gev::ThreadPool pool(size);
            CHECK(collect(pool.imap(sqr_random_sleep, range(10))) == squares(10));
            auto unordered = collect(pool.imap_unordered(sqr_random_sleep, range(10)));
            std::sort(unordered.begin(), unordered.end());
            CHECK(unordered == squares(10));
        });
    }
}

// test__threadpool.py TestPool.test_imap_unordered, test_imap_unordered_gc
TEST_CASE("threadpool_imap_unordered_gives_every_result_once_then_ends") {
    for (auto size : pool_sizes) {
        CAPTURE(size);
        gev::run([size] {
            gev::ThreadPool pool(size);
            for (int round = 0; round < 2; ++round) {
                auto got = collect(pool.imap_unordered(sqr, range(1000)));
                std::sort(got.begin(), got.end());
                CHECK(got == squares(1000));
            }
            auto it = pool.imap_unordered(sqr, range(10));
            std::vector<int> got;
            for (int i = 0; i < 10; ++i) got.push_back(it.next().value());
            CHECK_FALSE(it.next());
            std::sort(got.begin(), got.end());
            CHECK(got == squares(10));
        });
    }
}

// test__threadpool.py TestPool.test_imap_unordered_sleep
TEST_CASE("threadpool_imap_unordered_yields_in_completion_order") {
    for (auto size : pool_sizes) {
        CAPTURE(size);
        gev::run([size] {
            gev::ThreadPool pool(size);
            auto tenths_sleep = [](int x) {
                std::this_thread::sleep_for(std::chrono::milliseconds(x * 50));
                return std::to_string(x);
            };
            std::vector<std::string> result;
            for (auto& s : pool.imap_unordered(tenths_sleep, std::vector<int>{10, 1, 3})) result.push_back(s);
            if (size == 1) {
                CHECK(result == std::vector<std::string>{"10", "1", "3"});
            } else {
                CHECK(result == std::vector<std::string>{"1", "3", "10"});
            }
        });
    }
}

// test__threadpool.py TestPool2.test_recursive_apply
TEST_CASE("threadpool_apply_from_a_worker_thread_of_the_same_pool") {
    gev::run([] {
        gev::ThreadPool pool(2);
        auto b = [] {
            std::this_thread::sleep_for(1ms);
            return std::string("B");
        };
        CHECK(pool.apply([&] { return pool.apply(b); }) == "B");
    });
}

// test__threadpool.py TestSpawn.test_basics
TEST_CASE("threadpool_size_counts_queued_and_running_tasks") {
    gev::run([] {
        gev::ThreadPool pool(1);
        CHECK(pool.size() == 0);
        std::mutex m;
        std::vector<std::string> log;
        gev::Event release_a, release_b;
        auto wait_n_log = [&](std::string item, gev::Event& gate) {
            gate.wait(5s);
            std::lock_guard lk(m);
            log.push_back(std::move(item));
        };
        auto a = pool.spawn(wait_n_log, std::string("a"), std::ref(release_a));
        CHECK(pool.size() == 1);
        auto b = pool.spawn(wait_n_log, std::string("b"), std::ref(release_b));
        CHECK(pool.size() == 2);  // one thread, two tasks: the second waits in the queue
        release_a.set();
        a.get(5s);
        {
            std::lock_guard lk(m);
            CHECK(log == std::vector<std::string>{"a"});
        }
        CHECK(pool.size() >= 1);
        release_b.set();
        b.get(5s);
        for (int i = 0; i < 1000 && pool.size() != 0; ++i) gev::sleep(1ms);
        CHECK(pool.size() == 0);
        std::lock_guard lk(m);
        CHECK(log == std::vector<std::string>{"a", "b"});
    });
}

// test__threadpool.py TestSpawn.test_cannot_spawn_from_other_thread: gevent forbids it
// (InvalidThreadUseError); a gev::ThreadPool takes work from any thread, and the result comes back.
TEST_CASE("threadpool_spawn_from_another_pools_worker_thread_works") {
    gev::run([] {
        gev::ThreadPool pool1(1), pool2(2);
        auto res = pool1.spawn([&] { return pool2.spawn([] { return std::string("Hi"); }).get(5s); });
        CHECK(res.get(5s) == "Hi");
    });
}
