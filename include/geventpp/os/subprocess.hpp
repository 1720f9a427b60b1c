// gev::subprocess: child processes whose waits and pipes block only the calling greenlet,
// gevent.subprocess on Python's `subprocess` names.
//
//   namespace sp = gev::subprocess;
//   sp::Popen p({"ls", "-l"}, {.stdout = sp::PIPE});
//   auto [out, err] = p.communicate();        // *out holds ls's output; err is nullopt
//   int rc = p.wait();                        // 0, or -9 if it was killed by SIGKILL
//   std::string s = sp::check_output({"uname", "-r"});
//
// A child is started with posix_spawnp: a program that does not exist, or cannot be run, throws
// FileNotFoundError / PermissionError (a SpawnError, errno set, the program named) in the
// parent. Every fd the library opens is O_CLOEXEC, and by default (close_fds) the child gets no
// fd but 0, 1 and 2; it starts with an empty signal mask and default signal dispositions.
//
// Waiting: each child's pidfd (Linux 5.3+) is watched on the hub by a small greenlet that reaps
// the child as soon as it exits (waitpid WNOHANG) and sets its returncode, as gevent's hub does
// with its child watcher; so a Popen can be given to gev::wait / gev::iwait, and no zombie stays
// behind even if nobody waits. See docs/subprocess.md (and what happens at hub exit).
//
// Blocking calls (cancellation points: kill() and gev::Timeout raise out of them): Popen::wait,
// communicate, run, call, check_call, check_output, and Pipe's read/write. They block the
// calling greenlet only; many children run at once on one hub. A Popen must be made inside a
// running hub (gev::run) and used from that hub's greenlets; made outside one it throws
// UsageError. Writes to a child whose reader is gone throw gev::net::ConnectionReset (EPIPE),
// never SIGPIPE. Differences from Python (all bytes: no text mode; no shell=; PATH is the
// parent's when env is given) are listed in README's porting table.
//
// The members are named as Python's: `stdin`, `stdout`, `stderr` (glibc defines those stdio
// macros as themselves, so they work as member names).
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <geventpp/net/error.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <geventpp/runtime/wait.hpp>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace gev::subprocess {

// Where a child's stdin, stdout or stderr goes: inherited from us (the default, Python's None),
// a new PIPE, DEVNULL, STDOUT (stderr only: where stdout goes), or an fd / FILE* of the caller
// (which stays the caller's: it is dup'ed into the child, never closed).
class Redirect {
public:
    enum class Kind { inherit, pipe, devnull, stdout_, fd };
    constexpr Redirect() noexcept = default;
    constexpr explicit Redirect(Kind kind) noexcept : kind_(kind) {}
    Redirect(int fd);   // NOLINT: implicit by design, like Python's stdout=fd; throws for fd < 0
    Redirect(FILE* f);  // NOLINT: implicit, like Python's stdout=file (its fileno())
    constexpr Kind kind() const noexcept { return kind_; }
    constexpr int fd() const noexcept { return fd_; }

private:
    Kind kind_ = Kind::inherit;
    int fd_ = -1;
};

inline constexpr Redirect PIPE{Redirect::Kind::pipe};
inline constexpr Redirect DEVNULL{Redirect::Kind::devnull};
inline constexpr Redirect STDOUT{Redirect::Kind::stdout_};

// The environment given to a child (it replaces ours, as Python's env=).
using Env = std::map<std::string, std::string>;

// Popen's keyword arguments, Python's names: Popen({"cat"}, {.stdin = PIPE, .stdout = PIPE}).
struct Options {
    Redirect stdin{};
    Redirect stdout{};
    Redirect stderr{};
    std::optional<std::string> cwd{};
    std::optional<Env> env{};
    // Closes every fd above 2 in the child, ours and the caller's (Python's default).
    bool close_fds = true;
};

// Base of this module's errors, Python's SubprocessError.
class SubprocessError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The child could not be started (Python's OSError from Popen): errno in code().
class SpawnError : public std::system_error {
public:
    SpawnError(int err, const std::string& what) : std::system_error(err, std::generic_category(), what) {}
};
// ENOENT: the program (or the cwd) does not exist.
class FileNotFoundError : public SpawnError {
public:
    using SpawnError::SpawnError;
};
// EACCES: the program is not executable.
class PermissionError : public SpawnError {
public:
    using SpawnError::SpawnError;
};

// A timeout given to wait / communicate / run passed. The child is left running.
class TimeoutExpired : public SubprocessError {
public:
    TimeoutExpired(std::vector<std::string> cmd, Seconds timeout, std::optional<std::string> output = {},
                   std::optional<std::string> stderr = {});
    std::vector<std::string> cmd;
    Seconds timeout;
    std::optional<std::string> output;  // what the child printed so far, when it was piped
    std::optional<std::string> stderr;
};

// check_call / check_output / run(check=true) saw a non-zero returncode.
class CalledProcessError : public SubprocessError {
public:
    CalledProcessError(int returncode, std::vector<std::string> cmd, std::optional<std::string> output = {},
                       std::optional<std::string> stderr = {});
    int returncode;
    std::vector<std::string> cmd;
    std::optional<std::string> output;
    std::optional<std::string> stderr;
};

// Our end of a pipe to a child (Popen's stdin, stdout or stderr): non-blocking, read and written
// cooperatively. Belongs to its Popen; closed with it.
class Pipe {
public:
    // Takes fd (made non-blocking); `name` ("stdout of ls (pid 42)") is for error messages.
    Pipe(int fd, std::string name) noexcept : fd_(fd), name_(std::move(name)) {}
    ~Pipe();
    Pipe(Pipe&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), name_(std::move(o.name_)), buffered_(std::move(o.buffered_)) {}
    Pipe& operator=(Pipe&& o) noexcept;
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    // Reads up to n bytes as they arrive; "" at end of stream. Blocks.
    std::string read(std::size_t n);
    // Reads to end of stream (Python's read()). Blocks.
    std::string read();
    // A line with its '\n', or what is left at end of stream ("" then). Blocks.
    std::string readline();
    // Writes all of data. Blocks. Throws net::ConnectionReset (EPIPE) when the reader is gone.
    void write(std::string_view data);
    // Writes what it can without blocking; returns how many bytes it wrote.
    std::size_t write_some(std::string_view data);
    void close() noexcept;
    bool closed() const noexcept { return fd_ < 0; }
    int fileno() const noexcept { return fd_; }

private:
    int fd_;
    std::string name_;
    std::string buffered_;  // read ahead by readline
};

// What communicate() returns: each is nullopt when that stream was not a PIPE.
struct Output {
    std::optional<std::string> stdout;
    std::optional<std::string> stderr;
};

namespace detail {
struct ChildState;
}

// A running child process, Python's subprocess.Popen. Movable, not copyable.
class Popen {
public:
    // Starts args[0] (searched in PATH) with args. Throws FileNotFoundError / PermissionError /
    // SpawnError, std::invalid_argument for an empty args, UsageError outside a hub.
    explicit Popen(std::vector<std::string> args, Options options = {});
    // Leaves the child running; the hub still reaps it when it exits. Closes our pipe ends.
    ~Popen();
    Popen(Popen&&) noexcept;
    Popen& operator=(Popen&&) noexcept;

    // Our ends of the pipes, where the option was PIPE.
    std::optional<Pipe> stdin;
    std::optional<Pipe> stdout;
    std::optional<Pipe> stderr;

    const std::vector<std::string>& args() const noexcept { return args_; }
    pid_t pid() const noexcept;
    // The exit status once reaped: the exit code, or -N when signal N killed the child.
    std::optional<int> returncode() const noexcept;

    // Checks (does not block) whether the child exited; returns returncode().
    std::optional<int> poll();
    // Blocks until the child exits and returns returncode. Throws TimeoutExpired when `timeout`
    // passes first (a default Seconds waits forever).
    int wait(Seconds timeout = {});
    // Writes `input` to stdin (when it is a PIPE) and closes it, reads stdout and stderr (when
    // PIPEs) to end of stream, all at once, then waits for the child. On `timeout` throws
    // TimeoutExpired and leaves the child running: what was read so far is kept, and a later
    // communicate() (without input) goes on from there. Throws std::logic_error for input
    // given to a child whose stdin is not a PIPE, or after communication has started.
    Output communicate(std::optional<std::string> input = std::nullopt, Seconds timeout = {});

    // Sends `sig` to the child if it has not been reaped yet (through its pidfd: never to a
    // process that reused its pid). Does not block.
    void send_signal(int sig);
    void terminate();  // SIGTERM
    void kill();       // SIGKILL

    // gev::wait({p1, p2}, 2s): ready once the child exited and was reaped.
    operator Waitable() const;  // NOLINT: implicit by design

private:
    std::vector<std::string> args_;
    std::shared_ptr<detail::ChildState> state_;
    // communicate()'s progress, kept across a timeout.
    bool communicating_ = false;
    std::string input_;
    std::size_t input_sent_ = 0;
    std::string out_, err_;
};

// What run() returns, Python's CompletedProcess.
struct CompletedProcess {
    std::vector<std::string> args;
    int returncode;
    std::optional<std::string> stdout;
    std::optional<std::string> stderr;
    // Throws CalledProcessError if returncode is not 0.
    void check_returncode() const;
};

// run()'s keyword arguments: Popen's (see Options), then run's own.
struct RunOptions {
    Redirect stdin{};
    Redirect stdout{};
    Redirect stderr{};
    std::optional<std::string> cwd{};
    std::optional<Env> env{};
    bool close_fds = true;
    std::optional<std::string> input{};  // sent to stdin, which is then a PIPE
    Seconds timeout{};                   // the child is killed and reaped, then TimeoutExpired
    bool check = false;                  // a non-zero returncode throws CalledProcessError
    bool capture_output = false;         // stdout and stderr as PIPEs
};

// Runs the command to completion, Python's subprocess.run. Blocks.
CompletedProcess run(std::vector<std::string> args, RunOptions options = {});
// Runs the command and returns its returncode. Blocks. On `timeout` kills the child and throws
// TimeoutExpired.
int call(std::vector<std::string> args, Options options = {}, Seconds timeout = {});
// Like call, but throws CalledProcessError for a non-zero returncode; returns 0.
int check_call(std::vector<std::string> args, Options options = {}, Seconds timeout = {});
// Runs the command with stdout as a PIPE and returns what it printed; throws CalledProcessError
// (its output set) for a non-zero returncode.
std::string check_output(std::vector<std::string> args, Options options = {}, Seconds timeout = {},
                         std::optional<std::string> input = std::nullopt);

// Runs `cmd` with /bin/sh -c, stderr into stdout; returns {returncode, output} with one trailing
// newline removed, Python's getstatusoutput. Blocks.
std::pair<int, std::string> getstatusoutput(const std::string& cmd);
// The output alone, Python's getoutput. Blocks.
std::string getoutput(const std::string& cmd);

}  // namespace gev::subprocess
