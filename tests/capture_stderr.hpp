// Captures what the code under test writes to stderr (fd 2), for asserting on reports.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

class CaptureStderr {
public:
    CaptureStderr() {
        std::fflush(stderr);
        char name[] = "/tmp/gevtest-stderr-XXXXXX";
        fd_ = ::mkstemp(name);
        ::unlink(name);
        saved_ = ::dup(2);
        ::dup2(fd_, 2);
    }
    ~CaptureStderr() { restore(); }
    // Everything written so far; stops capturing.
    std::string text() {
        restore();
        std::string out;
        char buf[4096];
        ::lseek(fd_, 0, SEEK_SET);
        for (ssize_t n; (n = ::read(fd_, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    int fd_;
    int saved_;
};
