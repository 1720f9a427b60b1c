// gev::wait_read, wait_write, wait_readwrite and cancel_wait on fds the test owns: pipes and
// socketpairs, never gev::net sockets (but one case checks a Socket's fd works too).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/net/socket.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using gev::net::SocketError;
using gev::net::SocketTimeout;

namespace {

// Two fds the test owns, closed at the end: a pipe (r, w) or a socketpair (a, b).
struct Fds {
    int a = -1, b = -1;
    Fds(const Fds&) = delete;
    Fds& operator=(const Fds&) = delete;
    Fds(Fds&& o) noexcept : a(std::exchange(o.a, -1)), b(std::exchange(o.b, -1)) {}
    Fds() = default;
    ~Fds() {
        if (a >= 0) ::close(a);
        if (b >= 0) ::close(b);
    }
};

Fds make_pipe() {
    Fds f;
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    f.a = p[0];
    f.b = p[1];
    return f;
}

Fds make_socketpair() {
    Fds f;
    int s[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0);
    f.a = s[0];
    f.b = s[1];
    return f;
}

void put(int fd, const std::string& s) {
    REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
}

std::string take(int fd) {
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    REQUIRE(n >= 0);
    return std::string(buf, static_cast<std::size_t>(n));
}

// Fills fd's buffer (made non-blocking for it, then blocking again) until a write would block.
void fill(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    const std::string chunk(65536, 'x');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    ::fcntl(fd, F_SETFL, flags);
}

double seconds_since(gev::TimePoint t) {
    return std::chrono::duration<double>(gev::Clock::now() - t).count();
}

}  // namespace

TEST_CASE("wait_read_returns_at_once_when_the_pipe_has_data") {
    gev::run([] {
        auto p = make_pipe();
        put(p.b, "x");
        gev::wait_read(p.a, 0.0);  // a zero timeout only checks: ready, so no timeout
        CHECK(take(p.a) == "x");
    });
}

TEST_CASE("wait_read_parks_only_the_greenlet_until_the_pipe_is_written") {
    gev::run([] {
        auto p = make_pipe();
        int ticks = 0;
        auto ticker = gev::spawn([&] {
            for (;;) {
                ++ticks;
                gev::sleep(5ms);
            }
        });
        auto writer = gev::spawn([&] {
            gev::sleep(50ms);
            put(p.b, "hello");
        });
        const auto t0 = gev::Clock::now();
        gev::wait_read(p.a, 5s);
        CHECK(seconds_since(t0) >= 0.04);
        CHECK(ticks >= 3);  // the hub ran others meanwhile
        CHECK(take(p.a) == "hello");
        ticker.kill();
        writer.join();
    });
}

TEST_CASE("wait_write_on_a_full_pipe_waits_until_the_reader_drains_it") {
    gev::run([] {
        auto p = make_pipe();
        fill(p.b);
        CHECK_THROWS_AS(gev::wait_write(p.b, 0.0), SocketTimeout);
        auto reader = gev::spawn([&] {
            gev::sleep(20ms);
            char buf[65536];
            CHECK(::read(p.a, buf, sizeof buf) > 0);  // frees room: the pipe is writable again
        });
        gev::wait_write(p.b, 5s);
        reader.join();
    });
}

TEST_CASE("wait_readwrite_returns_when_the_fd_is_either") {
    gev::run([] {
        auto s = make_socketpair();
        gev::wait_readwrite(s.a, 0.0);  // writable already
        fill(s.a);
        auto peer = gev::spawn([&] {
            gev::sleep(20ms);
            put(s.b, "ping");
        });
        const auto t0 = gev::Clock::now();
        gev::wait_readwrite(s.a, 5s);  // full, so it is the peer's data that wakes it
        CHECK(seconds_since(t0) >= 0.015);
        CHECK(take(s.a) == "ping");
        peer.join();
    });
}

TEST_CASE("wait_read_returns_at_end_of_stream") {
    gev::run([] {
        auto s = make_socketpair();
        auto closer = gev::spawn([&] {
            gev::sleep(10ms);
            ::close(std::exchange(s.b, -1));
        });
        gev::wait_read(s.a, 5s);
        CHECK(take(s.a).empty());
        closer.join();
    });
}

TEST_CASE("wait_read_timeout_throws_socket_timeout_naming_the_fd") {
    gev::run([] {
        auto p = make_pipe();
        const auto t0 = gev::Clock::now();
        try {
            gev::wait_read(p.a, 30ms);
            FAIL("no timeout");
        } catch (const SocketTimeout& e) {
            CHECK(std::string(e.what()).find("gev::wait_read(fd " + std::to_string(p.a) + "): timed out") !=
                  std::string::npos);
            CHECK(e.code().value() == ETIMEDOUT);
        }
        const double took = seconds_since(t0);
        CHECK(took >= 0.025);
        CHECK(took < 1.0);
        put(p.b, "y");  // the fd is left as it was: still open, still usable
        gev::wait_read(p.a, 1s);
        CHECK(take(p.a) == "y");
    });
}

TEST_CASE("wait_read_on_a_closed_or_negative_fd_throws_ebadf_not_a_hang") {
    gev::run([] {
        int closed;
        {
            auto p = make_pipe();
            closed = p.a;
        }
        try {
            gev::wait_read(closed, 5s);
            FAIL("no error");
        } catch (const SocketError& e) {
            CHECK(e.code().value() == EBADF);
            CHECK(std::string(e.what()).find("not an open file descriptor") != std::string::npos);
        }
        CHECK_THROWS_AS(gev::wait_write(-1), SocketError);
        CHECK_THROWS_AS(gev::wait_readwrite(closed), SocketError);
    });
}

TEST_CASE("wait_read_on_a_regular_file_returns_at_once") {
    gev::run([] {
        char path[] = "/tmp/fd_wait_testXXXXXX";
        const int fd = ::mkstemp(path);
        REQUIRE(fd >= 0);
        ::unlink(path);
        gev::wait_read(fd, 1s);
        gev::wait_write(fd, 1s);
        ::close(fd);
    });
}

TEST_CASE("wait_read_leaves_the_fd_open_and_its_flags_alone") {
    gev::run([] {
        auto p = make_pipe();
        const int flags = ::fcntl(p.a, F_GETFL);
        auto writer = gev::spawn([&] {
            gev::sleep(10ms);
            put(p.b, "z");
        });
        gev::wait_read(p.a, 5s);
        writer.join();
        CHECK(::fcntl(p.a, F_GETFL) == flags);
        CHECK(take(p.a) == "z");
    });
}

TEST_CASE("kill_during_wait_read_raises_in_the_waiter_and_leaves_the_fd_usable") {
    gev::run([] {
        auto p = make_pipe();
        bool got_exit = false;
        auto waiter = gev::spawn([&] {
            try {
                gev::wait_read(p.a);
            } catch (const gev::GreenletExit&) {
                got_exit = true;
                throw;
            }
        });
        gev::sleep(10ms);
        waiter.kill();
        CHECK(got_exit);
        CHECK(waiter.dead());
        put(p.b, "after");  // nothing of the killed wait stays registered
        gev::wait_read(p.a, 1s);
        CHECK(take(p.a) == "after");
    });
}

TEST_CASE("timeout_scope_interrupts_wait_write") {
    gev::run([] {
        auto p = make_pipe();
        fill(p.b);
        gev::Timeout t(20ms);
        try {
            gev::wait_write(p.b);
            FAIL("no timeout");
        } catch (const gev::Timeout::Expired& e) {
            CHECK(e.is(t));
        }
    });
}

TEST_CASE("cancel_wait_wakes_the_waiter_with_ebadf") {
    gev::run([] {
        auto p = make_pipe();
        auto waiter = gev::spawn([&] {
            try {
                gev::wait_read(p.a);
            } catch (const SocketError& e) {
                CHECK(e.code().value() == EBADF);
                return std::string(e.what());
            }
            return std::string("woken without an error");
        });
        gev::sleep(10ms);
        CHECK(gev::cancel_wait(p.a) == 1);
        CHECK(waiter.get().find("fd " + std::to_string(p.a) + " was closed in another greenlet") != std::string::npos);
        CHECK(::fcntl(p.a, F_GETFD) >= 0);  // cancel_wait does not close the fd
    });
}

TEST_CASE("cancel_wait_raises_the_exception_given") {
    gev::run([] {
        auto s = make_socketpair();
        fill(s.a);
        auto waiter =
            gev::spawn([&] { CHECK_THROWS_WITH_AS(gev::wait_write(s.a, 5s), "shutting down", std::runtime_error); });
        gev::sleep(10ms);
        CHECK(gev::cancel_wait(s.a, std::runtime_error("shutting down")) == 1);
        waiter.get();
    });
}

TEST_CASE("cancel_wait_wakes_every_greenlet_waiting_on_the_fd_and_no_other") {
    gev::run([] {
        auto p = make_pipe();
        auto other = make_pipe();
        std::vector<gev::AnyGreenlet> waiters;
        int cancelled = 0;
        for (int i = 0; i < 3; ++i) {
            waiters.push_back(gev::spawn([&] {
                try {
                    gev::wait_read(p.a, 5s);
                } catch (const SocketError&) {
                    ++cancelled;
                }
            }));
        }
        auto bystander = gev::spawn([&] { gev::wait_read(other.a, 5s); });
        gev::sleep(10ms);
        CHECK(gev::cancel_wait(p.a) == 3);
        gev::joinall(waiters);
        CHECK(cancelled == 3);
        CHECK_FALSE(bystander.ready());
        put(other.b, "!");
        bystander.get();
    });
}

TEST_CASE("cancel_wait_with_nobody_waiting_returns_zero") {
    gev::run([] {
        auto p = make_pipe();
        CHECK(gev::cancel_wait(p.a) == 0);
        put(p.b, "x");
        gev::wait_read(p.a, 0.0);  // a later wait is not affected
    });
}

TEST_CASE("several_greenlets_wait_on_one_fd_and_all_wake") {
    gev::run([] {
        auto p = make_pipe();
        std::vector<gev::AnyGreenlet> waiters;
        for (int i = 0; i < 5; ++i) waiters.push_back(gev::spawn([&] { gev::wait_read(p.a, 5s); }));
        gev::sleep(10ms);
        put(p.b, "x");
        CHECK(gev::joinall(waiters, 5s).size() == 5);
        for (auto& g : waiters) CHECK(g.successful());
    });
}

TEST_CASE("many_greenlets_wait_on_different_fds_and_each_wakes_for_its_own") {
    gev::run([] {
        constexpr int n = 200;
        std::vector<Fds> pipes;
        for (int i = 0; i < n; ++i) pipes.push_back(make_pipe());
        std::vector<int> order;
        std::vector<gev::AnyGreenlet> waiters;
        for (int i = 0; i < n; ++i) {
            waiters.push_back(gev::spawn([&, i] {
                gev::wait_read(pipes[i].a, 10s);
                CHECK(take(pipes[i].a) == std::to_string(i));
                order.push_back(i);
            }));
        }
        gev::sleep(10ms);
        for (int i = n - 1; i >= 0; --i) {
            put(pipes[i].b, std::to_string(i));
            gev::sleep(0);
        }
        gev::joinall(waiters);
        REQUIRE(order.size() == n);
        CHECK(order.front() == n - 1);  // woken in the order written, not the order waited
        CHECK(order.back() == 0);
    });
}

TEST_CASE("wait_read_on_the_fd_of_a_gev_net_socket_another_greenlet_receives_on") {
    gev::run([] {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        auto a = gev::net::Socket::adopt(sv[0]);
        auto b = gev::net::Socket::adopt(sv[1]);
        auto receiver = gev::spawn([&] { return a.recv(100); });  // registers a's fd with the hub
        auto sender = gev::spawn([&] {
            gev::sleep(20ms);
            b.sendall("via socket");
        });
        gev::sleep(5ms);
        gev::wait_read(a.fileno(), 5s);
        CHECK(receiver.get() == "via socket");
        sender.join();
    });
}

TEST_CASE("wait_read_outside_a_hub_returns_when_ready_and_throws_usage_error_when_it_would_park") {
    auto p = make_pipe();
    CHECK_THROWS_AS(gev::wait_read(p.a, 1s), gev::UsageError);
    put(p.b, "x");
    gev::wait_read(p.a, 1s);
}
