// A PostgreSQL connection pool used from greenlets — gevent's examples/psycopg2_pool.py:
//
//   pool = PostgresConnectionPool("dbname=postgres", maxsize=3)
//   start = time.time()
//   for _ in xrange(4):
//       gevent.spawn(pool.execute, 'select pg_sleep(1);')
//   gevent.wait()
//   delay = time.time() - start
//   print 'Running "select pg_sleep(1);" 4 times with 3 connections. Should take about 2 seconds: %.2fs' % delay
//
// The wait callback and the pool (DatabaseConnectionPool, PostgresConnectionPool) are in
// psycopg2_pool.hpp, on libpq's asynchronous API. A failed query (no server there) is printed
// and the exit status is 1.
// Run: build/samples/psycopg2_pool ["host=/var/run/postgresql dbname=postgres"]
#include "psycopg2_pool.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const std::string dsn = argc > 1 ? argv[1] : "dbname=postgres";
    try {
        return gev::run([&] {
            pg::PostgresConnectionPool pool(dsn, 3);
            const auto start = gev::Clock::now();
            std::vector<gev::AnyGreenlet> queries;
            for (int i = 0; i < 4; ++i) queries.push_back(gev::spawn([&] { pool.execute("select pg_sleep(1);"); }));
            gev::joinall(queries, {}, true);
            const double delay = std::chrono::duration<double>(gev::Clock::now() - start).count();
            std::printf(
                "Running \"select pg_sleep(1);\" 4 times with 3 connections. Should take about 2 seconds: %.2fs\n",
                delay);
            return 0;
        });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "psycopg2_pool: %s\n", e.what());
        return 1;
    }
}
