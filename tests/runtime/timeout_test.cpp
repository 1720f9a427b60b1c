#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

TEST_CASE("timeout_interrupts_a_blocking_call_with_expired") {
    gev::run([] {
        const auto start = gev::Clock::now();
        gev::Timeout t(50ms);
        try {
            gev::sleep(10s);
            FAIL("sleep was not interrupted");
        } catch (const gev::Timeout::Expired& e) {
            CHECK(e.is(t));
            CHECK(std::string(e.what()).find("0.05 seconds") != std::string::npos);
        }
        CHECK(gev::Clock::now() - start < 5s);
    });
}

TEST_CASE("timeout_given_an_exception_throws_it") {
    gev::run([] {
        gev::Timeout t(10ms, std::runtime_error("too slow"));
        CHECK_THROWS_WITH_AS(gev::sleep(10s), "too slow", std::runtime_error);
    });
}

TEST_CASE("timeout_interrupts_queue_get_event_wait_and_join") {
    gev::run([] {
        gev::Queue<int> q;
        gev::Event ev;
        auto sleeper = gev::spawn([] { gev::sleep(10s); });
        CHECK_THROWS_AS((gev::Timeout(10ms), q.get()), gev::Timeout::Expired);
        {
            gev::Timeout t(10ms);
            CHECK_THROWS_AS(ev.wait(), gev::Timeout::Expired);
        }
        {
            gev::Timeout t(10ms);
            CHECK_THROWS_AS(sleeper.join(), gev::Timeout::Expired);
        }
        sleeper.kill();
    });
}

TEST_CASE("a_block_that_finishes_in_time_is_not_interrupted") {
    gev::run([] {
        gev::Timeout t(1s);
        gev::sleep(10ms);
        CHECK(t.pending());
    });
}

TEST_CASE("a_cancelled_timeout_never_fires") {
    gev::run([] {
        gev::Timeout t(10ms);
        t.cancel();
        CHECK_FALSE(t.pending());
        gev::sleep(50ms);
    });
}

TEST_CASE("a_destroyed_timeout_never_fires_late") {
    gev::run([] {
        { gev::Timeout t(10ms); }
        gev::sleep(50ms);
    });
}

TEST_CASE("nested_timeouts_fire_in_deadline_order") {
    gev::run([] {
        gev::Timeout outer(30ms);
        try {
            gev::Timeout inner(1s);
            gev::sleep(10s);
            FAIL("not interrupted");
        } catch (const gev::Timeout::Expired& e) {
            CHECK(e.is(outer));
        }
        gev::Timeout outer2(1s);
        try {
            gev::Timeout inner2(20ms);
            gev::sleep(10s);
            FAIL("not interrupted");
        } catch (const gev::Timeout::Expired& e) {
            CHECK_FALSE(e.is(outer2));
        }
        CHECK(outer2.pending());
    });
}

TEST_CASE("a_timeout_fires_once") {
    gev::run([] {
        gev::Timeout t(10ms);
        CHECK_THROWS_AS(gev::sleep(1s), gev::Timeout::Expired);
        gev::sleep(20ms);  // already fired: does not fire again
        CHECK_FALSE(t.pending());
    });
}

TEST_CASE("within_ends_the_block_silently") {
    gev::run([] {
        bool after = false;
        CHECK_FALSE(gev::Timeout::within(10ms, [&] {
            gev::sleep(10s);
            after = true;
        }));
        CHECK_FALSE(after);
        CHECK(gev::Timeout::within(1s, [] { gev::sleep(1ms); }));
    });
}

TEST_CASE("with_timeout_returns_the_value_or_the_default") {
    gev::run([] {
        CHECK(gev::with_timeout(1s, [] { return 5; }) == 5);
        CHECK(gev::with_timeout(
                  10ms,
                  [] {
                      gev::sleep(10s);
                      return 5;
                  },
                  -1) == -1);
        CHECK_THROWS_AS(gev::with_timeout(10ms, [] { gev::sleep(10s); }), gev::Timeout::Expired);
    });
}

TEST_CASE("seconds_accept_floats_and_chrono_durations") {
    gev::run([] {
        const auto start = gev::Clock::now();
        CHECK_FALSE(gev::Timeout::within(0.02, [] { gev::sleep(1.0); }));
        CHECK(gev::Clock::now() - start >= 20ms);
    });
}

TEST_CASE("timeout_outside_a_greenlet_is_a_usage_error") {
    CHECK_THROWS_AS(gev::Timeout(1s), gev::UsageError);
}

TEST_CASE("timeout_start_new_makes_a_started_timeout_in_place") {
    gev::run([] {
        auto t = gev::Timeout::start_new(5ms);
        CHECK(t.pending());
        try {
            gev::sleep(1s);
            FAIL("not interrupted");
        } catch (const gev::Timeout::Expired& e) {
            CHECK(e.is(t));
        }
        auto custom = gev::Timeout::start_new(0.0, std::runtime_error("zero"));
        CHECK_THROWS_WITH_AS(gev::sleep(1s), "zero", std::runtime_error);
    });
}
