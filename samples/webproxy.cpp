// A web proxy — gevent's examples/webproxy.py, reduced to its core: GET /<url> fetches <url>
// with the HTTP client and answers with what came back (status, content type, body). Every
// request blocks only its own greenlet while it waits for the origin server.
//
//   def application(env, start_response):
//       path = env['PATH_INFO']
//       ...
//       return proxy(path, start_response, proxy_url)
//   def proxy(path, start_response, proxy_url):
//       response = urllib2.urlopen(path)
//       start_response('%s %s' % (response.code, response.msg), headers)
//       return [response.read()]
//
// Run: build/samples/webproxy [port], then: curl http://127.0.0.1:8088/http://127.0.0.1:8080/hello
#include <cstdio>
#include <cstdlib>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/http/server.hpp>
#include <string>

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8088);
    return gev::run([port] {
        auto application = [](gev::http::Request& env, gev::http::Response& start_response) {
            const std::string url(env.target().substr(1));  // "/http://host/path" -> the URL
            if (url.rfind("http://", 0) != 0) gev::http::abort(400, "Usage: /http://host[:port]/path\n");
            gev::http::ClientResponse response;
            try {
                response = gev::http::get(url, 10.0);
            } catch (const std::exception& ex) {
                gev::http::abort(502, "Bad Gateway: " + std::string(ex.what()) + "\n");
            }
            start_response.set_status(response.status);
            if (auto type = response.header("Content-Type"); !type.empty())
                start_response.set_header("Content-Type", type);
            start_response.body = std::move(response.body);
        };
        gev::http::Server server(gev::net::Address("127.0.0.1", port), application);
        server.start();
        std::printf("Serving on %u...\n", server.server_port());
        server.serve_forever();
        return 0;
    });
}
