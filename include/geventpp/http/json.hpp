// JSON request bodies, with nlohmann::json (Debian's nlohmann-json3-dev). Routes may return a
// nlohmann::json to answer application/json (see router.hpp).
//
//   app.post("/items", [](gev::http::Request& req) {
//       auto item = gev::http::json_body(req);      // 400 if it is not JSON
//       return nlohmann::json{{"ok", true}, {"name", item["name"]}};
//   });
#pragma once

#include <geventpp/http/error.hpp>
#include <geventpp/http/request.hpp>
#include <nlohmann/json.hpp>

namespace gev::http {

// The request body parsed as JSON; abort(400) when it is not JSON.
inline nlohmann::json json_body(Request& request) {
    try {
        return nlohmann::json::parse(request.body());
    } catch (const nlohmann::json::parse_error& e) {
        abort(400, std::string("Invalid JSON body: ") + e.what());
    }
}

}  // namespace gev::http
