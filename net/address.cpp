#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <geventpp/net/address.hpp>
#include <geventpp/net/error.hpp>

namespace gev::net {

Address::Address(std::string_view host_view, std::uint16_t port) {
    const std::string host(host_view.empty() ? "0.0.0.0" : host_view);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage_);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len_ = sizeof(sockaddr_in);
        return;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage_);
    if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len_ = sizeof(sockaddr_in6);
        return;
    }
    throw AddressError("'" + host +
                       "' is not a numeric IPv4 or IPv6 address — resolve names with gev::net::getaddrinfo");
}

Address::Address(const sockaddr* sa, socklen_t len) : len_(std::min<socklen_t>(len, sizeof storage_)) {
    std::memcpy(&storage_, sa, len_);
}

Address Address::unix_socket(std::string_view path) {
    Address a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
    if (path.size() >= sizeof un->sun_path) {
        throw AddressError("Unix socket path too long (" + std::to_string(path.size()) + " bytes, the limit is " +
                           std::to_string(sizeof un->sun_path - 1) + ")");
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return a;
}

std::string Address::host() const {
    char buf[INET6_ADDRSTRLEN] = "";
    if (family() == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    } else if (family() == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

std::uint16_t Address::port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string Address::path() const {
    if (family() != AF_UNIX || len_ <= offsetof(sockaddr_un, sun_path)) return {};
    const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
    return std::string(un->sun_path, ::strnlen(un->sun_path, len_ - offsetof(sockaddr_un, sun_path)));
}

std::string Address::to_string() const {
    switch (family()) {
        case AF_INET:
            return host() + ":" + std::to_string(port());
        case AF_INET6:
            return "[" + host() + "]:" + std::to_string(port());
        case AF_UNIX:
            return path();
        default:
            return "<unspecified address>";
    }
}

}  // namespace gev::net
