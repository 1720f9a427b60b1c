// gev::fileobject: buffered file objects whose reads and writes block only the calling
// greenlet, gevent.fileobject.
//
//   namespace fo = gev::fileobject;
//   fo::FileObjectThread log("/var/log/app.log", "ab");   // regular files: I/O on a thread pool
//   log.write("started\n");
//   fo::FileObjectPosix out(pipe_fd, "rb");                // pipes and ttys: non-blocking fd
//   for (const std::string& line : out) ...                // each line with its '\n'
//
// FileObjectThread runs every open, read, write and close of the file on a ThreadPool
// (gev::os::default_threadpool() unless Options::threadpool names another), so a slow disk
// never stalls the hub: only the calling greenlet waits. FileObjectPosix makes the fd
// non-blocking (gevent does; the flag stays when the object lets go of an fd it does not own)
// and parks the greenlet in gev::wait_read / wait_write on EAGAIN; on a regular file it works
// but each call runs on the hub, as in gevent. FileObject is FileObjectThread, gevent's default.
//
// Both are Python's buffered binary files: read(n) returns n bytes unless the end of the file
// comes first, read() reads to the end, read1(n) returns what one read gives, readline() a line
// with its '\n' ("" at the end), next() / range-for iterate by line; write() keeps up to
// Options::buffering bytes before writing them (0: each write goes out at once), flush() and
// close() write what is kept. A "+" mode mixes reads and writes (the read-ahead is given back
// with lseek before a write, as Python's BufferedRandom does). Modes: "r", "w", "a", "x", each
// with an optional "+" and "b"; bytes only (no text mode: "r" means "rb").
//
// Blocking calls (cancellation points: kill() and gev::Timeout raise out of them): the path
// constructors (FileObjectThread), read*, next, write, flush, close, and the destructor when
// writes are kept. A file object belongs to the greenlets of one hub; calls from several
// greenlets are taken one at a time (a gev::Lock, gevent's lock=True). A FileObjectThread call
// that is cancelled still finishes on its thread; the fd is closed once that call is done.
//
// Throws: gev::os::OSError and its subclasses (FileNotFoundError...) naming the call and the
// file ("open('/tmp/x', 'rb'): No such file or directory"); BrokenPipeError for a pipe whose
// reader is gone (never SIGPIPE); ClosedFileError for any call but close() / closed() after
// close (Python's ValueError); UnsupportedOperation for a read of a write-only file or a write
// of a read-only one; std::invalid_argument for a bad mode. The destructor closes the file
// (flushing it) and swallows errors, as Python's does; call close() to see them.
#pragma once

#include <cstddef>
#include <geventpp/os/os.hpp>
#include <geventpp/runtime/detail/next_iterator.hpp>
#include <geventpp/runtime/lock.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gev {
class ThreadPool;
}

namespace gev::fileobject {

// An operation on a closed file object, Python's ValueError("I/O operation on closed file").
class ClosedFileError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

// A read of a file opened for writing only, or the reverse: Python's io.UnsupportedOperation.
class UnsupportedOperation : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

struct Options {
    // Whether close() closes an fd given by the caller (Python's closefd); a path's fd is ours.
    bool closefd = true;
    // Bytes write() keeps before writing them; also the read-ahead size. 0: unbuffered writes.
    std::size_t buffering = 8192;
    // FileObjectThread's pool; nullptr: gev::os::default_threadpool().
    ThreadPool* threadpool = nullptr;
};

namespace detail {
struct Fd;
}

// What both file objects do: the buffering, line splitting, modes and closed-file checks,
// gevent's FileObjectBase. Not made directly.
class FileObjectBase {
public:
    FileObjectBase(const FileObjectBase&) = delete;
    FileObjectBase& operator=(const FileObjectBase&) = delete;

    // Up to n bytes; fewer only at the end of the file.
    std::string read(std::size_t n);
    // To the end of the file.
    std::string read();
    // What is read ahead, or else what one read of up to n bytes gives; "" at the end only.
    std::string read1(std::size_t n);
    // A line with its '\n', or what is left at the end of the file ("" then).
    std::string readline();
    // The next line, nullopt at the end of the file (Python's next(f) / StopIteration).
    std::optional<std::string> next();
    // Writes (or keeps, see Options::buffering) all of data; returns data.size().
    std::size_t write(std::string_view data);
    // Writes what write() kept.
    void flush();
    // Flushes and closes (the fd too, unless given with closefd = false). A second close does
    // nothing. A greenlet parked in a FileObjectPosix call is woken with SocketError(EBADF), as
    // gevent's close() does; a FileObjectThread call is waited for.
    void close();

    bool closed() const noexcept { return !fd_; }
    int fileno() const;
    // The path, or "<fd 5>" for a file object made from an fd.
    const std::string& name() const noexcept { return name_; }
    const std::string& mode() const noexcept { return mode_; }
    bool readable() const noexcept { return readable_; }
    bool writable() const noexcept { return writable_; }

    using iterator = gev::detail::NextIterator<FileObjectBase, std::string>;
    iterator begin() { return iterator(this); }
    iterator end() { return {}; }

protected:
    // Parses mode (throws std::invalid_argument); no fd yet.
    FileObjectBase(std::string name, std::string_view mode, const Options& options);
    ~FileObjectBase();
    // The open(2) flags of mode(), O_CLOEXEC included.
    int open_flags() const noexcept { return flags_; }
    void adopt(std::shared_ptr<detail::Fd> fd) noexcept { fd_ = std::move(fd); }
    // Flushes and closes, swallowing errors: the derived destructors call it.
    void close_quietly() noexcept;
    const std::shared_ptr<detail::Fd>& fd() const noexcept { return fd_; }

    // Up to n bytes, "" at the end of the file; throws OSError.
    virtual std::string raw_read(std::size_t n) = 0;
    // Writes all of data; throws OSError.
    virtual void raw_write(std::string_view data) = 0;
    // Closes the fd (if it is ours) once every call on it is done; throws OSError.
    virtual void raw_close(std::shared_ptr<detail::Fd> fd) = 0;
    // close() found another greenlet inside a call: wakes it if it waits on the fd.
    virtual void raw_interrupt() noexcept {}

private:
    // Throws ClosedFileError, or UnsupportedOperation when not `allowed` by the mode.
    void check(const char* call, bool allowed) const;
    void flush_kept();
    // Writes what is kept, before a read.
    void before_read();
    // Adds one raw read of at least `want` bytes to the read-ahead; false at the end of the file.
    bool fill(std::size_t want);
    std::size_t available() const noexcept { return read_ahead_.size() - head_; }
    // The next k (at most available()) read-ahead bytes.
    std::string take(std::size_t k);
    // Before a write: gives the read-ahead back (lseek) so the write lands where reading stopped.
    void unread();

    std::string name_;
    std::string mode_;
    int flags_ = 0;
    bool readable_ = false;
    bool writable_ = false;
    std::size_t buffering_;
    std::shared_ptr<detail::Fd> fd_;
    std::string read_ahead_;  // its first head_ bytes were read already
    std::size_t head_ = 0;
    std::string kept_;  // written, not yet flushed
    Lock lock_;
};

// Regular files, their I/O on a thread pool: gevent's FileObjectThread.
class FileObjectThread final : public FileObjectBase {
public:
    // Opens path (on the pool). Throws FileNotFoundError... naming it.
    explicit FileObjectThread(const std::string& path, std::string_view mode = "rb", Options options = {});
    // Uses the caller's fd (closed by close() if options.closefd).
    FileObjectThread(int fd, std::string_view mode = "rb", Options options = {});
    ~FileObjectThread();

private:
    std::string raw_read(std::size_t n) override;
    void raw_write(std::string_view data) override;
    void raw_close(std::shared_ptr<detail::Fd> fd) override;
    ThreadPool& pool_;
};

// Pipes, ttys, sockets: a non-blocking fd and the hub's readiness waits, gevent's
// FileObjectPosix.
class FileObjectPosix final : public FileObjectBase {
public:
    // Opens path with O_NONBLOCK (on the hub: a FIFO opened for writing with no reader throws
    // ENXIO instead of waiting). Throws FileNotFoundError... naming it.
    explicit FileObjectPosix(const std::string& path, std::string_view mode = "rb", Options options = {});
    // Uses the caller's fd, made non-blocking (closed by close() if options.closefd).
    FileObjectPosix(int fd, std::string_view mode = "rb", Options options = {});
    ~FileObjectPosix();

private:
    std::string raw_read(std::size_t n) override;
    void raw_write(std::string_view data) override;
    void raw_close(std::shared_ptr<detail::Fd> fd) override;
    void raw_interrupt() noexcept override;
};

// gevent's FileObject: FileObjectThread on every platform gevent's default config covers.
using FileObject = FileObjectThread;

}  // namespace gev::fileobject
