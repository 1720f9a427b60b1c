// What the three rooms of an HTTP server connection share: the request reader
// (request_reader.hpp), the response writer (response_writer.hpp) and the lifecycle that runs
// them (connection.hpp). The stream and its peer, the server's options, and what the request
// being served has decided about the connection.
#pragma once

#include <boost/system/error_code.hpp>
#include <geventpp/http/server.hpp>
#include <geventpp/net/address.hpp>
#include <geventpp/net/stream.hpp>

namespace gev::http::detail {

struct ConnectionState {
    // How the client's side of the exchange failed, if it did: not the handler's failure.
    enum class Fault { none, gone, timed_out, bad_body };

    ConnectionState(net::Stream& stream, const net::Address& peer, const ServerOptions& options) noexcept
        : stream(stream), peer(peer), options(options) {}

    // I/O with the client failed: the connection ends (gone, or timed out). Throws the
    // SocketError that fits `ec`, naming the call and the peer ("recv from 127.0.0.1:53211").
    [[noreturn]] void io_failed(boost::system::error_code ec, const char* call);

    net::Stream& stream;
    const net::Address& peer;  // lives as long as the connection's greenlet
    const ServerOptions& options;
    unsigned version = 11;  // of the request being answered
    bool head = false;      // it is a HEAD: no body in the answer
    bool keep_alive = true;
    Fault fault = Fault::none;
};

}  // namespace gev::http::detail
