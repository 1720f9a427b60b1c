#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/reader.hpp>
#include <geventpp/net/resolve.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/stream_server.hpp>
#include <string>

using namespace std::chrono_literals;
using gev::net::Address;
using gev::net::Socket;

namespace {
// A listening TCP socket on a free loopback port.
Socket listener() {
    return gev::net::listen_on(Address("127.0.0.1", 0));
}
}  // namespace

TEST_CASE("tcp_round_trip_between_two_greenlets_on_one_hub") {
    gev::run([] {
        auto srv = listener();
        const auto port = srv.getsockname().port();
        auto server = gev::spawn([&] {
            auto [conn, peer] = srv.accept();
            CHECK(peer.host() == "127.0.0.1");
            std::string got = conn.recv(100);
            conn.sendall("echo:" + got);
        });
        auto client = gev::net::create_connection("127.0.0.1", port, 5s);
        client.sendall("hello");
        CHECK(client.recv(100) == "echo:hello");
        server.get();
    });
}

TEST_CASE("recv_returns_empty_at_end_of_stream_every_time") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto [conn, peer] = srv.accept();
        client.sendall("last words");
        client.close();
        std::string all;
        for (std::string piece; !(piece = conn.recv(4)).empty();) all += piece;
        CHECK(all == "last words");
        CHECK(conn.recv(10).empty());
    });
}

TEST_CASE("try_recv_into_returns_nothing_instead_of_waiting") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto [conn, peer] = srv.accept();
        char buf[64];
        CHECK_FALSE(conn.try_recv_into(buf, sizeof buf));  // nothing sent yet: no wait
        client.sendall("ping");
        conn.wait_read(5.0);
        auto n = conn.try_recv_into(buf, sizeof buf);
        REQUIRE(n);
        CHECK(std::string(buf, *n) == "ping");
        CHECK_FALSE(conn.try_recv_into(buf, sizeof buf));  // drained
        client.close();
        conn.wait_read(5.0);
        n = conn.try_recv_into(buf, sizeof buf);
        REQUIRE(n);
        CHECK(*n == 0);  // end of stream
    });
}

TEST_CASE("connect_to_a_closed_port_throws_connection_refused") {
    gev::run([] {
        std::uint16_t port;
        {
            auto s = listener();
            port = s.getsockname().port();
        }
        CHECK_THROWS_AS(gev::net::create_connection("127.0.0.1", port), gev::net::ConnectionRefused);
    });
}

TEST_CASE("socket_timeout_interrupts_recv_with_socket_timeout") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        client.settimeout(50ms);
        const auto start = gev::Clock::now();
        CHECK_THROWS_AS(client.recv(10), gev::net::SocketTimeout);
        CHECK(gev::Clock::now() - start >= 50ms);
    });
}

TEST_CASE("a_reader_that_timed_out_returns_only_what_arrived") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto [server_side, peer] = srv.accept();
        client.settimeout(50ms);
        gev::net::Reader reader(client);
        server_side.sendall("par");
        for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(reader.readline(), gev::net::SocketTimeout);
        server_side.sendall("tial line\nnext\n");
        CHECK(reader.readline() == "partial line\n");  // no NUL bytes from the reads that timed out
        CHECK(reader.readline() == "next\n");
        server_side.sendall("abc");
        CHECK_THROWS_AS(reader.read(10), gev::net::SocketTimeout);
        server_side.sendall("defghij");
        CHECK(reader.read(10) == "abcdefghij");
    });
}

TEST_CASE("gev_timeout_and_kill_interrupt_a_blocked_recv") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        {
            gev::Timeout t(30ms);
            CHECK_THROWS_AS(client.recv(10), gev::Timeout::Expired);
        }
        auto reader = gev::spawn([&] { return client.recv(10); });
        gev::sleep(10ms);
        reader.kill();
        CHECK(reader.dead());
        CHECK_THROWS_AS(reader.get(), gev::GreenletExit);
    });
}

TEST_CASE("a_peer_reset_throws_connection_reset") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        {
            auto [conn, peer] = srv.accept();
            linger l{1, 0};  // close with RST
            ::setsockopt(conn.fileno(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        gev::sleep(10ms);
        CHECK_THROWS_AS(client.recv(10), gev::net::ConnectionReset);
    });
}

TEST_CASE("closing_a_socket_wakes_a_greenlet_blocked_on_it_with_ebadf") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto reader = gev::spawn([&] { return client.recv(10); });
        gev::sleep(10ms);
        client.close();
        CHECK_THROWS_WITH_AS(reader.get(), doctest::Contains("closed by another greenlet"), gev::net::SocketError);
    });
}

TEST_CASE("sendall_of_a_large_buffer_blocks_until_the_peer_reads_it") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto [conn, peer] = srv.accept();
        const std::string big(8 * 1024 * 1024, 'x');
        auto writer = gev::spawn([&] { client.sendall(big); });
        std::size_t got = 0;
        char buf[65536];
        while (got < big.size()) got += conn.recv_into(buf, sizeof buf);
        writer.get();
        CHECK(got == big.size());
    });
}

TEST_CASE("beast_reads_an_http_request_from_a_socket_in_a_greenlet") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto [conn, peer] = srv.accept();
        auto writer = gev::spawn([&] {
            for (const char* piece : {"POST /up HTTP/1.1\r\nHo", "st: x\r\nContent-Length: 5\r\n\r\n", "hello"}) {
                client.sendall(piece);
                gev::sleep(5ms);
            }
        });
        boost::beast::flat_buffer buffer;
        boost::beast::http::request<boost::beast::http::string_body> req;
        boost::beast::http::read(conn, buffer, req);
        CHECK(req.method_string() == "POST");
        CHECK(req.target() == "/up");
        CHECK(req.body() == "hello");
        writer.get();
    });
}

TEST_CASE("udp_sendto_and_recvfrom") {
    gev::run([] {
        Socket a(AF_INET, SOCK_DGRAM), b(AF_INET, SOCK_DGRAM);
        a.bind(Address("127.0.0.1", 0));
        b.bind(Address("127.0.0.1", 0));
        auto receiver = gev::spawn([&] { return b.recvfrom(100); });
        a.sendto("ping", b.getsockname());
        auto [data, from] = receiver.get();
        CHECK(data == "ping");
        CHECK(from.port() == a.getsockname().port());
    });
}

TEST_CASE("unix_stream_sockets") {
    gev::run([] {
        const auto path = "/tmp/gevtest-" + std::to_string(::getpid()) + ".sock";
        auto srv = gev::net::listen_on(Address::unix_socket(path));
        auto server = gev::spawn([&] {
            auto [conn, peer] = srv.accept();
            conn.sendall(conn.recv(100));
        });
        Socket c(AF_UNIX, SOCK_STREAM);
        c.connect(Address::unix_socket(path));
        c.sendall("over unix");
        CHECK(c.recv(100) == "over unix");
        server.get();
        ::unlink(path.c_str());
    });
}

TEST_CASE("ipv6_loopback") {
    gev::run([] {
        auto srv = gev::net::listen_on(Address("::1", 0));
        auto client = gev::net::create_connection("::1", srv.getsockname().port());
        auto [conn, peer] = srv.accept();
        CHECK(peer.family() == AF_INET6);
        CHECK(peer.to_string().rfind("[::1]:", 0) == 0);
    });
}

TEST_CASE("names_resolve_without_blocking_the_hub_and_bad_names_throw") {
    gev::run([] {
        auto addrs = gev::net::getaddrinfo("localhost", 80);
        REQUIRE_FALSE(addrs.empty());
        CHECK(addrs.front().port() == 80);
        CHECK(gev::net::gethostbyname("localhost") == "127.0.0.1");
        CHECK_THROWS_AS(gev::net::getaddrinfo("no-such-host.invalid", 80), gev::net::AddressError);
        CHECK_THROWS_AS(Address("not-an-ip", 1), gev::net::AddressError);
    });
}

TEST_CASE("binding_a_port_in_use_throws_eaddrinuse") {
    gev::run([] {
        auto a = listener();
        try {
            Socket b(AF_INET, SOCK_STREAM);
            b.bind(a.getsockname());
            FAIL("bind succeeded");
        } catch (const gev::net::SocketError& e) {
            CHECK(e.code().value() == EADDRINUSE);
        }
    });
}

TEST_CASE("wait_read_returns_when_data_is_there") {
    gev::run([] {
        auto srv = listener();
        auto client = gev::net::create_connection("127.0.0.1", srv.getsockname().port());
        auto [conn, peer] = srv.accept();
        CHECK_THROWS_AS(conn.wait_read(20ms), gev::net::SocketTimeout);
        client.sendall("x");
        conn.wait_read(1s);
        CHECK(conn.recv(1) == "x");
    });
}

TEST_CASE("socketpair_gives_two_connected_sockets_and_a_bad_family_throws") {
    gev::run([] {
        auto [a, b] = gev::net::socketpair();
        CHECK(a.family() == AF_UNIX);
        a.sendall("over the pair");
        CHECK(b.recv(100) == "over the pair");
        b.close();
        CHECK(a.recv(10).empty());
        auto [d1, d2] = gev::net::socketpair(AF_UNIX, SOCK_DGRAM);
        d1.send("one datagram");
        CHECK(d2.recv(100) == "one datagram");
        try {
            gev::net::socketpair(AF_INET, SOCK_STREAM);  // the kernel pairs only AF_UNIX
            FAIL("socketpair(AF_INET) succeeded");
        } catch (const gev::net::SocketError& e) {
            CHECK(e.code().value() == EOPNOTSUPP);
            CHECK(std::string(e.what()).find("socketpair") != std::string::npos);
        }
        CHECK_THROWS_AS(gev::net::socketpair(12345), gev::net::SocketError);
    });
}

TEST_CASE("dup_shares_the_connection_keeps_the_timeout_and_outlives_the_original") {
    gev::run([] {
        auto [a, b] = gev::net::socketpair();
        a.settimeout(2.5);
        Socket copy = a.dup();
        CHECK(copy.fileno() != a.fileno());
        CHECK(copy.gettimeout().span() == a.gettimeout().span());
        a.close();
        copy.sendall("from the copy");
        CHECK(b.recv(100) == "from the copy");
        b.sendall("to the copy");
        CHECK(copy.recv(100) == "to the copy");
        try {
            a.dup();
            FAIL("dup of a closed socket succeeded");
        } catch (const gev::net::SocketError& e) {
            CHECK(e.code().value() == EBADF);
        }
    });
}

TEST_CASE("setblocking_false_makes_calls_that_would_wait_throw_would_block") {
    gev::run([] {
        auto [a, b] = gev::net::socketpair();
        CHECK(a.getblocking());
        a.setblocking(false);
        CHECK_FALSE(a.getblocking());
        CHECK(a.gettimeout());
        CHECK(a.gettimeout().span() == gev::Clock::duration::zero());
        try {
            a.recv(10);
            FAIL("recv on an empty non-blocking socket returned");
        } catch (const gev::net::WouldBlock& e) {
            CHECK(e.code().value() == EAGAIN);
        }
        b.sendall("now");
        CHECK(a.recv(10) == "now");  // ready data is read as ever
        auto srv = listener();
        srv.setblocking(false);
        CHECK_THROWS_AS(srv.accept(), gev::net::WouldBlock);
        a.setblocking(true);
        CHECK_FALSE(a.gettimeout());
        CHECK(a.getblocking());
        a.settimeout(0.05);
        CHECK(a.getblocking());  // a timeout still blocks, up to it
        CHECK_THROWS_AS(a.recv(10), gev::net::SocketTimeout);
    });
}

TEST_CASE("recvfrom_into_fills_the_buffer_and_names_the_sender") {
    gev::run([] {
        Socket a(AF_INET, SOCK_DGRAM), b(AF_INET, SOCK_DGRAM);
        a.bind(Address("127.0.0.1", 0));
        b.bind(Address("127.0.0.1", 0));
        char buf[16];
        auto receiver = gev::spawn([&] { return b.recvfrom_into(buf, sizeof buf); });
        a.sendto("datagram", b.getsockname());
        auto [n, from] = receiver.get();
        CHECK(std::string(buf, n) == "datagram");
        CHECK(from.port() == a.getsockname().port());
        b.settimeout(0.05);
        CHECK_THROWS_AS(b.recvfrom_into(buf, sizeof buf), gev::net::SocketTimeout);
    });
}

TEST_CASE("a_writer_buffers_until_flush_or_a_full_buffer") {
    gev::run([] {
        auto [a, b] = gev::net::socketpair();
        b.setblocking(false);
        gev::net::Writer wfile(a, 16);
        CHECK(wfile.write("HTTP/1.0 ") == 9);
        CHECK(wfile.write("200\r\n") == 5);
        CHECK(wfile.pending() == 14);
        CHECK_THROWS_AS(b.recv(100), gev::net::WouldBlock);  // nothing sent yet
        wfile.flush();
        CHECK(wfile.pending() == 0);
        CHECK(b.recv(100) == "HTTP/1.0 200\r\n");
        wfile.write("0123456789");
        wfile.write("abcdefghij");  // would overflow: the first goes, the second waits
        CHECK(b.recv(100) == "0123456789");
        CHECK(wfile.pending() == 10);
        wfile.write(std::string(40, 'x'));  // larger than the buffer: out at once, in order
        CHECK(wfile.pending() == 0);
        CHECK(b.recv(100) == "abcdefghij" + std::string(40, 'x'));
        wfile.write("last");
        wfile.close();
        CHECK(b.recv(100) == "last");
        CHECK(wfile.closed());
        CHECK_THROWS_AS(wfile.write("more"), gev::net::SocketError);
    });
}

TEST_CASE("a_writer_and_a_reader_on_one_socket_are_makefile_rwb") {
    gev::run([] {
        auto [a, b] = gev::net::socketpair();
        auto echo = gev::spawn([&] {
            gev::net::Reader rfile(b);
            gev::net::Writer wfile(b);
            for (std::string line; !(line = rfile.readline()).empty();) {
                wfile.write("echo: ");
                wfile.write(line);
                wfile.flush();
            }
            b.close();
        });
        gev::net::Reader rfile(a);
        gev::net::Writer wfile(a);
        wfile.write("one\ntwo\n");
        wfile.flush();
        CHECK(rfile.readline() == "echo: one\n");
        CHECK(rfile.readline() == "echo: two\n");
        a.shutdown(SHUT_WR);
        echo.get();
        CHECK(rfile.readline().empty());
    });
}

TEST_CASE("a_writer_whose_flush_fails_keeps_what_was_not_sent") {
    gev::run([] {
        auto [a, b] = gev::net::socketpair();
        a.settimeout(0.05);
        gev::net::Writer wfile(a, 1 << 22);
        const std::string big(1 << 21, 'z');  // more than the socket buffers hold
        wfile.write(big);
        CHECK_THROWS_AS(wfile.flush(), gev::net::SocketTimeout);
        const std::size_t left = wfile.pending();
        CHECK(left > 0);
        CHECK(left < big.size());
        auto reader = gev::spawn([&] {
            std::size_t got = 0;
            for (std::string piece; got < big.size() && !(piece = b.recv(65536)).empty();) got += piece.size();
            return got;
        });
        a.settimeout({});
        wfile.flush();
        CHECK(reader.get() == big.size());
    });
}
