#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "../capture_stderr.hpp"

using namespace std::chrono_literals;

TEST_CASE("spawn_runs_the_function_and_get_returns_its_value") {
    int v = gev::run([] {
        auto g = gev::spawn([](int a, int b) { return a + b; }, 20, 22);
        return g.get();
    });
    CHECK(v == 42);
}

TEST_CASE("spawn_returns_before_the_greenlet_runs") {
    gev::run([] {
        std::vector<std::string> order;
        auto g = gev::spawn([&] { order.push_back("child"); });
        order.push_back("parent");
        g.join();
        CHECK(order == std::vector<std::string>{"parent", "child"});
    });
}

TEST_CASE("sleep_zero_lets_other_greenlets_run") {
    gev::run([] {
        std::vector<int> order;
        auto a = gev::spawn([&] {
            for (int i = 0; i < 3; ++i) {
                order.push_back(i * 2);
                gev::sleep(0);
            }
        });
        auto b = gev::spawn([&] {
            for (int i = 0; i < 3; ++i) {
                order.push_back(i * 2 + 1);
                gev::sleep(0);
            }
        });
        gev::joinall({a, b});
        CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
    });
}

TEST_CASE("greenlets_sleeping_concurrently_take_the_longest_sleep_not_the_sum") {
    gev::run([] {
        const auto start = gev::Clock::now();
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 50; ++i) gs.push_back(gev::spawn([] { gev::sleep(100ms); }));
        gev::joinall(gs);
        const auto took = gev::Clock::now() - start;
        CHECK(took >= 100ms);
        CHECK(took < 2s);
    });
}

TEST_CASE("an_escaping_exception_is_kept_for_get_and_reported_once") {
    CaptureStderr err;
    gev::run([] {
        auto g = gev::spawn(gev::SpawnOptions{.name = "failing"}, []() -> int { throw std::runtime_error("boom"); });
        g.join();
        CHECK(g.ready());
        CHECK_FALSE(g.successful());
        CHECK(g.exception() != nullptr);
        CHECK_THROWS_WITH_AS(g.get(), "boom", std::runtime_error);
        CHECK_THROWS_AS(g.get(), std::runtime_error);
    });
    const auto text = err.text();
    CHECK(text.find("failing failed with std::runtime_error: boom") != std::string::npos);
    CHECK(text.find("boom") == text.rfind("boom"));  // once
}

TEST_CASE("kill_raises_greenlet_exit_at_the_blocking_point_and_counts_as_success") {
    gev::run([] {
        bool cleaned_up = false;
        auto g = gev::spawn([&] {
            struct Cleanup {
                bool& flag;
                ~Cleanup() { flag = true; }
            } c{cleaned_up};
            gev::sleep(10s);
            return 1;
        });
        gev::sleep(0);
        g.kill();
        CHECK(g.dead());
        CHECK(cleaned_up);
        CHECK(g.successful());
        CHECK(g.exception() == nullptr);
        CHECK_FALSE(g.value().has_value());
        CHECK_THROWS_AS(g.get(), gev::GreenletExit);
    });
}

TEST_CASE("kill_with_a_custom_exception_ends_the_greenlet_with_it") {
    CaptureStderr err;
    gev::run([] {
        auto g = gev::spawn([] { gev::sleep(10s); });
        gev::sleep(0);
        g.kill(std::logic_error("stop"));
        CHECK_FALSE(g.successful());
        CHECK_THROWS_WITH_AS(g.get(), "stop", std::logic_error);
    });
}

TEST_CASE("kill_before_start_means_the_function_never_runs") {
    gev::run([] {
        bool ran = false;
        auto g = gev::spawn([&] { ran = true; });
        g.kill();
        CHECK(g.dead());
        CHECK_FALSE(ran);
    });
}

TEST_CASE("kill_without_block_returns_at_once_and_the_greenlet_dies_later") {
    gev::run([] {
        auto g = gev::spawn([] { gev::sleep(10s); });
        gev::sleep(0);
        g.kill(gev::GreenletExit{}, false);
        CHECK_FALSE(g.dead());
        CHECK(g.join(1s));
    });
}

TEST_CASE("join_with_timeout_returns_false_while_the_greenlet_runs") {
    gev::run([] {
        auto g = gev::spawn([] { gev::sleep(10s); });
        CHECK_FALSE(g.join(20ms));
        CHECK_THROWS_AS(g.get(50ms), gev::Timeout::Expired);
        g.kill();
    });
}

TEST_CASE("join_on_the_current_greenlet_is_a_usage_error") {
    gev::run([] {
        auto me = gev::getcurrent();
        CHECK(me);
        CHECK_THROWS_AS(me.join(), gev::UsageError);
    });
}

TEST_CASE("links_run_when_the_greenlet_finishes") {
    gev::run([] {
        std::vector<std::string> seen;
        auto ok = gev::spawn([] { return 1; });
        ok.link([&](gev::AnyGreenlet g) { seen.push_back("always:" + std::to_string(g.successful())); });
        ok.link_value([&](gev::AnyGreenlet) { seen.push_back("value"); });
        ok.link_exception([&](gev::AnyGreenlet) { seen.push_back("exception"); });
        auto removed = ok.link([&](gev::AnyGreenlet) { seen.push_back("unlinked"); });
        ok.unlink(removed);
        ok.join();
        CHECK(seen == std::vector<std::string>{"always:1", "value"});
    });
}

TEST_CASE("link_exception_fires_only_on_failure") {
    CaptureStderr err;
    gev::run([] {
        std::vector<std::string> seen;
        auto bad = gev::spawn([] { throw std::runtime_error("x"); });
        bad.link_value([&](gev::AnyGreenlet) { seen.push_back("value"); });
        bad.link_exception([&](gev::AnyGreenlet) { seen.push_back("exception"); });
        bad.join();
        CHECK(seen == std::vector<std::string>{"exception"});
    });
}

TEST_CASE("spawn_later_starts_after_the_delay") {
    gev::run([] {
        const auto start = gev::Clock::now();
        auto g = gev::spawn_later(50ms, [&] { return gev::Clock::now() - start; });
        CHECK(g.get() >= 50ms);
    });
}

TEST_CASE("joinall_returns_the_finished_ones_and_can_raise_the_first_error") {
    CaptureStderr err;
    gev::run([] {
        auto a = gev::spawn([] { return 1; });
        auto slow = gev::spawn([] { gev::sleep(10s); });
        auto done = gev::joinall({a, slow}, 50ms);
        CHECK(done.size() == 1);
        auto bad = gev::spawn([] { throw std::runtime_error("bad"); });
        CHECK_THROWS_AS(gev::joinall({a, bad}, {}, true), std::runtime_error);
        gev::killall({slow});
        CHECK(slow.dead());
    });
}

TEST_CASE("killall_kills_every_greenlet") {
    gev::run([] {
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 10; ++i) gs.push_back(gev::spawn([] { gev::sleep(10s); }));
        gev::sleep(0);
        gev::killall(gs);
        for (auto& g : gs) CHECK(g.dead());
    });
}

TEST_CASE("names_default_to_greenlet_n_and_can_be_set") {
    gev::run([] {
        auto g = gev::spawn([] {});
        CHECK(g.name().rfind("Greenlet-", 0) == 0);
        auto named = gev::spawn(gev::SpawnOptions{.name = "worker"}, [] { return gev::getcurrent().name(); });
        CHECK(named.get() == "worker");
        g.join();
    });
}

TEST_CASE("run_rethrows_the_main_function_exception") {
    CHECK_THROWS_WITH_AS(gev::run([]() -> int { throw std::runtime_error("main failed"); }), "main failed",
                         std::runtime_error);
}

TEST_CASE("run_kills_greenlets_left_alive_so_their_destructors_run") {
    bool cleaned = false;
    gev::run([&] {
        gev::spawn([&] {
            struct Cleanup {
                bool& flag;
                ~Cleanup() { flag = true; }
            } c{cleaned};
            gev::sleep(100s);
        });
        gev::sleep(0);
    });
    CHECK(cleaned);
}

TEST_CASE("run_inside_a_running_hub_is_a_usage_error") {
    gev::run([] { CHECK_THROWS_AS(gev::run([] {}), gev::UsageError); });
}

TEST_CASE("spawn_and_sleep_outside_a_hub_are_usage_errors_that_say_what_to_do") {
    CHECK_THROWS_WITH_AS(gev::spawn([] {}), doctest::Contains("gev::run"), gev::UsageError);
    CHECK_THROWS_WITH_AS(gev::sleep(1ms), doctest::Contains("outside a hub"), gev::UsageError);
}

TEST_CASE("a_hub_can_run_again_on_the_same_thread") {
    for (int i = 0; i < 3; ++i) CHECK(gev::run([i] { return gev::spawn([i] { return i; }).get(); }) == i);
}

TEST_CASE("a_finished_greenlet_lets_go_of_what_its_function_captured") {
    gev::run([] {
        auto token = std::make_shared<int>(1);
        auto g = gev::spawn([token] {});
        auto killed = gev::spawn([token] { gev::sleep(10); });
        g.join();
        CHECK(token.use_count() == 2);  // g is done; `killed` still runs
        killed.kill();
        CHECK(token.use_count() == 1);  // both handles live on, the functions are gone
    });
}

TEST_CASE("joinall_count_returns_after_the_first_ones_in_the_order_they_finished") {
    gev::run([] {
        auto slow = gev::spawn([] { gev::sleep(10s); });
        auto second = gev::spawn([] { gev::sleep(20ms); });
        auto first = gev::spawn([] { gev::sleep(1ms); });
        auto done = gev::joinall({slow, second, first}, {}, false, 2);
        REQUIRE(done.size() == 2);
        CHECK(done[0] == first);
        CHECK(done[1] == second);
        CHECK(gev::joinall({slow, first}, 5ms).size() == 1);  // every one that finished, not a prefix
        CHECK(gev::joinall({slow}, {}, false, 0).empty());
        gev::kill(slow);
        CHECK_FALSE(slow.dead());  // gevent.kill does not wait
        CHECK(slow.join(1s));
        CHECK(slow.successful());
    });
}
