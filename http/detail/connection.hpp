// The lifecycle of one HTTP server connection: wait for a request (or hand the idle connection
// to the server to hold without a greenlet), read it (request_reader.hpp), run the handler,
// send its answer (response_writer.hpp), then keep the connection for the next request, drain
// what the handler left of the body, or close it lingering. A handler's failure becomes a
// logged 500 when its response had not started; the client's own failures end the connection.
// Server (server.cpp) runs one for each connection it accepts or resumes, serve_connection one
// for a stream it is given.
#pragma once

#include <boost/intrusive/list.hpp>
#include <cstddef>
#include <functional>
#include <geventpp/http/request.hpp>
#include <geventpp/http/response.hpp>
#include <geventpp/http/server.hpp>
#include <memory>
#include <string>

#include "connection_state.hpp"
#include "request_reader.hpp"
#include "response_writer.hpp"

namespace gev::http::detail {

class Connection final : public RequestSource, public BodySink {
public:
    // Takes the idle connection over (its stream is then closed here) and returns true, or
    // returns false; given how many requests the connection has served.
    using IdleHandOff = std::function<bool(std::size_t served)>;

    // `upgraded` is the server's list of connections a protocol took over; `served` counts the
    // requests served before (a resumed connection).
    Connection(net::Stream& stream, const net::Address& peer, const Handler& handler, const ServerOptions& options,
               std::size_t served, IdleHandOff hand_off_idle, boost::intrusive::list<Upgrade>& upgraded);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Serves requests until the connection closes or fails.
    void run();

    void read_body(const std::function<void(std::string_view)>& sink) override;
    std::optional<std::uint64_t> declared_body_length() const override { return reader_.declared_body_length(); }
    std::unique_ptr<net::Stream> take_over(std::string& unread, std::shared_ptr<Upgrade> upgrade) override;
    const std::string& server_name() const noexcept override { return state_.options.server_name; }
    void start_stream(Response& r) override { writer_.start_stream(r); }
    void write_piece(std::string_view piece) override { writer_.write_piece(piece); }

private:
    // Waits for the next request and reads its head; false when the connection should just close.
    [[gnu::noinline]] bool next_request();
    // Runs the handler on the request read and sends its answer; false when the connection
    // should close. The frame a handler runs in: a WebSocket handler parks in it for hours, so
    // what only comes before or after the handler stays out of it (see docs/stacks.md).
    bool serve_one();
    // The handler failed with the exception being handled. True when `res` now holds the 500
    // to send; false when the connection must close (the response had started, or the failure
    // was the client's: then it is answered 408 or 400 if it can still be).
    [[gnu::noinline]] bool handler_failed(Response& res, std::string_view target);
    // Refuses the request with `status`, logs it and closes lingering.
    [[gnu::noinline]] void refuse(int status);
    // Stops sending and drops what the client still sends for a while (bounded), so that a
    // close with unread bytes does not reset the connection under the last answer.
    void linger();
    // The handler of `target` failed with the exception being handled: says so on stderr.
    [[gnu::noinline]] void report_failure(std::string_view target);
    [[gnu::noinline]] void log(int status, std::size_t bytes);

    ConnectionState state_;
    ResponseWriter writer_{state_};
    RequestReader reader_{state_, writer_};
    const Handler& handler_;
    Clock::time_point started_at_;
    std::size_t served_;
    std::size_t resumed_at_ = served_;
    IdleHandOff hand_off_idle_;
    std::shared_ptr<Upgrade> upgrade_;           // set once the connection was taken over
    boost::intrusive::list<Upgrade>& upgraded_;  // the server's
};

}  // namespace gev::http::detail
