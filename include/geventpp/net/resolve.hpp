// Name resolution that blocks only the calling greenlet: the lookups run on a small shared
// ThreadPool (gevent's threaded resolver, gevent.resolver.thread), and the greenlet waits for
// its answer.
//
//   for (auto& a : gev::net::getaddrinfo("localhost", 80)) ...
//   auto [name, aliases, addresses] = gev::net::gethostbyaddr("127.0.0.1");
//
// Every call is a cancellation point. Throws AddressError for a name or address that does not
// resolve (Python's gaierror and herror alike) and Timeout::Expired when `timeout` passes first
// (the lookup itself finishes in the background). Call them from a greenlet.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <geventpp/net/address.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gev::net {

std::vector<Address> getaddrinfo(const std::string& host, std::uint16_t port, int family = AF_UNSPEC,
                                 int type = SOCK_STREAM, Seconds timeout = {});

// The first IPv4 address of `host`, as text (socket.gethostbyname).
std::string gethostbyname(const std::string& host, Seconds timeout = {});

// Python's (hostname, aliaslist, ipaddrlist).
struct HostEntry {
    std::string name;
    std::vector<std::string> aliases;
    std::vector<std::string> addresses;
};

// socket.gethostbyname_ex: the primary name, the aliases and the IPv4 addresses of `host`.
HostEntry gethostbyname_ex(const std::string& host, Seconds timeout = {});

// socket.gethostbyaddr: the name of an IPv4 or IPv6 address (a host name is resolved first,
// as Python does), with its aliases and addresses. AddressError when no name is known for it.
HostEntry gethostbyaddr(const std::string& ip_address, Seconds timeout = {});

// socket.getnameinfo((host, port), flags): the host name (or numeric host, NI_NUMERICHOST)
// and service name (or port, NI_NUMERICSERV) of an IPv4 or IPv6 address. AddressError for
// another family, or with NI_NAMEREQD for an address without a name.
std::pair<std::string, std::string> getnameinfo(const Address& address, int flags = 0, Seconds timeout = {});

// socket.getfqdn: the first of gethostbyaddr(name)'s name and aliases that has a dot, else its
// name; `name` itself when the lookup fails. "" or "0.0.0.0" mean this host (gethostname()).
std::string getfqdn(const std::string& name = "", Seconds timeout = {});

}  // namespace gev::net
