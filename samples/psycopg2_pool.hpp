// The library half of gevent's examples/psycopg2_pool.py, shared by samples/psycopg2_pool.cpp
// and tests/samples/psycopg2_pool_test.cpp: PostgreSQL from greenlets on libpq's asynchronous
// API, and a connection pool on a gev::Queue.
//
// gevent makes psycopg2 cooperative with a wait callback (`extensions.set_wait_callback`) that
// loops on `conn.poll()` and waits on `conn.fileno()` with gevent.socket.wait_read/wait_write.
// libpq is that callback's other side: PQconnectStart/PQconnectPoll, PQsendQuery/PQflush and
// PQconsumeInput/PQisBusy/PQgetResult never block, and say what they wait for; here
// gev::wait_read/wait_write on PQsocket() do the waiting, so only the calling greenlet waits.
// docs/fd_wait.md ("A C driver's own socket") has the mapping.
//
//   pg::PostgresConnectionPool pool("dbname=postgres", 3);     // maxsize 3
//   auto rows = pool.fetchall("SELECT 1");                      // blocks this greenlet only
//
// What blocks: connect (bounded by its timeout, 10 s by default: libpq's connect_timeout is the
// application's job in asynchronous mode), every query (unbounded, as psycopg2's: scope a
// gev::Timeout over it), get() while every connection is in use. All are cancellation points.
// A pool belongs to the greenlets of one hub. Throws OperationalError when the connection or the
// server fails (libpq's message: "connection to server on socket ... failed: No such file or
// directory"), DatabaseError for an SQL error (the server's message).
//
// Where gevent's pool differs: psycopg2 opens a transaction that cursor() commits or rolls
// back; libpq does not, so a query commits itself and the pool ends only a transaction left
// open (COMMIT after success, ROLLBACK after a failure). A connection whose query was stopped
// (a gev::Timeout, a kill) gets its query cancelled (PQcancel) and its results drained before
// it goes back; one that cannot be made idle, or whose server went away, is dropped, and its
// slot goes back to the pool empty, for the next get() to fill with a new connection (gevent's
// pool keeps counting a closed connection and closes the idle ones).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <geventpp/net/error.hpp>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/runtime/queue.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pg {

// psycopg2.Error.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
// psycopg2.OperationalError: the connection or the server failed.
class OperationalError : public Error {
public:
    using Error::Error;
};
// psycopg2.DatabaseError: the server refused the query.
class DatabaseError : public Error {
public:
    using Error::Error;
};

struct Finish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using Connection = std::unique_ptr<PGconn, Finish>;
using Row = std::vector<std::optional<std::string>>;  // SQL NULL is nullopt, Python's None
using Rows = std::vector<Row>;

// A query's outcome: cursor.fetchall() and cursor.rowcount (-1 when the command has none).
struct Result {
    Rows rows;
    long rowcount = -1;
};

// libpq's messages end in a newline.
inline std::string message(const char* text) {
    std::string m = text;
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return m;
}

// The server a connection talks to, for messages: "/tmp/x:5432", "127.0.0.1:5432".
inline std::string peer(const PGconn* c) {
    return std::string(PQhost(c)) + ":" + PQport(c);
}

// gevent_wait_callback's two waits, on the connection's socket.
inline void wait(PGconn* c, PostgresPollingStatusType state, gev::Seconds timeout = {}) {
    const int fd = PQsocket(c);
    if (fd < 0) throw OperationalError("no connection to " + peer(c) + ": " + message(PQerrorMessage(c)));
    if (state == PGRES_POLLING_READING) {
        gev::wait_read(fd, timeout);
    } else {
        gev::wait_write(fd, timeout);
    }
}

// psycopg2.connect(dsn) under the wait callback: PQconnectPoll until the connection is made.
inline Connection connect(const std::string& dsn, gev::Seconds timeout = 10.0) {
    Connection c(PQconnectStart(dsn.c_str()));
    if (!c) throw std::bad_alloc();
    if (PQstatus(c.get()) == CONNECTION_BAD) throw OperationalError(message(PQerrorMessage(c.get())));
    const auto deadline = timeout.deadline();
    // "Consider a connection in progress as if PQconnectPoll had returned PGRES_POLLING_WRITING."
    for (auto state = PGRES_POLLING_WRITING; state != PGRES_POLLING_OK; state = PQconnectPoll(c.get())) {
        if (state == PGRES_POLLING_FAILED) throw OperationalError(message(PQerrorMessage(c.get())));
        try {
            wait(c.get(), state, deadline - gev::Clock::now());
        } catch (const gev::net::SocketTimeout&) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout.span()).count();
            throw OperationalError("connecting to " + peer(c.get()) + ": no answer within " + std::to_string(ms) +
                                   " ms");
        }
    }
    if (PQsetnonblocking(c.get(), 1) != 0) throw OperationalError(message(PQerrorMessage(c.get())));
    return c;
}

inline Result to_result(const PGresult* r) {
    Result out;
    const char* count = PQcmdTuples(const_cast<PGresult*>(r));
    if (*count) out.rowcount = std::atol(count);
    for (int i = 0; i < PQntuples(r); ++i) {
        Row row;
        for (int j = 0; j < PQnfields(r); ++j)
            row.push_back(PQgetisnull(r, i, j)
                              ? std::nullopt
                              : std::optional<std::string>(std::in_place, PQgetvalue(r, i, j), PQgetlength(r, i, j)));
        out.rows.push_back(std::move(row));
    }
    return out;
}

// Reads the results of the query in flight to their end and returns the last one; the first
// error, once they are all read. `timeout` bounds each wait for the server.
inline Result results(PGconn* c, gev::Seconds timeout = {}) {
    Result last;
    std::optional<std::string> error;
    for (;;) {
        while (PQisBusy(c)) {
            try {
                wait(c, PGRES_POLLING_READING, timeout);
            } catch (const gev::net::SocketTimeout&) {
                throw OperationalError("reading from " + peer(c) + ": no answer in time");
            }
            if (!PQconsumeInput(c)) throw OperationalError(message(PQerrorMessage(c)));
        }
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQgetResult(c), PQclear);
        if (!r) break;
        switch (PQresultStatus(r.get())) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                last = to_result(r.get());
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH:
                throw OperationalError("COPY is not supported by this pool (use PQputCopyData/PQgetCopyData)");
            default:
                if (!error) error = message(PQresultErrorMessage(r.get()));
        }
    }
    if (PQstatus(c) == CONNECTION_BAD)
        throw OperationalError(error.value_or("lost the connection to " + peer(c)) + " (" + peer(c) + ")");
    if (error) throw DatabaseError(*error);
    return last;
}

// cursor.execute(sql) and what it returns: sends the query, waits only this greenlet.
inline Result query(PGconn* c, const std::string& sql) {
    if (!PQsendQuery(c, sql.c_str())) throw OperationalError(message(PQerrorMessage(c)));
    // Non-blocking mode: the query may not all fit in the socket at once.
    for (int left; (left = PQflush(c)) != 0;) {
        if (left < 0) throw OperationalError(message(PQerrorMessage(c)));
        gev::wait_readwrite(PQsocket(c));
        if (!PQconsumeInput(c)) throw OperationalError(message(PQerrorMessage(c)));
    }
    return results(c);
}

class DatabaseConnectionPool {
public:
    explicit DatabaseConnectionPool(std::size_t maxsize = 100) : maxsize_(maxsize) {}
    virtual ~DatabaseConnectionPool() = default;
    DatabaseConnectionPool(const DatabaseConnectionPool&) = delete;
    DatabaseConnectionPool& operator=(const DatabaseConnectionPool&) = delete;

    // An idle connection, a new one while fewer than maxsize exist, or else the next one put
    // back. A failed connect frees its slot and throws.
    Connection get() {
        if (size_ >= maxsize_ || pool_.qsize()) {
            Connection c = pool_.get();
            if (c) return c;
            --empty_;
            try {  // the empty slot of a dropped connection
                return create_connection();
            } catch (...) {
                drop();
                throw;
            }
        }
        ++size_;
        try {
            return create_connection();
        } catch (...) {
            --size_;
            throw;
        }
    }

    void put(Connection c) { pool_.put(std::move(c)); }

    // gevent's `with pool.cursor() as cursor:` — fn(PGconn*) on a connection of the pool,
    // which goes back afterwards if it is fit for the next user. fn's exception propagates.
    template <class F>
    auto cursor(F&& fn) {
        Connection c = get();
        try {
            auto result = std::forward<F>(fn)(c.get());
            if (PQtransactionStatus(c.get()) == PQTRANS_INTRANS) query(c.get(), "COMMIT");
            put(std::move(c));
            return result;
        } catch (...) {
            bool usable = false;
            try {
                usable = recover(c.get());
            } catch (...) {  // a kill or a timeout of the caller's during recovery: not ours to stop
                drop();
                throw;
            }
            usable ? put(std::move(c)) : drop();
            throw;
        }
    }

    long execute(const std::string& sql) {
        return cursor([&](PGconn* c) { return query(c, sql).rowcount; });
    }
    std::optional<Row> fetchone(const std::string& sql) {
        return cursor([&](PGconn* c) {
            auto rows = query(c, sql).rows;
            return rows.empty() ? std::nullopt : std::optional<Row>(std::move(rows.front()));
        });
    }
    Rows fetchall(const std::string& sql) {
        return cursor([&](PGconn* c) { return query(c, sql).rows; });
    }

    // Connections made and not dropped (gevent's pool.size), in use or idle.
    std::size_t size() const noexcept { return size_ - empty_; }
    std::size_t maxsize() const noexcept { return maxsize_; }

protected:
    virtual Connection create_connection() = 0;

private:
    // A connection's slot goes back empty (the connection itself is closed by its owner).
    void drop() {
        ++empty_;
        pool_.put(Connection());
    }

    // After a failure inside cursor(): brings the connection back to idle (gevent's
    // _rollback), cancelling a query still running. False when it cannot be.
    bool recover(PGconn* c) {
        try {
            if (PQstatus(c) != CONNECTION_OK) return false;
            if (PQtransactionStatus(c) == PQTRANS_ACTIVE) {
                cancel(c);
                try {
                    results(c, 5.0);
                } catch (const DatabaseError&) {  // "canceling statement due to user request"
                }
            }
            const auto status = PQtransactionStatus(c);
            if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) query(c, "ROLLBACK");
            return PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
        } catch (const Error&) {
            return false;
        } catch (const gev::net::SocketError&) {
            return false;
        }
    }

    // PQcancel connects to the server and waits for it to take the request: it blocks, so it
    // runs on a worker thread while only this greenlet waits.
    void cancel(PGconn* c) {
        std::shared_ptr<PGcancel> request(PQgetCancel(c), PQfreeCancel);
        if (!request) throw OperationalError("PQgetCancel: no connection to " + peer(c));
        const std::string failed = cancels_.apply([request] {
            char error[256];
            return PQcancel(request.get(), error, sizeof error) ? std::string() : std::string(error);
        });
        if (!failed.empty()) throw OperationalError("PQcancel to " + peer(c) + ": " + failed);
    }

    std::size_t maxsize_;
    std::size_t size_ = 0;   // slots taken, the empty ones in the queue included
    std::size_t empty_ = 0;  // empty slots in the queue
    gev::Queue<Connection> pool_;
    gev::ThreadPool cancels_{1};
};

// gevent's PostgresConnectionPool: connections made by connect(dsn).
class PostgresConnectionPool : public DatabaseConnectionPool {
public:
    PostgresConnectionPool(std::string dsn, std::size_t maxsize = 100, gev::Seconds connect_timeout = 10.0)
        : DatabaseConnectionPool(maxsize), dsn_(std::move(dsn)), connect_timeout_(connect_timeout) {}

protected:
    Connection create_connection() override { return connect(dsn_, connect_timeout_); }

private:
    std::string dsn_;
    gev::Seconds connect_timeout_;
};

}  // namespace pg
