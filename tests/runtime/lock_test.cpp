#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <mutex>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("semaphore_limits_how_many_greenlets_hold_it") {
    gev::run([] {
        gev::Semaphore sem(2);
        int inside = 0, most = 0;
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 6; ++i) {
            gs.push_back(gev::spawn([&] {
                std::lock_guard lk(sem);
                most = std::max(most, ++inside);
                gev::sleep(5ms);
                --inside;
            }));
        }
        gev::joinall(gs);
        CHECK(most == 2);
        CHECK(sem.counter() == 2);
    });
}

TEST_CASE("semaphore_acquire_without_blocking_or_with_timeout_reports_failure") {
    gev::run([] {
        gev::Semaphore sem(1);
        CHECK(sem.acquire());
        CHECK(sem.locked());
        CHECK_FALSE(sem.acquire(false));
        CHECK_FALSE(sem.acquire(true, 10ms));
        sem.release();
        CHECK(sem.acquire(false));
    });
}

TEST_CASE("semaphore_wait_blocks_until_a_unit_is_free_without_taking_it") {
    gev::run([] {
        gev::Semaphore sem(0);
        gev::spawn([&] {
            gev::sleep(10ms);
            sem.release();
        });
        CHECK(sem.wait(1s) == 1);
        CHECK(sem.counter() == 1);
    });
}

TEST_CASE("bounded_semaphore_released_too_often_throws") {
    gev::run([] {
        gev::BoundedSemaphore sem(1);
        CHECK_THROWS_WITH_AS(sem.release(), doctest::Contains("release only what you acquired"), gev::UsageError);
    });
}

TEST_CASE("lock_serialises_greenlets_and_rejects_release_when_unlocked") {
    gev::run([] {
        gev::Lock lock;
        std::vector<int> log;
        auto worker = [&](int id) {
            std::lock_guard lk(lock);
            log.push_back(id);
            gev::sleep(1ms);
            log.push_back(id);
        };
        gev::joinall({gev::spawn(worker, 1), gev::spawn(worker, 2)});
        CHECK(log == std::vector<int>{1, 1, 2, 2});
        CHECK_THROWS_WITH_AS(lock.release(), doctest::Contains("unlocked lock"), gev::UsageError);
    });
}

TEST_CASE("rlock_is_reentrant_for_its_owner_only") {
    gev::run([] {
        gev::RLock rl;
        CHECK(rl.acquire());
        CHECK(rl.acquire());
        CHECK(rl.is_owned());
        auto other = gev::spawn([&] {
            CHECK_FALSE(rl.acquire(true, 10ms));
            CHECK_THROWS_AS(rl.release(), gev::UsageError);
        });
        other.join();
        rl.release();
        CHECK(rl.locked());
        rl.release();
        CHECK_FALSE(rl.locked());
    });
}

TEST_CASE("killing_a_greenlet_blocked_on_a_lock_frees_nothing_it_did_not_take") {
    gev::run([] {
        gev::Lock lock;
        lock.acquire();
        auto waiter = gev::spawn([&] { lock.acquire(); });
        gev::sleep(0);
        waiter.kill();
        CHECK(lock.locked());
        lock.release();
        CHECK(lock.acquire(false));
    });
}
