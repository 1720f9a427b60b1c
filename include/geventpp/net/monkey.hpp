// gev::monkey: make unmodified blocking libc calls cooperative inside greenlets, gevent's
// `from gevent import monkey; monkey.patch_all()`.
//
//   int main() {
//       gev::monkey::patch_all();
//       return gev::run([] { ... ::sleep(3); recv(fd, buf, n, 0); ... });   // only this greenlet waits
//   }
//
// The calls live in libgeventpp_monkey, which interposes libc's symbols: link it (meson
// dependency 'geventpp_monkey') and call a patch function, or start any geventpp program with
// LD_PRELOAD=libgeventpp_monkey.so, which patches everything when the library loads. Once a
// group is patched, its calls made inside a greenlet park that greenlet instead of the thread:
//   time    sleep, usleep, nanosleep, clock_nanosleep (so std::this_thread::sleep_for)
//   socket  read, write, readv, writev, recv, send, recvfrom, sendto, recvmsg, sendmsg, connect,
//           accept, accept4, and getaddrinfo (run on the resolver's ThreadPool)
//   select  poll, select
//   os      waitpid, wait, wait3, wait4, waitid (without WNOHANG: a pidfd wait for one child,
//           short pauses between libc's WNOHANG tries for any child or stops)
//   subprocess  system (posix_spawn of /bin/sh -c, then the os wait; SIGINT and SIGQUIT are
//           not ignored in the parent meanwhile, as libc's system would)
// Everywhere else — outside greenlets, on other threads, before patching, geventpp's own
// sockets — the calls go straight to libc. Blocking semantics are kept: a blocking socket's send
// returns once everything is sent, SO_RCVTIMEO/SO_SNDTIMEO are honoured, an fd the caller made
// non-blocking still fails with EAGAIN, errno is what libc would set. Patched calls are
// cancellation points: kill() and gev::Timeout raise out of them. Limits: docs/monkey.md.
#pragma once

namespace gev::monkey {

void patch_all();
void patch_time();
void patch_socket();
void patch_select();
void patch_os();
void patch_subprocess();

// Whether the group's calls are patched.
bool is_time_patched() noexcept;
bool is_socket_patched() noexcept;
bool is_select_patched() noexcept;
bool is_os_patched() noexcept;
bool is_subprocess_patched() noexcept;

}  // namespace gev::monkey
