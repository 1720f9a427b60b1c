// Reads from a socket that already has data, between two marker syscalls (getppid), so that
// syscall_count_test.py can count under strace what the read itself cost.
#include <unistd.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/stream_server.hpp>

int main() {
    return gev::run([] {
        auto listener = gev::net::listen_on(gev::net::Address("127.0.0.1", 0));
        auto client = gev::net::create_connection("127.0.0.1", listener.getsockname().port());
        auto [conn, peer] = listener.accept();
        client.sendall("ready data");
        gev::sleep(0.05);  // the data is in conn's receive queue, and the hub has seen its edge
        char buf[64];
        ::getppid();
        const auto n = conn.recv_into(buf, sizeof buf);
        ::getppid();
        client.sendall("x");
        gev::sleep(0.05);
        ::getppid();
        const auto m = conn.recv_into(buf, sizeof buf);
        ::getppid();
        // Now a read that waits: the socket gets registered with the hub's epoll.
        auto reader = gev::spawn([&] { return conn.recv_into(buf, sizeof buf); });
        gev::sleep(0.01);
        client.sendall("y");
        const auto w = reader.get();
        client.sendall("z");
        gev::sleep(0.05);
        ::getppid();
        const auto k = conn.recv_into(buf, sizeof buf);
        ::getppid();
        return n == 10 && m == 1 && w == 1 && k == 1 ? 0 : 1;
    });
}
