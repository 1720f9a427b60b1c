// What the monkey library costs a call, beside libc's own call in the same run:
//
//   pass-through   ::recv made outside any greenlet after patch_all()   (target: within 5 % of libc)
//   patched        ::recv made in a greenlet on a ready blocking socket
//   libc           the C library's recv itself, called through its own symbol
//
// Each call is recv(fd, buf, 1, MSG_PEEK) on a socket that holds data, so it never waits and
// never drains. Rounds interleave the three; the figure is the median round.
// Run: make bench (or taskset -c 1 build/bench/monkey_bench).
#include <dlfcn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/monkey.hpp>
#include <vector>

namespace {

using Recv = ssize_t (*)(int, void*, size_t, int);
constexpr long calls = 200'000;
constexpr int rounds = 7;

template <class F>
double ns_per_call(F&& recv_once) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < calls; ++i) {
        if (recv_once() != 1) std::abort();
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / calls;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main() {
    int fd[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fd) < 0 || ::write(fd[1], "data", 4) != 4) return 1;
    const auto libc_recv = reinterpret_cast<Recv>(::dlsym(::dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD), "recv"));
    gev::monkey::patch_all();
    char c;
    std::vector<double> libc, pass, patched;
    for (int r = 0; r < rounds; ++r) {
        libc.push_back(ns_per_call([&] { return libc_recv(fd[0], &c, 1, MSG_PEEK); }));
        pass.push_back(ns_per_call([&] { return ::recv(fd[0], &c, 1, MSG_PEEK); }));
        patched.push_back(gev::run([&] { return ns_per_call([&] { return ::recv(fd[0], &c, 1, MSG_PEEK); }); }));
    }
    const double base = median(libc);
    std::printf("monkey: recv(1 byte, MSG_PEEK) on a ready socket, median of %d rounds of %ld calls\n", rounds, calls);
    std::printf("  %-36s %8.1f ns\n", "libc's recv", base);
    std::printf("  %-36s %8.1f ns  %.3fx libc (target <= 1.05x)\n", "pass-through, outside greenlets", median(pass),
                median(pass) / base);
    std::printf("  %-36s %8.1f ns  %.3fx libc\n", "patched, in a greenlet", median(patched), median(patched) / base);
    return 0;
}
