// gev::subprocess: children whose waits and pipes block only the calling greenlet.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <geventpp/net/error.hpp>
#include <geventpp/os/subprocess.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <string>
#include <vector>

namespace sp = gev::subprocess;
using namespace std::chrono_literals;

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

TEST_CASE("echo_through_pipes") {
    gev::run([] {
        sp::Popen p({"echo", "hello", "world"}, {.stdout = sp::PIPE});
        CHECK(p.stdout->read() == "hello world\n");
        CHECK(p.wait() == 0);
        CHECK(p.returncode() == 0);
        CHECK(p.pid() > 0);
        CHECK(!p.stdin);
    });
}

TEST_CASE("communicate_sends_input_and_reads_both_streams") {
    gev::run([] {
        sp::Popen p({"sh", "-c", "cat; echo oops >&2"}, {.stdin = sp::PIPE, .stdout = sp::PIPE, .stderr = sp::PIPE});
        auto [out, err] = p.communicate("some input\n");
        CHECK(out == "some input\n");
        CHECK(err == "oops\n");
        CHECK(p.returncode() == 0);
    });
}

TEST_CASE("communicate_of_streams_not_piped_is_nullopt") {
    gev::run([] {
        sp::Popen p({"true"});
        auto [out, err] = p.communicate();
        CHECK(!out);
        CHECK(!err);
        CHECK(p.returncode() == 0);
    });
}

TEST_CASE("large_output_and_input_both_ways_without_deadlock") {
    gev::run([] {
        std::string big(8 * 1024 * 1024, 'x');
        for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = char('a' + i / 4096 % 26);
        sp::Popen p({"cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
        auto [out, err] = p.communicate(big, 30s);
        CHECK(out->size() == big.size());
        CHECK(*out == big);
        CHECK(p.returncode() == 0);
    });
}

TEST_CASE("stderr_to_stdout") {
    gev::run([] {
        auto r = sp::run({"sh", "-c", "echo out; echo err >&2"}, {.stdout = sp::PIPE, .stderr = sp::STDOUT});
        CHECK(r.stdout == "out\nerr\n");
        CHECK(!r.stderr);
    });
}

TEST_CASE("env_and_cwd") {
    gev::run([] {
        auto r = sp::run({"sh", "-c", "echo $GEV_TEST_VAR; pwd; echo ${HOME:-unset}"},
                         {.stdout = sp::PIPE, .cwd = "/tmp", .env = sp::Env{{"GEV_TEST_VAR", "forty-two"}}});
        CHECK(r.stdout == "forty-two\n/tmp\nunset\n");
    });
}

TEST_CASE("stdout_to_a_file_and_stdin_from_devnull") {
    gev::run([] {
        FILE* f = std::tmpfile();
        REQUIRE(f);
        CHECK(sp::call({"sh", "-c", "cat; echo written"}, {.stdin = sp::DEVNULL, .stdout = f}) == 0);
        std::rewind(f);
        char buf[64] = {};
        CHECK(std::string(buf, std::fread(buf, 1, sizeof buf, f)) == "written\n");
        std::fclose(f);
    });
}

TEST_CASE("missing_program_throws_file_not_found_naming_it") {
    gev::run([] {
        try {
            sp::Popen p({"gev-no-such-program", "arg"});
            FAIL("no exception");
        } catch (const sp::FileNotFoundError& e) {
            CHECK(e.code().value() == ENOENT);
            CHECK(std::string(e.what()).find("gev-no-such-program") != std::string::npos);
        }
        CHECK_THROWS_AS(sp::Popen({"true"}, {.cwd = "/gev/no/such/dir"}), sp::FileNotFoundError);
        CHECK_THROWS_WITH_AS(sp::Popen({"/etc/passwd"}), doctest::Contains("/etc/passwd"), sp::PermissionError);
    });
}

TEST_CASE("popen_outside_a_hub_is_a_usage_error") {
    CHECK_THROWS_AS(sp::Popen({"true"}), gev::UsageError);
}

TEST_CASE("child_killed_by_a_signal_has_negative_returncode") {
    gev::run([] {
        sp::Popen p({"sleep", "10"});
        CHECK(!p.poll());
        p.kill();
        CHECK(p.wait(5s) == -SIGKILL);
        sp::Popen q({"sleep", "10"});
        q.terminate();
        CHECK(q.wait(5s) == -SIGTERM);
        q.kill();  // reaped already: nothing to signal, no error
        CHECK_THROWS_WITH_AS(sp::check_call({"sh", "-c", "kill -TERM $$"}),
                             "Command 'sh -c kill -TERM $$' died with SIGTERM.", sp::CalledProcessError);
    });
}

TEST_CASE("communicate_timing_out_leaves_the_child_running_then_kill_works") {
    gev::run([] {
        sp::Popen p({"sh", "-c", "echo started; exec sleep 10"}, {.stdout = sp::PIPE});
        const auto start = std::chrono::steady_clock::now();
        try {
            p.communicate(std::nullopt, 300ms);
            FAIL("no timeout");
        } catch (const sp::TimeoutExpired& e) {
            CHECK(e.output == "started\n");
            CHECK(std::string(e.what()).find("timed out after 0.3 seconds") != std::string::npos);
        }
        CHECK(seconds_since(start) < 2.0);
        CHECK(!p.poll());
        p.kill();
        auto [out, err] = p.communicate();
        CHECK(out == "started\n");
        CHECK(p.returncode() == -SIGKILL);
    });
}

TEST_CASE("wait_timeout_throws_timeout_expired") {
    gev::run([] {
        sp::Popen p({"sleep", "10"});
        CHECK_THROWS_AS(p.wait(100ms), sp::TimeoutExpired);
        CHECK(!p.returncode());
        p.kill();
        CHECK(p.wait() == -SIGKILL);
    });
}

TEST_CASE("run_timeout_kills_the_child") {
    gev::run([] {
        const auto start = std::chrono::steady_clock::now();
        CHECK_THROWS_AS(sp::run({"sleep", "10"}, {.timeout = 200ms}), sp::TimeoutExpired);
        CHECK_THROWS_AS(sp::call({"sleep", "10"}, {}, 200ms), sp::TimeoutExpired);
        CHECK(seconds_since(start) < 2.0);
    });
}

TEST_CASE("many_children_at_once_on_one_hub") {
    gev::run([] {
        const auto start = std::chrono::steady_clock::now();
        std::vector<sp::Popen> children;
        for (int i = 0; i < 50; ++i) children.emplace_back(std::vector<std::string>{"sleep", "0.2"});
        std::vector<gev::Waitable> all(children.begin(), children.end());
        CHECK(gev::wait(all, 20s).size() == 50);
        for (auto& c : children) CHECK(c.returncode() == 0);
        CHECK(seconds_since(start) < 3.0);  // serially: 10 s
    });
}

TEST_CASE("waiting_blocks_only_the_calling_greenlet") {
    gev::run([] {
        int ticks = 0;
        auto ticker = gev::spawn([&] {
            for (;;) {
                gev::sleep(10ms);
                ++ticks;
            }
        });
        sp::Popen p({"sh", "-c", "sleep 0.3; echo done"}, {.stdout = sp::PIPE});
        CHECK(p.stdout->readline() == "done\n");
        CHECK(p.wait() == 0);
        CHECK(ticks >= 10);
        ticker.kill();
    });
}

TEST_CASE("pipe_whose_reader_vanished_is_an_error_not_sigpipe") {
    gev::run([] {
        sp::Popen p({"true"}, {.stdin = sp::PIPE});
        p.wait();
        std::string chunk(64 * 1024, 'x');
        CHECK_THROWS_AS(
            {
                for (int i = 0; i < 100; ++i) p.stdin->write(chunk);
            },
            gev::net::ConnectionReset);
        sp::Popen q({"head", "-c", "1"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
        std::string big(4 * 1024 * 1024, 'y');
        auto [out, err] = q.communicate(big);  // communicate ignores EPIPE, as Python's
        CHECK(out == "y");
    });
}

TEST_CASE("check_output_returns_stdout_or_raises_called_process_error") {
    gev::run([] {
        CHECK(sp::check_output({"echo", "hi"}) == "hi\n");
        CHECK(sp::check_output({"tr", "a-z", "A-Z"}, {}, 5s, "shout") == "SHOUT");
        try {
            sp::check_output({"sh", "-c", "echo partial; exit 3"});
            FAIL("no exception");
        } catch (const sp::CalledProcessError& e) {
            CHECK(e.returncode == 3);
            CHECK(e.output == "partial\n");
            CHECK(e.cmd == std::vector<std::string>{"sh", "-c", "echo partial; exit 3"});
            CHECK(std::string(e.what()) == "Command 'sh -c echo partial; exit 3' returned non-zero exit status 3.");
        }
        CHECK(sp::call({"false"}) == 1);
        CHECK_THROWS_AS(sp::check_call({"false"}), sp::CalledProcessError);
        CHECK(sp::check_call({"true"}) == 0);
        auto r = sp::run({"sh", "-c", "echo o; echo e >&2; exit 2"}, {.capture_output = true});
        CHECK(r.returncode == 2);
        CHECK(r.stdout == "o\n");
        CHECK(r.stderr == "e\n");
        CHECK_THROWS_AS(r.check_returncode(), sp::CalledProcessError);
    });
}

TEST_CASE("fds_do_not_leak_into_children") {
    gev::run([] {
        // An fd the user opened without O_CLOEXEC, and the pipes of another child alive meanwhile.
        const int mine = ::open("/dev/null", O_RDONLY);
        REQUIRE(mine >= 0);
        sp::Popen other({"cat"}, {.stdin = sp::PIPE, .stdout = sp::PIPE});
        auto listing = sp::check_output({"ls", "/proc/self/fd"});
        // 0, 1 (the pipe), 2, and the fd ls opened to list the directory.
        CHECK(listing == "0\n1\n2\n3\n");
        auto kept = sp::check_output({"ls", "/proc/self/fd"}, {.close_fds = false});
        CHECK(kept.find(std::to_string(mine) + "\n") != std::string::npos);
        other.communicate("");
        ::close(mine);
    });
}

TEST_CASE("a_dropped_popen_is_still_reaped") {
    gev::run([] {
        pid_t pid;
        {
            sp::Popen p({"true"});
            pid = p.pid();
        }
        gev::sleep(300ms);
        CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);  // reaped by the hub's watcher: ECHILD
        CHECK(errno == ECHILD);
    });
}

TEST_CASE("readline_reads_lines_as_they_come") {
    gev::run([] {
        sp::Popen p({"printf", "a\\nbb\\nlast"}, {.stdout = sp::PIPE});
        CHECK(p.stdout->readline() == "a\n");
        CHECK(p.stdout->readline() == "bb\n");
        CHECK(p.stdout->readline() == "last");
        CHECK(p.stdout->readline() == "");
        CHECK(p.wait() == 0);
    });
}

TEST_CASE("a_child_still_running_at_hub_exit_is_left_running") {
    pid_t pid = -1;
    const auto start = std::chrono::steady_clock::now();
    gev::run([&] {
        sp::Popen p({"sleep", "10"});
        pid = p.pid();
    });
    CHECK(seconds_since(start) < 2.0);  // the watcher is killed with the hub, not waited for
    CHECK(::kill(pid, 0) == 0);         // and the child runs on, as Python leaves it
    ::kill(pid, SIGKILL);
    CHECK(::waitpid(pid, nullptr, 0) == pid);
}

TEST_CASE("gev_wait_on_popens_returns_those_that_exited_within_the_timeout") {
    gev::run([] {
        sp::Popen slow({"sleep", "10"});
        sp::Popen quick({"true"});
        CHECK(gev::wait({slow, quick}, 500ms) == std::vector<std::size_t>{1});
        CHECK(!slow.poll());
        CHECK(quick.poll() == 0);
        slow.kill();
        CHECK(gev::wait({slow}, 5s).size() == 1);
        CHECK(slow.returncode() == -SIGKILL);
    });
}

TEST_CASE("getoutput_and_getstatusoutput_run_a_shell_command") {
    gev::run([] {
        CHECK(sp::getoutput("echo one; echo two >&2") == "one\ntwo");
        CHECK(sp::getstatusoutput("echo no; exit 3") == std::pair<int, std::string>{3, "no"});
    });
}

TEST_CASE("callers_timeout_kills_and_reaps_the_child_of_call_and_run") {
    gev::run([] {
        const auto start = std::chrono::steady_clock::now();
        {
            gev::Timeout t(200ms);
            CHECK_THROWS_AS(sp::call({"sleep", "10"}), gev::Timeout::Expired);
        }
        {
            gev::Timeout t(200ms);
            CHECK_THROWS_AS(sp::run({"sleep", "10"}, {.stdout = sp::PIPE}), gev::Timeout::Expired);
        }
        CHECK(seconds_since(start) < 2.0);
        CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // no child left, not even a zombie
        CHECK(errno == ECHILD);
    });
}
