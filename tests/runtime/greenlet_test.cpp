#include <doctest/doctest.h>

#include <geventpp/geventpp.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("spawn_runs_the_function_and_get_returns_its_value") {
    int v = gev::run([] {
        auto g = gev::spawn([](int a, int b) { return a + b; }, 20, 22);
        return g.get();
    });
    CHECK(v == 42);
}
