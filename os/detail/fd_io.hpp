// The os layer's raw fd calls, shared by gev::os, gev::fileobject and gev::subprocess's pipes.
// Each returns the syscall's result, -1 with errno set on failure: the caller picks its error.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace gev::os::detail {

// One write(2) that cannot raise SIGPIPE: a reader that is gone gives -1 with errno EPIPE.
ssize_t write_nosigpipe(int fd, const void* data, std::size_t n) noexcept;
// read(2) / write_nosigpipe, retried on EINTR, parking in gev::wait_read / wait_write while the
// fd would block. Cancellation points.
ssize_t read_waiting(int fd, void* buffer, std::size_t n);
ssize_t write_waiting(int fd, const void* data, std::size_t n);

// A plain (blocking) read(2) of up to n bytes / write(2) of all of data, retried on EINTR, for a
// worker thread; errors throw gev::os::OSError with `call` as the message.
std::string read_blocking(int fd, std::size_t n, const std::string& call);
void write_blocking(int fd, const char* data, std::size_t n, const std::string& call);

}  // namespace gev::os::detail
