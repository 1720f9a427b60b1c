#include <netdb.h>

#include <geventpp/net/error.hpp>
#include <geventpp/net/resolve.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <memory>

#include "detail/resolver.hpp"

namespace gev::net {

ThreadPool& detail::resolver_pool() {
    static ThreadPool pool(4);
    return pool;
}

namespace {
std::vector<Address> resolve_blocking(const std::string& host, std::uint16_t port, int family, int type) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) throw AddressError("getaddrinfo('" + host + "'): " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(res, ::freeaddrinfo);
    std::vector<Address> out;
    for (auto* ai = res; ai; ai = ai->ai_next) out.emplace_back(ai->ai_addr, ai->ai_addrlen);
    return out;
}
}  // namespace

std::vector<Address> getaddrinfo(const std::string& host, std::uint16_t port, int family, int type, Seconds timeout) {
    // Numeric hosts need no lookup.
    try {
        Address numeric(host, port);
        if (family == AF_UNSPEC || family == numeric.family()) return {numeric};
    } catch (const AddressError&) {
    }
    return detail::resolver_pool().spawn(resolve_blocking, host, port, family, type).get(timeout);
}

std::string gethostbyname(const std::string& host, Seconds timeout) {
    auto addrs = getaddrinfo(host, 0, AF_INET, SOCK_STREAM, timeout);
    if (addrs.empty()) throw AddressError("gethostbyname('" + host + "'): no IPv4 address");
    return addrs.front().host();
}

}  // namespace gev::net
