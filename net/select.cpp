#include <algorithm>
#include <cerrno>
#include <geventpp/net/error.hpp>
#include <geventpp/net/select.hpp>
#include <stdexcept>
#include <string>

#include "detail/fd_wait.hpp"

namespace gev {

namespace {

std::string fd_name(const char* call, int fd) {
    return std::string(call) + ": fd " + std::to_string(fd);
}

template <class Fds>
auto find(Fds& fds, int fd) {
    return std::find_if(fds.begin(), fds.end(), [fd](const pollfd& p) { return p.fd == fd; });
}

void add(std::vector<pollfd>& fds, const std::vector<int>& list, short events) {
    for (int fd : list) {
        if (fd < 0)
            throw net::SocketError(EBADF, fd_name("gev::select", fd) + " is negative — pass open file descriptors");
        const auto it = find(fds, fd);
        if (it != fds.end()) {
            it->events |= events;
        } else {
            fds.push_back({fd, events, 0});
        }
    }
}

std::vector<int> ready(const std::vector<pollfd>& fds, const std::vector<int>& list, short mask) {
    std::vector<int> out;
    for (int fd : list) {
        if (find(fds, fd)->revents & mask) out.push_back(fd);
    }
    return out;
}

}  // namespace

SelectResult select(const std::vector<int>& rlist, const std::vector<int>& wlist, const std::vector<int>& xlist,
                    Seconds timeout) {
    const auto deadline = timeout.deadline();
    std::vector<pollfd> fds;
    add(fds, rlist, POLLIN);
    add(fds, wlist, POLLOUT);
    add(fds, xlist, POLLPRI);
    if (net::detail::poll_until(fds.data(), fds.size(), deadline) < 0) {
        net::detail::throw_socket_error(errno, "gev::select");
    }
    for (const auto& p : fds) {
        if (p.revents & POLLNVAL) throw net::SocketError(EBADF, fd_name("gev::select", p.fd) + " is not open");
    }
    return {ready(fds, rlist, net::detail::select_read_events), ready(fds, wlist, net::detail::select_write_events),
            ready(fds, xlist, net::detail::select_except_events)};
}

void Poll::register_fd(int fd, short events) {
    if (fd < 0) {
        throw std::invalid_argument("gev::Poll::register_fd: fd " + std::to_string(fd) +
                                    " is negative — pass an open file descriptor");
    }
    const auto it = find(fds_, fd);
    if (it != fds_.end()) {
        it->events = events;
    } else {
        fds_.push_back({fd, events, 0});
    }
}

void Poll::modify(int fd, short events) {
    const auto it = find(fds_, fd);
    if (it == fds_.end()) {
        throw net::SocketError(
            ENOENT, "gev::Poll::modify: fd " + std::to_string(fd) + " is not registered — register_fd it first");
    }
    it->events = events;
}

void Poll::unregister(int fd) {
    const auto it = find(fds_, fd);
    if (it == fds_.end()) {
        throw std::out_of_range("gev::Poll::unregister: fd " + std::to_string(fd) + " is not registered");
    }
    fds_.erase(it);
}

std::vector<PollEvent> Poll::poll(Seconds timeout) {
    const auto deadline = timeout.deadline();
    for (auto& p : fds_) p.revents = 0;
    if (net::detail::poll_until(fds_.data(), fds_.size(), deadline) < 0) {
        net::detail::throw_socket_error(errno, "gev::Poll::poll");
    }
    std::vector<PollEvent> out;
    for (const auto& p : fds_) {
        if (p.revents) out.push_back({p.fd, p.revents});
    }
    return out;
}

}  // namespace gev
