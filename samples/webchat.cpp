// Long-polling web chat — gevent's examples/webchat (chat/views.py), without Django:
//
//   new_message_event = Event()
//   def message_new(request):
//       msg = new_message(name, request.POST['body'])
//       messages.append(msg)
//       if len(messages) > MESSAGES_SIZE: del messages[0]
//       new_message_event.set()
//       new_message_event.clear()
//       return json_response(msg)
//   def message_updates(request):
//       cursor = request.session.get('cursor')
//       if cursor == last_message_id():
//           new_message_event.wait()
//       ...  # the messages after the cursor; the cursor moves to the last one
//
// Every waiting message_updates wakes on the one set() although clear() follows at once: that is
// gev::Event's (and gevent's) promise. The session is a cookie holding the cursor. Unlike the
// original, a poll waits at most 30 s and then answers with no messages (the page polls again),
// so no connection is held for ever.
//
//   GET  /                     the page: the messages so far, a form, and the polling script
//   POST /a/message/new        body=... (a form): posts a message; answers it as JSON
//   POST /a/message/updates    the messages after the session's cursor, waiting for one if none
//
// Run: build/samples/webchat [port], then open http://127.0.0.1:8000/
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <geventpp/geventpp.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr std::size_t messages_size = 200;
constexpr std::size_t max_body = 4096;

const char* page_head = R"(<!DOCTYPE html>
<html>
<head><meta charset="UTF-8"><title>Chat Demo</title></head>
<body>
<div id="inbox">)";

const char* page_tail = R"(</div>
<form action="/a/message/new" method="post" id="messageform">
  <input name="body" id="message" style="width:500px" autocomplete="off">
  <input type="submit" value="Post">
</form>
<script type="text/javascript">
  var inbox = document.getElementById("inbox");
  var show = function(m) {
    var div = document.createElement("div");
    div.className = "message";
    div.id = "m" + m.id;
    div.textContent = m.from + ": " + m.body;
    inbox.appendChild(div);
  };
  var poll = function() {
    fetch("/a/message/updates", {method: "POST"}).then(function(r) { return r.json(); })
      .then(function(reply) { reply.messages.forEach(show); poll(); },
            function() { setTimeout(poll, 1000); });
  };
  document.getElementById("messageform").onsubmit = function() {
    var box = document.getElementById("message");
    fetch("/a/message/new", {method: "POST", body: new URLSearchParams({body: box.value})});
    box.value = "";
    return false;
  };
  poll();
</script>
</body>
</html>
)";

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// uuid.uuid4() as gevent's example names messages: 32 hex digits, unguessable enough for a cursor.
std::string new_id() {
    static std::mt19937_64 random{std::random_device{}()};
    char id[33];
    std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random()));
    return id;
}

class Chat {
public:
    json message_new(const std::string& from, const std::string& body) {
        json msg = {{"id", new_id()}, {"from", from}, {"body", body}};
        messages_.push_back(msg);
        if (messages_.size() > messages_size) messages_.pop_front();
        new_message_event_.set();
        new_message_event_.clear();
        return msg;
    }

    // The messages after `cursor` (all of them if it is unknown), waiting up to `patience` for
    // one when there are none.
    json message_updates(const std::string& cursor, gev::Seconds patience) {
        if (cursor == last_message_id()) new_message_event_.wait(patience);
        json out = json::array();
        auto it = messages_.begin();
        for (auto m = messages_.begin(); m != messages_.end(); ++m) {
            if ((*m)["id"] == cursor) it = m + 1;
        }
        for (; it != messages_.end(); ++it) out.push_back(*it);
        if (cursor == last_message_id()) out = json::array();  // the wait ended with nothing new
        return {{"messages", out}};
    }

    std::string last_message_id() const { return messages_.empty() ? "" : messages_.back()["id"].get<std::string>(); }

    std::string inbox_html() const {
        std::string out;
        for (const auto& m : messages_) {
            out += "<div class=\"message\" id=\"m" + m["id"].get<std::string>() + "\">" +
                   html_escape(m["from"].get<std::string>()) + ": " + html_escape(m["body"].get<std::string>()) +
                   "</div>\n";
        }
        return out;
    }

private:
    std::deque<json> messages_;
    gev::Event new_message_event_;
};

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8000);
    Chat chat;
    gev::http::App app;
    app.get("/", [&](gev::http::Request&, gev::http::Response& response) {
        response.set_cookie("cursor", chat.last_message_id(), "Path=/; HttpOnly; SameSite=Strict");
        response.set_header("Content-Type", "text/html; charset=UTF-8");
        response.body = page_head + chat.inbox_html() + page_tail;
    });
    app.post("/a/message/new", [&](gev::http::Request& request) {
        const auto form = request.forms();
        const auto body = form.find("body");
        if (body == form.end() || body->second.empty()) gev::http::abort(400, "A message needs a body\n");
        return chat.message_new(request.remote_addr().host(), body->second);
    });
    app.post("/a/message/updates", [&](gev::http::Request& request, gev::http::Response& response) {
        const auto updates = chat.message_updates(request.cookie("cursor"), 30s);
        response.set_cookie("cursor", chat.last_message_id(), "Path=/; HttpOnly; SameSite=Strict");
        response.set_header("Content-Type", "text/javascript; charset=UTF-8");
        response.body = updates.dump();
    });
    gev::http::ServerOptions options;
    options.max_body = max_body;  // a longer message gets 413
    gev::http::serve(
        gev::net::Address("127.0.0.1", port), std::ref(app),
        {.server = options, .on_listening = [](std::uint16_t bound) { std::printf("Serving on %u...\n", bound); }});
    return 0;
}
