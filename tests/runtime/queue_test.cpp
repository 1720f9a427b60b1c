#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("queue_get_blocks_until_an_item_is_put") {
    gev::run([] {
        gev::Queue<std::string> q;
        auto consumer = gev::spawn([&] { return q.get(); });
        gev::sleep(0);
        CHECK_FALSE(consumer.ready());
        q.put("chunk");
        CHECK(consumer.get() == "chunk");
    });
}

TEST_CASE("queue_is_fifo_and_reports_its_size") {
    gev::run([] {
        gev::Queue<int> q;
        for (int i = 0; i < 3; ++i) q.put(i);
        CHECK(q.qsize() == 3);
        CHECK(q.peek() == 0);
        CHECK(q.get() == 0);
        CHECK(q.get() == 1);
        CHECK(q.get() == 2);
        CHECK(q.empty());
    });
}

TEST_CASE("nowait_calls_throw_empty_and_full") {
    gev::run([] {
        gev::Queue<int> q(1);
        CHECK_THROWS_AS(q.get_nowait(), gev::Empty);
        q.put_nowait(1);
        CHECK(q.full());
        CHECK_THROWS_AS(q.put_nowait(2), gev::Full);
        CHECK_THROWS_AS(q.put(2, true, 10ms), gev::Full);
        CHECK(q.get() == 1);
        CHECK_THROWS_AS(q.get(true, 10ms), gev::Empty);
    });
}

TEST_CASE("bounded_queue_put_blocks_while_full") {
    gev::run([] {
        gev::Queue<int> q(2);
        std::vector<int> done;
        auto producer = gev::spawn([&] {
            for (int i = 0; i < 5; ++i) {
                q.put(i);
                done.push_back(i);
            }
        });
        gev::sleep(0);
        CHECK(done.size() == 2);
        std::vector<int> got;
        for (int i = 0; i < 5; ++i) got.push_back(q.get());
        producer.join();
        CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    });
}

TEST_CASE("close_ends_the_consumers_loop_after_the_queue_is_drained") {
    gev::run([] {
        gev::Queue<std::string> body;
        gev::spawn([&] {
            for (auto piece : {"START", "MIDDLE", "END"}) {
                body.put(piece);
                gev::sleep(1ms);
            }
            body.close();  // the seed's `body.put(StopIteration)`
        });
        std::string seen;
        for (auto& piece : body) seen += piece;
        CHECK(seen == "STARTMIDDLEEND");
        CHECK_THROWS_WITH_AS(body.put("late"), doctest::Contains("closed queue"), gev::QueueClosed);
        CHECK_THROWS_AS(body.get(), gev::QueueClosed);
    });
}

TEST_CASE("channel_put_waits_for_a_getter") {
    gev::run([] {
        gev::Channel<int> ch;
        CHECK(ch.full());
        CHECK_THROWS_AS(ch.put_nowait(1), gev::Full);
        CHECK_THROWS_AS(ch.put(1, true, 10ms), gev::Full);
        CHECK(ch.qsize() == 0);
        auto getter = gev::spawn([&] { return ch.get(); });
        ch.put(7);
        CHECK(getter.get() == 7);
    });
}

TEST_CASE("priority_queue_gives_the_smallest_first_and_lifo_the_newest") {
    gev::run([] {
        gev::PriorityQueue<int> pq;
        for (int v : {5, 1, 4, 2, 3}) pq.put(v);
        std::vector<int> out;
        while (!pq.empty()) out.push_back(pq.get());
        CHECK(out == std::vector<int>{1, 2, 3, 4, 5});
        gev::LifoQueue<int> lq;
        for (int v : {1, 2, 3}) lq.put(v);
        CHECK(lq.get() == 3);
        CHECK(lq.get() == 2);
    });
}

TEST_CASE("joinable_queue_join_waits_for_task_done") {
    gev::run([] {
        gev::JoinableQueue<int> q;
        int processed = 0;
        for (int i = 0; i < 10; ++i) q.put(i);
        gev::Group workers;
        for (int w = 0; w < 3; ++w) {
            workers.spawn([&] {
                for (;;) {
                    q.get();
                    gev::sleep(1ms);
                    ++processed;
                    q.task_done();
                }
            });
        }
        CHECK(q.join(5s));
        CHECK(processed == 10);
        CHECK(q.unfinished_tasks() == 0);
        CHECK_THROWS_AS(q.task_done(), gev::UsageError);
        workers.kill();  // they use q: end them before q goes
    });
}

TEST_CASE("a_queue_connects_a_plain_thread_to_a_greenlet") {
    gev::Queue<int> q;
    std::thread producer([&] {
        for (int i = 1; i <= 100; ++i) q.put(i);
        q.close();
    });
    const int sum = gev::run([&] {
        int s = 0;
        for (int v : q) s += v;
        return s;
    });
    producer.join();
    CHECK(sum == 5050);
}

TEST_CASE("a_killed_getter_does_not_swallow_an_item") {
    gev::run([] {
        gev::Queue<int> q;
        auto victim = gev::spawn([&] { return q.get(); });
        auto other = gev::spawn([&] { return q.get(); });
        gev::sleep(0);
        victim.kill();
        q.put(1);
        CHECK(other.get(1s) == 1);
    });
}
