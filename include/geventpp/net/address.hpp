// gev::net::Address: an IPv4, IPv6 or Unix-domain socket address (Python's address tuples).
//
//   gev::net::Address a("127.0.0.1", 8080);   // numeric hosts only; names go through
//   gev::net::Address b("::1", 0);             // gev::net::getaddrinfo
//   auto u = gev::net::Address::unix_socket("/tmp/echo.sock");
//
// Throws AddressError for a host that is not a numeric address.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gev::net {

class Address {
public:
    Address() = default;
    // A numeric IPv4 or IPv6 host ("" means all IPv4 interfaces) and a port.
    Address(std::string_view host, std::uint16_t port);
    Address(const sockaddr* sa, socklen_t len);
    static Address unix_socket(std::string_view path);

    int family() const noexcept { return storage_.ss_family; }
    std::string host() const;
    std::uint16_t port() const noexcept;
    // For Unix-domain addresses.
    std::string path() const;
    // "127.0.0.1:8080", "[::1]:80" or the Unix path.
    std::string to_string() const;

    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return len_; }
    socklen_t* size_ptr() noexcept { return &len_; }

private:
    sockaddr_storage storage_{};
    socklen_t len_ = sizeof(sockaddr_storage);
};

}  // namespace gev::net
