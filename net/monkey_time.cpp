// The patched sleep family: inside a greenlet, gev::sleep.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <geventpp/runtime/sleep.hpp>

#include "detail/libc.hpp"
#include "detail/monkey.hpp"

namespace libc = gev::net::detail::libc;
using gev::monkey::detail::cooperative;

namespace {

std::chrono::nanoseconds span(const timespec& ts) {
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

bool valid(const timespec* ts) {
    return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1'000'000'000 && ts->tv_sec >= 0;
}

}  // namespace

extern "C" {

unsigned int sleep(unsigned int seconds) {
    if (!cooperative(gev::monkey::detail::time)) return libc::sleep(seconds);
    gev::sleep(std::chrono::seconds(seconds));
    return 0;
}

int usleep(useconds_t usec) {
    if (!cooperative(gev::monkey::detail::time)) return libc::usleep(usec);
    gev::sleep(std::chrono::microseconds(usec));
    return 0;
}

int nanosleep(const timespec* req, timespec* rem) {
    if (!cooperative(gev::monkey::detail::time)) return libc::nanosleep(req, rem);
    if (!valid(req)) {
        errno = EINVAL;
        return -1;
    }
    gev::sleep(span(*req));
    return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
    const bool known =
        clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME || clock == CLOCK_TAI;
    if (!known || !cooperative(gev::monkey::detail::time)) return libc::clock_nanosleep(clock, flags, req, rem);
    if (!valid(req)) return EINVAL;
    auto left = span(*req);
    if (flags & TIMER_ABSTIME) {
        timespec now{};
        ::clock_gettime(clock, &now);
        left -= span(now);
    }
    if (left > std::chrono::nanoseconds::zero()) gev::sleep(left);
    return 0;
}

}  // extern "C"
