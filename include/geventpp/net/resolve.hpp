// Name resolution that blocks only the calling greenlet: getaddrinfo runs on a small shared
// ThreadPool (gevent's threaded resolver), and the greenlet waits for its answer.
//
//   for (auto& a : gev::net::getaddrinfo("localhost", 80)) ...
//
// Cancellation points. Throws AddressError for a name that does not resolve and
// Timeout::Expired when `timeout` passes first (the lookup itself finishes in the background).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <geventpp/net/address.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <string>
#include <vector>

namespace gev::net {

std::vector<Address> getaddrinfo(const std::string& host, std::uint16_t port, int family = AF_UNSPEC,
                                 int type = SOCK_STREAM, Seconds timeout = {});

// The first IPv4 address of `host`, as text (socket.gethostbyname).
std::string gethostbyname(const std::string& host, Seconds timeout = {});

}  // namespace gev::net
