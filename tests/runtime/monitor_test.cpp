#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <string>

using namespace std::chrono_literals;

namespace {
std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ::lseek(fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
}
}  // namespace

TEST_CASE("the_monitor_reports_a_greenlet_that_blocks_its_hub_once_with_a_backtrace") {
    char name[] = "/tmp/gevtest-monitor-XXXXXX";
    const int fd = ::mkstemp(name);
    ::unlink(name);
    gev::monitor::start({.threshold = 50ms, .fd = fd});
    CHECK(gev::monitor::running());
    gev::run([] {
        auto hog = gev::spawn(gev::SpawnOptions{.name = "busy-loop"}, [] {
            const auto end = gev::Clock::now() + 400ms;
            volatile unsigned long spins = 0;
            while (gev::Clock::now() < end) spins = spins + 1;
        });
        hog.join();
        gev::sleep(100ms);  // a well-behaved wait afterwards is not reported
    });
    gev::monitor::stop();
    CHECK_FALSE(gev::monitor::running());
    const auto report = read_all(fd);
    ::close(fd);
    CHECK(report.find("greenlet 'busy-loop' has run") != std::string::npos);
    CHECK(report.find("without yielding") != std::string::npos);
    CHECK(report.find("monitor_test") != std::string::npos);  // a frame of the hub thread
    auto first = report.find("has run");
    CHECK(report.find("has run", first + 1) == std::string::npos);  // once per incident
}

TEST_CASE("no_report_for_greenlets_that_yield") {
    char name[] = "/tmp/gevtest-monitor-XXXXXX";
    const int fd = ::mkstemp(name);
    ::unlink(name);
    gev::monitor::start({.threshold = 50ms, .fd = fd});
    gev::run([] {
        const auto end = gev::Clock::now() + 300ms;
        while (gev::Clock::now() < end) gev::sleep(0);
    });
    gev::monitor::stop();
    CHECK(read_all(fd).empty());
    ::close(fd);
}
