// The seed's first example as the seed writes it: patch first, then plain blocking sleeps.
//
//   from gevent import monkey; monkey.patch_all()
//
//   @route('/stream')
//   def stream():
//       yield 'START'
//       sleep(3)
//       yield 'MIDDLE'
//       sleep(5)
//       yield 'END'
//
// The handler calls libc's ::sleep and std::this_thread::sleep_for, not gev::sleep. After
// gev::monkey::patch_all() each of those parks only its own greenlet, so 100 clients of /stream
// all finish about 8 s after they start, on one OS thread. Without the patch every sleep stops
// the whole thread and the 100th client finishes after about 800 s.
// Run: build/samples/monkey_stream [--port 8080] [--no-patch]
//      then: curl -N http://127.0.0.1:8080/stream
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/net/monkey.hpp>
#include <string>
#include <thread>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    int port = 8080;
    bool patch = true;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--port") && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--no-patch")) {
            patch = false;
        } else {
            std::fprintf(stderr, "usage: %s [--port P] [--no-patch]\n", argv[0]);
            return 2;
        }
    }
    if (patch) gev::monkey::patch_all();

    gev::http::App app;
    app.get("/stream", [](gev::http::Request&, gev::http::Response& response) {
        response.set_header("Content-Type", "text/plain");
        response.write("START");
        ::sleep(3);
        response.write("MIDDLE");
        std::this_thread::sleep_for(std::chrono::seconds(5));
        response.write("END");
    });

    gev::http::serve(gev::net::Address("127.0.0.1", static_cast<std::uint16_t>(port)), std::ref(app),
                     {.server = {.access_log = false}, .on_listening = [&](std::uint16_t bound) {
                          std::printf("Serving on http://127.0.0.1:%u/ (%s)\n", bound,
                                      patch ? "patched" : "not patched");
                      }});
    return 0;
}
