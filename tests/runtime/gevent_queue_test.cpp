// gevent's src/gevent/tests/test__queue.py, ported case by case to gev::Queue, gev::Channel and
// gev::JoinableQueue. Cases queue_test.cpp already covers are not repeated here.
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// gevent's do_receive: a getter whose Timeout(0, RuntimeError()) fires before anything arrives.
void receive_or_time_out(gev::Queue<std::string>& q, gev::AsyncResult<std::string> evt) {
    auto t = gev::Timeout::start_new(0.0, std::runtime_error("timed out"));
    try {
        evt.set(q.get());
    } catch (const std::runtime_error&) {
        evt.set("timed out");
    }
}

}  // namespace

// test__queue.py TestQueue.test_send_last
TEST_CASE("a_getter_waiting_first_receives_the_item_put_later") {
    gev::run([] {
        gev::Queue<std::string> q;
        auto p = gev::spawn([&] {
            gev::Timeout t(5s);
            CHECK(q.get() == "hi2");
            return std::string("OK");
        });
        gev::sleep(10ms);
        q.put("hi2");
        gev::sleep(10ms);
        CHECK(p.get(0.0) == "OK");
    });
}

// test__queue.py TestQueue.test_send_first
TEST_CASE("peek_then_get_return_the_item_put_first") {
    gev::run([] {
        gev::Queue<std::string> q;
        q.put("hi");
        CHECK(q.peek() == "hi");
        CHECK(q.get() == "hi");
    });
}

// test__queue.py TestQueue.test_peek_empty (the greenlet half; LoopExit is Python's hub)
TEST_CASE("peek_on_an_empty_queue_times_out_with_empty") {
    gev::run([] {
        gev::Queue<int> q;
        CHECK_THROWS_AS(q.peek(true, 10ms), gev::Empty);
    });
}

// test__queue.py TestQueue.test_peek_multi_greenlet
TEST_CASE("a_waiting_peek_sees_the_put_and_leaves_the_item") {
    gev::run([] {
        gev::Queue<int> q;
        auto g = gev::spawn([&] { return q.peek(); });
        gev::sleep(0);
        q.put(1);
        CHECK(g.get(5s) == 1);
        CHECK_FALSE(g.exception());
        CHECK(q.peek() == 1);
    });
}

// test__queue.py TestQueue.test_max_size
TEST_CASE("a_putter_blocks_at_maxsize_and_resumes_after_a_get") {
    gev::run([] {
        gev::Queue<std::string> q(2);
        std::vector<std::string> results;
        auto p = gev::spawn([&] {
            for (const char* s : {"a", "b", "c"}) {
                q.put(s);
                results.push_back(s);
            }
            return std::string("OK");
        });
        gev::sleep(0);
        CHECK(results == std::vector<std::string>{"a", "b"});
        CHECK(q.get() == "a");
        gev::sleep(0);
        CHECK(results == std::vector<std::string>{"a", "b", "c"});
        CHECK(q.get() == "b");
        CHECK(q.get() == "c");
        CHECK(p.get(0.0) == "OK");
    });
}

// test__queue.py TestQueue.test_multiple_waiters
TEST_CASE("each_waiting_getter_gets_one_item") {
    gev::run([] {
        gev::Queue<std::string> q;
        const std::vector<std::string> sendings{"1", "2", "3", "4"};
        std::vector<gev::AsyncResult<std::string>> evts(sendings.size());
        for (auto& e : evts) gev::spawn([&q, e] { e.set(q.get()); });
        gev::sleep(10ms);
        std::set<std::string> results;
        auto collect_pending_results = [&] {
            for (auto& e : evts) gev::Timeout::within(1ms, [&] { results.insert(e.get()); });
            return results.size();
        };
        q.put(sendings[0]);
        CHECK(collect_pending_results() == 1);
        q.put(sendings[1]);
        CHECK(collect_pending_results() == 2);
        q.put(sendings[2]);
        q.put(sendings[3]);
        CHECK(collect_pending_results() == 4);
    });
}

// test__queue.py TestQueue.test_waiters_that_cancel
TEST_CASE("a_getter_that_timed_out_leaves_the_next_item_in_the_queue") {
    gev::run([] {
        gev::Queue<std::string> q;
        gev::AsyncResult<std::string> evt;
        gev::spawn(receive_or_time_out, std::ref(q), evt);
        CHECK(evt.get(5s) == "timed out");
        q.put("hi");
        CHECK(q.get() == "hi");
    });
}

// test__queue.py TestQueue.test_senders_that_die
TEST_CASE("an_item_put_by_a_finished_greenlet_stays_for_the_getter") {
    gev::run([] {
        gev::Queue<std::string> q;
        gev::spawn([&] { q.put("sent"); });
        CHECK(q.get() == "sent");
    });
}

// test__queue.py TestQueue.test_two_waiters_one_dies
TEST_CASE("of_two_getters_the_one_that_timed_out_does_not_take_the_item") {
    gev::run([] {
        gev::Queue<std::string> q;
        gev::AsyncResult<std::string> dying_evt, waiting_evt;
        gev::spawn(receive_or_time_out, std::ref(q), dying_evt);
        gev::spawn([&q, waiting_evt] { waiting_evt.set(q.get()); });
        gev::sleep(20ms);
        q.put("hi");
        CHECK(dying_evt.get(5s) == "timed out");
        CHECK(waiting_evt.get(5s) == "hi");
    });
}

// test__queue.py TestQueue.test_two_bogus_waiters
TEST_CASE("two_getters_that_timed_out_leave_the_item_in_the_queue") {
    gev::run([] {
        gev::Queue<std::string> q;
        gev::AsyncResult<std::string> e1, e2;
        gev::spawn(receive_or_time_out, std::ref(q), e1);
        gev::spawn(receive_or_time_out, std::ref(q), e2);
        gev::sleep(20ms);
        q.put("sent");
        CHECK(e1.get(5s) == "timed out");
        CHECK(e2.get(5s) == "timed out");
        CHECK(q.get() == "sent");
    });
}

// test__queue.py TestChannel.test_zero_max_size
TEST_CASE("a_channel_sender_finishes_only_once_a_receiver_took_the_item") {
    gev::run([] {
        gev::Channel<std::string> q;
        gev::AsyncResult<std::string> e1, e2;
        auto p1 = gev::spawn([&q, e1] {
            q.put("hi");
            e1.set("done");
        });
        gev::sleep(1ms);
        CHECK_FALSE(e1.ready());
        auto p2 = gev::spawn([&q, e2] { e2.set(q.get()); });
        CHECK(e2.get(5s) == "hi");
        CHECK(e1.get(5s) == "done");
        CHECK(gev::joinall({p1, p2}, 5s).size() == 2);
    });
}

// test__queue.py TestChannel.test_iterable (StopIteration is close())
TEST_CASE("a_channel_closed_by_another_greenlet_iterates_as_empty") {
    gev::run([] {
        gev::Channel<int> channel;
        gev::spawn([&] { channel.close(); });
        std::vector<int> r;
        for (int x : channel) r.push_back(x);
        CHECK(r.empty());
    });
}

// test__queue.py TestJoinableQueue.test_task_done
TEST_CASE("task_done_counts_down_unfinished_tasks") {
    gev::run([] {
        gev::JoinableQueue<int> channel;
        gev::spawn([&] { channel.put(7); });
        CHECK(channel.get() == 7);
        CHECK(channel.unfinished_tasks() == 1);
        channel.task_done();
        CHECK(channel.unfinished_tasks() == 0);
    });
}

// test__queue.py TestJoinableQueue.test_issue_45
TEST_CASE("join_on_a_queue_nothing_was_put_in_returns_at_once") {
    gev::run([] {
        gev::JoinableQueue<int> q;
        CHECK(q.join(0.0));
    });
}
