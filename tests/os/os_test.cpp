// gev::os: nb_read / nb_write, tp_read / tp_write, make_nonblocking and waitpid, blocking only
// the calling greenlet.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <geventpp/os/os.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <string>

#include "test_pipe.hpp"

using namespace std::chrono_literals;

namespace {
// A child that sleeps `ms` then exits with `code` (only async-signal-safe calls after fork).
pid_t child_exiting(int code, int ms) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::usleep(static_cast<useconds_t>(ms) * 1000);
        ::_exit(code);
    }
    return pid;
}
}  // namespace

TEST_CASE("make_nonblocking_says_whether_it_changed_the_flag") {
    TestPipe p;
    CHECK(gev::os::make_nonblocking(p.r));
    CHECK(!gev::os::make_nonblocking(p.r));
    CHECK((::fcntl(p.r, F_GETFL) & O_NONBLOCK) != 0);
    CHECK_THROWS_AS(gev::os::make_nonblocking(-1), gev::os::OSError);
}

TEST_CASE("nb_read_waits_for_data_while_other_greenlets_run") {
    gev::run([] {
        TestPipe p;
        gev::os::make_nonblocking(p.r);
        gev::os::make_nonblocking(p.w);
        int ticks = 0;
        auto ticker = gev::spawn([&] {
            for (; ticks < 5; ++ticks) gev::sleep(0.01);
            CHECK(gev::os::nb_write(p.w, "hello") == 5);
            p.close_w();
        });
        gev::Timeout limit(5s);
        CHECK(gev::os::nb_read(p.r, 100) == "hello");
        CHECK(ticks == 5);
        CHECK(gev::os::nb_read(p.r, 100) == "");  // end of stream
        ticker.get();
    });
}

TEST_CASE("nb_write_returns_a_partial_count_and_waits_when_the_pipe_is_full") {
    gev::run([] {
        TestPipe p;
        gev::os::make_nonblocking(p.r);
        gev::os::make_nonblocking(p.w);
        const std::string big(1 << 20, 'z');  // more than a pipe holds
        const std::size_t first = gev::os::nb_write(p.w, big);
        CHECK(first > 0);
        CHECK(first < big.size());
        std::size_t drained = 0;
        auto reader = gev::spawn([&] {
            gev::sleep(0.02);
            drained = gev::os::nb_read(p.r, 1 << 20).size();
        });
        gev::Timeout limit(5s);
        CHECK(gev::os::nb_write(p.w, "more") > 0);  // waited for the reader to make room
        CHECK(drained > 0);
        reader.get();
    });
}

TEST_CASE("nb_write_to_a_pipe_without_reader_throws_broken_pipe") {
    gev::run([] {
        TestPipe p;
        p.close_r();
        gev::os::make_nonblocking(p.w);
        try {
            gev::os::nb_write(p.w, "x");
            FAIL("no error");
        } catch (const gev::os::BrokenPipeError& e) {
            CHECK(e.code().value() == EPIPE);
            CHECK(std::string(e.what()).find("nb_write(fd " + std::to_string(p.w) + ")") != std::string::npos);
        }
    });
}

TEST_CASE("tp_read_and_tp_write_on_a_file") {
    char path[] = "/tmp/gev_os_tp_XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    gev::run([&] {
        CHECK(gev::os::tp_write(fd, "thread pool") == 11);
        CHECK(::lseek(fd, 0, SEEK_SET) == 0);
        CHECK(gev::os::tp_read(fd, 6) == "thread");
        CHECK(gev::os::tp_read(fd, 100) == " pool");
        CHECK(gev::os::tp_read(fd, 100) == "");
        CHECK_THROWS_AS(gev::os::tp_read(-1, 1), gev::os::OSError);
    });
    ::close(fd);
    ::unlink(path);
}

TEST_CASE("waitpid_blocks_only_the_calling_greenlet") {
    gev::run([] {
        const pid_t pid = child_exiting(3, 100);
        CHECK(gev::os::waitpid(pid, WNOHANG) == std::pair<pid_t, int>{0, 0});
        int ticks = 0;
        auto ticker = gev::spawn([&] {
            for (; ticks < 5; ++ticks) gev::sleep(0.01);
        });
        gev::Timeout limit(5s);
        const auto [got, status] = gev::os::waitpid(pid, 0);
        CHECK(got == pid);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 3);
        CHECK(ticks == 5);  // the ticker ran to its end while we waited 100 ms
        ticker.get();
        try {
            gev::os::waitpid(pid, 0);
            FAIL("a reaped child waited for twice");
        } catch (const gev::os::OSError& e) {
            CHECK(e.code().value() == ECHILD);
        }
    });
}

TEST_CASE("waitpid_minus_one_reaps_whichever_child_exits_first") {
    gev::run([] {
        const pid_t slow = child_exiting(1, 300);
        const pid_t fast = child_exiting(2, 20);
        gev::Timeout limit(5s);
        const auto first = gev::os::waitpid(-1, 0);
        CHECK(first.first == fast);
        CHECK(WEXITSTATUS(first.second) == 2);
        const auto second = gev::os::waitpid(-1, 0);
        CHECK(second.first == slow);
        CHECK(WEXITSTATUS(second.second) == 1);
    });
}

TEST_CASE("waitpid_is_a_cancellation_point") {
    gev::run([] {
        const pid_t pid = child_exiting(0, 2000);
        {
            gev::Timeout t(0.05);
            CHECK_THROWS_AS(gev::os::waitpid(pid, 0), gev::Timeout::Expired);
        }
        ::kill(pid, SIGKILL);
        gev::Timeout limit(5s);
        const auto [got, status] = gev::os::waitpid(pid, 0);
        CHECK(got == pid);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
    });
}
