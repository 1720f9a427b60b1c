// A web.py application on the HTTP server — gevent's examples/webpy.py:
//
//   urls = ("/", "index",
//           '/long', 'long_polling')
//
//   class index:
//       def GET(self):
//           return 'Hello, world!<br><a href="/long">/long</a>'
//
//   class long_polling:
//       def GET(self):
//           print 'handling GET context id = %s' % (id(web.ctx._getd()), )
//           gevent.sleep(10)  # possible to block the request indefinitely, without harming others
//           return 'Hello, 10 seconds later'
//
//   application = web.application(urls, globals()).wsgifunc()
//   print 'Serving on 8088...'
//   WSGIServer(('', 8088), application).serve_forever()
//
// web.py keeps the request being handled in web.ctx, a thread-local that monkey.patch_all()
// makes greenlet-local; here it is a gev::local<Context>, loaded by application() for each
// request as web.py's wsgifunc does. A C++ thread_local would be shared by every request on the
// hub's thread: the second /long would overwrite the first one's. To show each request keeps
// its own, /long answers with its context's query string once its 10 s are over.
// Run: build/samples/webpy [port]    then: curl 'http://127.0.0.1:8088/long?who=me'
#include <cstdio>
#include <cstdlib>
#include <geventpp/http/router.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/local.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <string>

namespace {

// web.ctx: what web.py knows of the request being handled.
struct Context {
    std::string path;
    std::string query;  // "?who=me", "" without one
};

gev::local<Context> ctx;

// web.application(urls, globals()).wsgifunc(): loads web.ctx, then routes the request.
gev::http::App urls;
void application(gev::http::Request& request, gev::http::Response& response) {
    const auto query = request.query_string();
    *ctx = {request.path(), std::string(query.empty() ? "" : "?").append(query)};
    urls(request, response);
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8088);
    urls.get("/", [] { return std::string("Hello, world!<br><a href=\"/long\">/long</a>"); });
    urls.get("/long", [] {
        std::printf("handling GET context id = %p\n", static_cast<const void*>(&*ctx));
        gev::sleep(10);  // possible to block the request indefinitely, without harming others
        return "Hello, 10 seconds later: " + ctx->path + ctx->query;
    });
    return gev::run([port] {
        gev::http::Server server(gev::net::Address("127.0.0.1", port), application);
        server.start();
        std::printf("Serving on %u...\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
