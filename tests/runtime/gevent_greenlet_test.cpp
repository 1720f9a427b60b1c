// gevent's src/gevent/tests/test__greenlet.py, ported case by case to gev::Greenlet, its links
// and gev::joinall. Cases greenlet_test.cpp already covers are not repeated here.
#include <doctest/doctest.h>

#include <algorithm>
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
