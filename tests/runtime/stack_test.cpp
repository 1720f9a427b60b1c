#include <doctest/doctest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <geventpp/geventpp.hpp>
#include <string>
#include <vector>

#include "../sanitized.hpp"

using namespace std::chrono_literals;

namespace {
long rss_kib() {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}
// Runs `pages` pages deep into the stack, touching each page.
[[gnu::noinline]] void run_deep(int pages) {
    volatile char page[4096];
    page[0] = 1;
    if (pages > 1) run_deep(pages - 1);
    page[sizeof page - 1] = page[0];
}

// How many of the pages in [lo, hi) are resident.
int resident_pages(const char* lo, const char* hi) {
    const std::size_t page = ::sysconf(_SC_PAGESIZE);
    std::vector<unsigned char> in((hi - lo) / page);
    if (::mincore(const_cast<char*>(lo), hi - lo, in.data()) != 0) return -1;
    int n = 0;
    for (auto c : in) n += c & 1;
    return n;
}
}  // namespace

TEST_CASE("a_greenlet_parked_for_a_while_gives_back_the_stack_pages_below_its_frames") {
    gev::run([] {
        const std::uintptr_t page = ::sysconf(_SC_PAGESIZE);
        gev::Event go;
        const char* frame = nullptr;
        bool intact = false;
        auto g = gev::spawn([&] {
            run_deep(16);  // as a request's parsing or a handshake would, once
            char mark[256];
            for (std::size_t i = 0; i < sizeof mark; ++i) mark[i] = char(i * 7);
            frame = mark;
            go.wait();
            intact = true;
            for (std::size_t i = 0; i < sizeof mark; ++i) intact = intact && mark[i] == char(i * 7);
        });
        gev::sleep(0.05);
        // Well below the parked frames, inside what run_deep touched.
        const char* hi =
            reinterpret_cast<const char*>((reinterpret_cast<std::uintptr_t>(frame) - 16 * 1024) / page * page);
        const char* lo = hi - 40 * 1024;
        CHECK(resident_pages(lo, hi) == 10);
        gev::sleep(1.2);  // parked for more than two periods
        CHECK(resident_pages(lo, hi) == 0);
        go.set();
        g.join();
        CHECK(intact);  // its own frames kept their contents
    });
}

TEST_CASE("a_hundred_thousand_sleeping_greenlets_fit_in_a_few_hundred_megabytes" * doctest::skip(sanitized)) {
    gev::run([] {
        const long before = rss_kib();
        gev::Event go;
        std::vector<gev::AnyGreenlet> gs;
        gs.reserve(100000);
        for (int i = 0; i < 100000; ++i) gs.push_back(gev::spawn([&go] { go.wait(); }));
        gev::sleep(10ms);  // every one has started and is parked
        CHECK(gev::Hub::current()->greenlet_count() >= 100000);
        const long grown = rss_kib() - before;
        MESSAGE("RSS for 100,000 parked greenlets: " << grown / 1024 << " MiB");
        CHECK(grown < 500 * 1024);  // one stack page and the bookkeeping, ~4.3 KiB each
        go.set();
        gev::joinall(gs);
    });
}

TEST_CASE("a_burst_of_greenlets_gives_its_stack_memory_back_after_a_trim_period" * doctest::skip(sanitized)) {
    gev::run([] {
        gev::sleep(2.5);  // two trim periods: the stacks of earlier tests are given back
        const long before = rss_kib();
        gev::Event go;
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 8000; ++i) {
            gs.push_back(gev::spawn([&go] {
                volatile char used[12 * 1024];  // three more pages resident
                used[0] = 1;
                used[sizeof used - 1] = used[0];
                go.wait();
            }));
        }
        go.set();
        gev::joinall(gs);
        gs.clear();
        const long after_burst = rss_kib() - before;
        gev::sleep(2.5);  // two trim periods
        const long settled = rss_kib() - before;
        MESSAGE("RSS after 8,000 greenlets ended: " << after_burst / 1024 << " MiB, 2.5 s later: " << settled / 1024
                                                    << " MiB");
        CHECK(after_burst > 30 * 1024);    // the burst's stacks stay warm for reuse...
        CHECK(settled < after_burst / 3);  // ...and are given back once unused
    });
}

TEST_CASE("spawn_with_a_large_stack_allows_deep_recursion") {
    gev::run([] {
        auto g = gev::spawn(gev::SpawnOptions{.name = "deep", .stack_size = 8 * 1024 * 1024}, [] {
            struct R {
                static int down(int n) {
                    volatile char pad[1024];
                    pad[0] = static_cast<char>(n);
                    return n == 0 ? pad[0] : down(n - 1) + 1;
                }
            };
            return R::down(4000);  // ~4 MB of frames
        });
        CHECK(g.get() == 4000);
    });
}

TEST_CASE("a_stack_overflow_stops_the_process_with_a_message_naming_the_greenlet") {
    const char* child = std::getenv("GEV_OVERFLOW_CHILD");
    REQUIRE_MESSAGE(child != nullptr, "set GEV_OVERFLOW_CHILD to the overflow_child program");
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], 2);
        ::execl(child, child, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string err;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK(err.find("stack overflow in greenlet 'recursor'") != std::string::npos);
    CHECK(err.find("larger stack") != std::string::npos);
}
