#include <doctest/doctest.h>

#include <algorithm>
#include <geventpp/geventpp.hpp>
#include <set>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("pool_spawn_blocks_while_the_pool_is_full") {
    gev::run([] {
        gev::Pool pool(3);
        int running = 0, most = 0;
        for (int i = 0; i < 10; ++i) {
            pool.spawn([&] {
                most = std::max(most, ++running);
                gev::sleep(2ms);
                --running;
            });
            CHECK(pool.size() <= 3);
        }
        pool.join();
        CHECK(most == 3);
        CHECK(pool.empty());
        CHECK(pool.free_count() == 3);
    });
}

TEST_CASE("group_tracks_members_until_they_finish") {
    gev::run([] {
        gev::Group group;
        auto a = group.spawn([] { gev::sleep(5ms); });
        auto b = gev::spawn([] { gev::sleep(10s); });
        group.add(b);
        CHECK(group.size() == 2);
        CHECK(group.contains(a));
        CHECK_FALSE(group.join(20ms));
        CHECK(group.size() == 1);
        group.discard(b);
        CHECK(group.join(0.0));
        b.kill();
    });
}

TEST_CASE("group_kill_kills_every_member") {
    gev::run([] {
        gev::Group group;
        for (int i = 0; i < 5; ++i) group.spawn([] { gev::sleep(10s); });
        gev::sleep(0);
        group.kill();
        CHECK(group.empty());
    });
}

TEST_CASE("map_returns_results_in_input_order") {
    gev::run([] {
        gev::Pool pool(4);
        std::vector<int> in{5, 1, 4, 2, 3};
        auto out = pool.map(
            [](int v) {
                gev::sleep(std::chrono::milliseconds(v));
                return v * 10;
            },
            in);
        CHECK(out == std::vector<int>{50, 10, 40, 20, 30});
        CHECK(pool.apply([](int a) { return a + 1; }, 1) == 2);
    });
}

TEST_CASE("imap_is_ordered_and_imap_unordered_yields_as_they_finish") {
    gev::run([] {
        gev::Pool pool(5);
        std::vector<int> in{30, 10, 20};
        std::vector<int> ordered;
        for (int v : pool.imap(
                 [](int ms) {
                     gev::sleep(std::chrono::milliseconds(ms));
                     return ms;
                 },
                 in)) {
            ordered.push_back(v);
        }
        CHECK(ordered == in);
        std::vector<int> unordered;
        for (int v : pool.imap_unordered(
                 [](int ms) {
                     gev::sleep(std::chrono::milliseconds(ms));
                     return ms;
                 },
                 in)) {
            unordered.push_back(v);
        }
        CHECK(unordered == std::vector<int>{10, 20, 30});
    });
}

TEST_CASE("imap_rethrows_a_function_exception_at_its_turn") {
    gev::run([] {
        gev::Pool pool(2);
        std::vector<int> in{1, 2, 3};
        auto results = pool.imap(
            [](int v) {
                if (v == 2) throw std::runtime_error("two");
                return v;
            },
            in);
        auto it = results.begin();
        CHECK(*it == 1);
        CHECK_THROWS_WITH_AS(++it, "two", std::runtime_error);
    });
}

TEST_CASE("pool_wait_available_waits_for_a_free_slot") {
    gev::run([] {
        gev::Pool pool(1);
        pool.spawn([] { gev::sleep(20ms); });
        CHECK(pool.full());
        CHECK(pool.wait_available(0.005) == 0);
        CHECK(pool.wait_available(1s) == 1);
    });
}

TEST_CASE("pool_add_without_blocking_or_past_its_timeout_throws_pool_full") {
    gev::run([] {
        gev::Pool pool(1);
        auto busy = pool.spawn([] { gev::sleep(10s); });
        auto other = gev::spawn([] { gev::sleep(10s); });
        CHECK_THROWS_AS(pool.add(other, false), gev::PoolFull);
        CHECK_THROWS_AS(pool.add(other, true, 5ms), gev::Full);  // PoolFull is a queue Full, as gevent's
        CHECK_FALSE(pool.contains(other));
        pool.killone(busy);
        CHECK(busy.dead());
        pool.add(other, false);
        CHECK(pool.contains(other));
        pool.killone(gev::spawn([] {}));  // not a member: nothing happens
        pool.kill();
    });
}

TEST_CASE("apply_async_never_blocks_even_on_a_full_pool") {
    gev::run([] {
        gev::Pool pool(1);
        auto busy = pool.spawn([] { gev::sleep(20ms); });
        std::vector<int> called;
        auto g = pool.apply_async([] { return 5; }, [&](int v) { called.push_back(v); });
        CHECK_FALSE(g.ready());  // returned at once although the pool is full
        CHECK(g.get() == 5);
        CHECK(called == std::vector<int>{5});
        CHECK(busy.dead());
        auto free_slot = pool.apply_async([] { return 6; });
        CHECK(pool.contains(free_slot));
        CHECK(free_slot.get() == 6);
        std::vector<int> mapped;
        auto m = pool.map_async([](int i) { return i * 10; }, std::vector<int>{1, 2, 3},
                                [&](const std::vector<int>& r) { mapped = r; });
        CHECK(m.get() == std::vector<int>{10, 20, 30});
        CHECK(mapped == std::vector<int>{10, 20, 30});
    });
}

TEST_CASE("imap_maxsize_bounds_the_results_waiting_for_the_reader") {
    gev::run([] {
        gev::Pool pool(10);
        int finished = 0;
        auto results = pool.imap_unordered(
            [&](int i) {
                ++finished;
                return i;
            },
            std::vector<int>{1, 2, 3, 4, 5, 6}, 2);
        gev::sleep(10ms);
        CHECK(finished == 6);     // all ran,
        CHECK(pool.size() == 4);  // but four wait to hand over their result
        int sum = 0;
        for (int r : results) sum += r;
        CHECK(sum == 21);
        CHECK_THROWS_AS(pool.imap([](int i) { return i; }, std::vector<int>{1}, 0), std::invalid_argument);
        {
            auto abandoned = pool.imap([](int i) { return i; }, std::vector<int>{1, 2, 3, 4, 5}, 1);
            gev::sleep(5ms);
        }
        CHECK(pool.join(1s));  // an abandoned imap frees its workers
    });
}
