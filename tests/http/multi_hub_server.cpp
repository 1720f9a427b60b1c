// An HTTP server on two hubs (gev::http::serve with threads = 2) whose handlers use every kind
// of cross-hub sharing: a gev::Lock around a shared counter, a gev::Queue to a greenlet on a
// third hub that answers through gev::AsyncResult, a gev::ThreadPool, and an Event set from
// one hub and waited on from others. multi_hub_test.py loads it. Usage: multi_hub_server <port>
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <string>
#include <thread>

namespace {

struct Job {
    long value;
    gev::AsyncResult<long> answer;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    gev::Lock lock;
    long count = 0;
    gev::Queue<Job> jobs;
    gev::ThreadPool pool(2);
    gev::Event opened;

    // A third hub doubles whatever the server hubs send it.
    std::thread backend([&] {
        gev::run([&] {
            opened.set();
            for (auto& job : jobs) job.answer.set(job.value * 2);
        });
    });

    gev::http::App app;
    app.get("/hello", [] { return std::string("Hello, World!"); });
    app.get("/count", [&] {
        std::lock_guard<gev::Lock> hold(lock);
        return std::to_string(++count);
    });
    app.get("/relay/<n:int>", [&](gev::http::Request& request) {
        Job job{std::stol(std::string(request.param("n"))), {}};
        auto answer = job.answer;
        jobs.put(std::move(job));
        return std::to_string(answer.get());
    });
    app.get("/pool/<n:int>", [&](gev::http::Request& request) {
        const long n = std::stol(std::string(request.param("n")));
        return std::to_string(pool.apply([n] { return n * n; }));
    });
    app.get("/opened", [&] {
        opened.wait();
        return std::string("yes");
    });

    gev::http::serve(gev::net::Address("127.0.0.1", static_cast<std::uint16_t>(std::atoi(argv[1]))), std::ref(app),
                     {.threads = 2, .server = {.access_log = false}, .on_listening = [](std::uint16_t port) {
                          std::printf("listening on %u\n", port);
                      }});
    jobs.close();
    backend.join();
    std::printf("served %ld counted requests\n", count);
    return 0;
}
