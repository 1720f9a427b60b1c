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
