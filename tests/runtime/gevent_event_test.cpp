// gevent's src/gevent/tests/test__event.py, ported case by case to gev::Event, gev::AsyncResult
// and gev::wait. Cases test_event.cpp already covers are not repeated here.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct MyException : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr auto delay = 20ms;

}  // namespace

// test__event.py TestGeventWaitOnEvent.wait / TestWaitAsyncResult.wait (the generic timeout case)
TEST_CASE("gevent_wait_on_an_unset_event_or_result_times_out_with_nothing_ready") {
    gev::run([] {
        gev::Event e;
        gev::AsyncResult<int> r;
        CHECK(gev::wait({e}, 10ms).empty());
        CHECK(gev::wait({r}, 10ms).empty());
    });
}

// test__event.py TestGeventWaitOnEvent.test_set_during_wait (gevent issue 771)
TEST_CASE("wait_after_set_then_clear_does_not_see_the_old_set") {
    gev::run([] {
        gev::Event event;
        gev::spawn([&] {
            auto s = gev::spawn([&] { event.set(); });
            CHECK(event.wait());
            CHECK(event.is_set());
            s.join();
            event.clear();
            CHECK_FALSE(event.is_set());
            CHECK(gev::wait({event}, 10ms).empty());
            CHECK_FALSE(event.is_set());
        }).get(5s);
    });
}

// test__event.py TestAsyncResult.test_set_exc
TEST_CASE("async_result_set_exception_reaches_a_waiting_getter") {
    gev::run([] {
        std::vector<std::string> log;
        gev::AsyncResult<int> e;
        CHECK_FALSE(e.exception());
        gev::spawn([&] {
            try {
                e.get();
            } catch (const MyException& ex) {
                log.push_back(std::string("caught ") + ex.what());
            }
        });
        gev::sleep(0);
        e.set_exception(MyException("obj"));
        gev::sleep(0);
        gev::sleep(1ms);
        CHECK(log == std::vector<std::string>{"caught obj"});
    });
}

// test__event.py TestAsyncResult.test_set
TEST_CASE("a_zero_timeout_interrupts_get_before_a_later_set") {
    gev::run([] {
        gev::AsyncResult<std::string> event1;
        auto g = gev::spawn_later(delay, [=] { event1.set("hello event1"); });
        {
            auto t = gev::Timeout::start_new(0.0, MyException("interrupted"));
            CHECK_THROWS_WITH_AS(event1.get(), "interrupted", MyException);
        }
        g.kill();
    });
}

// test__event.py TestAsyncResult.test_set_with_timeout
TEST_CASE("with_timeout_on_an_unset_result_returns_the_timeout_value") {
    gev::run([] {
        gev::AsyncResult<int> event2;
        CHECK(gev::with_timeout(
                  delay, [&] { return event2.get(); }, -1) == -1);
    });
}

// test__event.py TestAsyncResult.test_nonblocking_get
TEST_CASE("async_result_get_nowait_on_an_unset_result_is_a_timeout") {
    gev::run([] {
        gev::AsyncResult<int> ar;
        CHECK_THROWS_AS(ar.get_nowait(), gev::Timeout::Expired);
        CHECK_THROWS_AS(ar.get(0.0), gev::Timeout::Expired);
    });
}

namespace {

// gevent links an AsyncResult to a greenlet directly (g.link(ar)); here the link sets it.
void link_results(const gev::Greenlet<int>& g, gev::AsyncResult<int> s1, gev::AsyncResult<int> s2,
                  gev::AsyncResult<int> s3) {
    auto pass = [g](gev::AsyncResult<int> s) {
        return [g, s](const gev::AnyGreenlet&) {
            if (auto e = g.exception()) {
                s.set_exception(e);
            } else {
                s.set(*g.value());
            }
        };
    };
    g.link(pass(s1));
    g.link_value(pass(s2));
    g.link_exception(pass(s3));
}

}  // namespace

// test__event.py TestAsyncResultAsLinkTarget.test_set
TEST_CASE("a_successful_greenlet_sets_its_link_and_link_value_results_only") {
    gev::run([] {
        auto g = gev::spawn([] { return 1; });
        gev::AsyncResult<int> s1, s2, s3;
        link_results(g, s1, s2, s3);
        CHECK(s1.get(5s) == 1);
        CHECK(s2.get(5s) == 1);
        CHECK(gev::with_timeout(
                  delay, [&] { return s3.get(); }, -1) == -1);
    });
}

// test__event.py TestAsyncResultAsLinkTarget.test_set_exception
TEST_CASE("a_failed_greenlet_sets_its_link_and_link_exception_results_only") {
    gev::run([] {
        auto g = gev::spawn(gev::SpawnOptions{.name = "expected-failure"},
                            []() -> int { throw MyException("test_set_exception"); });
        gev::AsyncResult<int> s1, s2, s3;
        link_results(g, s1, s2, s3);
        CHECK_THROWS_AS(s1.get(5s), MyException);
        CHECK(gev::with_timeout(
                  delay, [&] { return s2.get(); }, -1) == -1);
        CHECK_THROWS_AS(s3.get(5s), MyException);
    });
}

namespace {

// test__event.py TestWait: a sender sets N events and N results alternately, `period` apart,
// while the test waits for them with gev::wait(count, timeout).
std::size_t wait_for_sender(std::optional<std::size_t> count, gev::Seconds timeout, bool& sender_ready) {
    constexpr int n = 5;
    std::vector<gev::Event> events(n);
    std::vector<gev::AsyncResult<int>> asyncs(n);
    std::vector<gev::Waitable> all(events.begin(), events.end());
    all.insert(all.end(), asyncs.begin(), asyncs.end());
    auto sender = gev::spawn([&] {
        for (int i = n - 1; i >= 0; --i) {
            gev::sleep(2ms);
            events[i].set();
            gev::sleep(2ms);
            asyncs[i].set(i);
        }
    });
    auto results = gev::wait(all, timeout, count);
    sender_ready = sender.ready();
    sender.kill();
    return results.size();
}

}  // namespace

// test__event.py TestWait (timeout 1 s, generous enough for all 10) and TestWait_notimeout
TEST_CASE("wait_without_count_returns_every_event_and_result") {
    gev::run([] {
        bool sender_ready = false;
        CHECK(wait_for_sender(std::nullopt, 10.0, sender_ready) == 10);
        CHECK(sender_ready);
        CHECK(wait_for_sender(std::nullopt, {}, sender_ready) == 10);
        CHECK(sender_ready);
    });
}

// test__event.py TestWait_count1, TestWait_count2
TEST_CASE("wait_with_a_count_returns_that_many_before_the_sender_is_done") {
    gev::run([] {
        bool sender_ready = true;
        CHECK(wait_for_sender(1, 10.0, sender_ready) == 1);
        CHECK_FALSE(sender_ready);
        sender_ready = true;
        CHECK(wait_for_sender(2, 10.0, sender_ready) == 2);
        CHECK_FALSE(sender_ready);
    });
}
