// Two hubs on two threads, patched by libgeventpp_monkey, wake each other 200 times through
// gev::Events from greenlets; each waits 1 ms first, so the other hub is asleep in epoll when it
// is woken. monkey_wake_test.py checks under strace that no call of the hubs' own takes the
// patched path.
#include <geventpp/geventpp.hpp>
#include <geventpp/net/monkey.hpp>
#include <thread>

int main() {
    gev::monkey::patch_all();
    gev::Event ping[200], pong[200];
    std::thread other([&] {
        gev::run([&] {
            for (int i = 0; i < 200; ++i) {
                ping[i].wait();
                gev::sleep(0.001);
                pong[i].set();
            }
        });
    });
    gev::run([&] {
        for (int i = 0; i < 200; ++i) {
            gev::sleep(0.001);
            ping[i].set();
            pong[i].wait();
        }
    });
    other.join();
    return 0;
}
