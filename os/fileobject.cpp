#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/os/fileobject.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <mutex>
#include <utility>

#include "detail/fd_io.hpp"

namespace gev::fileobject {

// The fd and whether it is ours to close; shared with the FileObjectThread calls on the pool, so
// a call still running after its greenlet was cancelled keeps it open.
struct detail::Fd {
    int fd;
    bool owned;
    Fd(int f, bool o) noexcept : fd(f), owned(o) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (owned && fd >= 0) ::close(fd);
    }
    // Closes it now if it is ours (and forgets it either way); throws OSError.
    void close(const std::string& name) {
        const int f = std::exchange(fd, -1);
        if (owned && ::close(f) < 0 && errno != EINTR) os::throw_os_error(errno, "close('" + name + "')");
    }
};

namespace {
// The smallest read: what a readline or a small read(n) reads ahead.
constexpr std::size_t min_chunk = 8192;
// read()'s reads: few trips to a FileObjectThread's pool for a big file.
constexpr std::size_t readall_chunk = 1 << 20;

std::string fd_name(int fd) {
    return "<fd " + std::to_string(fd) + ">";
}

std::string open_call(const std::string& path, std::string_view mode) {
    return "open('" + path + "', '" + std::string(mode) + "')";
}
}  // namespace

// ---- FileObjectBase

FileObjectBase::FileObjectBase(std::string name, std::string_view mode, const Options& options)
    : name_(std::move(name)), mode_(mode), buffering_(options.buffering) {
    char kind = 0;
    bool plus = false, binary = false;
    for (const char c : mode) {
        if (!kind && (c == 'r' || c == 'w' || c == 'a' || c == 'x')) {
            kind = c;
        } else if (c == '+' && !plus) {
            plus = true;
        } else if (c == 'b' && !binary) {
            binary = true;
        } else {
            kind = 0;
            break;
        }
    }
    if (!kind) {
        throw std::invalid_argument("gev::fileobject: invalid mode '" + mode_ + "' for '" + name_ +
                                    "' — one of r, w, a, x, then + and b if wanted (bytes only)");
    }
    readable_ = kind == 'r' || plus;
    writable_ = kind != 'r' || plus;
    const int access = plus ? O_RDWR : kind == 'r' ? O_RDONLY : O_WRONLY;
    const int create = kind == 'w'   ? O_CREAT | O_TRUNC
                       : kind == 'a' ? O_CREAT | O_APPEND
                       : kind == 'x' ? O_CREAT | O_EXCL
                                     : 0;
    flags_ = access | create | O_CLOEXEC;
}

FileObjectBase::~FileObjectBase() = default;

void FileObjectBase::check(const char* call, bool allowed) const {
    if (!fd_)
        throw ClosedFileError(std::string(call) + " on the closed file '" + name_ + "': I/O operation on closed file");
    if (!allowed) {
        throw UnsupportedOperation(std::string(call) + " on '" + name_ + "', opened with mode '" + mode_ + "'");
    }
}

int FileObjectBase::fileno() const {
    check("fileno", true);
    return fd_->fd;
}

void FileObjectBase::flush_kept() {
    if (kept_.empty()) return;
    raw_write(kept_);  // kept on failure, as Python's buffer is
    kept_.clear();
}

void FileObjectBase::before_read() {
    flush_kept();
}

bool FileObjectBase::fill(std::size_t want) {
    std::string chunk = raw_read(std::max({want, buffering_, min_chunk}));
    if (chunk.empty()) return false;
    if (head_ == read_ahead_.size()) {
        read_ahead_ = std::move(chunk);
    } else {
        read_ahead_.erase(0, head_);
        read_ahead_ += chunk;
    }
    head_ = 0;
    return true;
}

std::string FileObjectBase::take(std::size_t k) {
    if (head_ == 0 && k >= read_ahead_.size()) return std::exchange(read_ahead_, {});  // no copy
    std::string out = read_ahead_.substr(head_, k);
    head_ += out.size();
    if (head_ == read_ahead_.size()) {
        read_ahead_.clear();
        head_ = 0;
    }
    return out;
}

void FileObjectBase::unread() {
    if (const std::size_t back = available()) {
        if (::lseek(fd_->fd, -static_cast<off_t>(back), SEEK_CUR) < 0)
            os::throw_os_error(errno, "seek('" + name_ + "')");
    }
    read_ahead_.clear();
    head_ = 0;
}

std::string FileObjectBase::read(std::size_t n) {
    std::lock_guard<Lock> hold(lock_);
    check("read", readable_);
    before_read();
    while (available() < n && fill(n - available())) {
    }
    return take(n);
}

std::string FileObjectBase::read() {
    std::lock_guard<Lock> hold(lock_);
    check("read", readable_);
    before_read();
    while (fill(readall_chunk)) {
    }
    return take(available());
}

std::string FileObjectBase::read1(std::size_t n) {
    std::lock_guard<Lock> hold(lock_);
    check("read1", readable_);
    before_read();
    if (!available()) fill(n);
    return take(n);
}

std::string FileObjectBase::readline() {
    std::lock_guard<Lock> hold(lock_);
    check("readline", readable_);
    before_read();
    std::size_t scanned = head_;
    for (;;) {
        const auto nl = read_ahead_.find('\n', scanned);
        if (nl != std::string::npos) return take(nl + 1 - head_);
        scanned = available();  // where the new bytes start once fill moved the unread ones to the front
        if (!fill(0)) return take(available());
    }
}

std::optional<std::string> FileObjectBase::next() {
    std::string line = readline();
    if (line.empty()) return std::nullopt;
    return line;
}

std::size_t FileObjectBase::write(std::string_view data) {
    std::lock_guard<Lock> hold(lock_);
    check("write", writable_);
    if (data.empty()) return 0;
    unread();
    if (kept_.size() + data.size() < buffering_) {
        kept_.append(data);
        return data.size();
    }
    flush_kept();
    if (data.size() >= buffering_) {
        raw_write(data);
    } else {
        kept_.assign(data);
    }
    return data.size();
}

void FileObjectBase::flush() {
    std::lock_guard<Lock> hold(lock_);
    check("flush", true);
    flush_kept();
}

void FileObjectBase::close() {
    if (!lock_.try_lock()) {
        raw_interrupt();
        lock_.lock();
    }
    std::lock_guard<Lock> hold(lock_, std::adopt_lock);
    if (!fd_) return;
    std::exception_ptr failed;
    try {
        flush_kept();
    } catch (...) {
        failed = std::current_exception();  // the fd is closed all the same, as Python's close()
    }
    kept_.clear();
    read_ahead_.clear();
    head_ = 0;
    raw_close(std::move(fd_));
    fd_.reset();
    if (failed) std::rethrow_exception(failed);
}

void FileObjectBase::close_quietly() noexcept {
    try {
        close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report; close() can
    }
}

// ---- FileObjectThread

FileObjectThread::FileObjectThread(const std::string& path, std::string_view mode, Options options)
    : FileObjectBase(path, mode, options), pool_(options.threadpool ? *options.threadpool : os::default_threadpool()) {
    // The fd comes back owned: if this greenlet is cancelled meanwhile, the result is dropped
    // and the fd closed with it.
    adopt(pool_.apply([path, flags = open_flags(), call = open_call(path, mode)] {
        const int fd = ::open(path.c_str(), flags, 0666);
        if (fd < 0) os::throw_os_error(errno, call);
        return std::make_shared<detail::Fd>(fd, true);
    }));
}

FileObjectThread::FileObjectThread(int fd, std::string_view mode, Options options)
    : FileObjectBase(fd_name(fd), mode, options),
      pool_(options.threadpool ? *options.threadpool : os::default_threadpool()) {
    if (::fcntl(fd, F_GETFD) < 0) os::throw_os_error(errno, "FileObjectThread(" + name() + ")");
    adopt(std::make_shared<detail::Fd>(fd, options.closefd));
}

FileObjectThread::~FileObjectThread() {
    close_quietly();
}

std::string FileObjectThread::raw_read(std::size_t n) {
    return pool_.apply(
        [fd = fd(), n, call = "read('" + name() + "')"] { return os::detail::read_blocking(fd->fd, n, call); });
}

void FileObjectThread::raw_write(std::string_view data) {
    pool_.apply([fd = fd(), copy = std::string(data), call = "write('" + name() + "')"] {
        os::detail::write_blocking(fd->fd, copy.data(), copy.size(), call);
    });
}

void FileObjectThread::raw_close(std::shared_ptr<detail::Fd> fd) {
    // A call still running on the pool (its greenlet was cancelled) holds the fd: it closes when
    // that call is done. Otherwise close it on the pool, where a slow close (NFS) belongs.
    if (!fd->owned || fd.use_count() > 1) return;
    pool_.apply([fd = std::move(fd), call = name()] { fd->close(call); });
}

// ---- FileObjectPosix

FileObjectPosix::FileObjectPosix(const std::string& path, std::string_view mode, Options options)
    : FileObjectBase(path, mode, options) {
    const int fd = ::open(path.c_str(), open_flags() | O_NONBLOCK, 0666);
    if (fd < 0) os::throw_os_error(errno, open_call(path, mode));
    adopt(std::make_shared<detail::Fd>(fd, true));
}

FileObjectPosix::FileObjectPosix(int fd, std::string_view mode, Options options)
    : FileObjectBase(fd_name(fd), mode, options) {
    os::make_nonblocking(fd);
    adopt(std::make_shared<detail::Fd>(fd, options.closefd));
}

FileObjectPosix::~FileObjectPosix() {
    close_quietly();
}

std::string FileObjectPosix::raw_read(std::size_t n) {
    std::string out(n, '\0');
    const ssize_t r = os::detail::read_waiting(fd()->fd, out.data(), n);
    if (r < 0) os::throw_os_error(errno, "read('" + name() + "')");
    out.resize(static_cast<std::size_t>(r));
    return out;
}

void FileObjectPosix::raw_write(std::string_view data) {
    while (!data.empty()) {
        const ssize_t r = os::detail::write_waiting(fd()->fd, data.data(), data.size());
        if (r < 0) os::throw_os_error(errno, "write('" + name() + "')");
        data.remove_prefix(static_cast<std::size_t>(r));
    }
}

void FileObjectPosix::raw_close(std::shared_ptr<detail::Fd> fd) {
    fd->close(name());
}

void FileObjectPosix::raw_interrupt() noexcept {
    if (fd()) gev::cancel_wait(fd()->fd);  // the greenlet inside a call gets EBADF, as in gevent's close
}

}  // namespace gev::fileobject
