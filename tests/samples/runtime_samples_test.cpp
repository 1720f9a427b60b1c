// Runs the runtime samples and checks what they print.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
struct Run {
    std::string out;
    int status;
    double seconds;
};

Run run_sample(const char* name) {
    const char* dir = std::getenv("GEV_SAMPLES_DIR");
    REQUIRE_MESSAGE(dir != nullptr, "set GEV_SAMPLES_DIR to build/samples");
    const auto start = std::chrono::steady_clock::now();
    FILE* p = ::popen((std::string(dir) + "/" + name).c_str(), "r");
    REQUIRE(p != nullptr);
    Run r;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    r.status = ::pclose(p);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}
}  // namespace

TEST_CASE("producer_consumer_workers_take_turns_then_quit") {
    auto r = run_sample("producer_consumer");
    CHECK(r.status == 0);
    std::string expected;
    const char* names[] = {"steve", "john", "nancy"};
    for (int i = 1; i < 25; ++i)
        expected += "Worker " + std::string(names[(i - 1) % 3]) + " got task " + std::to_string(i) + "\n";
    expected += "Quitting time!\nQuitting time!\nQuitting time!\n";
    CHECK(r.out == expected);
}

TEST_CASE("pool_imap_unordered_yields_in_finishing_order_three_at_a_time") {
    auto r = run_sample("pool_imap_unordered");
    CHECK(r.status == 0);
    // 100 and 200 finish first; 50 starts at 100 ms and ends at 150; 300 at 300; 250 starts
    // at 150 and ends at 400.
    CHECK(r.out.find("done after 100 ms") < r.out.find("done after 50 ms"));
    CHECK(r.out.find("done after 50 ms") < r.out.find("done after 200 ms"));
    CHECK(r.out.find("done after 200 ms") < r.out.find("done after 300 ms"));
    CHECK(r.out.find("done after 300 ms") < r.out.find("done after 250 ms"));
    CHECK(r.out.find("done after 250 ms (pool has 3 free)") != std::string::npos);
    CHECK(r.seconds < 2.0);
}

TEST_CASE("timeout_sample_could_not_complete") {
    auto r = run_sample("timeout");
    CHECK(r.status == 0);
    CHECK(r.out == "Could not complete\n");
    CHECK(r.seconds < 1.9);
}

TEST_CASE("joinable_queue_sample_finishes_every_item") {
    auto r = run_sample("joinable_queue");
    CHECK(r.status == 0);
    CHECK(r.out == "all 100 items done, total 5050, by 4 workers\n");
}
