// Producer/consumer over a Queue — gevent tutorial, "Queues":
//
//   tasks = Queue()
//   def worker(n):
//       while not tasks.empty():
//           task = tasks.get()
//           print('Worker %s got task %s' % (n, task))
//           gevent.sleep(0)
//       print('Quitting time!')
//   def boss():
//       for i in xrange(1, 25):
//           tasks.put_nowait(i)
//   gevent.spawn(boss).join()
//   gevent.joinall([gevent.spawn(worker, 'steve'), gevent.spawn(worker, 'john'),
//                   gevent.spawn(worker, 'nancy')])
//
// Run: build/samples/producer_consumer
#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <string>

int main() {
    return gev::run([] {
        gev::Queue<int> tasks;

        auto worker = [&](std::string n) {
            while (!tasks.empty()) {
                int task = tasks.get();
                std::printf("Worker %s got task %d\n", n.c_str(), task);
                gev::sleep(0);
            }
            std::printf("Quitting time!\n");
        };
        auto boss = [&] {
            for (int i = 1; i < 25; ++i) tasks.put_nowait(i);
        };

        gev::spawn(boss).join();
        gev::joinall({gev::spawn(worker, "steve"), gev::spawn(worker, "john"), gev::spawn(worker, "nancy")});
        return 0;
    });
}
