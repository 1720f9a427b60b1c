// A ThreadPool — gevent's examples/threadpool.py:
//
//   pool = ThreadPool(3)
//   start = time.time()
//   for _ in range(4):
//       pool.spawn(time.sleep, 1)
//   gevent.wait()
//   delay = time.time() - start
//   print('Running "time.sleep(1)" 4 times with 3 threads. Should take about 2 seconds: %.3fs' % delay)
//
// Run: build/samples/threadpool
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <geventpp/geventpp.hpp>

int main() {
    return gev::run([] {
        gev::ThreadPool pool(3);
        const auto start = std::chrono::steady_clock::now();
        std::vector<gev::Waitable> results;
        std::vector<gev::AsyncResult<void>> keep;
        for (int i = 0; i < 4; ++i) keep.push_back(pool.spawn([] { std::this_thread::sleep_for(std::chrono::seconds(1)); }));
        for (auto& r : keep) results.push_back(r);
        gev::wait(results);
        const double delay = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("Running \"time.sleep(1)\" 4 times with 3 threads. Should take about 2 seconds: %.3fs\n", delay);
        return 0;
    });
}
