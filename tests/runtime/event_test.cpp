#include <doctest/doctest.h>

#include <csignal>
#include <geventpp/geventpp.hpp>
#include <geventpp/runtime/signal.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("event_set_wakes_every_waiter") {
    gev::run([] {
        gev::Event ev;
        int woke = 0;
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 5; ++i)
            gs.push_back(gev::spawn([&] {
                if (ev.wait()) ++woke;
            }));
        gev::sleep(0);
        CHECK(woke == 0);
        ev.set();
        gev::joinall(gs);
        CHECK(woke == 5);
    });
}

// gevent's test__event.py TestEvent_SetThenClear1000, and what its webchat example relies on:
// a waiter woken by set() returns true even if clear() came before it ran.
TEST_CASE("event_set_then_clear_still_wakes_every_waiter_with_true") {
    gev::run([] {
        gev::Event ev;
        int woke_true = 0;
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 1000; ++i)
            gs.push_back(gev::spawn([&] {
                if (ev.wait()) ++woke_true;
            }));
        gev::sleep(0.001);
        ev.set();
        ev.clear();
        CHECK(gev::joinall(gs, 5s).size() == gs.size());
        CHECK(woke_true == 1000);
        CHECK_FALSE(ev.is_set());
        CHECK_FALSE(ev.wait(10ms));  // a wait that starts after the clear still waits
    });
}

TEST_CASE("event_wait_returns_false_on_timeout_and_at_once_when_set") {
    gev::run([] {
        gev::Event ev;
        CHECK_FALSE(ev.wait(10ms));
        ev.set();
        CHECK(ev.is_set());
        CHECK(ev.wait());
        ev.clear();
        CHECK_FALSE(ev.is_set());
        CHECK_FALSE(ev.wait(0.0));
    });
}

TEST_CASE("event_set_from_another_thread_wakes_a_hub_blocked_in_its_io_context") {
    gev::Event ev;
    std::thread setter([&] {
        std::this_thread::sleep_for(50ms);
        ev.set();
    });
    const bool woke = gev::run([&] { return ev.wait(5s); });
    setter.join();
    CHECK(woke);
}

TEST_CASE("event_set_on_one_hub_wakes_a_waiter_on_another") {
    gev::Event ev;
    gev::Event ready;
    std::thread other([&] {
        gev::run([&] {
            ready.set();
            CHECK(ev.wait(5s));
        });
    });
    gev::run([&] {
        CHECK(ready.wait(5s));
        gev::sleep(20ms);
        ev.set();
    });
    other.join();
}

TEST_CASE("async_result_delivers_a_value_to_waiting_greenlets") {
    gev::run([] {
        gev::AsyncResult<int> r;
        auto waiter = gev::spawn([r] { return r.get() * 2; });
        gev::sleep(0);
        CHECK_FALSE(r.ready());
        r.set(21);
        CHECK(waiter.get() == 42);
        CHECK(r.successful());
        CHECK(r.value() == 21);
    });
}

TEST_CASE("async_result_rethrows_its_exception") {
    gev::run([] {
        gev::AsyncResult<int> r;
        r.set_exception(std::runtime_error("failed"));
        CHECK(r.ready());
        CHECK_FALSE(r.successful());
        CHECK_THROWS_WITH_AS(r.get(), "failed", std::runtime_error);
    });
}

TEST_CASE("async_result_get_times_out_with_expired") {
    gev::run([] {
        gev::AsyncResult<void> r;
        CHECK_THROWS_AS(r.get(10ms), gev::Timeout::Expired);
        CHECK_THROWS_AS(r.get_nowait(), gev::Timeout::Expired);
        CHECK_FALSE(r.wait(1ms));
        r.set();
        CHECK_NOTHROW(r.get());
    });
}

TEST_CASE("wait_and_iwait_report_objects_in_the_order_they_become_ready") {
    gev::run([] {
        gev::Event ev;
        gev::AsyncResult<int> r;
        auto slow = gev::spawn([] { gev::sleep(60ms); });
        auto fast = gev::spawn([] { gev::sleep(10ms); });
        gev::spawn([&] {
            gev::sleep(30ms);
            ev.set();
        });
        std::vector<std::size_t> order;
        for (std::size_t i : gev::iwait({slow, fast, ev, r}, 200ms)) order.push_back(i);
        CHECK(order == std::vector<std::size_t>{1, 2, 0});
        CHECK(gev::wait({slow, fast, r}, 10ms) == std::vector<std::size_t>{0, 1});
        CHECK(gev::wait({slow, fast, r}, {}, 1).size() == 1);
    });
}

TEST_CASE("events_ping_ponging_between_two_hubs_never_lose_a_wake_up") {
    constexpr int trips = 3000;
    std::vector<gev::Event> ping(trips), pong(trips);
    gev::Event ready;
    std::thread other([&] {
        gev::run([&] {
            ready.set();
            for (int i = 0; i < trips; ++i) {
                if (!ping[i].wait(10s)) return;
                pong[i].set();
            }
        });
    });
    const int done = gev::run([&] {
        ready.wait();
        int i = 0;
        for (; i < trips; ++i) {
            ping[i].set();
            if (!pong[i].wait(10s)) break;
        }
        return i;
    });
    other.join();
    CHECK(done == trips);
}

TEST_CASE("signal_handler_runs_its_function_in_a_greenlet_on_the_hub") {
    gev::run([] {
        gev::Event got;
        auto handler = gev::signal_handler(SIGUSR1, [&] {
            gev::sleep(0);  // it may block: it is a greenlet
            got.set();
        });
        ::raise(SIGUSR1);
        CHECK(got.wait(5s));
        handler.cancel();
    });
}

TEST_CASE("event_rawlink_calls_back_once_in_the_hub_after_set_and_unlink_cancels") {
    gev::run([] {
        gev::Event e;
        std::vector<std::string> log;
        e.rawlink([&](gev::Event& ev) { log.push_back(ev.is_set() ? "a:set" : "a:clear"); });
        const auto b = e.rawlink([&](gev::Event&) { log.push_back("b"); });
        e.unlink(b);
        e.unlink(b);  // a spent id is ignored
        e.set();
        CHECK(log.empty());  // called in the hub's loop, not inside set()
        gev::sleep(1ms);     // the hub's loop runs while every greenlet sleeps
        CHECK(log == std::vector<std::string>{"a:set"});
        e.clear();
        e.set();
        gev::sleep(1ms);
        CHECK(log.size() == 1);                                  // a link runs once, as gevent's
        e.rawlink([&](gev::Event&) { log.push_back("late"); });  // already set: runs soon
        gev::sleep(1ms);
        CHECK(log.back() == "late");
    });
}

TEST_CASE("event_rawlink_set_from_another_thread_runs_on_the_linking_hub") {
    gev::run([] {
        gev::Event e;
        std::thread::id ran_on;
        gev::Event done;
        e.rawlink([&](gev::Event&) {
            ran_on = std::this_thread::get_id();
            done.set();
        });
        std::thread setter([&] { e.set(); });
        CHECK(done.wait(5s));
        setter.join();
        CHECK(ran_on == std::this_thread::get_id());
    });
}

TEST_CASE("a_destroyed_event_drops_its_pending_links") {
    gev::run([] {
        int calls = 0;
        {
            gev::Event e;
            e.rawlink([&](gev::Event&) { ++calls; });
            e.set();  // posted to the hub, not run yet
        }
        gev::sleep(1ms);
        CHECK(calls == 0);
    });
}

TEST_CASE("rawlink_outside_a_hub_is_a_usage_error") {
    gev::Event e;
    CHECK_THROWS_AS(e.rawlink([](gev::Event&) {}), gev::UsageError);
}

TEST_CASE("async_result_rawlink_receives_the_result") {
    gev::run([] {
        gev::AsyncResult<int> r;
        std::optional<int> seen;
        bool failed = false;
        r.rawlink([&](gev::AsyncResult<int> x) { seen = x.get(); });
        const auto id = r.rawlink([&](gev::AsyncResult<int>) { failed = true; });
        r.unlink(id);
        gev::spawn_later(2ms, [r] { r.set(42); });
        r.wait();
        gev::sleep(1ms);
        CHECK(seen == 42);
        CHECK_FALSE(failed);

        gev::AsyncResult<> bad;
        bool exception_seen = false;
        bad.rawlink([&](gev::AsyncResult<> x) { exception_seen = !x.successful() && x.exception() != nullptr; });
        bad.set_exception(std::runtime_error("no"));
        gev::sleep(1ms);
        CHECK(exception_seen);
    });
}
