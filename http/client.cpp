#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/http/request.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <sstream>

#include "detail/dial.hpp"
#include "detail/field_syntax.hpp"
#include "detail/response_reader.hpp"

namespace gev::http {

namespace bhttp = boost::beast::http;

std::string_view ClientResponse::header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

namespace {

using detail::peer;

// The pool's key: a plain and a TLS connection to one host:port are not interchangeable.
std::string pool_key(const Url& u) {
    return u.scheme + "://" + peer(u);
}

std::string seconds_text(Seconds s) {
    std::ostringstream out;
    out << std::chrono::duration<double>(s.span()).count() << " s";
    return out.str();
}

// RFC 9110 §9.2.2: the methods a client may send twice.
bool idempotent(std::string_view method) {
    for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
        if (method == m) return true;
    }
    return false;
}

std::string basic_credentials(std::string_view userinfo) {
    namespace b64 = boost::beast::detail::base64;
    const std::string plain = url_decode(userinfo);
    std::string out(b64::encoded_size(plain.size()), '\0');
    out.resize(b64::encode(out.data(), plain.data(), plain.size()));
    return "Basic " + out;
}

// The request as it goes on the wire, after checking that nothing the caller gave can end its
// line early.
bhttp::request<bhttp::string_body> make_request(std::string_view method, const Url& u, std::string body,
                                                const Headers& headers, const std::string& user_agent) {
    if (!detail::is_token(method)) {
        throw std::invalid_argument("Session::request: the method '" + detail::printable(method, 40) +
                                    "' is not a token (letters, digits and !#$%&'*+-.^_`|~, no space or CR/LF)");
    }
    detail::check_field("SessionOptions::user_agent", "User-Agent", user_agent);
    bool authorization = false;
    for (const auto& [name, value] : headers) {
        detail::check_field("Session::request", name, value);
        const auto field = bhttp::string_to_field(name);
        if (field == bhttp::field::content_length || field == bhttp::field::transfer_encoding) {
            // Set beside the length the client writes, it would frame the body two ways at once
            // (Transfer-Encoding: gzip and Content-Length: 1): the server and a proxy may disagree.
            throw std::invalid_argument("Session::request: " + std::string(name) +
                                        " is the client's to set (it frames the body it sends); leave it out");
        }
        if (field == bhttp::field::authorization) authorization = true;
    }
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), u.target, 11);
    req.method_string(method);
    req.set(bhttp::field::host, u.authority());
    req.set(bhttp::field::user_agent, user_agent);
    // Credentials in the URL, as curl, requests and Go send them; a header of the caller's wins.
    if (!u.userinfo.empty() && !authorization) req.set(bhttp::field::authorization, basic_credentials(u.userinfo));
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.keep_alive(true);
    req.prepare_payload();
    return req;
}

void send(net::Stream& stream, bhttp::request<bhttp::string_body>& req, const Url& u) {
    boost::system::error_code ec;
    bhttp::write(stream, req, ec);
    if (ec) {
        const int err = ec.category() == boost::system::system_category() ? ec.value() : EIO;
        net::detail::throw_socket_error(err, ("sending the request to " + peer(u)).c_str());
    }
}

}  // namespace

const net::ssl::SSLContext& Session::tls_context() const {
    if (options_.ssl_context) return *options_.ssl_context;
    return options_.verify ? detail::default_client_context() : detail::unverified_client_context();
}

std::unique_ptr<net::Stream> Session::connect(const Url& u, bool& reused) {
    const auto key = pool_key(u);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
        auto s = std::move(it->second.back());
        it->second.pop_back();
        reused = true;
        return s;
    }
    reused = false;
    const auto resume = tls_sessions_.find(key);
    return detail::dial(u, tls_context(), options_.timeout,
                        resume == tls_sessions_.end() ? net::ssl::SSLSession{} : resume->second);
}

void Session::give_back(const Url& u, std::unique_ptr<net::Stream> stream, bool fresh) {
    const auto key = pool_key(u);
    // The TLS session to resume next time (a TLS 1.3 ticket has come with the first response);
    // a reused connection's is the one already kept.
    if (auto* tls = fresh ? dynamic_cast<net::ssl::SSLSocket*>(stream.get()) : nullptr) {
        if (auto session = tls->session()) tls_sessions_[key] = std::move(session);
    }
    auto& idle = idle_[key];
    if (idle.size() < options_.max_idle_per_host) idle.push_back(std::move(stream));
}

std::size_t Session::idle_connections() const noexcept {
    std::size_t n = 0;
    for (const auto& [k, v] : idle_) n += v.size();
    return n;
}

ClientResponse Session::request(std::string_view method, std::string_view url, std::string body,
                                const Headers& headers) {
    const Url u = Url::parse(url);
    auto req = make_request(method, u, std::move(body), headers, options_.user_agent);
    const detail::ResponseLimits limits{options_.max_header, options_.max_response};
    Timeout deadline(options_.timeout);
    try {
        for (int attempt = 0;; ++attempt) {
            bool reused = false;
            auto stream = connect(u, reused);
            detail::ResponseReader reader(*stream, peer(u), limits, method == "HEAD");
            ClientResponse out;
            try {
                send(*stream, req, u);
                reader.read_header();
                out.body = reader.read_body();
            } catch (const net::SocketTimeout&) {
                throw;  // the server may be handling it: never send it twice
            } catch (const net::SocketError&) {
                // A pooled connection the server had closed meanwhile: the request never got
                // there, or got there as the server was closing. Send it again only if doing it
                // twice does no harm.
                if (reused && attempt == 0 && !reader.got_some() && idempotent(method)) continue;
                throw;
            }
            out.status = reader.status();
            out.headers = reader.header();
            if (reader.reusable()) give_back(u, std::move(stream), !reused);
            return out;
        }
    } catch (const Timeout::Expired& e) {
        if (!e.is(deadline)) throw;
        throw net::SocketTimeout("HTTP " + std::string(method) + " " + peer(u) + " not done within " +
                                 seconds_text(options_.timeout) + " (SessionOptions::timeout)");
    }
}

ClientResponse Session::post(std::string_view url, std::string body, std::string_view content_type) {
    return request("POST", url, std::move(body), {{"Content-Type", std::string(content_type)}});
}

struct ClientStream::State {
    State(std::unique_ptr<net::Stream> s, const Url& u, const detail::ResponseLimits& limits, bool head,
          std::string exchange, Seconds timeout, TimePoint deadline)
        : stream(std::move(s)),
          reader(*stream, peer(u), limits, head),
          exchange(std::move(exchange)),
          timeout(timeout),
          deadline(deadline) {}

    std::unique_ptr<net::Stream> stream;
    detail::ResponseReader reader;
    std::string exchange;  // "HTTP GET host:port", for the timeout's message
    Seconds timeout;
    TimePoint deadline;  // open()'s start + timeout; TimePoint::max() for none
};

ClientStream Session::open(std::string_view method, std::string_view url, std::string body, const Headers& headers) {
    const Url u = Url::parse(url);
    auto req = make_request(method, u, std::move(body), headers, options_.user_agent);
    const detail::ResponseLimits limits{options_.max_header, std::nullopt};
    const std::string exchange = "HTTP " + std::string(method) + " " + peer(u);
    const TimePoint deadline = options_.timeout.deadline();
    Timeout t(options_.timeout);
    try {
        auto state = std::make_unique<ClientStream::State>(detail::dial(u, tls_context(), options_.timeout), u, limits,
                                                           method == "HEAD", exchange, options_.timeout, deadline);
        send(*state->stream, req, u);
        state->reader.read_header();
        return ClientStream(std::move(state));
    } catch (const Timeout::Expired& e) {
        if (!e.is(t)) throw;
        throw net::SocketTimeout(exchange + ": no response header within " + seconds_text(options_.timeout) +
                                 " (SessionOptions::timeout)");
    }
}

ClientStream::ClientStream(std::unique_ptr<State> s) : s_(std::move(s)) {}
ClientStream::ClientStream(ClientStream&&) noexcept = default;
ClientStream& ClientStream::operator=(ClientStream&&) noexcept = default;
ClientStream::~ClientStream() = default;

int ClientStream::status() const noexcept {
    return s_->reader.status();
}

const boost::beast::http::fields& ClientStream::headers() const noexcept {
    return s_->reader.header();
}

std::optional<std::string> ClientStream::read_some() {
    auto& s = *s_;
    const auto timed_out = [&] {
        return net::SocketTimeout(s.exchange + ": the body not read within " + seconds_text(s.timeout) +
                                  " of open() (SessionOptions::timeout)");
    };
    const auto left = s.deadline - Clock::now();
    if (s.deadline != TimePoint::max() && left <= Clock::duration::zero()) throw timed_out();
    Timeout t(s.deadline == TimePoint::max() ? Seconds{} : Seconds(left));
    try {
        char chunk[16384];
        const std::size_t got = s.reader.read_some(chunk, sizeof chunk);
        if (!got) return std::nullopt;
        return std::string(chunk, got);
    } catch (const Timeout::Expired& e) {
        if (!e.is(t)) throw;
        throw timed_out();
    }
}

ClientResponse get(std::string_view url, Seconds timeout) {
    SessionOptions o;
    o.timeout = timeout;
    o.max_idle_per_host = 0;
    Session s(std::move(o));
    return s.get(url);
}

ClientResponse post(std::string_view url, std::string body, std::string_view content_type, Seconds timeout) {
    SessionOptions o;
    o.timeout = timeout;
    o.max_idle_per_host = 0;
    Session s(std::move(o));
    return s.post(url, std::move(body), content_type);
}

}  // namespace gev::http
