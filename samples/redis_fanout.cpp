// Unmodified blocking third-party code in greenlets: Debian's hiredis client, whose calls
// (getaddrinfo, connect, poll, read, write) block the thread, made cooperative by
// gev::monkey::patch_all(). Each of N greenlets connects to redis-server, SETs a key, waits
// in `BLPOP` on an empty list for one second (the server holds the reply), and GETs the key
// back. Patched, all N waits overlap and the run takes about as long as the slowest client;
// with --no-patch they queue up behind each other, N seconds in all.
// Run: redis-server --port 6390 --save '' &
//      build/samples/redis_fanout [--port 6390] [--clients 1000] [--no-patch]
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/monkey.hpp>
#include <memory>
#include <string>

namespace {

using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;
using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

Reply command(redisContext* c, const char* format, const std::string& a, const std::string& b = {}) {
    return Reply(static_cast<redisReply*>(redisCommand(c, format, a.c_str(), b.c_str())), freeReplyObject);
}

// One client's round: true when every reply was the expected one.
bool client(int port, int id) {
    Context c(redisConnect("127.0.0.1", port), redisFree);
    if (!c || c->err) return false;
    const std::string key = "fanout:" + std::to_string(id), value = "value " + std::to_string(id);
    auto set = command(c.get(), "SET %s %s", key, value);
    auto waited = command(c.get(), "BLPOP %s 1", "fanout:empty:" + std::to_string(id));
    auto got = command(c.get(), "GET %s", key);
    return set && set->type == REDIS_REPLY_STATUS && waited && waited->type == REDIS_REPLY_NIL && got &&
           got->type == REDIS_REPLY_STRING && std::string(got->str, got->len) == value;
}

double since(gev::TimePoint start) {
    return std::chrono::duration<double>(gev::Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    int port = 6379, clients = 1000;
    bool patch = true;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--port") && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--clients") && i + 1 < argc) {
            clients = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--no-patch")) {
            patch = false;
        } else {
            std::fprintf(stderr, "usage: %s [--port P] [--clients N] [--no-patch]\n", argv[0]);
            return 2;
        }
    }
    if (patch) gev::monkey::patch_all();

    return gev::run([&] {
        int ok = 0;
        double slowest = 0;
        const auto start = gev::Clock::now();
        gev::Group group;
        for (int id = 0; id < clients; ++id) {
            group.spawn([&, id] {
                const auto mine = gev::Clock::now();
                if (client(port, id)) ++ok;
                slowest = std::max(slowest, since(mine));
            });
        }
        group.join();
        std::printf("%d of %d clients ok; slowest client %.2f s; all of them %.2f s (%s)\n", ok, clients, slowest,
                    since(start), patch ? "patched" : "not patched");
        return ok == clients ? 0 : 1;
    });
}
