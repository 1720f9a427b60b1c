// gevent's examples/psycopg2_pool.py as ported (samples/psycopg2_pool.cpp and its pool,
// samples/psycopg2_pool.hpp), against a real PostgreSQL: Debian's initdb and pg_ctl make a
// cluster in a temporary directory that listens only on a Unix socket there (as root, they run
// as the postgres user). One cluster serves every case; pg_ctl stops it at exit.
#include "psycopg2_pool.hpp"

#include <doctest/doctest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <geventpp/net/address.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

double since(gev::TimePoint start) {
    return std::chrono::duration<double>(gev::Clock::now() - start).count();
}

std::string newest_postgresql_bin() {
    std::vector<fs::path> bins;
    for (const auto& version : fs::directory_iterator("/usr/lib/postgresql"))
        if (fs::exists(version.path() / "bin" / "initdb")) bins.push_back(version.path() / "bin");
    REQUIRE_MESSAGE(!bins.empty(), "no /usr/lib/postgresql/*/bin/initdb: install Debian's postgresql (make deps)");
    std::sort(bins.begin(), bins.end(), [](const fs::path& a, const fs::path& b) {
        return std::stoi(a.parent_path().filename()) < std::stoi(b.parent_path().filename());
    });
    return bins.back();
}

class Cluster {
public:
    Cluster() {
        char dir[] = "/tmp/gevpg-XXXXXX";
        REQUIRE(::mkdtemp(dir) != nullptr);
        dir_ = dir;
        bin_ = newest_postgresql_bin();
        if (::geteuid() == 0) {  // initdb refuses to run as root
            const passwd* pw = ::getpwnam("postgres");
            REQUIRE_MESSAGE(pw != nullptr, "running as root needs the postgres user (Debian's postgresql package)");
            REQUIRE(::chown(dir, pw->pw_uid, pw->pw_gid) == 0);
            as_ = "runuser -u postgres -- ";
        }
        sh(bin_ + "/initdb -D " + dir_ + "/data -A trust -U postgres -E UTF8 --locale=C --no-sync");
        sh(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 30 -o \"-k " + dir_ +
           " -c listen_addresses= -F\" start");
        dsn = "host=" + dir_ + " dbname=postgres user=postgres";
    }
    ~Cluster() {
        if (sh_status(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 30 stop") != 0) {
            std::ifstream pidfile(dir_ + "/data/postmaster.pid");
            if (pid_t pid = 0; pidfile >> pid && pid > 0) ::kill(pid, SIGKILL);
        }
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    const std::string& dir() const { return dir_; }
    std::string dsn;

private:
    int sh_status(const std::string& command) const {
        return std::system(("cd " + dir_ + " && " + as_ + command + " >>" + dir_ + "/setup.log 2>&1").c_str());
    }
    void sh(const std::string& command) const {
        if (sh_status(command) == 0) return;
        std::ifstream log(dir_ + "/setup.log");
        const std::string text((std::istreambuf_iterator<char>(log)), {});
        FAIL(command << " failed:\n" << text);
    }

    std::string dir_, bin_, as_;
};

Cluster& cluster() {
    static Cluster c;
    return c;
}

struct Run {
    std::string out;  // stdout and stderr
    int status;
};

Run run_sample(const std::string& dsn) {
    const char* dir = std::getenv("GEV_SAMPLES_DIR");
    REQUIRE_MESSAGE(dir != nullptr, "set GEV_SAMPLES_DIR to build/samples");
    FILE* p = ::popen((std::string(dir) + "/psycopg2_pool '" + dsn + "' 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    Run r;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    r.status = ::pclose(p);
    return r;
}

// The first column of a row, as text.
std::string text(const std::optional<pg::Row>& row) {
    return row && !row->empty() && row->front() ? *row->front() : "(none)";
}

}  // namespace

TEST_CASE("sample_runs_four_one_second_queries_on_three_connections_in_two_seconds") {
    const auto& dsn = cluster().dsn;
    const auto start = gev::Clock::now();
    const auto [out, status] = run_sample(dsn);
    const double took = since(start);
    CHECK(status == 0);
    const std::string prefix =
        "Running \"select pg_sleep(1);\" 4 times with 3 connections. Should take about 2 seconds: 2.";
    CHECK_MESSAGE(out.rfind(prefix, 0) == 0, out);
    CHECK(took >= 2.0);
    CHECK(took < 4.0);
}

TEST_CASE("hundred_sleeps_on_ten_connections_take_about_a_second_on_one_hub") {
    const auto& dsn = cluster().dsn;
    gev::run([&] {
        pg::PostgresConnectionPool pool(dsn, 10);
        std::vector<gev::Greenlet<std::string>> queries;
        const auto start = gev::Clock::now();
        for (int i = 0; i < 100; ++i)
            queries.push_back(gev::spawn(
                [&pool, i] { return text(pool.fetchone("SELECT " + std::to_string(i) + " FROM pg_sleep(0.1)")); }));
        for (int i = 0; i < 100; ++i) CHECK(queries[i].get(30.0) == std::to_string(i));
        const double took = since(start);
        CHECK(took >= 1.0);  // ten rounds of ten: the pool never holds more than ten
        CHECK(took < 4.0);   // serial would be 10 s
        CHECK(pool.size() == 10);
    });
}

TEST_CASE("query_stopped_by_a_timeout_is_cancelled_and_its_connection_reused") {
    const auto& dsn = cluster().dsn;
    gev::run([&] {
        pg::PostgresConnectionPool pool(dsn, 1);
        const auto backend = text(pool.fetchone("SELECT pg_backend_pid()"));
        const auto start = gev::Clock::now();
        {
            gev::Timeout t(0.2);
            CHECK_THROWS_AS(pool.fetchall("SELECT pg_sleep(10)"), gev::Timeout::Expired);
        }
        CHECK(since(start) < 3.0);  // cancelled, not waited out
        // The one connection came back idle: the next query on it gets its own answer.
        CHECK(text(pool.fetchone("SELECT 6 * 7")) == "42");
        CHECK(text(pool.fetchone("SELECT pg_backend_pid()")) == backend);
        CHECK(text(pool.fetchone("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)'")) == "0");
        CHECK(pool.size() == 1);
    });
}

TEST_CASE("killed_greenlet_leaves_no_transaction_open_on_its_connection") {
    const auto& dsn = cluster().dsn;
    gev::run([&] {
        pg::PostgresConnectionPool pool(dsn, 1);
        const auto backend = text(pool.fetchone("SELECT pg_backend_pid()"));
        auto g = gev::spawn([&] { pool.execute("BEGIN; SELECT pg_sleep(10)"); });
        gev::sleep(0.2);
        g.kill();
        CHECK(g.ready());
        // The same connection, rolled back: outside a transaction now() is the statement's time.
        CHECK(text(pool.fetchone("SELECT now() = statement_timestamp()")) == "t");
        CHECK(text(pool.fetchone("SELECT pg_backend_pid()")) == backend);
        CHECK(pool.size() == 1);
    });
}

TEST_CASE("sql_error_is_a_database_error_and_the_connection_stays") {
    const auto& dsn = cluster().dsn;
    gev::run([&] {
        pg::PostgresConnectionPool pool(dsn, 1);
        const auto backend = text(pool.fetchone("SELECT pg_backend_pid()"));
        CHECK_THROWS_WITH_AS(pool.execute("SELEC 1"), doctest::Contains("syntax error"), pg::DatabaseError);
        CHECK(pool.execute("CREATE TEMP TABLE t (x int); INSERT INTO t VALUES (1), (2)") == 2);
        CHECK(text(pool.fetchone("SELECT pg_backend_pid()")) == backend);
    });
}

TEST_CASE("terminated_backend_is_dropped_and_replaced_while_the_other_queries_finish") {
    const auto& dsn = cluster().dsn;
    gev::run([&] {
        pg::PostgresConnectionPool pool(dsn + " application_name=pooled", 10);
        std::vector<gev::Greenlet<std::string>> queries;
        for (int i = 0; i < 100; ++i)
            queries.push_back(gev::spawn(
                [&pool, i] { return text(pool.fetchone("SELECT " + std::to_string(i) + " FROM pg_sleep(0.1)")); }));
        gev::sleep(0.05);
        // From a connection of its own, end one pooled connection's backend mid-query.
        auto admin = pg::connect(dsn);
        const auto killed = pg::query(admin.get(),
                                      "SELECT pid FROM pg_stat_activity WHERE application_name = 'pooled' AND "
                                      "state = 'active' LIMIT 1")
                                .rows;
        REQUIRE(killed.size() == 1);
        const std::string pid = *killed[0][0];
        CHECK(*pg::query(admin.get(), "SELECT pg_terminate_backend(" + pid + ")").rows[0][0] == "t");
        int answered = 0, failed = 0;
        for (int i = 0; i < 100; ++i) {
            try {
                const auto answer = queries[i].get(30.0);
                CHECK(answer == std::to_string(i));
                ++answered;
            } catch (const pg::OperationalError& e) {
                CHECK_MESSAGE(std::string(e.what()).find("terminating connection due to administrator command") !=
                                  std::string::npos,
                              e.what());
                ++failed;
            }
        }
        CHECK(answered == 99);
        CHECK(failed == 1);
        // Ten at once now take ten live connections, a new one in the dropped one's place.
        std::vector<gev::Greenlet<std::string>> backends;
        for (int i = 0; i < 10; ++i)
            backends.push_back(
                gev::spawn([&] { return text(pool.fetchone("SELECT pg_backend_pid() FROM pg_sleep(0.1)")); }));
        std::set<std::string> pids;
        for (auto& b : backends) pids.insert(b.get(10.0));
        CHECK(pids.size() == 10);
        CHECK(pids.count(pid) == 0);
        CHECK(pool.size() == 10);
    });
}

TEST_CASE("no_server_there_is_a_clear_error_not_a_hang") {
    const std::string nowhere = cluster().dir() + "/nowhere";
    gev::run([&] {
        const auto start = gev::Clock::now();
        pg::PostgresConnectionPool pool("host=" + nowhere + " dbname=postgres", 3);
        const std::string refused =
            "connection to server on socket \"" + nowhere + "/.s.PGSQL.5432\" failed: No such file or directory";
        CHECK_THROWS_WITH_AS(pool.execute("SELECT 1"), doctest::Contains(refused.c_str()), pg::OperationalError);
        CHECK(pool.size() == 0);
        CHECK_THROWS_WITH_AS(pg::connect("host=127.0.0.1 port=1 dbname=postgres"),
                             doctest::Contains("Connection refused"), pg::OperationalError);
        CHECK_THROWS_WITH_AS(pg::connect("no_such_keyword=1"), doctest::Contains("invalid connection option"),
                             pg::OperationalError);
        CHECK(since(start) < 2.0);
    });
}

TEST_CASE("server_that_never_answers_times_out_the_connect") {
    gev::run([] {
        // The kernel completes the TCP handshake; nothing ever answers libpq's startup packet.
        gev::net::Socket silent(AF_INET, SOCK_STREAM);
        silent.bind(gev::net::Address("127.0.0.1", 0));
        silent.listen(8);
        const auto port = std::to_string(silent.getsockname().port());
        const auto start = gev::Clock::now();
        pg::PostgresConnectionPool pool("host=127.0.0.1 port=" + port + " dbname=postgres", 3, 0.3);
        CHECK_THROWS_WITH_AS(pool.execute("SELECT 1"), doctest::Contains("no answer within"), pg::OperationalError);
        CHECK(since(start) < 2.0);
        CHECK(pool.size() == 0);
    });
}

TEST_CASE("sample_without_a_server_exits_1_naming_the_socket") {
    const std::string nowhere = cluster().dir() + "/nowhere";
    const auto [out, status] = run_sample("host=" + nowhere);
    CHECK(WEXITSTATUS(status) == 1);
    // Each failed greenlet is logged, as gevent prints its traceback; then the first error ends it.
    CHECK_MESSAGE(out.find("\npsycopg2_pool: connection to server on socket \"" + nowhere) != std::string::npos, out);
}
