// A web proxy — gevent's examples/webproxy.py: "A web application that retrieves other
// websites for you." GET / is a form asking for a URL; posting it redirects to /<url>; GET
// /<url> fetches <url> and answers with its status, headers and body, the links in the body
// rewritten to go through the proxy too; an error fetching it is a 502 page. Every request
// blocks only its own greenlet while it waits for the origin server.
//
//   def application(env, start_response):
//       proxy_url = 'http://%s/' % env['HTTP_HOST']
//       method = env['REQUEST_METHOD']
//       path = env['PATH_INFO']
//       if env['QUERY_STRING']:
//           path += '?' + env['QUERY_STRING']
//       path = path.lstrip('/')
//       if (method, path) == ('GET', ''):
//           start_response('200 OK', [('Content-Type', 'text/html')])
//           return [FORM]
//       elif method == 'GET':
//           return proxy(path, start_response, proxy_url)
//       elif (method, path) == ('POST', ''):
//           key, value = env['wsgi.input'].read().strip().split('=')
//           assert key == 'url', repr(key)
//           start_response('302 Found', [('Location', join(proxy_url, unquote(value)))])
//       elif method == 'POST':
//           start_response('404 Not Found', [])
//       else:
//           start_response('501 Not Implemented', [])
//       return []
//
// proxy(), join() and fix_links() below are the Python ones line by line. Besides gevent's
// drop_headers (transfer-encoding, set-cookie) the origin's connection and keep-alive headers
// are dropped, as they are about the connection to the origin; the server frames the body
// (Content-Length) itself, since rewriting links changes its length. The 502 page has the
// error's message where Python puts its traceback.
//
// Run: build/samples/webproxy [listener, default :8088], then open http://127.0.0.1:8088/
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/http/server.hpp>
#include <regex>
#include <string>
#include <string_view>

namespace {

const char* const FORM = R"(<html><head>
<title>Web Proxy - gevent example</title></head><body>
<table width=60% height=100% align=center>
<tr height=30%><td align=center valign=bottom>Type in URL you want to visit and press Enter</td></tr>
<tr><td align=center valign=top>
<form action=/ method=post>
<input size=80 name=url value="http://www.gevent.org"/>
</form>
</td></tr>
</table></body></table>
)";

const char* const drop_headers[] = {"transfer-encoding", "set-cookie", "connection", "keep-alive"};

std::string join(const std::string& url1, const std::string& url2) {
    const bool slash1 = !url1.empty() && url1.back() == '/';
    const bool slash2 = !url2.empty() && url2.front() == '/';
    if (slash1 && slash2) return url1 + url2.substr(1);
    if (slash1 || slash2) return url1 + url2;
    return url1 + "/" + url2;
}

std::string escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// _link_re_1 and _link_re_2: a quoted link, and an unquoted one. Group 1 is `before`; the url is
// group 4 of the first and group 3 of the second.
const std::regex link_re_1(R"re(((href|src|action)\s*=\s*)(['"])([^#].*?)\3)re");
const std::regex link_re_2(R"re(((href|src|action)\s*=\s*)([^'"#>][^ >]*))re");

std::string sub_links(const std::regex& re, int url_group, const std::string& data, const std::string& proxy_url,
                      const std::string& host_url) {
    std::string out;
    auto last = data.cbegin();
    for (std::sregex_iterator m(data.begin(), data.end(), re), end; m != end; ++m) {
        const std::string url = (*m)[url_group];
        out.append(last, (*m)[0].first);
        out += (*m)[1].str() + '"' +
               (url.find("://") != std::string::npos ? join(proxy_url, url) : join(join(proxy_url, host_url), url)) +
               '"';
        last = (*m)[0].second;
    }
    out.append(last, data.cend());
    return out;
}

std::string fix_links(const std::string& data, const std::string& proxy_url, const std::string& host_url) {
    return sub_links(link_re_2, 3, sub_links(link_re_1, 4, data, proxy_url, host_url), proxy_url, host_url);
}

void proxy(std::string path, gev::http::Response& start_response, const std::string& proxy_url) {
    if (path.find("://") == std::string::npos) path = "http://" + path;
    gev::http::ClientResponse response;
    std::string host;
    try {
        response = gev::http::get(path, 10.0);  // an error status comes back as a response, as HTTPError does
        std::printf("%s: %d\n", path.c_str(), response.status);
        const auto url = gev::http::Url::parse(path);
        host = url.scheme + "://" + url.authority();
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "error while reading %s:\n%s\n", path.c_str(), ex.what());
        start_response.set_status(502);
        start_response.set_header("Content-Type", "text/html");
        start_response.body = "<h1>" + escape(ex.what()) + "</h1><h2>" + escape(path) + "</h2>";
        return;
    }
    start_response.set_status(response.status);
    for (const auto& field : response.headers) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (std::find(std::begin(drop_headers), std::end(drop_headers), name) != std::end(drop_headers)) continue;
        start_response.add_header(field.name_string(), field.value());
    }
    start_response.body = fix_links(response.body, proxy_url, host);
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const char* listen = argc > 1 ? argv[1] : ":8088";
    return gev::run([listen] {
        auto application = [](gev::http::Request& env, gev::http::Response& start_response) {
            const std::string proxy_url = "http://" + std::string(env.header("Host")) + "/";
            const std::string_view method = env.method();
            std::string path = env.path();
            if (!env.query_string().empty()) path += "?" + std::string(env.query_string());
            path.erase(0, std::min(path.find_first_not_of('/'), path.size()));  // path.lstrip('/')
            if (method == "GET" && path.empty()) {
                start_response.set_header("Content-Type", "text/html");
                start_response.body = FORM;
            } else if (method == "GET") {
                proxy(path, start_response, proxy_url);
            } else if (method == "POST" && path.empty()) {
                const auto form = env.forms();
                const auto url = form.find("url");
                if (url == form.end()) gev::http::abort(400, "Expected a form with url=...\n");
                start_response.set_status(302);
                start_response.set_header("Location", join(proxy_url, url->second));
            } else if (method == "POST") {
                start_response.set_status(404);
            } else {
                start_response.set_status(501);
            }
        };
        gev::http::Server server(listen, application);
        server.start();
        std::printf("Serving on %s...\n", server.address().to_string().c_str());
        server.serve_forever();
        return 0;
    });
}
