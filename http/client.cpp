#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <geventpp/http/client.hpp>
#include <geventpp/net/error.hpp>

namespace gev::http {

namespace bhttp = boost::beast::http;

std::string_view ClientResponse::header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

Url Url::parse(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) {
        throw ProtocolError("only http:// URLs are supported (no TLS here): '" + std::string(url) + "'");
    }
    url.remove_prefix(scheme.size());
    Url u;
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    if (slash != std::string_view::npos) u.target = std::string(url.substr(slash));
    if (!authority.empty() && authority.front() == '[') {  // [v6]:port
        const auto close = authority.find(']');
        u.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
    } else {
        u.host = std::string(authority.substr(0, authority.find(':')));
        authority.remove_prefix(u.host.size());
    }
    if (!authority.empty() && authority.front() == ':') {
        const int port = std::atoi(std::string(authority.substr(1)).c_str());
        if (port <= 0 || port > 65535) throw ProtocolError("bad port in URL");
        u.port = static_cast<std::uint16_t>(port);
    }
    if (u.host.empty()) throw ProtocolError("no host in URL");
    return u;
}

namespace {
std::string pool_key(const Url& u) {
    return u.host + ":" + std::to_string(u.port);
}
}  // namespace

net::Socket Session::connect(const Url& u, bool& reused) {
    auto it = idle_.find(pool_key(u));
    if (it != idle_.end() && !it->second.empty()) {
        net::Socket s = std::move(it->second.back());
        it->second.pop_back();
        reused = true;
        return s;
    }
    reused = false;
    return net::create_connection(u.host, u.port, options_.timeout);
}

void Session::give_back(const Url& u, net::Socket sock) {
    auto& idle = idle_[pool_key(u)];
    if (idle.size() < options_.max_idle_per_host) idle.push_back(std::move(sock));
}

std::size_t Session::idle_connections() const noexcept {
    std::size_t n = 0;
    for (const auto& [k, v] : idle_) n += v.size();
    return n;
}

void Session::send_request(net::Socket& sock, std::string_view method, const Url& u, const std::string& body,
                           const Headers& headers) {
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), u.target, 11);
    req.method_string(method);
    req.set(bhttp::field::host, u.port == 80 ? u.host : u.host + ":" + std::to_string(u.port));
    req.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();
    bhttp::write(sock, req);
}

ClientResponse Session::request(std::string_view method, std::string_view url, std::string body,
                                const Headers& headers) {
    const Url u = Url::parse(url);
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        net::Socket sock = connect(u, reused);
        sock.settimeout(options_.timeout);
        boost::beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(boost::none);
        if (method == "HEAD") parser.skip(true);
        boost::system::error_code ec;
        try {
            send_request(sock, method, u, body, headers);
            bhttp::read(sock, buffer, parser, ec);
        } catch (const net::SocketError&) {
            if (reused && attempt == 0) continue;  // the server closed the idle connection
            throw;
        }
        if (ec) {
            const bool nothing_came = !parser.got_some();
            if (reused && attempt == 0 && nothing_came) continue;
            if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof) {
                throw net::ConnectionReset(ECONNRESET, "the server closed the connection before answering");
            }
            if (ec.category() == boost::system::system_category()) {
                net::detail::throw_socket_error(ec.value(), ("reading the response from " + pool_key(u)).c_str());
            }
            throw ProtocolError("malformed response from " + pool_key(u) + ": " + ec.message());
        }
        auto res = parser.release();
        ClientResponse out;
        out.status = static_cast<int>(res.result_int());
        out.body = std::move(res.body());
        if (res.keep_alive()) give_back(u, std::move(sock));
        out.headers = std::move(res.base());
        return out;
    }
}

ClientResponse Session::post(std::string_view url, std::string body, std::string_view content_type) {
    return request("POST", url, std::move(body), {{"Content-Type", std::string(content_type)}});
}

ClientStream Session::open(std::string_view method, std::string_view url, std::string body, const Headers& headers) {
    const Url u = Url::parse(url);
    net::Socket sock = net::create_connection(u.host, u.port, options_.timeout);
    send_request(sock, method, u, body, headers);
    ClientStream stream(std::move(sock));
    boost::system::error_code ec;
    bhttp::read_header(stream.s_->sock, stream.s_->buffer, stream.s_->parser, ec);
    if (ec) throw ProtocolError("malformed response header from " + pool_key(u) + ": " + ec.message());
    return stream;
}

ClientStream::ClientStream(net::Socket sock) : s_(std::make_unique<State>()) {
    s_->sock = std::move(sock);
    s_->parser.body_limit(boost::none);
}

int ClientStream::status() const noexcept {
    return static_cast<int>(s_->parser.get().result_int());
}

const boost::beast::http::fields& ClientStream::headers() const noexcept {
    return s_->parser.get().base();
}

std::optional<std::string> ClientStream::read_some() {
    auto& p = s_->parser;
    char chunk[16384];
    while (!p.is_done()) {
        p.get().body().data = chunk;
        p.get().body().size = sizeof chunk;
        boost::system::error_code ec;
        bhttp::read_some(s_->sock, s_->buffer, p, ec);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec && ec.category() == boost::system::system_category()) {
            net::detail::throw_socket_error(ec.value(), "reading the response body");
        }
        if (ec) throw ProtocolError("reading the response body: " + ec.message());
        const std::size_t got = sizeof chunk - p.get().body().size;
        if (got) return std::string(chunk, got);
    }
    return std::nullopt;
}

ClientResponse get(std::string_view url, Seconds timeout) {
    Session s(Session::Options{timeout, 0});
    return s.get(url);
}

ClientResponse post(std::string_view url, std::string body, std::string_view content_type, Seconds timeout) {
    Session s(Session::Options{timeout, 0});
    return s.post(url, std::move(body), content_type);
}

}  // namespace gev::http
