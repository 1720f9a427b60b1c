#include "detail/monkey.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <geventpp/net/monkey.hpp>

namespace gev::monkey {

namespace detail {

std::atomic<unsigned> patched{0};

namespace {

// Preloading the library is asking for the patch: the program itself is left unmodified.
[[gnu::constructor]] void patch_when_preloaded() {
    const char* preload = std::getenv("LD_PRELOAD");
    if (preload && std::strstr(preload, "libgeventpp_monkey")) patch_all();
}

}  // namespace

bool nonblocking(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags < 0 || (flags & O_NONBLOCK);
}

TimePoint socket_deadline(int fd, int option) noexcept {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(fd, SOL_SOCKET, option, &tv, &len) < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0)) {
        return gev::detail::forever;
    }
    return Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace detail

void patch_time() {
    detail::patched.fetch_or(detail::time);
}
void patch_socket() {
    detail::patched.fetch_or(detail::socket);
}
void patch_select() {
    detail::patched.fetch_or(detail::select);
}
void patch_os() {
    detail::patched.fetch_or(detail::os);
}
void patch_subprocess() {
    detail::patched.fetch_or(detail::subprocess);
}
void patch_all() {
    detail::patched.fetch_or(detail::time | detail::socket | detail::select | detail::os | detail::subprocess);
}

bool is_time_patched() noexcept {
    return detail::patched.load() & detail::time;
}
bool is_socket_patched() noexcept {
    return detail::patched.load() & detail::socket;
}
bool is_select_patched() noexcept {
    return detail::patched.load() & detail::select;
}
bool is_os_patched() noexcept {
    return detail::patched.load() & detail::os;
}
bool is_subprocess_patched() noexcept {
    return detail::patched.load() & detail::subprocess;
}

}  // namespace gev::monkey
