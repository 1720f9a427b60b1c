// A Timeout around a slow call — gevent tutorial, "Timeouts":
//
//   seconds = 10
//   timeout = Timeout(seconds)
//   timeout.start()
//   def wait():
//       gevent.sleep(10)
//   try:
//       gevent.spawn(wait).join()
//   except Timeout:
//       print('Could not complete')
//
// Shortened to 0.5 s against a 2 s sleep so it finishes quickly.
// Run: build/samples/timeout
#include <chrono>
#include <cstdio>
#include <geventpp/geventpp.hpp>

using namespace std::chrono_literals;

int main() {
    return gev::run([] {
        gev::Timeout timeout(0.5);
        auto wait = [] { gev::sleep(2s); };
        try {
            gev::spawn(wait).join();
            std::printf("Completed\n");
        } catch (const gev::Timeout::Expired&) {
            std::printf("Could not complete\n");
        }
        return 0;
    });
}
