// libgeventpp_monkey: libc's blocking calls, made from greenlets after patch_all(), park the
// greenlet and let the thread run the others, with libc's results and errno.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/monkey.hpp>
#include <geventpp/net/stream_server.hpp>
#include <string>
#include <thread>
#include <vector>

#include "blocking_client.h"

using namespace std::chrono_literals;

namespace {

double seconds_since(gev::TimePoint start) {
    return std::chrono::duration<double>(gev::Clock::now() - start).count();
}

// A greenlet ticking every 10 ms: it only advances while the hub is free to run it.
struct Ticker {
    int ticks = 0;
    gev::Greenlet<void> g = gev::spawn([this] {
        for (;;) {
            gev::sleep(10ms);
            ++ticks;
        }
    });
    ~Ticker() { g.kill(); }
};

// Both ends of a blocking Unix stream socket pair, closed at the end of the scope.
struct Pair {
    int fd[2];
    Pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd) == 0); }
    ~Pair() {
        ::close(fd[0]);
        ::close(fd[1]);
    }
};

// SO_RCVTIMEO or SO_SNDTIMEO of 200 ms on fd.
void timeout_200ms(int fd, int option) {
    timeval tv{0, 200'000};
    REQUIRE(::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) == 0);
}

extern "C" char** environ;

// Starts argv as a child with posix_spawnp; its pid.
pid_t spawn_child(std::vector<const char*> argv) {
    argv.push_back(nullptr);
    pid_t pid = -1;
    REQUIRE(::posix_spawnp(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv.data()), environ) == 0);
    return pid;
}

void patched_run(std::function<void()> body) {
    gev::monkey::patch_all();
    gev::run(std::move(body));
}

}  // namespace

TEST_CASE("patch_functions_report_what_they_patched") {
    gev::monkey::patch_time();
    CHECK(gev::monkey::is_time_patched());
    gev::monkey::patch_all();
    CHECK(gev::monkey::is_socket_patched());
    CHECK(gev::monkey::is_select_patched());
    CHECK(gev::monkey::is_os_patched());
    CHECK(gev::monkey::is_subprocess_patched());
}

TEST_CASE("sleep_family_sleeps_only_the_calling_greenlet") {
    patched_run([] {
        Ticker ticker;
        const auto start = gev::Clock::now();
        gev::Group group;
        for (int i = 0; i < 20; ++i) {
            group.spawn([i] {
                switch (i % 5) {
                    case 0:
                        ::usleep(300'000);
                        break;
                    case 1:
                        std::this_thread::sleep_for(300ms);
                        break;
                    case 2: {
                        timespec ts{0, 300'000'000};
                        CHECK(::nanosleep(&ts, nullptr) == 0);
                        break;
                    }
                    case 3: {
                        timespec at{};
                        ::clock_gettime(CLOCK_MONOTONIC, &at);
                        at.tv_nsec += 300'000'000;
                        if (at.tv_nsec >= 1'000'000'000) {
                            at.tv_nsec -= 1'000'000'000;
                            ++at.tv_sec;
                        }
                        CHECK(::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == 0);
                        break;
                    }
                    default:
                        CHECK(::sleep(0) == 0);
                        ::usleep(300'000);
                }
            });
        }
        group.join();
        const double took = seconds_since(start);
        CHECK(took >= 0.29);
        CHECK(took < 2.0);  // one after another it would take 6 s
        CHECK(ticker.ticks >= 10);
    });
}

TEST_CASE("nanosleep_rejects_a_bad_interval_as_libc_does") {
    patched_run([] {
        timespec bad{0, 2'000'000'000};
        errno = 0;
        CHECK(::nanosleep(&bad, nullptr) == -1);
        CHECK(errno == EINVAL);
        CHECK(::clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, nullptr) == EINVAL);
    });
}

TEST_CASE("a_plain_blocking_c_client_runs_in_a_thousand_greenlets_at_once") {
    patched_run([] {
        // The server answers each request after half a second.
        gev::net::StreamServer server(gev::net::Address("127.0.0.1", 0), [](gev::net::Socket& sock, const auto&) {
            auto request = sock.recv(100);
            gev::sleep(500ms);
            sock.sendall("re:" + request);
        });
        server.start();
        const int port = server.address().port();
        const auto start = gev::Clock::now();
        std::atomic<int> right{0};
        gev::Group group;
        for (int i = 0; i < 1000; ++i) {
            group.spawn([&, i] {
                char reply[64];
                const std::string request = std::to_string(i);
                const long n = blocking_exchange(port, request.c_str(), reply, sizeof reply);
                if (n > 0 && std::string(reply, std::size_t(n)) == "re:" + request) ++right;
            });
        }
        group.join();
        CHECK(right == 1000);
        CHECK(seconds_since(start) < 10.0);  // one after another: 500 s
        server.stop();
    });
}

TEST_CASE("a_blocking_send_returns_once_all_is_sent_while_the_reader_runs") {
    patched_run([] {
        Pair p;
        const std::string big(4 << 20, 'x');
        std::size_t received = 0;
        auto reader = gev::spawn([&] {
            std::vector<char> buf(65536);
            while (received < big.size()) {
                const ssize_t n = ::read(p.fd[1], buf.data(), buf.size());
                REQUIRE(n > 0);
                received += std::size_t(n);
            }
        });
        CHECK(::send(p.fd[0], big.data(), big.size(), 0) == ssize_t(big.size()));
        reader.join();
        CHECK(received == big.size());
    });
}

TEST_CASE("recv_with_waitall_fills_the_buffer_from_several_writes") {
    patched_run([] {
        Pair p;
        auto writer = gev::spawn([&] {
            for (const char* piece : {"ab", "cd", "ef"}) {
                gev::sleep(20ms);
                CHECK(::write(p.fd[1], piece, 2) == 2);
            }
        });
        char buf[6];
        CHECK(::recv(p.fd[0], buf, sizeof buf, MSG_WAITALL) == 6);
        CHECK(std::string(buf, 6) == "abcdef");
        writer.join();
    });
}

TEST_CASE("one_greenlet_receives_while_another_sends_on_the_same_socket") {
    patched_run([] {
        Pair p;
        const std::string big(1 << 20, 'y');
        auto receiver = gev::spawn([&] {
            char c = 0;
            CHECK(::recv(p.fd[0], &c, 1, 0) == 1);
            CHECK(c == '!');
        });
        auto sender = gev::spawn([&] { CHECK(::send(p.fd[0], big.data(), big.size(), 0) == ssize_t(big.size())); });
        gev::sleep(50ms);  // both are parked on fd[0] now, one for input, one for output
        std::vector<char> buf(65536);
        for (std::size_t got = 0; got < big.size();) got += std::size_t(::read(p.fd[1], buf.data(), buf.size()));
        CHECK(::write(p.fd[1], "!", 1) == 1);
        receiver.join();
        sender.join();
    });
}

TEST_CASE("readv_writev_recvmsg_sendmsg_and_datagrams") {
    patched_run([] {
        Pair p;
        auto writer = gev::spawn([&] {
            gev::sleep(20ms);
            char a[] = "hel", b[] = "lo";
            iovec iov[2] = {{a, 3}, {b, 2}};
            CHECK(::writev(p.fd[1], iov, 2) == 5);
            gev::sleep(20ms);
            msghdr m{};
            m.msg_iov = iov;
            m.msg_iovlen = 2;
            CHECK(::sendmsg(p.fd[1], &m, 0) == 5);
        });
        char x[2], y[3];
        iovec in[2] = {{x, 2}, {y, 3}};
        CHECK(::readv(p.fd[0], in, 2) == 5);
        CHECK(std::string(x, 2) + std::string(y, 3) == "hello");
        msghdr m{};
        m.msg_iov = in;
        m.msg_iovlen = 2;
        CHECK(::recvmsg(p.fd[0], &m, 0) == 5);
        writer.join();

        const int a = ::socket(AF_INET, SOCK_DGRAM, 0), b = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(a, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(a, reinterpret_cast<sockaddr*>(&addr), &len);
        auto sender = gev::spawn([&] {
            gev::sleep(20ms);
            CHECK(::sendto(b, "ping", 4, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 4);
        });
        char buf[16];
        sockaddr_in from{};
        socklen_t from_len = sizeof from;
        CHECK(::recvfrom(a, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len) == 4);
        CHECK(from_len == sizeof from);
        CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
        sender.join();
        ::close(a);
        ::close(b);
    });
}

TEST_CASE("so_rcvtimeo_ends_a_patched_recv_with_eagain") {
    patched_run([] {
        Pair p;
        timeout_200ms(p.fd[0], SO_RCVTIMEO);
        Ticker ticker;
        const auto start = gev::Clock::now();
        char c;
        CHECK(::recv(p.fd[0], &c, 1, 0) == -1);
        CHECK(errno == EAGAIN);
        CHECK(seconds_since(start) >= 0.19);
        CHECK(ticker.ticks >= 5);
    });
}

TEST_CASE("so_sndtimeo_ends_a_blocked_send_with_what_it_sent") {
    patched_run([] {
        Pair p;
        timeout_200ms(p.fd[0], SO_SNDTIMEO);
        Ticker ticker;
        const std::string big(16 << 20, 'x');  // far more than the socket buffers; nobody reads
        const auto start = gev::Clock::now();
        const ssize_t sent = ::send(p.fd[0], big.data(), big.size(), 0);
        CHECK(sent > 0);
        CHECK(sent < ssize_t(big.size()));
        CHECK(seconds_since(start) >= 0.19);
        CHECK(ticker.ticks >= 5);
        CHECK(::send(p.fd[0], big.data(), big.size(), 0) == -1);
        CHECK(errno == EAGAIN);
    });
}

TEST_CASE("a_non_blocking_fd_keeps_non_blocking_semantics") {
    patched_run([] {
        Pair p;
        ::fcntl(p.fd[0], F_SETFL, ::fcntl(p.fd[0], F_GETFL) | O_NONBLOCK);
        char c;
        errno = 0;
        CHECK(::recv(p.fd[0], &c, 1, 0) == -1);
        CHECK(errno == EAGAIN);
        CHECK(::read(p.fd[0], &c, 1) == -1);
        CHECK(errno == EAGAIN);
        CHECK(::accept(p.fd[0], nullptr, nullptr) == -1);
    });
}

TEST_CASE("bad_fds_get_libcs_errors") {
    patched_run([] {
        char c;
        errno = 0;
        CHECK(::recv(-1, &c, 1, 0) == -1);
        CHECK(errno == EBADF);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        ::close(fds[0]);
        ::close(fds[1]);
        CHECK(::read(fds[0], &c, 1) == -1);
        CHECK(errno == EBADF);
        CHECK(::write(fds[1], &c, 1) == -1);
        CHECK(errno == EBADF);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        CHECK(::connect(fds[0], reinterpret_cast<sockaddr*>(&addr), sizeof addr) == -1);
        CHECK(errno == EBADF);
        CHECK(::accept(fds[0], nullptr, nullptr) == -1);
        CHECK(errno == EBADF);
        pollfd pf{fds[0], POLLIN, 0};
        CHECK(::poll(&pf, 1, 1000) == 1);
        CHECK(pf.revents == POLLNVAL);
    });
}

TEST_CASE("connect_refused_and_a_peer_gone_report_libcs_errno") {
    patched_run([] {
        const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // a port nobody listens on
        socklen_t len = sizeof addr;
        ::getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        errno = 0;
        CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == -1);
        CHECK(errno == ECONNREFUSED);
        CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);  // still the caller's blocking socket
        ::close(fd);
        ::close(probe);

        Pair p;
        ::close(p.fd[1]);
        p.fd[1] = ::dup(p.fd[0]);  // keeps the destructor's close harmless
        ::shutdown(p.fd[0], SHUT_RDWR);
        char c = 0;
        CHECK(::send(p.fd[0], &c, 1, MSG_NOSIGNAL) == -1);
        CHECK(errno == EPIPE);
        CHECK(::recv(p.fd[0], &c, 1, 0) == 0);
    });
}

TEST_CASE("poll_and_select_wait_in_the_greenlet") {
    patched_run([] {
        Pair p;
        Ticker ticker;
        auto writer = gev::spawn([&] {
            gev::sleep(100ms);
            CHECK(::write(p.fd[1], "x", 1) == 1);
        });
        pollfd pf[2] = {{p.fd[0], POLLIN, 0}, {-1, POLLIN, 0}};
        CHECK(::poll(pf, 2, 5000) == 1);
        CHECK(pf[0].revents == POLLIN);
        CHECK(pf[1].revents == 0);
        writer.join();
        CHECK(ticker.ticks >= 5);

        char c;
        CHECK(::read(p.fd[0], &c, 1) == 1);
        const auto start = gev::Clock::now();
        pollfd quiet{p.fd[0], POLLIN, 0};
        CHECK(::poll(&quiet, 1, 100) == 0);
        CHECK(seconds_since(start) >= 0.09);
        CHECK(::poll(nullptr, 0, 50) == 0);

        auto late = gev::spawn([&] {
            gev::sleep(50ms);
            CHECK(::write(p.fd[1], "y", 1) == 1);
        });
        fd_set readable, writable;
        FD_ZERO(&readable);
        FD_ZERO(&writable);
        FD_SET(p.fd[0], &readable);
        timeval tv{5, 0};
        CHECK(::select(p.fd[0] + 1, &readable, nullptr, nullptr, &tv) == 1);
        CHECK(FD_ISSET(p.fd[0], &readable));
        CHECK(tv.tv_sec < 5);
        late.join();
        FD_ZERO(&readable);
        FD_SET(p.fd[0], &readable);
        FD_SET(p.fd[1], &writable);
        CHECK(::select(p.fd[1] + 1, &readable, &writable, nullptr, nullptr) == 2);
        CHECK(::read(p.fd[0], &c, 1) == 1);
        tv = {0, 50'000};
        FD_ZERO(&readable);
        FD_SET(p.fd[0], &readable);
        CHECK(::select(p.fd[0] + 1, &readable, nullptr, nullptr, &tv) == 0);
        CHECK(!FD_ISSET(p.fd[0], &readable));
    });
}

TEST_CASE("pipes_wait_for_data_in_the_greenlet") {
    patched_run([] {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        Ticker ticker;
        auto writer = gev::spawn([&] {
            gev::sleep(100ms);
            CHECK(::write(fds[1], "pipe", 4) == 4);
        });
        char buf[8];
        CHECK(::read(fds[0], buf, sizeof buf) == 4);
        CHECK(ticker.ticks >= 5);
        writer.join();
        ::close(fds[0]);
        ::close(fds[1]);
    });
}

TEST_CASE("getaddrinfo_runs_off_the_hub") {
    patched_run([] {
        addrinfo hints{};
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        REQUIRE(::getaddrinfo("localhost", "80", &hints, &res) == 0);
        REQUIRE(res);
        CHECK(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
        CHECK(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_port == htons(80));
        ::freeaddrinfo(res);
        CHECK(::getaddrinfo("no-such-host.invalid", nullptr, nullptr, &res) != 0);
    });
}

TEST_CASE("kill_and_timeout_interrupt_a_patched_call") {
    patched_run([] {
        Pair p;
        char c;
        CHECK_THROWS_AS(gev::with_timeout(100ms, [&] { return ::recv(p.fd[0], &c, 1, 0); }), gev::Timeout::Expired);
        CHECK(::write(p.fd[1], "z", 1) == 1);  // the socket is fine afterwards
        CHECK(::recv(p.fd[0], &c, 1, 0) == 1);
        auto sleeper = gev::spawn([] { ::sleep(100); });
        gev::sleep(10ms);
        sleeper.kill();
        CHECK(sleeper.dead());
    });
}

// The patched calls wait through the main library's fd waits: gev::cancel_wait reaches them.
TEST_CASE("cancel_wait_raises_out_of_a_patched_recv") {
    patched_run([] {
        Pair p;
        auto waiter = gev::spawn([&] {
            char c;
            CHECK_THROWS_AS(::recv(p.fd[0], &c, 1, 0), gev::net::SocketError);
        });
        gev::sleep(10ms);
        CHECK(gev::cancel_wait(p.fd[0]) == 1);
        waiter.get();
    });
}

TEST_CASE("calls_outside_greenlets_go_to_libc") {
    gev::monkey::patch_all();
    Pair p;
    // Another OS thread blocks in libc's recv while this thread's hub goes on.
    std::thread blocked([&] {
        char c = 0;
        CHECK(::recv(p.fd[0], &c, 1, 0) == 1);
        CHECK(c == 'w');
    });
    gev::run([&] {
        Ticker ticker;
        gev::sleep(100ms);
        CHECK(ticker.ticks >= 5);
        CHECK(::write(p.fd[1], "w", 1) == 1);
    });
    blocked.join();
    // And outside any hub, sleep is libc's.
    const auto start = gev::Clock::now();
    CHECK(::usleep(20'000) == 0);
    CHECK(seconds_since(start) >= 0.019);
}

TEST_CASE("each_hub_of_several_threads_cooperates_on_its_own") {
    gev::monkey::patch_all();
    auto hub = [] {
        return gev::run([] {
            Pair p;
            gev::Group group;
            for (int i = 0; i < 50; ++i) group.spawn([] { ::usleep(200'000); });
            group.spawn([&] {
                char c;
                CHECK(::recv(p.fd[0], &c, 1, 0) == 1);
            });
            group.spawn([&] {
                ::usleep(100'000);
                CHECK(::send(p.fd[1], "h", 1, 0) == 1);
            });
            const auto start = gev::Clock::now();
            group.join();
            return seconds_since(start);
        });
    };
    double took[2] = {};
    std::thread other([&] { took[1] = hub(); });
    took[0] = hub();
    other.join();
    CHECK(took[0] < 2.0);  // 50 sleeps one after another: 10 s
    CHECK(took[1] < 2.0);
}

TEST_CASE("a_hub_ending_kills_greenlets_blocked_in_patched_calls") {
    gev::monkey::patch_all();
    Pair p;
    const auto start = gev::Clock::now();
    gev::run([&] {
        gev::spawn([&] {
            char c;
            ::recv(p.fd[0], &c, 1, 0);  // nobody ever writes
        });
        gev::spawn([] { ::sleep(1000); });
        gev::spawn([&] {
            pollfd pf{p.fd[0], POLLIN, 0};
            ::poll(&pf, 1, -1);
        });
        gev::sleep(50ms);
    });
    CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("waitpid_and_its_family_wait_for_children_in_the_greenlet") {
    patched_run([] {
        Ticker ticker;
        int status = 0;
        const pid_t one = spawn_child({"sh", "-c", "sleep 0.2; exit 3"});
        CHECK(::waitpid(one, &status, 0) == one);  // a pidfd wait
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 3);
        CHECK(ticker.ticks >= 10);

        const pid_t any = spawn_child({"sleep", "0.2"});
        const int before = ticker.ticks;
        CHECK(::wait(&status) == any);  // any child: short pauses between tries
        CHECK(WIFEXITED(status));
        CHECK(ticker.ticks - before >= 10);

        const pid_t killed = spawn_child({"sleep", "10"});
        rusage usage{};
        gev::spawn_later(50ms, [killed] { ::kill(killed, SIGTERM); });
        CHECK(::wait4(killed, &status, 0, &usage) == killed);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGTERM);

        const pid_t by_id = spawn_child({"sh", "-c", "sleep 0.1; exit 7"});
        siginfo_t info{};
        CHECK(::waitid(P_PID, by_id, &info, WEXITED) == 0);
        CHECK(info.si_pid == by_id);
        CHECK(info.si_code == CLD_EXITED);
        CHECK(info.si_status == 7);

        const pid_t running = spawn_child({"sleep", "10"});
        CHECK(::waitpid(running, &status, WNOHANG) == 0);  // WNOHANG stays libc's
        ::kill(running, SIGKILL);
        CHECK(::waitpid(running, &status, 0) == running);
        CHECK(::waitpid(running, &status, 0) == -1);  // reaped: libc's ECHILD
        CHECK(errno == ECHILD);
        CHECK(::wait(&status) == -1);
        CHECK(errno == ECHILD);
    });
}

TEST_CASE("system_runs_the_shell_in_the_greenlet") {
    patched_run([] {
        Ticker ticker;
        CHECK(::system(nullptr) != 0);
        const int status = ::system("sleep 0.2; exit 5");
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 5);
        CHECK(ticker.ticks >= 10);
        CHECK(WEXITSTATUS(::system("no-such-command-here 2>/dev/null")) == 127);
        std::vector<gev::Greenlet<int>> many;
        const auto start = gev::Clock::now();
        for (int i = 0; i < 5; ++i) many.push_back(gev::spawn([] { return ::system("sleep 0.3"); }));
        for (auto& g : many) CHECK(g.get() == 0);
        CHECK(seconds_since(start) < 1.2);  // at once, not one after the other (1.5 s)
    });
}

TEST_CASE("a_killed_greenlet_leaves_a_patched_waitpid") {
    patched_run([] {
        const pid_t child = spawn_child({"sleep", "10"});
        auto waiter = gev::spawn([child] {
            int status = 0;
            return ::waitpid(child, &status, 0);
        });
        gev::sleep(20ms);
        waiter.kill();
        CHECK(waiter.dead());
        ::kill(child, SIGKILL);
        int status = 0;
        CHECK(::waitpid(child, &status, 0) == child);  // the child is still ours to reap
    });
}
