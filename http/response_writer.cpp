#include "detail/response_writer.hpp"

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/error.hpp>
#include <stdexcept>

#include "detail/access.hpp"
#include "detail/http_date.hpp"

namespace gev::http::detail {

namespace bhttp = boost::beast::http;
using namespace std::string_view_literals;

void set_plain_answer(Response& r, int status, std::string body) {
    r.reset();
    r.set_status(status);
    r.set_header("Content-Type", "text/plain; charset=utf-8");
    r.body = std::move(body);
}

void ResponseWriter::reset() noexcept {
    started_ = false;
    framing_ = Framing::none;
    body_bytes_ = 0;
}

template <class Buffers>
void ResponseWriter::send(const Buffers& buffers) {
    c_.stream.settimeout(c_.options.send_timeout);
    try {
        c_.stream.send_buffers(buffers);
    } catch (const net::SocketError& e) {
        c_.io_failed(boost::system::error_code(e.code().value(), boost::system::system_category()), "send to ");
    }
}

void ResponseWriter::send_continue() {
    send(boost::asio::buffer("HTTP/1.1 100 Continue\r\n\r\n"sv));
}

std::string_view ResponseWriter::put_head(int status, const bhttp::fields& fields, Framing framing,
                                          std::uint64_t length, std::string_view default_type) {
    // The status line and fields written straight into one buffer: no Beast message and
    // serializer (their field allocations, keep-alive token parsing and buffer-sequence walks
    // were a third of the server's instructions a request; bench/README.md). The handler's
    // fields go out as set (Response checked them), except those the server owns.
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    const std::string& date = http_date();
    const std::string& server = c_.options.server_name;
    std::size_t need = 200 + reason.size() + server.size() + date.size() + default_type.size();
    for (const auto& f : fields) need += f.name_string().size() + f.value().size() + 4;
    if (head_buf_.size() < need) head_buf_.resize(need);  // only grows: nothing to clear each time
    char* p = head_buf_.data();
    const auto put = [&p](std::string_view piece) {
        std::memcpy(p, piece.data(), piece.size());
        p += piece.size();
    };
    const auto put_number = [&p](std::uint64_t n) { p = std::to_chars(p, p + 20, n).ptr; };
    put(c_.version == 10 ? "HTTP/1.0 "sv : "HTTP/1.1 "sv);
    put_number(static_cast<std::uint64_t>(status));
    put(" "sv);
    put(reason);
    put("\r\n"sv);
    bool typed = false;
    for (const auto& f : fields) {
        switch (f.name()) {
            case bhttp::field::connection:
                if (bhttp::token_list(f.value()).exists("close")) c_.keep_alive = false;
                continue;
            case bhttp::field::content_length:
            case bhttp::field::transfer_encoding:
            case bhttp::field::server:
            case bhttp::field::date:
                continue;
            case bhttp::field::content_type:
                typed = true;
                break;
            default:
                break;
        }
        put(f.name_string());
        put(": "sv);
        put(f.value());
        put("\r\n"sv);
    }
    put("Server: "sv);
    put(server);
    put("\r\nDate: "sv);
    put(date);
    put("\r\n"sv);
    if (!typed && framing != Framing::none) {
        put("Content-Type: "sv);
        put(default_type);
        put("\r\n"sv);
    }
    if (framing == Framing::length) {
        put("Content-Length: "sv);
        put_number(length);
        put("\r\n"sv);
    } else if (framing == Framing::chunked) {
        put("Transfer-Encoding: chunked\r\n"sv);
    }
    if (c_.version == 10 && c_.keep_alive) put("Connection: keep-alive\r\n"sv);
    if (c_.version != 10 && !c_.keep_alive) put("Connection: close\r\n"sv);
    put("\r\n"sv);
    return {head_buf_.data(), static_cast<std::size_t>(p - head_buf_.data())};
}

void ResponseWriter::start_stream(Response& r) {
    const int status = r.status();
    if (status < 200) {
        throw UsageError("Response::write with status " + std::to_string(status) +
                         ": a final response cannot be 1xx (101 comes from gev::ws::upgrade(request))");
    }
    std::uint64_t declared = 0;
    const auto length = r.headers().find(bhttp::field::content_length);
    if (length != r.headers().end()) {
        const auto v = length->value();
        if (v.empty() || std::from_chars(v.data(), v.data() + v.size(), declared).ptr != v.data() + v.size()) {
            throw std::invalid_argument("Response::write: Content-Length '" + std::string(v) +
                                        "' is not a decimal number of bytes");
        }
    }
    if (status == 204 || status == 304) {
        framing_ = Framing::none;
    } else if (length != r.headers().end()) {
        framing_ = Framing::length;
    } else if (c_.version == 11) {
        framing_ = Framing::chunked;
    } else {
        framing_ = Framing::until_close;
        if (!c_.head) c_.keep_alive = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
    length_left_ = declared;
    started_ = true;
    send(boost::asio::buffer(put_head(status, r.headers(), framing_, declared, "text/html; charset=utf-8")));
    Access::mark_started(r);
}

void ResponseWriter::write_piece(std::string_view piece) {
    if (piece.empty() || c_.head) return;
    switch (framing_) {
        case Framing::none:
            throw UsageError("Response::write: a 204 or 304 response has no body");
        case Framing::length:
            if (piece.size() > length_left_) {
                throw UsageError("Response::write: " + std::to_string(piece.size()) +
                                 " bytes more, where the declared "
                                 "Content-Length leaves " +
                                 std::to_string(length_left_));
            }
            length_left_ -= piece.size();
            send(boost::asio::buffer(piece.data(), piece.size()));
            break;
        case Framing::chunked:
            send(bhttp::make_chunk(boost::asio::buffer(piece.data(), piece.size())));
            break;
        case Framing::until_close:
            send(boost::asio::buffer(piece.data(), piece.size()));
            break;
    }
    body_bytes_ += piece.size();
}

void ResponseWriter::finish_stream() {
    if (framing_ == Framing::chunked && !c_.head) send(bhttp::make_chunk_last());
    // Shorter than declared: only closing tells the client it was cut.
    if (framing_ == Framing::length && length_left_ > 0 && !c_.head) c_.keep_alive = false;
}

std::pair<int, std::size_t> ResponseWriter::respond_whole(Response& r, std::string_view target) {
    int status = r.status();
    if (status < 200) {
        std::fprintf(stderr,
                     "geventpp: %s %.*s answered %d: a final response cannot be 1xx (101 comes from "
                     "gev::ws::upgrade(request)); sent 500 instead\n",
                     c_.peer.to_string().c_str(), int(target.size()), target.data(), status);
        set_plain_answer(r, status = 500, "Internal Server Error");
    }
    const bool bodiless = status == 204 || status == 304;
    const std::string& body = r.body;
    const auto head = put_head(status, r.headers(), bodiless ? Framing::none : Framing::length, body.size(),
                               "text/html; charset=utf-8");
    const bool send_body = !c_.head && !bodiless;
    const std::array<boost::asio::const_buffer, 2> out{boost::asio::buffer(head.data(), head.size()),
                                                       boost::asio::buffer(body.data(), send_body ? body.size() : 0)};
    send(out);
    return {status, send_body ? body.size() : 0};
}

std::optional<std::size_t> ResponseWriter::refuse(int status, std::string_view body) {
    c_.keep_alive = false;
    static const bhttp::fields none;
    const std::string_view reason =
        body.empty() ? std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(status))) : body;
    const auto head = put_head(status, none, Framing::length, reason.size(), "text/plain; charset=utf-8");
    const std::array<boost::asio::const_buffer, 2> out{boost::asio::buffer(head.data(), head.size()),
                                                       boost::asio::buffer(reason.data(), reason.size())};
    try {
        send(out);
    } catch (const net::SocketError&) {
        return std::nullopt;
    }
    return reason.size();
}

}  // namespace gev::http::detail
