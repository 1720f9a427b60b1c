// The application of gevent's examples/wsgiserver.py and wsgiserver_ssl.py, shared by
// samples/wsgiserver.cpp and samples/wsgiserver_ssl.cpp:
//
//   def application(env, start_response):
//       if env['PATH_INFO'] == '/':
//           start_response('200 OK', [('Content-Type', 'text/html')])
//           return [b"<b>hello world</b>"]
//       start_response('404 Not Found', [('Content-Type', 'text/html')])
//       return [b'<h1>Not Found</h1>']
#pragma once

#include <geventpp/http/request.hpp>
#include <geventpp/http/response.hpp>

inline void hello_world(gev::http::Request& env, gev::http::Response& start_response) {
    start_response.set_header("Content-Type", "text/html");
    if (env.path() == "/") {
        start_response.body = "<b>hello world</b>";
        return;
    }
    start_response.set_status(404);
    start_response.body = "<h1>Not Found</h1>";
}
