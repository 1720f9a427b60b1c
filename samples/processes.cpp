// Two child processes waited on together — gevent's examples/processes.py:
//
//   # run 2 jobs in parallel
//   p1 = subprocess.Popen(['uname'], stdout=subprocess.PIPE)
//   p2 = subprocess.Popen(['ls'], stdout=subprocess.PIPE)
//
//   gevent.wait([p1, p2], timeout=2)
//
//   # print the results (if available)
//   if p1.poll() is not None:
//       print('uname: %r' % p1.stdout.read())
//   else:
//       print('uname: job is still running')
//   if p2.poll() is not None:
//       print('ls: %r' % p2.stdout.read())
//   else:
//       print('ls: job is still running')
//
// %r of Python's bytes is spelled out by repr() below, so the output reads as the original's.
// Run: build/samples/processes
#include <chrono>
#include <cstdio>
#include <geventpp/os/subprocess.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/wait.hpp>
#include <string>

namespace subprocess = gev::subprocess;
using namespace std::chrono_literals;

// Python's repr() of bytes: b'Linux\n'.
std::string repr(const std::string& bytes) {
    std::string out = "b'";
    for (unsigned char c : bytes) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\\' || c == '\'') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += char(c);
        }
    }
    return out + "'";
}

int main() {
    return gev::run([] {
        // run 2 jobs in parallel
        subprocess::Popen p1({"uname"}, {.stdout = subprocess::PIPE});
        subprocess::Popen p2({"ls"}, {.stdout = subprocess::PIPE});

        gev::wait({p1, p2}, 2s);

        // print the results (if available)
        if (p1.poll())
            std::printf("uname: %s\n", repr(p1.stdout->read()).c_str());
        else
            std::printf("uname: job is still running\n");
        if (p2.poll())
            std::printf("ls: %s\n", repr(p2.stdout->read()).c_str());
        else
            std::printf("ls: job is still running\n");
        return 0;
    });
}
