// A chat room: the seed's motivating case (long-polling and WebSockets, thousands of mostly idle
// clients on one OS thread), written as plain blocking code.
//
//   GET  /                  the room's page (WebSocket; /?transport=poll for long-polling)
//   GET  /ws                a WebSocket: each message it sends is posted; every post arrives on it
//   GET  /poll?since=N      long-poll: the posts after number N, waiting up to 30 s for one
//                           (without `since`: the next post); answers {"messages": [...], "last": N}
//   POST /send              posts the request body
//   GET  /stats             {"websockets": n, "pollers": n, "posts": n}
//
// A long-poller waits on its own Queue; a post puts the message in every waiting poller's queue
// and in every WebSocket member's outbox, a Queue its own writer greenlet sends from (gevent's
// chat pattern), so a slow client delays no one else; one 256 messages behind is dropped.
// Run: build/samples/chat [--host 127.0.0.1] [--port 8080] [--quiet]
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <geventpp/geventpp.hpp>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* page = R"(<!DOCTYPE html>
<html>
<head><title>geventpp chat</title></head>
<body>
<h1>Chat</h1>
<p id="transport"></p>
<ul id="messages"></ul>
<form id="say"><input id="text" autocomplete="off"> <button>Send</button></form>
<script type="text/javascript">
  var show = function(text) {
    var item = document.createElement("li");
    item.className = "message";
    item.textContent = text;
    document.getElementById("messages").appendChild(item);
  };
  var send;
  if (location.search.indexOf("transport=poll") < 0) {
    document.getElementById("transport").textContent = "WebSocket";
    var ws = new WebSocket("ws://" + location.host + "/ws");
    ws.onmessage = function(evt) { show(evt.data); };
    send = function(text) { ws.send(text); };
  } else {
    document.getElementById("transport").textContent = "long-polling";
    var poll = function(since) {
      fetch("/poll" + (since < 0 ? "" : "?since=" + since)).then(function(r) { return r.json(); })
        .then(function(reply) { reply.messages.forEach(show); poll(reply.last); },
              function() { setTimeout(function() { poll(since); }, 1000); });
    };
    poll(-1);
    send = function(text) { fetch("/send", {method: "POST", body: text}); };
  }
  document.getElementById("say").onsubmit = function() {
    var box = document.getElementById("text");
    send(box.value);
    box.value = "";
    return false;
  };
</script>
</body>
</html>
)";

constexpr std::size_t history_size = 1000;
constexpr std::size_t outbox_limit = 256;

class Room {
public:
    // A WebSocket member: a greenlet writes what its outbox receives, so a slow client delays
    // no one else; one that falls outbox_limit messages behind is dropped.
    struct Member {
        std::shared_ptr<gev::ws::WebSocket> ws;
        gev::Queue<std::string> outbox{outbox_limit};
    };

    void post(const std::string& text) {
        history_.push_back(text);
        if (history_.size() > history_size) history_.pop_front();
        ++posts_;
        for (auto* poller : pollers_) poller->put(text);
        for (auto* member : members_) {
            try {
                member->outbox.put_nowait(text);
            } catch (const gev::Full&) {
                member->outbox.close();  // too far behind
            }
        }
    }

    // Runs a WebSocket member until it leaves: its messages are posted, posts are sent to it.
    void serve(std::shared_ptr<gev::ws::WebSocket> ws) {
        Member me{ws};
        auto it = members_.insert(members_.end(), &me);
        auto writer = gev::spawn([&me] {
            try {
                for (auto& text : me.outbox) me.ws->send(text);
                me.ws->close(gev::ws::policy_error, "too slow");
            } catch (const gev::ws::ConnectionClosed&) {
            }
        });
        while (auto message = ws->receive()) post(message->data);
        members_.erase(it);
        writer.kill();
    }

    // Long-poll: the posts after `since`, or the next one within 30 s.
    json poll(long since) {
        json out = {{"messages", json::array()}};
        if (since >= 0 && static_cast<std::size_t>(since) < posts_) {
            const std::size_t oldest = posts_ - history_.size();
            for (std::size_t i = std::max<std::size_t>(since, oldest); i < posts_; ++i) {
                out["messages"].push_back(history_[i - oldest]);
            }
        } else {
            gev::Queue<std::string> mine;
            auto it = pollers_.insert(pollers_.end(), &mine);
            struct Unsubscribe {
                std::list<gev::Queue<std::string>*>& list;
                std::list<gev::Queue<std::string>*>::iterator it;
                ~Unsubscribe() { list.erase(it); }
            } unsubscribe{pollers_, it};
            try {
                out["messages"].push_back(mine.get(true, 30s));
                while (!mine.empty()) out["messages"].push_back(mine.get_nowait());
            } catch (const gev::Empty&) {
            }
        }
        out["last"] = posts_;
        return out;
    }

    json stats() const { return {{"websockets", members_.size()}, {"pollers", pollers_.size()}, {"posts", posts_}}; }

private:
    std::list<Member*> members_;
    std::list<gev::Queue<std::string>*> pollers_;
    std::deque<std::string> history_;
    std::size_t posts_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::string host = "127.0.0.1";
    int port = 8080;
    gev::http::ServerOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--host" && has_value)
            host = argv[++i];
        else if (arg == "--port" && has_value)
            port = std::atoi(argv[++i]);
        else if (arg == "--quiet")
            options.access_log = false;
        else {
            std::fprintf(stderr, "usage: %s [--host H] [--port P] [--quiet]\n", argv[0]);
            return 2;
        }
    }
    options.net.backlog = 4096;

    Room room;
    gev::http::App app;
    app.get("/", [] { return std::string(page); });
    app.get("/ws", [&](gev::http::Request& request) {
        auto ws = gev::ws::upgrade(request);
        if (!ws) gev::http::abort(400, "Expected WebSocket request.");
        room.serve(ws);
    });
    app.get("/poll", [&](gev::http::Request& request) {
        const auto query = request.query();
        const auto since = query.count("since") ? std::atol(query.at("since").c_str()) : -1;
        return room.poll(since);
    });
    app.post("/send", [&](gev::http::Request& request) {
        room.post(request.body());
        return std::string("ok");
    });
    app.get("/stats", [&] { return room.stats(); });

    gev::http::serve(gev::net::Address(host, static_cast<std::uint16_t>(port)), std::ref(app),
                     {.server = options, .on_listening = [&](std::uint16_t bound) {
                          std::printf("Chat on http://%s:%u/\n", host.c_str(), bound);
                      }});
    return 0;
}
