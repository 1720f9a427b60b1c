// Spawn and wait of N children of /bin/true, for bench/process_bench.py:
//   spawn_gev gev N    N greenlets at once, each gev::subprocess::call({"/bin/true"})
//   spawn_gev libc N   the floor: posix_spawn then waitpid, one child after the other
// Exits non-zero if a child did not exit 0.
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <geventpp/geventpp.hpp>
#include <geventpp/os/subprocess.hpp>
#include <vector>

extern char** environ;

namespace {

int greenlets(int n) {
    return gev::run([n] {
        std::vector<gev::Greenlet<int>> children;
        children.reserve(n);
        for (int i = 0; i < n; ++i) children.push_back(gev::spawn([] { return gev::subprocess::call({"/bin/true"}); }));
        int failed = 0;
        for (auto& c : children) failed += c.get() != 0;
        return failed;
    });
}

int serial_libc(int n) {
    char program[] = "/bin/true";
    char* argv[] = {program, nullptr};
    int failed = 0;
    for (int i = 0; i < n; ++i) {
        pid_t pid = -1;
        int status = 0;
        if (posix_spawn(&pid, program, nullptr, nullptr, argv, environ) != 0 || waitpid(pid, &status, 0) != pid ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ++failed;
        }
    }
    return failed;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::strcmp(argv[1], "gev") != 0 && std::strcmp(argv[1], "libc") != 0)) {
        std::fprintf(stderr, "usage: %s gev|libc N\n", argv[0]);
        return 2;
    }
    const int n = std::atoi(argv[2]);
    const int failed = std::strcmp(argv[1], "gev") == 0 ? greenlets(n) : serial_libc(n);
    if (failed) std::fprintf(stderr, "%d children failed\n", failed);
    return failed ? 1 : 0;
}
