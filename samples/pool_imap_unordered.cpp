// A Pool with imap_unordered — gevent's pool API:
//
//   pool = Pool(3)
//   def fetch(ms):
//       gevent.sleep(ms / 1000.0)
//       return ms
//   for ms in pool.imap_unordered(fetch, [300, 100, 200, 50, 250]):
//       print('done after %d ms (pool has %d free)' % (ms, pool.free_count()))
//
// At most three run at once; results arrive in the order they finish.
// Run: build/samples/pool_imap_unordered
#include <chrono>
#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <vector>

int main() {
    return gev::run([] {
        gev::Pool pool(3);
        auto fetch = [](int ms) {
            gev::sleep(std::chrono::milliseconds(ms));
            return ms;
        };
        std::vector<int> delays{300, 100, 200, 50, 250};
        for (int ms : pool.imap_unordered(fetch, delays)) {
            std::printf("done after %d ms (pool has %zu free)\n", ms, pool.free_count());
        }
        return 0;
    });
}
