#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
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

HostEntry to_entry(const hostent& h) {
    HostEntry e{h.h_name ? h.h_name : "", {}, {}};
    for (char** a = h.h_aliases; a && *a; ++a) e.aliases.emplace_back(*a);
    char text[INET6_ADDRSTRLEN];
    for (char** a = h.h_addr_list; a && *a; ++a) {
        if (::inet_ntop(h.h_addrtype, *a, text, sizeof text)) e.addresses.emplace_back(text);
    }
    return e;
}

// Runs a reentrant netdb call `lookup(result, buffer, size, &found, &h_errno)`, growing its
// buffer while it says ERANGE; AddressError naming `call` when it finds nothing.
template <class Lookup>
HostEntry host_lookup(const std::string& call, Lookup lookup) {
    std::vector<char> buffer(1024);
    for (;;) {
        hostent result{};
        hostent* found = nullptr;
        int herr = 0;
        const int rc = lookup(&result, buffer.data(), buffer.size(), &found, &herr);
        if (rc == ERANGE && buffer.size() < 1024 * 1024) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc != 0 || !found) throw AddressError(call + ": " + ::hstrerror(herr));
        return to_entry(*found);
    }
}

HostEntry gethostbyname_ex_blocking(const std::string& host) {
    return host_lookup("gethostbyname_ex('" + host + "')",
                       [&](hostent* r, char* buf, std::size_t n, hostent** found, int* herr) {
                           return ::gethostbyname_r(host.c_str(), r, buf, n, found, herr);
                       });
}

HostEntry gethostbyaddr_blocking(const std::string& ip_address) {
    Address address;
    try {
        address = Address(ip_address, 0);
    } catch (const AddressError&) {
        address = resolve_blocking(ip_address, 0, AF_UNSPEC, SOCK_STREAM).front();  // a name: Python resolves it
    }
    const void* raw = nullptr;
    socklen_t len = 0;
    if (address.family() == AF_INET) {
        raw = &reinterpret_cast<const sockaddr_in*>(address.data())->sin_addr;
        len = sizeof(in_addr);
    } else {
        raw = &reinterpret_cast<const sockaddr_in6*>(address.data())->sin6_addr;
        len = sizeof(in6_addr);
    }
    return host_lookup("gethostbyaddr('" + ip_address + "')",
                       [&](hostent* r, char* buf, std::size_t n, hostent** found, int* herr) {
                           return ::gethostbyaddr_r(raw, len, address.family(), r, buf, n, found, herr);
                       });
}

std::pair<std::string, std::string> getnameinfo_blocking(const Address& address, int flags) {
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    const int rc = ::getnameinfo(address.data(), address.size(), host, sizeof host, service, sizeof service, flags);
    if (rc != 0) {
        const std::string what = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
        throw AddressError("getnameinfo(" + address.to_string() + "): " + what);
    }
    return {host, service};
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

HostEntry gethostbyname_ex(const std::string& host, Seconds timeout) {
    return detail::resolver_pool().spawn(gethostbyname_ex_blocking, host).get(timeout);
}

HostEntry gethostbyaddr(const std::string& ip_address, Seconds timeout) {
    return detail::resolver_pool().spawn(gethostbyaddr_blocking, ip_address).get(timeout);
}

std::pair<std::string, std::string> getnameinfo(const Address& address, int flags, Seconds timeout) {
    if (address.family() != AF_INET && address.family() != AF_INET6) {
        throw AddressError("getnameinfo(" + address.to_string() + "): not an IPv4 or IPv6 address");
    }
    return detail::resolver_pool().spawn(getnameinfo_blocking, address, flags).get(timeout);
}

std::string getfqdn(const std::string& name_in, Seconds timeout) {
    std::string name = name_in;
    const auto first = name.find_first_not_of(" \t\r\n\f\v");
    name = first == std::string::npos ? "" : name.substr(first, name.find_last_not_of(" \t\r\n\f\v") - first + 1);
    if (name.empty() || name == "0.0.0.0") {
        char host[HOST_NAME_MAX + 1] = "";
        ::gethostname(host, sizeof host);
        name = host;
    }
    HostEntry entry;
    try {
        entry = gethostbyaddr(name, timeout);
    } catch (const AddressError&) {
        return name;
    }
    if (entry.name.find('.') != std::string::npos) return entry.name;
    const auto dotted = std::find_if(entry.aliases.begin(), entry.aliases.end(),
                                     [](const auto& a) { return a.find('.') != std::string::npos; });
    return dotted != entry.aliases.end() ? *dotted : entry.name;
}

}  // namespace gev::net
