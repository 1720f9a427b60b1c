// Socket::sendfile: Python's socket.sendfile, cooperative when the socket is full.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <geventpp/net/socket.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <string>
#include <utility>

using namespace std::chrono_literals;
using gev::net::Socket;

namespace {
// A temporary file holding `content`, open for reading; removed at the end.
struct TempFile {
    std::string path = "/tmp/gev_sendfile_XXXXXX";
    int fd;
    explicit TempFile(const std::string& content) : fd(::mkstemp(path.data())) {
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        ::lseek(fd, 0, SEEK_SET);
    }
    ~TempFile() {
        ::close(fd);
        ::unlink(path.c_str());
    }
    off_t tell() const { return ::lseek(fd, 0, SEEK_CUR); }
};

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31) ^ (i >> 11));
    return s;
}

// A connected TCP pair on 127.0.0.1; the receiver's buffer is small, so the sender fills it.
std::pair<Socket, Socket> tcp_pair() {
    Socket listener(AF_INET, SOCK_STREAM);
    listener.bind(gev::net::Address("127.0.0.1", 0));
    listener.listen(1);
    Socket client(AF_INET, SOCK_STREAM);
    client.setsockopt(SOL_SOCKET, SO_RCVBUF, 4096);
    client.connect(listener.getsockname());
    auto [server, peer] = listener.accept();
    server.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096);
    return {std::move(server), std::move(client)};
}

std::string read_all(Socket& s) {
    std::string out;
    for (std::string chunk; !(chunk = s.recv(65536)).empty();) out += chunk;
    return out;
}
}  // namespace

TEST_CASE("sendfile_sends_a_big_file_byte_exact_to_a_slow_reader") {
    const std::string content = pattern(3 << 20);
    TempFile file(content);
    gev::run([&] {
        auto [server, client] = tcp_pair();
        int reader_turns = 0;
        auto reader = gev::spawn([&, &client = client] {
            std::string got;
            for (std::string chunk; !(chunk = client.recv(4096)).empty();) {
                got += chunk;
                ++reader_turns;
                if (reader_turns % 64 == 0) gev::sleep(0.001);  // slow: the sender meets EAGAIN
            }
            return got;
        });
        gev::Timeout limit(30s);
        CHECK(server.sendfile(file.fd) == content.size());
        CHECK(file.tell() == static_cast<off_t>(content.size()));
        server.close();
        const std::string got = reader.get();
        CHECK(got.size() == content.size());
        CHECK(got == content);
        CHECK(reader_turns > 100);  // it really went in many pieces, while sendfile waited
    });
}

TEST_CASE("sendfile_offset_and_count_and_short_files") {
    const std::string content = pattern(10000);
    TempFile file(content);
    TempFile empty("");
    gev::run([&] {
        auto [server, client] = tcp_pair();
        gev::Timeout limit(10s);
        CHECK(server.sendfile(file.fd, 100, 50) == 50);
        CHECK(file.tell() == 150);
        CHECK(server.sendfile(file.fd, 9990, 1000) == 10);  // the file ends first
        CHECK(file.tell() == 10000);
        CHECK(server.sendfile(file.fd, 20000) == 0);  // past the end
        CHECK(server.sendfile(empty.fd) == 0);
        server.close();
        CHECK(read_all(client) == content.substr(100, 50) + content.substr(9990));
    });
}

TEST_CASE("sendfile_honours_the_socket_timeout_and_leaves_the_offset_after_what_was_sent") {
    const std::string content = pattern(8 << 20);
    TempFile file(content);
    gev::run([&] {
        auto [server, client] = tcp_pair();  // the client never reads
        server.settimeout(0.1);
        gev::Timeout limit(10s);
        CHECK_THROWS_AS(server.sendfile(file.fd), gev::net::SocketTimeout);
        const off_t sent = file.tell();
        CHECK(sent > 0);
        CHECK(sent < static_cast<off_t>(content.size()));
    });
}

TEST_CASE("sendfile_bad_input") {
    gev::run([] {
        auto [server, client] = tcp_pair();
        CHECK_THROWS_AS(server.sendfile(-1), gev::net::SocketError);
        TempFile some("abc");
        CHECK_THROWS_AS(server.sendfile(some.fd, 0, 0), std::invalid_argument);
        Socket udp(AF_INET, SOCK_DGRAM);
        TempFile file("x");
        CHECK_THROWS_AS(udp.sendfile(file.fd), std::invalid_argument);
    });
}
