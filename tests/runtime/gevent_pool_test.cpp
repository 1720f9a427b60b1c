// gevent's src/gevent/tests/test__pool.py, ported case by case to gev::Pool. Cases
// pool_test.cpp already covers are not repeated here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gevent_port_helpers.hpp"

using namespace std::chrono_literals;
using namespace gevent_port;

namespace {

struct ExpectedException : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int squared(int x) {
    return x * x;
}

}  // namespace

// test__pool.py TestCoroutinePool.test_apply_raises
TEST_CASE("pool_apply_rethrows_the_function_exception") {
    gev::run([] {
        gev::Pool pool(1);
        CHECK_THROWS_AS(pool.apply([] { throw ExpectedException("raiser"); }), ExpectedException);
        CHECK(pool.free_count() == 1);
    });
}

// test__pool.py TestCoroutinePool.test_multiple_coros
TEST_CASE("a_pool_consumer_waits_for_a_producer_spawned_after_it") {
    gev::run([] {
        gev::Pool pool(2);
        gev::Event evt;
        std::vector<std::string> results;
        auto done = pool.spawn([&] {
            results.push_back("cons1");
            evt.wait();
            results.push_back("cons2");
        });
        pool.apply_async([&] {
            gev::sleep(1ms);
            results.push_back("prod");
            evt.set();
        });
        done.get(5s);
        CHECK(results == std::vector<std::string>{"cons1", "prod", "cons2"});
    });
}

// test__pool.py TestCoroutinePool.test_reentrant
TEST_CASE("pool_apply_from_inside_pool_apply_runs_in_the_caller") {
    gev::run([] {
        gev::Pool pool(1);
        CHECK(pool.apply([&] { return pool.apply([](int a) { return a + 1; }, 5); }) == 6);
        gev::Event evt;
        pool.apply_async([&] { evt.set(); });
        CHECK(evt.wait(5s));
    });
}

// test__pool.py PoolBasicTests.test_execute_async
TEST_CASE("pool_free_count_follows_spawn_and_apply_async") {
    gev::run([] {
        gev::Pool p(2);
        CHECK(p.free_count() == 2);
        std::vector<int> r;
        auto first = p.spawn([&] { r.push_back(1); });
        CHECK(p.free_count() == 1);
        first.get(5s);
        CHECK(r == std::vector<int>{1});
        gev::sleep(0);
        CHECK(p.free_count() == 2);
        p.apply_async([&] { r.push_back(2); });
        CHECK(p.free_count() == 1);
        CHECK(r == std::vector<int>{1});
        p.apply_async([&] { r.push_back(3); });
        CHECK(p.free_count() == 0);
        CHECK(r == std::vector<int>{1});
        p.apply_async([&] { r.push_back(4); });
        CHECK(r == std::vector<int>{1});
        CHECK(p.join(5s));
        gev::sleep(10ms);
        std::sort(r.begin(), r.end());
        CHECK(r == std::vector<int>{1, 2, 3, 4});
    });
}

// test__pool.py PoolBasicTests.test_discard
TEST_CASE("a_discarded_greenlet_gives_its_slot_back") {
    gev::run([] {
        gev::Pool p(1);
        auto first = p.spawn([] { gev::sleep(1000.0); });
        p.discard(first);
        first.kill();
        CHECK(first.dead());
        CHECK(p.size() == 0);
        CHECK(p.free_count() == 1);
    });
}

// test__pool.py PoolBasicTests.test_add_method
TEST_CASE("pool_add_blocks_while_full_until_a_timeout_interrupts_it") {
    gev::run([] {
        gev::Pool p(1);
        auto first = gev::spawn([] { gev::sleep(1000.0); });
        auto second = gev::spawn([] { gev::sleep(1000.0); });
        CHECK(p.free_count() == 1);
        CHECK(p.size() == 0);
        p.add(first);
        CHECK(p.free_count() == 0);
        CHECK(p.size() == 1);
        CHECK_FALSE(gev::Timeout::within(20ms, [&] { p.add(second); }));
        CHECK(p.free_count() == 0);
        CHECK(p.size() == 1);
        gev::killall({first, second});
    });
}

// test__pool.py TestPool.test_empty_map, test_empty_imap, test_empty_imap_unordered
TEST_CASE("map_and_the_imaps_of_nothing_are_empty") {
    gev::run([] {
        gev::Pool pool(1);
        const std::vector<int> none;
        CHECK(pool.map(squared, none).empty());
        std::vector<int> got;
        for (int x : pool.imap(squared, none)) got.push_back(x);
        for (int x : pool.imap_unordered(squared, none)) got.push_back(x);
        CHECK(got.empty());
    });
}

// test__pool.py TestPool.test_imap_unordered_sleep, sizes 1 and 3
TEST_CASE("imap_unordered_yields_in_completion_order_for_the_pool_size") {
    gev::run([] {
        auto run = [](std::size_t size) {
            gev::Pool pool(size);
            std::vector<std::string> result;
            for (auto& s : pool.imap_unordered(
                     [](int x) {
                         gev::sleep(x * 10ms);
                         return std::to_string(x);
                     },
                     std::vector<int>{10, 1, 2}))
                result.push_back(s);
            return result;
        };
        CHECK(run(1) == std::vector<std::string>{"10", "1", "2"});
        CHECK(run(3) == std::vector<std::string>{"1", "2", "10"});
    });
}

// test__pool.py TestPool0.test_wait_full
TEST_CASE("a_pool_of_size_zero_is_full_and_has_nothing_available") {
    gev::run([] {
        gev::Pool p(0);
        CHECK(p.free_count() == 0);
        CHECK(p.full());
        CHECK(p.wait_available(10ms) == 0);
    });
}

// test__pool.py TestJoinEmpty.test
TEST_CASE("join_on_an_empty_pool_returns_true") {
    gev::run([] {
        gev::Pool p(1);
        CHECK(p.join());
    });
}

namespace {

int sqr_random_sleep(int x) {
    gev::sleep(std::chrono::milliseconds(std::rand() % 100));
    return x * x;
}

}  // namespace

// test__pool.py TestCoroutinePool.test_apply, test_apply_async; PoolBasicTests.test_apply;
// TestPool.test_apply
TEST_CASE("pool_apply_returns_the_value_and_apply_async_runs_the_work") {
    gev::run([] {
        gev::Pool pool(2);
        CHECK(pool.apply([] { return std::string("return value"); }) == "return value");
        CHECK(pool.apply([](int a) { return std::pair<std::string, int>("foo", a); }, 1) ==
              std::pair<std::string, int>("foo", 1));
        CHECK(pool.apply(squared, 5) == 25);
        gev::Event done;
        pool.apply_async([&] { done.set(); });
        CHECK(done.wait(5s));
    });
}

// test__pool.py TestPool.test_map (sizes 1, 2, 3, 10)
TEST_CASE("pool_map_returns_the_results_in_input_order_for_every_size") {
    gev::run([] {
        for (auto size : pool_sizes) {
            CAPTURE(size);
            gev::Pool pool(size);
            CHECK(pool.map(squared, range(10)) == squares(10));
            CHECK(pool.map(squared, range(100)) == squares(100));
        }
    });
}

// test__pool.py TestPool.test_async, test_async_callback, test_async_timeout
TEST_CASE("pool_apply_async_result_callback_and_get_timeout") {
    gev::run([] {
        for (auto size : pool_sizes) {
            CAPTURE(size);
            gev::Pool pool(size);
            std::vector<int> result;
            auto slow_sqr = [](int x, gev::Seconds wait) {
                gev::sleep(wait);
                return x * x;
            };
            auto res = pool.apply_async([&] { return slow_sqr(7, 0.082); }, [&](int v) { result.push_back(v); });
            CHECK(res.get(5s) == 49);
            gev::sleep(0);  // lets the callback run
            CHECK(result == std::vector<int>{49});
            auto late = pool.apply_async([&] { return slow_sqr(6, 0.235); });
            CHECK_THROWS_AS(late.get(0.035), gev::Timeout::Expired);
            CHECK(pool.join(5s));
            CHECK(late.get() == 36);
        }
    });
}

// test__pool.py TestPool.test_imap_list_small, test_imap_it_small, test_imap_it_large,
// test_imap_unordered, test_imap_random, test_imap_unordered_random
TEST_CASE("pool_imaps_give_every_result_then_end_for_every_size") {
    gev::run([] {
        for (auto size : pool_sizes) {
            CAPTURE(size);
            gev::Pool pool(size);
            CHECK(collect(pool.imap(squared, range(10))) == squares(10));
            for (int n : {10, 1000}) CHECK(next_gives_squares_then_ends(pool.imap(squared, range(n)), n));
            for (int round = 0; round < 2; ++round) {
                auto got = collect(pool.imap_unordered(squared, range(1000)));
                std::sort(got.begin(), got.end());
                CHECK(got == squares(1000));
            }
            CHECK(collect(pool.imap(sqr_random_sleep, range(10))) == squares(10));
            auto unordered = collect(pool.imap_unordered(sqr_random_sleep, range(10)));
            std::sort(unordered.begin(), unordered.end());
            CHECK(unordered == squares(10));
        }
    });
}

// test__pool.py TestPool.test_terminate: kill() stops the members of a running map_async
TEST_CASE("pool_kill_stops_a_running_map_async") {
    gev::run([] {
        for (auto size : pool_sizes) {
            CAPTURE(size);
            gev::Pool pool(size);
            auto result = pool.map_async(
                [](int) {
                    gev::sleep(10.0);
                    return 0;
                },
                std::vector<int>(size * 2));
            gev::sleep(0.02);
            CHECK(pool.size() == size);
            pool.kill();
            CHECK(pool.empty());
            CHECK(result.join(5s));
        }
    });
}

// test__pool.py TestJoinSleep, TestJoinSleep_raise_error: join gives up after its timeout
TEST_CASE("pool_join_on_a_sleeping_member_times_out") {
    gev::run([] {
        gev::Pool p(1);
        auto g = p.spawn([] { gev::sleep(10.0); });
        CHECK_FALSE(p.join(0.02));
        CHECK_FALSE(p.join(0.02, true));
        g.kill();
    });
}
