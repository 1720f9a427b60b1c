// Cooperative sendfile — gevent's examples/geventsendfile.py:
//
//   def gevent_sendfile(out_fd, in_fd, offset, count):
//       total_sent = 0
//       while total_sent < count:
//           try:
//               _offset, sent = original_sendfile(out_fd, in_fd, offset + total_sent, count - total_sent)
//               total_sent += sent
//           except OSError, ex:
//               if ex[0] == EAGAIN:
//                   wait_write(out_fd)
//               else:
//                   raise
//       return offset + total_sent, total_sent
//
// sendfile(2) on a non-blocking socket sends what fits; on EAGAIN only this greenlet waits for
// the socket to drain. (gev::net::Socket::sendfile does the same, with the socket's timeout.)
// To have something to run, main serves FILE to the first client that connects, then exits.
// Run: build/samples/geventsendfile FILE [port]    then: nc 127.0.0.1 PORT > copy
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/runtime/hub.hpp>
#include <system_error>
#include <utility>

std::pair<off_t, std::size_t> gevent_sendfile(int out_fd, int in_fd, off_t offset, std::size_t count) {
    std::size_t total_sent = 0;
    while (total_sent < count) {
        off_t at = offset + static_cast<off_t>(total_sent);
        const ssize_t sent = ::sendfile(out_fd, in_fd, &at, count - total_sent);
        if (sent >= 0) {
            if (sent == 0) break;  // the file is shorter than count
            total_sent += static_cast<std::size_t>(sent);
        } else if (errno == EAGAIN) {
            gev::wait_write(out_fd);
        } else {
            throw std::system_error(errno, std::generic_category(), "sendfile");
        }
    }
    return {offset + static_cast<off_t>(total_sent), total_sent};
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [port]\n", argv[0]);
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const int in_fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in_fd < 0 || ::fstat(in_fd, &st) < 0) {
        std::perror(argv[1]);
        return 1;
    }
    const auto port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 0);
    return gev::run([&] {
        gev::net::Socket listener(AF_INET, SOCK_STREAM);
        listener.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        listener.bind(gev::net::Address("127.0.0.1", port));
        listener.listen();
        std::printf("Serving %s on port %u\n", argv[1], listener.getsockname().port());
        auto [client, peer] = listener.accept();  // a gev::net::Socket is non-blocking underneath
        const auto [offset, sent] = gevent_sendfile(client.fileno(), in_fd, 0, static_cast<std::size_t>(st.st_size));
        std::printf("sent %zu bytes to %s\n", sent, peer.to_string().c_str());
        return offset == st.st_size ? 0 : 1;
    });
}
