// gev::http::static_file: serve a file from a directory, Bottle's static_file().
//
//   app.get("/static/<path:path>", [](gev::http::Request& req, gev::http::Response& res) {
//       gev::http::static_file(req, res, req.param("path"), "/var/www");
//   });
//
// Paths that leave `root` (.., symlinks out of it) or hold a NUL get 403; a missing file 404.
// Answers with Content-Type (by extension), Content-Length, Last-Modified and an ETag;
// If-None-Match and If-Modified-Since give 304; a single `Range: bytes=a-b` gives 206 with
// Content-Range (416 if it does not fit); HEAD reads nothing of the file.
//
// The disk is never touched on the hub: the path walk, open, stat and each read run on a
// small thread pool shared by the process, and the file is streamed 64 KiB at a time with its
// Content-Length, so a client that does not read holds one block, whatever the file's size.
// Blocks the calling greenlet only (a cancellation point); throws HTTPError for 403/404/416.
#pragma once

#include <geventpp/http/request.hpp>
#include <geventpp/http/response.hpp>
#include <string_view>

namespace gev::http {

void static_file(Request& request, Response& response, std::string_view filename, std::string_view root,
                 std::string_view mimetype = {});

// The Content-Type for a file name's extension ("application/octet-stream" if unknown).
std::string_view guess_mimetype(std::string_view filename);

}  // namespace gev::http
