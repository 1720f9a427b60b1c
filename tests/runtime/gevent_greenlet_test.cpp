// gevent's src/gevent/tests/test__greenlet.py, ported case by case to gev::Greenlet, its links
// and gev::joinall. Cases greenlet_test.cpp already covers are not repeated here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <geventpp/geventpp.hpp>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct ExpectedError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

gev::SpawnOptions expected_failure() {
    return {.name = "expected-failure"};
}

using LinkMethod = std::uint64_t (gev::AnyGreenlet::*)(std::function<void(gev::AnyGreenlet)>) const;

// test__greenlet.py LinksTestCase: links `link` through `fires` (an AsyncResult taking the
// outcome, a Queue(1), a flag) and through `silent` (which must not fire), waits for the
// greenlet to end, and checks which fired.
template <class T>
void check_links(const gev::Greenlet<T>& p, LinkMethod fires, LinkMethod silent) {
    gev::AsyncResult<> event;
    (p.*fires)([&](gev::AnyGreenlet g) {
        if (g.exception()) {
            event.set_exception(g.exception());
        } else {
            event.set();
        }
    });
    gev::Queue<gev::AnyGreenlet> queue(1);
    (p.*fires)([&](gev::AnyGreenlet g) { queue.put(g); });
    bool callback_flag = true;
    (p.*fires)([&](gev::AnyGreenlet) { callback_flag = false; });
    int silent_calls = 0;
    (p.*silent)([&](gev::AnyGreenlet) { ++silent_calls; });
    CHECK(p.join(5s));
    CHECK(queue.get(true, 5s) == p);
    if (p.exception()) {
        CHECK_THROWS_AS(event.get(5s), ExpectedError);
    } else {
        CHECK_NOTHROW(event.get(5s));
    }
    gev::sleep(10ms);
    CHECK_FALSE(callback_flag);
    CHECK(silent_calls == 0);
}

}  // namespace

// test__greenlet.py TestLink.test_link_to_queue (a link added after the end runs too)
TEST_CASE("links_to_a_queue_put_deliver_the_finished_greenlet_every_time") {
    gev::run([] {
        auto p = gev::spawn([] { return 100; });
        gev::Queue<gev::AnyGreenlet> q;
        for (int i = 0; i < 4; ++i) {
            p.link([&](gev::AnyGreenlet g) { q.put(g); });
            CHECK(q.get(true, 5s) == p);
            CHECK(p.get() == 100);
        }
    });
}

// test__greenlet.py TestLink.test_link_to_channel
TEST_CASE("links_of_three_greenlets_to_one_channel_deliver_all_three") {
    gev::run([] {
        std::vector<gev::Greenlet<int>> ps{gev::spawn([] { return 101; }), gev::spawn([] { return 102; }),
                                           gev::spawn([] { return 103; })};
        gev::Channel<gev::AnyGreenlet> q;
        for (auto& p : ps) p.link([&](gev::AnyGreenlet g) { q.put(g); });
        std::vector<int> results;
        for (int i = 0; i < 3; ++i) {
            auto g = q.get(true, 5s);
            results.push_back(std::find(ps.begin(), ps.end(), g)->get());
        }
        std::sort(results.begin(), results.end());
        CHECK(results == std::vector<int>{101, 102, 103});
    });
}

// test__greenlet.py TestUnlink.test_func_link, test_func_link_value, test_func_link_exception
TEST_CASE("an_unlinked_callback_is_not_called") {
    gev::run([] {
        auto p = gev::spawn([] { throw ExpectedError("unlinked"); });
        int calls = 0;
        p.unlink(p.link([&](gev::AnyGreenlet) { ++calls; }));
        p.unlink(p.link_value([&](gev::AnyGreenlet) { ++calls; }));
        p.unlink(p.link_exception([&](gev::AnyGreenlet) { ++calls; }));
        p.join(5s);
        gev::sleep(10ms);
        CHECK(calls == 0);
    });
}

// test__greenlet.py TestStuff.test_wait_noerrors
TEST_CASE("joinall_with_raise_error_and_no_errors_leaves_every_value") {
    gev::run([] {
        auto x = gev::spawn([] { return 1; });
        auto y = gev::spawn([] { return 2; });
        auto z = gev::spawn([] { return 3; });
        gev::joinall({x, y, z}, {}, true);
        CHECK(std::vector<int>{*x.value(), *y.value(), *z.value()} == std::vector<int>{1, 2, 3});
    });
}

// test__greenlet.py TestStuff.test_wait_error
TEST_CASE("joinall_with_raise_error_rethrows_a_failure_before_the_others_finish") {
    gev::run([] {
        auto x = gev::spawn([] {
            gev::sleep(10ms);
            return 1;
        });
        auto y = gev::spawn(expected_failure(), [] { throw ExpectedError("test_wait_error"); });
        CHECK_THROWS_AS(gev::joinall({x, y}, {}, true), ExpectedError);
        CHECK_THROWS_AS(gev::joinall({y}, {}, true), ExpectedError);
        CHECK(x.join(5s));
    });
}

// test__greenlet.py TestStuff.test_joinall_exception_order
TEST_CASE("joinall_raises_the_earliest_failure_not_the_first_in_the_list") {
    gev::run([] {
        auto a = gev::spawn(expected_failure(), [] {
            gev::sleep(50ms);
            throw ExpectedError("first");
        });
        auto b = gev::spawn(expected_failure(), [] { throw ExpectedError("second"); });
        CHECK_THROWS_WITH_AS(gev::joinall({a, b}, {}, true), "second", ExpectedError);
        gev::joinall({a, b}, 5s);
    });
}

// test__greenlet.py TestStuff.test_joinall_count_raise_error
TEST_CASE("joinall_count_without_raise_error_returns_after_the_failed_one") {
    gev::run([] {
        auto sleeper = gev::spawn([] {
            for (;;) gev::sleep(100ms);
        });
        auto raiser = gev::spawn(expected_failure(), [] { throw ExpectedError("count"); });
        gev::joinall({sleeper, raiser}, {}, false, 1);
        CHECK(raiser.ready());
        CHECK_FALSE(sleeper.ready());
        sleeper.kill();
        CHECK(sleeper.ready());
    });
}

// test__greenlet.py TestReturn_link.test_return, TestReturn_link_value.test_return
TEST_CASE("link_and_link_value_fire_on_return_link_exception_does_not") {
    gev::run([] {
        auto p = gev::spawn([] { return 25; });
        for (LinkMethod fires : {&gev::AnyGreenlet::link, &gev::AnyGreenlet::link_value}) {
            for (int i = 0; i < 3; ++i) check_links(p, fires, &gev::AnyGreenlet::link_exception);
        }
        CHECK(p.get() == 25);
    });
}

// test__greenlet.py TestReturn_link.test_kill, TestReturn_link_value.test_kill: a killed
// greenlet ends with GreenletExit, which counts as success.
TEST_CASE("link_and_link_value_fire_on_kill_link_exception_does_not") {
    gev::run([] {
        for (LinkMethod fires : {&gev::AnyGreenlet::link, &gev::AnyGreenlet::link_value}) {
            auto p = gev::spawn([] { gev::sleep(0.05); });
            p.kill();
            for (int i = 0; i < 3; ++i) check_links(p, fires, &gev::AnyGreenlet::link_exception);
            CHECK(p.successful());
            CHECK_FALSE(p.exception());
        }
    });
}

// test__greenlet.py TestRaise_link.test_raise, TestRaise_link_exception.test_raise
TEST_CASE("link_and_link_exception_fire_on_an_exception_link_value_does_not") {
    gev::run([] {
        auto p = gev::spawn(expected_failure(), [] { throw ExpectedError("test_raise"); });
        for (LinkMethod fires : {&gev::AnyGreenlet::link, &gev::AnyGreenlet::link_exception}) {
            for (int i = 0; i < 3; ++i) check_links(p, fires, &gev::AnyGreenlet::link_value);
        }
        CHECK_FALSE(p.successful());
    });
}

// test__greenlet.py TestStuff.test_multiple_listeners_error: a throwing listener does not keep
// the others from being called.
TEST_CASE("a_throwing_link_does_not_stop_the_other_links") {
    gev::run([] {
        auto check = [](const gev::AnyGreenlet& p) {
            std::vector<int> results;
            p.link([&](gev::AnyGreenlet) {
                results.push_back(10);
                throw ExpectedError("listener1");
            });
            p.link([&](gev::AnyGreenlet) {
                results.push_back(20);
                throw ExpectedError("listener2");
            });
            p.link([](gev::AnyGreenlet) { throw ExpectedError("listener3"); });
            CHECK(p.join(5s));
            gev::sleep(10ms);
            std::sort(results.begin(), results.end());
            CHECK(results == std::vector<int>{10, 20});
        };
        check(gev::spawn([] { return 5; }));
        check(gev::spawn(expected_failure(), [] { throw ExpectedError("test_multiple_listeners_error"); }));
    });
}

// test__greenlet.py TestStuff.test_multiple_listeners_error_unlink_Greenlet_link: a link
// unlinked by an earlier one during the notification is not called.
TEST_CASE("a_link_unlinked_by_an_earlier_link_is_not_called") {
    gev::run([] {
        auto p = gev::spawn([] { return 5; });
        std::vector<int> results;
        std::uint64_t id1 = 0, id2 = 0;
        id1 = p.link([&](gev::AnyGreenlet g) {
            g.unlink(id2);
            results.push_back(5);
            throw ExpectedError("listener1");
        });
        id2 = p.link([&](gev::AnyGreenlet g) {
            g.unlink(id1);
            results.push_back(5);
            throw ExpectedError("listener2");
        });
        p.link([](gev::AnyGreenlet) { throw ExpectedError("listener3"); });
        CHECK(p.join(5s));
        gev::sleep(10ms);
        CHECK(results == std::vector<int>{5});
    });
}

// test__greenlet.py TestJoin, TestGet, TestJoinAll (AbstractGenericWaitTestCase /
// AbstractGenericGetTestCase): waits on a sleeping greenlet give up after their timeout.
TEST_CASE("join_get_and_joinall_on_a_sleeping_greenlet_time_out") {
    gev::run([] {
        auto g = gev::spawn([] { gev::sleep(10.0); });
        CHECK_FALSE(g.join(0.02));
        CHECK_THROWS_AS(g.get(0.02), gev::Timeout::Expired);
        CHECK(gev::joinall({g}, 0.02).empty());
        CHECK_FALSE(g.ready());
        g.kill();
    });
}

// test__joinall.py (greentest/, gevent 1.x): the same greenlet twice in the list
TEST_CASE("joinall_with_a_greenlet_listed_twice_returns") {
    gev::run([] {
        auto a = gev::spawn([] {});
        auto b = gev::spawn([] {});
        gev::joinall({a, b, a}, 5s);
        CHECK(a.dead());
        CHECK(b.dead());
    });
}

// test__greenlet.py TestBasic.test_simple_exit
TEST_CASE("a_greenlet_that_returns_is_ready_successful_and_links_once") {
    gev::run([] {
        std::vector<gev::AnyGreenlet> link_test;
        auto g = gev::spawn(
            [](gev::Seconds delay, int return_value) {
                gev::sleep(delay);
                return return_value;
            },
            gev::Seconds(0.01), 5);
        g.link([&](gev::AnyGreenlet x) { link_test.push_back(x); });
        CHECK(g.started());
        CHECK_FALSE(g.dead());
        CHECK_FALSE(g.ready());
        CHECK_FALSE(g.successful());
        CHECK_FALSE(g.value());
        CHECK_FALSE(g.exception());
        CHECK(g.join(5s));
        gev::sleep(0);
        CHECK(g.dead());
        CHECK(g.ready());
        CHECK(g.successful());
        CHECK(g.value() == 5);
        CHECK_FALSE(g.exception());
        CHECK(link_test == std::vector<gev::AnyGreenlet>{g});
    });
}

// test__greenlet.py TestBasic.test_error_exit
TEST_CASE("a_greenlet_that_throws_is_ready_unsuccessful_and_keeps_the_exception") {
    gev::run([] {
        std::vector<gev::AnyGreenlet> link_test;
        auto g = gev::spawn(expected_failure(), [] {
            gev::sleep(0.01);
            throw ExpectedError("test_error_exit");
            return 4;
        });
        g.link([&](gev::AnyGreenlet x) { link_test.push_back(x); });
        CHECK(g.join(5s));
        gev::sleep(0);
        CHECK(g.dead());
        CHECK(g.ready());
        CHECK_FALSE(g.successful());
        CHECK_FALSE(g.value());
        CHECK_THROWS_WITH_AS(std::rethrow_exception(g.exception()), "test_error_exit", ExpectedError);
        CHECK(link_test == std::vector<gev::AnyGreenlet>{g});
    });
}

// test__greenlet.py TestKill, TestKillAfterStart, TestKillWhileRunning (block and not, kill and
// killall): the function never runs past the kill, the greenlet ends successful with no
// exception, its link runs once, and a second kill does no harm.
TEST_CASE("a_killed_greenlet_is_dead_and_successful_and_a_second_kill_is_harmless") {
    gev::run([] {
        for (bool while_running : {false, true}) {
            for (bool block : {true, false}) {
                for (bool use_killall : {false, true}) {
                    CAPTURE(while_running);
                    CAPTURE(block);
                    CAPTURE(use_killall);
                    std::vector<int> result;
                    std::vector<gev::AnyGreenlet> link_test;
                    auto g = gev::spawn([&, while_running] {
                        if (while_running) gev::sleep(10.0);
                        result.push_back(1);
                    });
                    g.link([&](gev::AnyGreenlet x) { link_test.push_back(x); });
                    if (while_running) gev::sleep(0.01);
                    for (int round = 0; round < 2; ++round) {
                        if (use_killall) {
                            gev::killall({g}, nullptr, block);
                        } else {
                            g.kill(gev::GreenletExit{}, block);
                        }
                        if (!block) CHECK(g.join(5s));
                        gev::sleep(0.01);
                        CHECK(g.dead());
                        CHECK(g.successful());
                        CHECK_FALSE(g.exception());
                    }
                    CHECK(result.empty());
                    CHECK(link_test == std::vector<gev::AnyGreenlet>{g});
                }
            }
        }
    });
}
