// A geventpp program that knows nothing of the monkey library: ten greenlets each call libc's
// usleep(200 ms). It prints how long they took together — 2 s as it is, 0.2 s when started with
// LD_PRELOAD=libgeventpp_monkey.so.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <geventpp/geventpp.hpp>

int main() {
    return gev::run([] {
        const auto start = gev::Clock::now();
        gev::Group group;
        for (int i = 0; i < 10; ++i) group.spawn([] { ::usleep(200'000); });
        group.join();
        std::printf("%.3f\n", std::chrono::duration<double>(gev::Clock::now() - start).count());
        return 0;
    });
}
