// gev::select and gev::Poll (gevent.select) on pipes, socketpairs and TCP urgent data.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/net/select.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using gev::net::SocketError;

namespace {

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        r = p[0];
        w = p[1];
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        if (r >= 0) ::close(r);
        if (w >= 0) ::close(w);
    }
};

void put(int fd, const std::string& s) {
    REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
}

int closed_fd() {
    Pipe p;
    return p.r;
}

double seconds_since(gev::TimePoint t) {
    return std::chrono::duration<double>(gev::Clock::now() - t).count();
}

}  // namespace

TEST_CASE("select_returns_the_ready_fds_of_each_list_in_the_order_given") {
    gev::run([] {
        Pipe a, b, c;
        put(b.w, "x");
        put(c.w, "x");
        auto [r, w, x] = gev::select({a.r, c.r, b.r}, {a.w}, {a.r}, 1s);
        CHECK(r == std::vector{c.r, b.r});
        CHECK(w == std::vector{a.w});
        CHECK(x.empty());
    });
}

TEST_CASE("select_times_out_with_three_empty_lists") {
    gev::run([] {
        Pipe a;
        const auto t0 = gev::Clock::now();
        auto [r, w, x] = gev::select({a.r}, {}, {}, 30ms);
        CHECK(r.empty());
        CHECK(w.empty());
        CHECK(x.empty());
        CHECK(seconds_since(t0) >= 0.025);
    });
}

TEST_CASE("select_zero_timeout_only_checks") {
    gev::run([] {
        Pipe a;
        CHECK(gev::select({a.r}, {}, {}, 0.0).rlist.empty());
        put(a.w, "x");
        CHECK(gev::select({a.r}, {}, {}, 0.0).rlist == std::vector{a.r});
    });
}

TEST_CASE("select_parks_the_greenlet_until_a_pipe_becomes_readable") {
    gev::run([] {
        Pipe a, b;
        int ticks = 0;
        auto ticker = gev::spawn([&] {
            for (;;) {
                ++ticks;
                gev::sleep(5ms);
            }
        });
        auto writer = gev::spawn([&] {
            gev::sleep(40ms);
            put(b.w, "x");
        });
        auto res = gev::select({a.r, b.r}, {}, {});
        CHECK(res.rlist == std::vector{b.r});
        CHECK(ticks >= 3);
        ticker.kill();
        writer.join();
    });
}

TEST_CASE("select_reports_end_of_stream_as_readable") {
    gev::run([] {
        Pipe a;
        ::close(std::exchange(a.w, -1));
        CHECK(gev::select({a.r}, {}, {}, 1s).rlist == std::vector{a.r});
    });
}

TEST_CASE("select_xlist_reports_tcp_urgent_data") {
    gev::run([] {
        auto listener = gev::net::listen_on(gev::net::Address("127.0.0.1", 0));
        const auto port = listener.getsockname().port();
        auto client = gev::net::create_connection("127.0.0.1", port, 5s);
        auto [conn, peer] = listener.accept();
        CHECK(gev::select({}, {}, {conn.fileno()}, 0.0).xlist.empty());
        auto sender = gev::spawn([&] {
            gev::sleep(10ms);
            const char urgent = '!';
            REQUIRE(::send(client.fileno(), &urgent, 1, MSG_OOB) == 1);
        });
        CHECK(gev::select({}, {}, {conn.fileno()}, 5s).xlist == std::vector{conn.fileno()});
        sender.join();
    });
}

TEST_CASE("select_on_a_closed_fd_throws_ebadf_naming_it") {
    gev::run([] {
        const int fd = closed_fd();
        try {
            gev::select({fd}, {}, {}, 1s);
            FAIL("no error");
        } catch (const SocketError& e) {
            CHECK(e.code().value() == EBADF);
            CHECK(std::string(e.what()).find("fd " + std::to_string(fd)) != std::string::npos);
        }
        CHECK_THROWS_AS(gev::select({}, {-1}, {}, 1s), SocketError);
    });
}

TEST_CASE("select_with_no_fds_sleeps_for_the_timeout") {
    gev::run([] {
        const auto t0 = gev::Clock::now();
        auto [r, w, x] = gev::select({}, {}, {}, 20ms);
        CHECK(r.empty());
        CHECK(seconds_since(t0) >= 0.015);
    });
}

TEST_CASE("select_is_a_cancellation_point") {
    gev::run([] {
        Pipe a;
        auto waiter = gev::spawn([&] { gev::select({a.r}, {}, {}); });
        gev::sleep(10ms);
        waiter.kill();
        CHECK(waiter.dead());
        gev::Timeout t(10ms);
        CHECK_THROWS_AS(gev::select({a.r}, {}, {}), gev::Timeout::Expired);
    });
}

TEST_CASE("cancel_wait_on_one_fd_wakes_a_select_waiting_on_it") {
    gev::run([] {
        Pipe a, b;
        auto waiter = gev::spawn([&] { CHECK_THROWS_AS(gev::select({a.r, b.r}, {}, {}, 5s), SocketError); });
        gev::sleep(10ms);
        CHECK(gev::cancel_wait(b.r) == 1);
        waiter.get();
    });
}

TEST_CASE("poll_reports_the_events_of_registered_fds") {
    gev::run([] {
        Pipe a, b;
        gev::Poll p;
        p.register_fd(a.r, POLLIN);
        p.register_fd(b.r, POLLIN);
        p.register_fd(b.w, POLLOUT);
        put(b.w, "x");
        auto events = p.poll(1s);
        REQUIRE(events.size() == 2);
        CHECK(events[0].fd == b.r);
        CHECK(events[0].events == POLLIN);
        CHECK(events[1].fd == b.w);
        CHECK(events[1].events == POLLOUT);
    });
}

TEST_CASE("poll_waits_for_an_event_or_times_out_empty") {
    gev::run([] {
        Pipe a;
        gev::Poll p;
        p.register_fd(a.r, POLLIN);
        CHECK(p.poll(20ms).empty());
        auto writer = gev::spawn([&] {
            gev::sleep(10ms);
            put(a.w, "x");
        });
        auto events = p.poll();
        REQUIRE(events.size() == 1);
        CHECK(events[0].fd == a.r);
        writer.join();
    });
}

TEST_CASE("poll_modify_and_unregister_change_what_it_waits_for") {
    gev::run([] {
        Pipe a;
        gev::Poll p;
        p.register_fd(a.w);  // POLLIN | POLLPRI | POLLOUT by default, as Python's
        CHECK(p.poll(0.0).size() == 1);
        p.modify(a.w, POLLIN);
        CHECK(p.poll(0.0).empty());
        p.register_fd(a.w, POLLOUT);  // registering again modifies
        CHECK(p.poll(0.0).size() == 1);
        p.unregister(a.w);
        CHECK(p.poll(0.0).empty());
    });
}

TEST_CASE("poll_modify_or_unregister_of_an_unknown_fd_throws") {
    gev::Poll p;
    try {
        p.modify(7, POLLIN);
        FAIL("no error");
    } catch (const SocketError& e) {
        CHECK(e.code().value() == ENOENT);
    }
    CHECK_THROWS_AS(p.unregister(7), std::out_of_range);
    CHECK_THROWS_AS(p.register_fd(-1), std::invalid_argument);
}

TEST_CASE("poll_reports_a_closed_fd_with_pollnval") {
    gev::run([] {
        gev::Poll p;
        const int fd = closed_fd();
        p.register_fd(fd, POLLIN);
        auto events = p.poll(1s);
        REQUIRE(events.size() == 1);
        CHECK(events[0].fd == fd);
        CHECK(events[0].events == POLLNVAL);
    });
}
