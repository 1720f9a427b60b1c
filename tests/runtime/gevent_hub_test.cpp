// gevent's src/gevent/tests/test__hub.py, ported where it maps onto the gev hub. Its
// loop-watcher, Waiter, monitoring-thread and ILoop cases are libev/libuv or Python
// machinery with no geventpp counterpart (monitor_test.cpp covers the blocking monitor).
#include <doctest/doctest.h>

#include <chrono>
#include <geventpp/geventpp.hpp>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {

struct ExpectedException : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The time gev::sleep(s) blocks the calling greenlet.
std::chrono::steady_clock::duration time_sleep(gev::Seconds s) {
    const auto start = std::chrono::steady_clock::now();
    gev::sleep(s);
    return std::chrono::steady_clock::now() - start;
}

}  // namespace

// test__hub.py TestExceptionInMainloop.test_sleep: an error in a loop callback is reported and
// the hub goes on working.
TEST_CASE("an_exception_in_a_posted_function_leaves_the_hub_working") {
    gev::run([] {
        CHECK(time_sleep(0.1) >= 100ms);
        bool later_ran = false;
        auto* hub = gev::Hub::current();
        REQUIRE(hub);
        hub->post([] { throw ExpectedException("TestExceptionInMainloop.test_sleep/fail"); });
        hub->post([&] { later_ran = true; });
        CHECK(time_sleep(0.1) >= 100ms);
        CHECK(later_ran);
        CHECK(gev::spawn([] { return 5; }).get(5s) == 5);
    });
}

// test__hub.py TestSleep (AbstractGenericWaitTestCase): the wait lasts at least its timeout;
// test_simple: sleep(0) returns.
TEST_CASE("sleep_blocks_for_at_least_its_duration_and_sleep_zero_returns") {
    gev::run([] {
        CHECK(time_sleep(0.05) >= 50ms);
        CHECK(time_sleep(0.0) < 5s);
    });
}
