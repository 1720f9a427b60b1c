// A net::Stream of scripted bytes, for tests and fuzz targets that drive a protocol without a
// socket (Beast's test::stream idea): reads deliver the script in pieces of a given size (1: a
// byte at a time), then the end of the stream; the Nth read or write can be made to fail with an
// errno; everything written is recorded. Nothing waits, so what runs on it is deterministic.
// A stream released to a new owner (a WebSocket taking the connection over) shares the script
// and the record.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <geventpp/net/error.hpp>
#include <geventpp/net/stream.hpp>
#include <memory>
#include <string>
#include <utility>

namespace test {

class ScriptedStream final : public gev::net::Stream {
public:
    struct Script {
        std::string input;
        std::size_t piece = std::string::npos;  // the most one read delivers
        std::size_t read_fails_at = 0;          // 1: the first read fails; 0: none does
        std::size_t write_fails_at = 0;
        int error = ECONNRESET;  // what the failing call throws
        std::string written;     // everything sent, in order
        bool shut_down = false;  // shutdown_write() was called
        bool closed = false;
        std::size_t reads = 0, writes = 0;
        std::size_t at = 0;  // how much of the input was read
    };

    explicit ScriptedStream(std::string input, std::size_t piece = std::string::npos)
        : script_(std::make_shared<Script>()) {
        script_->input = std::move(input);
        script_->piece = piece;
    }

    Script& script() noexcept { return *script_; }
    const std::string& written() const noexcept { return script_->written; }

    std::size_t recv_into(void* buffer, std::size_t n) override {
        auto& s = *script_;
        check_open("recv");
        if (++s.reads == s.read_fails_at) gev::net::detail::throw_socket_error(s.error, "recv (scripted)");
        const std::size_t take = std::min({n, s.piece, s.input.size() - s.at});
        std::memcpy(buffer, s.input.data() + s.at, take);
        s.at += take;
        return take;
    }
    std::optional<std::size_t> try_recv_into(void* buffer, std::size_t n) override { return recv_into(buffer, n); }
    void sendall(std::span<const boost::asio::const_buffer> buffers) override {
        auto& s = *script_;
        check_open("send");
        if (s.shut_down) gev::net::detail::throw_socket_error(EPIPE, "send (scripted, after shutdown)");
        if (++s.writes == s.write_fails_at) gev::net::detail::throw_socket_error(s.error, "send (scripted)");
        for (const auto& b : buffers) s.written.append(static_cast<const char*>(b.data()), b.size());
    }
    using Stream::sendall;
    void wait_read() override { check_open("wait_read"); }
    void shutdown_write() override { script_->shut_down = true; }
    void close() noexcept override { script_->closed = true; }
    bool is_open() const noexcept override { return !script_->closed && !released_; }
    void settimeout(gev::Seconds) noexcept override {}
    std::unique_ptr<gev::net::Stream> release() override {
        released_ = true;
        return std::unique_ptr<ScriptedStream>(new ScriptedStream(script_));
    }

private:
    explicit ScriptedStream(std::shared_ptr<Script> script) : script_(std::move(script)) {}
    void check_open(const char* call) const {
        if (!is_open()) gev::net::detail::throw_socket_error(EBADF, call);
    }

    std::shared_ptr<Script> script_;
    bool released_ = false;
};

}  // namespace test
