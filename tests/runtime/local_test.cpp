// gev::local, with the cases of gevent's src/gevent/tests/test__local.py that apply to C++.
// Left out, being Python's object model: slots, class attributes and properties, __getattr__,
// copy(), ABCs, zope interfaces, and the constructor-argument TypeError (a C++ factory is the
// subclass __init__ and is checked when compiled).
#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>
#include <geventpp/runtime/local.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Counts constructions and destructions, as test__local.py's Sentinel does.
struct Sentinel {
    static inline int created = 0;
    static inline int deleted = 0;
    static void reset_counts() { created = deleted = 0; }
    Sentinel() { ++created; }
    Sentinel(const Sentinel&) = delete;
    ~Sentinel() { ++deleted; }
};

}  // namespace

// test_local_opts_not_subclassed
TEST_CASE("local_value_set_in_a_greenlet_reads_back") {
    gev::run([] {
        gev::local<int> l;
        *l = 1;
        CHECK(*l == 1);
        CHECK(l.has_value());
    });
}

TEST_CASE("local_each_greenlet_sees_its_own_value") {
    gev::run([] {
        gev::local<int> l;
        std::vector<gev::Greenlet<int>> gs;
        for (int i = 0; i < 10; ++i) {
            gs.push_back(gev::spawn([&l, i] {
                *l = i;
                gev::sleep(0);  // the others write theirs meanwhile
                return *l;
            }));
        }
        for (int i = 0; i < 10; ++i) CHECK(gs[i].get() == i);
    });
}

// test_attribute_error: what another greenlet sets is not there in this one.
TEST_CASE("local_value_set_in_another_greenlet_is_not_seen_here") {
    gev::run([] {
        gev::local<std::string> l;
        CHECK_FALSE(l.has_value());
        gev::spawn([&] { *l = "fizz_buzz"; }).join();
        CHECK_FALSE(l.has_value());
        CHECK(l->empty());
    });
}

TEST_CASE("local_spawned_greenlet_starts_empty") {
    gev::run([] {
        gev::local<int> l;
        *l = 7;
        auto child = gev::spawn([&] { return l.has_value(); });
        CHECK_FALSE(child.get());
        CHECK(*l == 7);
    });
}

// test_delete_with_no_dict. gevent raises AttributeError; reset() of no value does nothing,
// as std::optional::reset does.
TEST_CASE("local_reset_without_a_value_does_nothing_in_any_greenlet") {
    gev::run([] {
        gev::local<Sentinel> l;
        Sentinel::reset_counts();
        l.reset();
        gev::spawn([&] { l.reset(); }).join();
        CHECK_FALSE(l.has_value());
        CHECK(Sentinel::created == 0);
    });
}

TEST_CASE("local_reset_destroys_this_greenlets_value_and_the_next_use_makes_another") {
    gev::run([] {
        gev::local<Sentinel> l;
        Sentinel::reset_counts();
        l.get();
        l.reset();
        CHECK(Sentinel::deleted == 1);
        CHECK_FALSE(l.has_value());
        l.get();
        CHECK(Sentinel::created == 2);
    });
}

// test_objects
TEST_CASE("local_two_locals_of_one_type_are_independent") {
    gev::run([] {
        gev::local<std::string> a, b;
        *a = "123";
        *b = "123";
        CHECK(*a == *b);
        *b = "321";
        CHECK(*a == "123");
    });
}

// MyLocal's __init__ runs once in every greenlet that uses the local.
TEST_CASE("local_factory_runs_once_in_each_greenlet_that_uses_it") {
    gev::run([] {
        int calls = 0;
        gev::local<std::string> l([&] {
            ++calls;
            return std::string("fresh");
        });
        CHECK(*l == "fresh");
        *l = "changed";
        CHECK(*l == "changed");
        CHECK(calls == 1);
        gev::spawn([&] { CHECK(*l == "fresh"); }).join();
        CHECK(calls == 2);
        CHECK(*l == "changed");
    });
}

TEST_CASE("local_factory_that_throws_stores_nothing_and_runs_again_next_use") {
    gev::run([] {
        bool fail = true;
        gev::local<int> l([&] {
            if (fail) throw std::runtime_error("no value yet");
            return 5;
        });
        CHECK_THROWS_AS(l.get(), std::runtime_error);
        CHECK_FALSE(l.has_value());
        fail = false;
        CHECK(*l == 5);
    });
}

TEST_CASE("local_factory_may_block") {
    gev::run([] {
        gev::local<int> l([] {
            gev::sleep(10ms);
            return 3;
        });
        auto a = gev::spawn([&] { return *l; });
        auto b = gev::spawn([&] { return *l; });
        CHECK(a.get() + b.get() == 6);
    });
}

// test_locals_collected_when_greenlet_dead_but_still_referenced (gevent issue 387).
TEST_CASE("local_values_die_with_their_greenlets_though_handles_remain") {
    gev::run([] {
        gev::local<Sentinel> my_local;
        Sentinel::reset_counts();
        std::vector<gev::AnyGreenlet> greenlets;
        for (int i = 0; i < 5; ++i) greenlets.push_back(gev::spawn([&] { my_local.get(); }));
        gev::joinall(greenlets);
        CHECK(Sentinel::created == 5);
        CHECK(Sentinel::deleted == 5);  // by the time join returns
        for (auto& g : greenlets) CHECK(g.dead());
    });
}

// test_locals_collected_when_unreferenced_even_in_running_greenlet (gevent issue 981).
TEST_CASE("local_values_die_with_their_local_in_a_greenlet_still_running") {
    gev::run([] {
        Sentinel::reset_counts();
        gev::spawn([] {
            for (int i = 0; i < 1000; ++i) {
                gev::local<Sentinel> x;
                x.get();
            }
            CHECK(Sentinel::created == 1000);
            CHECK(Sentinel::deleted == 1000);
        }).get();
    });
}

TEST_CASE("local_destroyed_destroys_its_values_in_greenlets_still_running") {
    gev::run([] {
        Sentinel::reset_counts();
        auto l = std::make_unique<gev::local<Sentinel>>();
        gev::Event go;
        std::vector<gev::AnyGreenlet> gs;
        for (int i = 0; i < 3; ++i) {
            gs.push_back(gev::spawn([&] {
                l->get();
                go.wait();
            }));
        }
        gev::sleep(0);
        CHECK(Sentinel::created == 3);
        l.reset();
        CHECK(Sentinel::deleted == 3);
        go.set();
        gev::joinall(gs);
        CHECK(Sentinel::deleted == 3);
    });
}

TEST_CASE("local_value_of_a_killed_greenlet_is_destroyed") {
    gev::run([] {
        gev::local<Sentinel> l;
        Sentinel::reset_counts();
        auto g = gev::spawn([&] {
            l.get();
            gev::sleep(10s);
        });
        gev::sleep(0);
        g.kill();
        CHECK(Sentinel::deleted == 1);
    });
}

TEST_CASE("local_value_destructor_may_use_another_local") {
    static gev::local<Sentinel> other;
    struct UsesOther {
        ~UsesOther() { other.get(); }
    };
    gev::run([] {
        gev::local<UsesOther> l;
        Sentinel::reset_counts();
        gev::spawn([&] { l.get(); }).join();
        CHECK(Sentinel::created == 1);  // made by the destructor as the greenlet finished
        CHECK(Sentinel::deleted == 1);  // and destroyed with the greenlet's other values
    });
}

TEST_CASE("local_thread_local_is_shared_by_the_greenlets_of_a_hub_a_local_is_not") {
    static thread_local int shared = 0;
    gev::run([] {
        gev::local<int> own;
        auto a = gev::spawn([&] {
            shared = 1;
            *own = 1;
            gev::sleep(0);
            return std::pair(shared, *own);
        });
        auto b = gev::spawn([&] {
            shared = 2;
            *own = 2;
            gev::sleep(0);
            return std::pair(shared, *own);
        });
        CHECK(a.get() == std::pair(2, 1));  // b overwrote a's thread_local
        CHECK(b.get() == std::pair(2, 2));
    });
}

TEST_CASE("local_main_context_has_one_value_per_thread") {
    gev::local<int> l;
    *l = 5;  // this thread's main context, no hub running
    gev::run([&] {
        CHECK_FALSE(l.has_value());  // gev::run's function is a greenlet of its own
        gev::Event seen;
        int in_main_context = 0;
        gev::Hub::current()->post([&] {
            in_main_context = *l;
            seen.set();
        });
        seen.wait();
        CHECK(in_main_context == 5);
    });
    CHECK(*l == 5);
    std::thread([&] { CHECK_FALSE(l.has_value()); }).join();
}

TEST_CASE("local_main_context_value_is_destroyed_when_its_thread_exits") {
    gev::local<Sentinel> l;
    Sentinel::reset_counts();
    std::thread([&] { l.get(); }).join();
    CHECK(Sentinel::created == 1);
    CHECK(Sentinel::deleted == 1);
}

TEST_CASE("local_used_from_greenlets_of_several_hubs_at_once") {
    gev::local<int> l;
    std::vector<std::thread> hubs;
    std::vector<int> seen(4);
    for (int h = 0; h < 4; ++h) {
        hubs.emplace_back([&, h] {
            seen[h] = gev::run([&] {
                std::vector<gev::Greenlet<int>> gs;
                for (int i = 0; i < 50; ++i) {
                    gs.push_back(gev::spawn([&l, h, i] {
                        *l = h * 100 + i;
                        gev::sleep(0);
                        return *l == h * 100 + i ? 1 : 0;
                    }));
                }
                int ok = 0;
                for (auto& g : gs) ok += g.get();
                return ok;
            });
        });
    }
    for (auto& t : hubs) t.join();
    for (int h = 0; h < 4; ++h) CHECK(seen[h] == 50);
}
