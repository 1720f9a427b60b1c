// The seed document's demo server ("Primer to Asynchronous Applications", Bottle + gevent),
// written with plain blocking calls:
//
//   @route('/stream')
//   def stream():
//       yield 'START'
//       sleep(3)
//       yield 'MIDDLE'
//       sleep(5)
//       yield 'END'
//
//   @route('/fetch')
//   def fetch():
//       body = gevent.queue.Queue()
//       worker = SomeAsyncWorker()
//       worker.on_data(body.put)
//       worker.on_finish(lambda: body.put(StopIteration))
//       worker.start()
//       return body
//
//   @app.route('/websocket')
//   def handle_websocket():
//       wsock = request.environ.get('wsgi.websocket')
//       if not wsock:
//           abort(400, 'Expected WebSocket request.')
//       while True:
//           try:
//               message = wsock.receive()
//               wsock.send("Your message was: %r" % message)
//           except WebSocketError:
//               break
//
//   run(host='0.0.0.0', port=8080, server='gevent')
//
// Routes: GET /hello (the benchmark target), GET /stream, GET /fetch, GET / (this list and the
// seed's WebSocket page), POST /upload (answers "received N bytes"), /websocket (the seed's
// handler), /echo (a plain WebSocket echo: text as text, binary as binary, permessage-deflate when
// offered); anything else is 404.
// SIGINT or SIGTERM stops it gracefully: no new connections, requests and streams in flight get
// --stop-timeout seconds (default 1) to finish, open WebSockets are closed with 1001.
// Run: build/samples/async_primer [--host 127.0.0.1] [--port 8080] [--threads 1] [--quiet]
//                                 [--stop-timeout 1]
//                                 [--tls-cert samples/server.crt --tls-key samples/server.key]  (HTTPS, WSS)
//      then: curl -N http://127.0.0.1:8080/stream
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <string>

using namespace std::chrono_literals;

namespace {

const char* index_page = R"(<!DOCTYPE html>
<html>
<head><title>geventpp: asynchronous applications</title></head>
<body>
<h1>geventpp demo</h1>
<ul>
  <li><a href="/hello">/hello</a>: Hello, World!</li>
  <li><a href="/stream">/stream</a>: START, 3 s later MIDDLE, 5 s later END, each as it is written</li>
  <li><a href="/fetch">/fetch</a>: a Queue body, fed a chunk a second by a worker greenlet</li>
  <li>POST /upload: reads the whole request body and says how many bytes came</li>
  <li>ws://this host/websocket: answers each message with <code>Your message was: '...'</code></li>
  <li>ws://this host/echo: sends each message back</li>
</ul>
<h2>WebSocket</h2>
<p>This page opened <code>ws://&lt;host&gt;/websocket</code> and sent "Hello, world"; replies:</p>
<ul id="replies"></ul>
<form id="say"><input id="message" value="Hello again"> <button>Send</button></form>
<script type="text/javascript">
  var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/websocket");
  ws.onopen = function() {
    ws.send("Hello, world");
  };
  ws.onmessage = function (evt) {
    var item = document.createElement("li");
    item.className = "reply";
    item.textContent = evt.data;
    document.getElementById("replies").appendChild(item);
  };
  document.getElementById("say").onsubmit = function() {
    ws.send(document.getElementById("message").value);
    return false;
  };
</script>
</body>
</html>
)";

// The seed's SomeAsyncWorker: produces data from elsewhere (a greenlet), a chunk a second.
void some_async_worker(gev::http::BodyQueue body) {
    gev::spawn([body] {
        for (int i = 1; i <= 5; ++i) {
            gev::sleep(1s);
            body->put("chunk " + std::to_string(i) + "\n");  // worker.on_data(body.put)
        }
        body->close();  // worker.on_finish(lambda: body.put(StopIteration))
    });
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::string host = "127.0.0.1";
    int port = 8080;
    std::size_t threads = 1;
    gev::http::ServerOptions options;
    std::string tls_cert, tls_key;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--host" && has_value)
            host = argv[++i];
        else if (arg == "--port" && has_value)
            port = std::atoi(argv[++i]);
        else if (arg == "--threads" && has_value)
            threads = static_cast<std::size_t>(std::atoi(argv[++i]));
        else if (arg == "--quiet")
            options.access_log = false;
        else if (arg == "--stop-timeout" && has_value)
            options.net.stop_timeout = std::atof(argv[++i]);
        else if (arg == "--tls-cert" && has_value)
            tls_cert = argv[++i];
        else if (arg == "--tls-key" && has_value)
            tls_key = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: %s [--host H] [--port P] [--threads N] [--quiet] [--stop-timeout S] "
                         "[--tls-cert FILE --tls-key FILE]\n",
                         argv[0]);
            return 2;
        }
    }
    if (!tls_cert.empty()) {  // everything over HTTPS and WSS
        gev::net::ssl::SSLContext tls(gev::net::ssl::Protocol::tls_server);
        tls.load_cert_chain(tls_cert, tls_key);
        options.ssl_context = tls;
    }
    const char* scheme = options.ssl_context ? "https" : "http";

    gev::http::App app;
    app.get("/hello", [](gev::http::Request&, gev::http::Response& response) {
        response.set_header("Content-Type", "text/plain");
        response.body = "Hello, World!";
    });
    app.get("/stream", [](gev::http::Request&, gev::http::Response& response) {
        response.set_header("Content-Type", "text/plain");
        response.write("START");
        gev::sleep(3s);
        response.write("MIDDLE");
        gev::sleep(5s);
        response.write("END");
    });
    app.get("/fetch", [] {
        auto body = std::make_shared<gev::Queue<std::string>>();
        some_async_worker(body);
        return body;
    });
    app.get("/", [] { return std::string(index_page); });
    app.post("/upload", [](gev::http::Request& request) {
        std::size_t received = 0;
        request.read_body([&](std::string_view piece) { received += piece.size(); });
        return "received " + std::to_string(received) + " bytes";
    });

    app.route("/websocket", [](gev::http::Request& request) {
        auto ws = gev::ws::upgrade(request);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        while (auto message = ws->receive()) ws->send("Your message was: '" + message->data + "'");
    });
    app.route("/echo", [](gev::http::Request& request) {
        gev::ws::WebSocketOptions compressible;
        compressible.permessage_deflate = true;  // negotiated when the client offers it
        auto ws = gev::ws::upgrade(request, compressible);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        while (auto message = ws->receive()) {
            if (message->binary) {
                ws->send_binary(message->data);
            } else {
                ws->send(message->data);
            }
        }
    });

    gev::http::serve(gev::net::Address(host, static_cast<std::uint16_t>(port)), std::ref(app),
                     {.threads = threads, .server = options, .on_listening = [&](std::uint16_t bound) {
                          std::printf("Serving on %s://%s:%u/ (%zu thread%s)\n", scheme, host.c_str(), bound, threads,
                                      threads == 1 ? "" : "s");
                      }});
    return 0;
}
