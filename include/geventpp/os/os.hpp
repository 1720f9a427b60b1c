// gev::os: cooperative versions of the os module's blocking calls, gevent.os.
//
//   gev::os::make_nonblocking(fd);
//   std::string got = gev::os::nb_read(fd, 4096);     // only this greenlet waits for the pipe
//   std::string block = gev::os::tp_read(file_fd, 1 << 20);  // a slow disk, on a worker thread
//   auto [pid, status] = gev::os::waitpid(child, 0);  // only this greenlet waits for the child
//
// nb_read / nb_write are for fds the caller made non-blocking (pipes, ttys, sockets): they try
// the call and, on EAGAIN, park the greenlet in gev::wait_read / wait_write until the fd is
// ready. tp_read / tp_write run the plain read(2) / write(2) on default_threadpool(), for
// regular files, whose reads never return EAGAIN but may wait on the disk. A write never raises
// SIGPIPE: a pipe whose reader is gone throws BrokenPipeError.
//
// Blocking calls (cancellation points: kill() and gev::Timeout raise out of them): nb_read,
// nb_write, tp_read, tp_write, and waitpid without WNOHANG. They block the calling greenlet only.
// A tp_ call that is cancelled still finishes on its worker thread (its data is its own copy).
// Errors are OSError (errno in code(), the call and fd named in what()), or a subclass for the
// errnos Python names: FileNotFoundError, PermissionError, FileExistsError, BrokenPipeError.
//
// waitpid and gev::subprocess: a Popen's child is reaped by the Popen's own watcher, as soon as
// it exits; do not waitpid() it (use Popen::wait). waitpid(-1) reaps whichever child exits
// first, a Popen's too (that Popen then reports returncode 0, Python's answer when a child was
// reaped behind its back). See docs/os.md, which also says why there is no gev::os::fork yet.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace gev {
class ThreadPool;
}

namespace gev::os {

// Python's OSError: a system call failed. what() names the call and the file or fd.
class OSError : public std::system_error {
public:
    OSError(int err, const std::string& what) : std::system_error(err, std::generic_category(), what) {}
};
// ENOENT (and ENOTDIR on the way): the file does not exist.
class FileNotFoundError : public OSError {
public:
    using OSError::OSError;
};
// EACCES / EPERM.
class PermissionError : public OSError {
public:
    using OSError::OSError;
};
// EEXIST: an "x" mode open of a file that exists.
class FileExistsError : public OSError {
public:
    using OSError::OSError;
};
// EPIPE: a write to a pipe (or socket) whose reader is gone.
class BrokenPipeError : public OSError {
public:
    using OSError::OSError;
};

// Throws the OSError (subclass) for `err`, with `what` ("open('/tmp/x', 'rb')") as its message.
[[noreturn]] void throw_os_error(int err, const std::string& what);

// Sets O_NONBLOCK on fd; true if it was not set before (gevent's return value). Throws OSError.
bool make_nonblocking(int fd);

// Up to n bytes from fd as soon as some are there; "" at end of stream. Blocks.
std::string nb_read(int fd, std::size_t n);
// Writes what fd takes in one write(2), waiting until it takes something; returns how many
// bytes (at least 1 for a non-empty `data`). Blocks.
std::size_t nb_write(int fd, std::string_view data);

// read(2) / write(2) on default_threadpool(): for fds whose calls wait on the disk, not on
// readiness. tp_write writes all of data (a short write is retried on the thread) and returns
// data.size(). Block.
std::string tp_read(int fd, std::size_t n);
std::size_t tp_write(int fd, std::string_view data);

// The pool tp_read, tp_write and gev::fileobject::FileObjectThread use unless given another
// (gevent's hub threadpool): 10 threads, process-wide, made on first use.
ThreadPool& default_threadpool();

// Python's os.waitpid(pid, options): {pid, status} of a child that changed state (decode status
// with WIFEXITED / WEXITSTATUS...), or {0, 0} with WNOHANG when none has. Without WNOHANG the
// greenlet waits, for any pid and options (WUNTRACED...): on the child's pidfd, or between
// WNOHANG tries (see docs/os.md); no signal disposition is touched. Throws
// OSError (ECHILD: no such child of ours). Must be called in a running hub unless WNOHANG.
std::pair<pid_t, int> waitpid(pid_t pid, int options);

}  // namespace gev::os
