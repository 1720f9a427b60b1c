// A JoinableQueue worker pool — gevent.queue's documented pattern:
//
//   def worker():
//       while True:
//           item = q.get()
//           try:
//               do_work(item)
//           finally:
//               q.task_done()
//   q = JoinableQueue()
//   for i in range(num_worker_threads):
//       gevent.spawn(worker)
//   for item in source():
//       q.put(item)
//   q.join()  # block until all tasks are done
//
// Run: build/samples/joinable_queue
#include <chrono>
#include <cstdio>
#include <geventpp/geventpp.hpp>

int main() {
    return gev::run([] {
        gev::JoinableQueue<int> q;
        int total = 0;
        auto do_work = [&](int item) {
            gev::sleep(std::chrono::milliseconds(item % 7));
            total += item;
        };
        auto worker = [&] {
            for (;;) {
                int item = q.get();
                struct Done {
                    gev::JoinableQueue<int>& q;
                    ~Done() { q.task_done(); }
                } done{q};
                do_work(item);
            }
        };

        const int num_workers = 4;
        gev::Group workers;
        for (int i = 0; i < num_workers; ++i) workers.spawn(worker);
        for (int item = 1; item <= 100; ++item) q.put(item);
        q.join();  // block until all tasks are done
        std::printf("all 100 items done, total %d, by %d workers\n", total, num_workers);
        workers.kill();
        return 0;
    });
}
