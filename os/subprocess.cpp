#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <geventpp/net/error.hpp>
#include <geventpp/net/fd_wait.hpp>
#include <geventpp/net/select.hpp>
#include <geventpp/os/subprocess.hpp>
#include <geventpp/runtime/detail/park.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <sstream>

#include "../net/detail/libc.hpp"
#include "detail/fd_io.hpp"

// glibc 2.36's <sys/pidfd.h> declares its functions without extern "C" (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}

extern char** environ;

namespace gev::subprocess {

namespace libc = net::detail::libc;

namespace detail {

// What the Popen and its watcher greenlet share: the child, until it is reaped.
struct ChildState {
    pid_t pid = -1;
    int pidfd = -1;
    std::optional<int> returncode;
    Event exited;

    ~ChildState() {
        if (pidfd >= 0) ::close(pidfd);
    }

    // Reaps the child if it exited; true once it was reaped (by us or, ECHILD, by someone else).
    bool try_reap() noexcept {
        if (returncode) return true;
        int status = 0;
        pid_t r;
        do {
            r = ::waitpid(pid, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == 0) return false;
        if (r < 0) {
            returncode = 0;  // reaped behind our back (SIGCHLD ignored, waitpid(-1)): Python says 0
        } else if (WIFSIGNALED(status)) {
            returncode = -WTERMSIG(status);
        } else {
            returncode = WEXITSTATUS(status);
        }
        exited.set();
        return true;
    }
};

}  // namespace detail

namespace {

std::string join(const std::vector<std::string>& cmd) {
    std::string s;
    for (const auto& a : cmd) {
        if (!s.empty()) s += ' ';
        s += a;
    }
    return s;
}

std::string seconds_text(Seconds t) {
    std::ostringstream os;
    os << std::chrono::duration<double>(t.span()).count();
    return os.str();
}

[[noreturn]] void throw_spawn_error(int err, const std::string& what) {
    const std::string msg = what + ": " + std::strerror(err);
    if (err == ENOENT) throw FileNotFoundError(err, msg);
    if (err == EACCES) throw PermissionError(err, msg);
    throw SpawnError(err, msg);
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        throw SpawnError(errno, "gev::subprocess::Popen: fcntl(O_NONBLOCK) on a pipe");
    }
}

// The fds made for one spawn, closed when it is done (ours to keep are released first).
struct Fds {
    std::vector<int> fds;
    ~Fds() {
        for (int fd : fds) ::close(fd);
    }
    int add(int fd) {
        fds.push_back(fd);
        return fd;
    }
    void release(int fd) { std::erase(fds, fd); }
};

// posix_spawn's two objects, destroyed on every path.
struct SpawnObjects {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnObjects() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnObjects() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnObjects(const SpawnObjects&) = delete;
    SpawnObjects& operator=(const SpawnObjects&) = delete;
};

void check(int err, const char* call) {
    if (err != 0) throw SpawnError(err, std::string("gev::subprocess::Popen: ") + call);
}

const char* const stream_names[] = {"stdin", "stdout", "stderr"};

}  // namespace

Redirect::Redirect(int fd) : kind_(Kind::fd), fd_(fd) {
    if (fd < 0) {
        throw std::invalid_argument("gev::subprocess::Redirect(" + std::to_string(fd) +
                                    "): not an fd — pass an open fd, or PIPE, DEVNULL, STDOUT");
    }
}

Redirect::Redirect(FILE* f) : Redirect(f ? ::fileno(f) : -1) {}

TimeoutExpired::TimeoutExpired(std::vector<std::string> cmd_, Seconds timeout_, std::optional<std::string> output_,
                               std::optional<std::string> stderr_)
    : SubprocessError("Command '" + join(cmd_) + "' timed out after " + seconds_text(timeout_) + " seconds"),
      cmd(std::move(cmd_)),
      timeout(timeout_),
      output(std::move(output_)),
      stderr(std::move(stderr_)) {}

namespace {
std::string called_message(int rc, const std::vector<std::string>& cmd) {
    if (rc < 0) {
        const char* name = ::sigabbrev_np(-rc);
        return "Command '" + join(cmd) + "' died with SIG" + (name ? name : std::to_string(-rc)) + ".";
    }
    return "Command '" + join(cmd) + "' returned non-zero exit status " + std::to_string(rc) + ".";
}
}  // namespace

CalledProcessError::CalledProcessError(int rc, std::vector<std::string> cmd_, std::optional<std::string> output_,
                                       std::optional<std::string> stderr_)
    : SubprocessError(called_message(rc, cmd_)),
      returncode(rc),
      cmd(std::move(cmd_)),
      output(std::move(output_)),
      stderr(std::move(stderr_)) {}

// ---- Pipe

Pipe::~Pipe() {
    close();
}

Pipe& Pipe::operator=(Pipe&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
        name_ = std::move(o.name_);
        buffered_ = std::move(o.buffered_);
    }
    return *this;
}

void Pipe::close() noexcept {
    if (fd_ < 0) return;
    gev::cancel_wait(fd_);
    ::close(fd_);
    fd_ = -1;
}

namespace {
void require_open(int fd, const std::string& name, const char* call) {
    if (fd < 0) throw net::SocketError(EBADF, std::string(call) + " on the closed " + name);
}
}  // namespace

std::string Pipe::read(std::size_t n) {
    if (!buffered_.empty()) {
        std::string out = buffered_.substr(0, n);
        buffered_.erase(0, out.size());
        return out;
    }
    require_open(fd_, name_, "Pipe::read");
    std::string out(n, '\0');
    const ssize_t r = os::detail::read_waiting(fd_, out.data(), n);
    if (r < 0) net::detail::throw_socket_error(errno, ("read from the " + name_).c_str());
    out.resize(static_cast<std::size_t>(r));
    return out;
}

std::string Pipe::read() {
    std::string out = std::exchange(buffered_, {});
    for (;;) {
        std::string chunk = read(64 * 1024);
        if (chunk.empty()) return out;
        out += chunk;
    }
}

std::string Pipe::readline() {
    for (;;) {
        const auto nl = buffered_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffered_.substr(0, nl + 1);
            buffered_.erase(0, nl + 1);
            return line;
        }
        std::string held = std::exchange(buffered_, {});
        std::string chunk = read(64 * 1024);
        if (chunk.empty()) return held;
        buffered_ = held + chunk;
    }
}

std::size_t Pipe::write_some(std::string_view data) {
    require_open(fd_, name_, "Pipe::write");
    const ssize_t r = os::detail::write_nosigpipe(fd_, data.data(), data.size());
    if (r >= 0) return static_cast<std::size_t>(r);
    if (libc::would_block(errno)) return 0;
    net::detail::throw_socket_error(errno, ("write to the " + name_).c_str());
}

void Pipe::write(std::string_view data) {
    require_open(fd_, name_, "Pipe::write");
    while (!data.empty()) {
        const ssize_t r = os::detail::write_waiting(fd_, data.data(), data.size());
        if (r < 0) net::detail::throw_socket_error(errno, ("write to the " + name_).c_str());
        data.remove_prefix(static_cast<std::size_t>(r));
    }
}

// ---- Popen

Popen::Popen(std::vector<std::string> args, Options options) : args_(std::move(args)) {
    if (args_.empty()) throw std::invalid_argument("gev::subprocess::Popen: empty args — give the program first");
    // Hub::current() outlives gev::run on its thread: ask whether the hub runs.
    gev::detail::require_hub(("gev::subprocess::Popen(" + args_[0] + ")").c_str());
    if (options.stdin.kind() == Redirect::Kind::stdout_ || options.stdout.kind() == Redirect::Kind::stdout_) {
        throw std::invalid_argument("gev::subprocess::Popen: STDOUT is for stderr only");
    }
    Fds temp;
    SpawnObjects so;
    int ours[3] = {-1, -1, -1};
    const Redirect* redirects[3] = {&options.stdin, &options.stdout, &options.stderr};
    for (int i = 0; i < 3; ++i) {
        const Redirect& r = *redirects[i];
        switch (r.kind()) {
            case Redirect::Kind::inherit:
                break;
            case Redirect::Kind::pipe: {
                int p[2];
                if (::pipe2(p, O_CLOEXEC) < 0) throw SpawnError(errno, "gev::subprocess::Popen: pipe2");
                temp.add(p[0]);
                temp.add(p[1]);
                const int child = i == 0 ? p[0] : p[1];
                ours[i] = i == 0 ? p[1] : p[0];
                set_nonblocking(ours[i]);
                check(posix_spawn_file_actions_adddup2(&so.actions, child, i), "adddup2");
                break;
            }
            case Redirect::Kind::devnull:
                check(posix_spawn_file_actions_addopen(&so.actions, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0),
                      "addopen(/dev/null)");
                break;
            case Redirect::Kind::stdout_:
                check(posix_spawn_file_actions_adddup2(&so.actions, 1, 2), "adddup2");
                break;
            case Redirect::Kind::fd: {
                // A caller's fd 0-2 could be overwritten by an earlier dup2: use a copy above 2.
                int fd = r.fd();
                if (fd <= 2) {
                    fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
                    if (fd < 0) throw SpawnError(errno, "gev::subprocess::Popen: fd " + std::to_string(r.fd()));
                    temp.add(fd);
                }
                check(posix_spawn_file_actions_adddup2(&so.actions, fd, i), "adddup2");
                break;
            }
        }
    }
    if (options.close_fds) check(posix_spawn_file_actions_addclosefrom_np(&so.actions, 3), "addclosefrom_np");
    if (options.cwd) check(posix_spawn_file_actions_addchdir_np(&so.actions, options.cwd->c_str()), "addchdir_np");

    // The child starts with no signal blocked and every signal at its default (we may ignore
    // SIGPIPE, or block what a hub's signal handling waits for).
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    check(posix_spawnattr_setsigmask(&so.attr, &none), "setsigmask");
    check(posix_spawnattr_setsigdefault(&so.attr, &all), "setsigdefault");
    check(posix_spawnattr_setflags(&so.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "setflags");

    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    std::vector<char*> envp;
    if (options.env) {
        for (const auto& [k, v] : *options.env) env_strings.push_back(k + "=" + v);
        for (auto& e : env_strings) envp.push_back(e.data());
        envp.push_back(nullptr);
    }

    pid_t pid = -1;
    const int err =
        ::posix_spawnp(&pid, args_[0].c_str(), &so.actions, &so.attr, argv.data(), options.env ? envp.data() : environ);
    if (err != 0) {
        if (err == ENOENT && options.cwd && ::access(options.cwd->c_str(), F_OK) != 0) {
            throw_spawn_error(err, "gev::subprocess::Popen: cwd '" + *options.cwd + "'");
        }
        throw_spawn_error(err, "gev::subprocess::Popen: '" + args_[0] + "'");
    }

    state_ = std::make_shared<detail::ChildState>();
    state_->pid = pid;
    state_->pidfd = ::pidfd_open(pid, 0);  // O_CLOEXEC
    if (state_->pidfd < 0) {
        const int e = errno;
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw SpawnError(e, "gev::subprocess::Popen: pidfd_open (Linux 5.3+ is needed)");
    }
    const std::string who = " of " + args_[0] + " (pid " + std::to_string(pid) + ")";
    std::optional<Pipe>* pipes[3] = {&stdin, &stdout, &stderr};
    for (int i = 0; i < 3; ++i) {
        if (ours[i] < 0) continue;
        temp.release(ours[i]);
        pipes[i]->emplace(ours[i], stream_names[i] + who);
    }
    // The hub's child watcher: reaps the child as it exits, whoever waits (or nobody).
    try {
        gev::spawn(SpawnOptions{"subprocess watcher" + who, 64 * 1024}, [state = state_] {
            while (!state->try_reap()) gev::wait_read(state->pidfd);
        });
    } catch (...) {
        ::kill(pid, SIGKILL);  // nobody would ever reap it
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw;
    }
}

Popen::~Popen() = default;
Popen::Popen(Popen&&) noexcept = default;
Popen& Popen::operator=(Popen&&) noexcept = default;

pid_t Popen::pid() const noexcept {
    return state_->pid;
}

std::optional<int> Popen::returncode() const noexcept {
    return state_->returncode;
}

std::optional<int> Popen::poll() {
    state_->try_reap();
    return state_->returncode;
}

int Popen::wait(Seconds timeout) {
    if (!state_->try_reap() && !state_->exited.wait(timeout)) throw TimeoutExpired(args_, timeout);
    return *state_->returncode;
}

void Popen::send_signal(int sig) {
    if (state_->returncode) return;  // reaped: its pid may be someone else's now
    if (::pidfd_send_signal(state_->pidfd, sig, nullptr, 0) < 0 && errno != ESRCH) {
        throw std::system_error(errno, std::generic_category(),
                                "Popen::send_signal(" + std::to_string(sig) + ") to " + args_[0] + " (pid " +
                                    std::to_string(state_->pid) + ")");
    }
}

void Popen::terminate() {
    send_signal(SIGTERM);
}

void Popen::kill() {
    send_signal(SIGKILL);
}

Popen::operator Waitable() const {
    return Waitable(state_->exited);
}

Output Popen::communicate(std::optional<std::string> input, Seconds timeout) {
    if (input && communicating_) {
        throw std::logic_error("Popen::communicate: cannot send input after starting communication");
    }
    if (input && !stdin) throw std::logic_error("Popen::communicate(input): the child's stdin is not a PIPE");
    const auto deadline = timeout.deadline();
    if (!communicating_) {
        communicating_ = true;
        if (input) {
            input_ = std::move(*input);
        } else if (stdin) {
            stdin->close();
        }
    }
    const auto timed_out = [&] {
        return TimeoutExpired(args_, timeout, stdout ? std::optional(out_) : std::nullopt,
                              stderr ? std::optional(err_) : std::nullopt);
    };
    for (;;) {
        if (stdin && !stdin->closed() && input_sent_ == input_.size()) stdin->close();
        std::vector<int> rlist, wlist;
        if (stdout && !stdout->closed()) rlist.push_back(stdout->fileno());
        if (stderr && !stderr->closed()) rlist.push_back(stderr->fileno());
        if (stdin && !stdin->closed()) wlist.push_back(stdin->fileno());
        if (rlist.empty() && wlist.empty()) break;
        Seconds left;
        if (timeout) {
            const auto now = Clock::now();
            if (now >= deadline) throw timed_out();
            left = deadline - now;
        }
        const auto ready = gev::select(rlist, wlist, {}, left);
        if (ready.rlist.empty() && ready.wlist.empty()) throw timed_out();
        if (!ready.wlist.empty()) {
            try {
                input_sent_ += stdin->write_some(std::string_view(input_).substr(input_sent_));
            } catch (const net::SocketError& e) {
                if (e.code().value() != EPIPE) throw;
                stdin->close();  // the child stopped reading: communicate ignores it, as Python
            }
        }
        for (int fd : ready.rlist) {
            Pipe& p = stdout && stdout->fileno() == fd ? *stdout : *stderr;
            std::string& into = &p == &*stdout ? out_ : err_;
            std::string chunk = p.read(64 * 1024);
            if (chunk.empty()) {
                p.close();
            } else {
                into += chunk;
            }
        }
    }
    Seconds left;
    if (timeout) left = std::max(Clock::duration::zero(), deadline - Clock::now());
    try {
        wait(left);
    } catch (const TimeoutExpired&) {
        throw timed_out();
    }
    return Output{stdout ? std::optional(out_) : std::nullopt, stderr ? std::optional(err_) : std::nullopt};
}

// ---- the functions

void CompletedProcess::check_returncode() const {
    if (returncode != 0) throw CalledProcessError(returncode, args, stdout, stderr);
}

CompletedProcess run(std::vector<std::string> args, RunOptions options) {
    if (options.capture_output) {
        if (options.stdout.kind() != Redirect::Kind::inherit || options.stderr.kind() != Redirect::Kind::inherit) {
            throw std::invalid_argument("gev::subprocess::run: stdout and stderr may not be given with capture_output");
        }
        options.stdout = options.stderr = PIPE;
    }
    if (options.input) {
        if (options.stdin.kind() != Redirect::Kind::inherit) {
            throw std::invalid_argument("gev::subprocess::run: stdin and input may not both be given");
        }
        options.stdin = PIPE;
    }
    Popen p(args, Options{options.stdin, options.stdout, options.stderr, options.cwd, options.env, options.close_fds});
    Output out;
    try {
        out = p.communicate(std::move(options.input), options.timeout);
    } catch (...) {
        // A timeout, or the caller's own exception (its gev::Timeout, a kill()): as Python's
        // run, the child is killed and reaped before the exception goes on.
        p.kill();
        p.wait();
        throw;
    }
    CompletedProcess done{std::move(args), *p.returncode(), std::move(out.stdout), std::move(out.stderr)};
    if (options.check) done.check_returncode();
    return done;
}

int call(std::vector<std::string> args, Options options, Seconds timeout) {
    Popen p(std::move(args), std::move(options));
    try {
        return p.wait(timeout);
    } catch (...) {
        p.kill();  // and reaped, as gevent's call
        p.wait();
        throw;
    }
}

int check_call(std::vector<std::string> args, Options options, Seconds timeout) {
    const int rc = call(args, std::move(options), timeout);
    if (rc != 0) throw CalledProcessError(rc, std::move(args));
    return 0;
}

std::string check_output(std::vector<std::string> args, Options options, Seconds timeout,
                         std::optional<std::string> input) {
    if (options.stdout.kind() != Redirect::Kind::inherit) {
        throw std::invalid_argument("gev::subprocess::check_output: stdout is its own — leave it unset");
    }
    RunOptions r{options.stdin,    PIPE, options.stderr, std::move(options.cwd), std::move(options.env),
                 options.close_fds};
    r.timeout = timeout;
    r.input = std::move(input);
    r.check = true;
    return *run(std::move(args), std::move(r)).stdout;
}

std::pair<int, std::string> getstatusoutput(const std::string& cmd) {
    auto done = run({"/bin/sh", "-c", cmd}, {.stdout = PIPE, .stderr = STDOUT});
    std::string out = std::move(*done.stdout);
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return {done.returncode, std::move(out)};
}

std::string getoutput(const std::string& cmd) {
    return getstatusoutput(cmd).second;
}

}  // namespace gev::subprocess
