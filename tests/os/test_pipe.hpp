// A pipe for the os tests: both ends closed at the end of the test unless released to an owner
// (a FileObjectPosix that closes its fd) or closed early.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <utility>

struct TestPipe {
    int r = -1, w = -1;
    TestPipe() {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        r = p[0];
        w = p[1];
    }
    TestPipe(const TestPipe&) = delete;
    TestPipe& operator=(const TestPipe&) = delete;
    ~TestPipe() {
        close_r();
        close_w();
    }
    int release_r() { return std::exchange(r, -1); }
    int release_w() { return std::exchange(w, -1); }
    void close_r() {
        if (r >= 0) ::close(release_r());
    }
    void close_w() {
        if (w >= 0) ::close(release_w());
    }
};
