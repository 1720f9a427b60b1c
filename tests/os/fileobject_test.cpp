// gev::fileobject: buffered file objects whose I/O blocks only the calling greenlet.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <geventpp/net/error.hpp>
#include <geventpp/os/fileobject.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_pipe.hpp"

namespace fo = gev::fileobject;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
// A temporary directory, removed with everything in it.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "gev_fileobject_XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name, const std::string& content) const {
        const auto p = (path / name).string();
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool fd_open(int fd) {
    return ::fcntl(fd, F_GETFD) >= 0;
}
}  // namespace

TEST_CASE_TEMPLATE("read_readline_and_iterate_by_line", F, fo::FileObjectThread, fo::FileObjectPosix) {
    TempDir dir;
    const auto path = dir.file("lines.txt", "a\nbb\n\nccc");
    gev::run([&] {
        F f(path);
        CHECK(f.readline() == "a\n");
        CHECK(f.read(2) == "bb");
        std::vector<std::string> rest;
        for (const std::string& line : f) rest.push_back(line);
        CHECK(rest == std::vector<std::string>{"\n", "\n", "ccc"});
        CHECK(f.readline() == "");
        CHECK(f.read() == "");
        CHECK(!f.next());
        f.close();
        CHECK(f.closed());
    });
}

TEST_CASE_TEMPLATE("read_n_returns_n_bytes_unless_the_file_ends", F, fo::FileObjectThread, fo::FileObjectPosix) {
    TempDir dir;
    const std::string big(100000, 'x');
    const auto path = dir.file("big", big + "tail");
    gev::run([&] {
        F f(path, "rb");
        CHECK(f.read(50000) == big.substr(0, 50000));  // more than one read-ahead chunk
        CHECK(f.read(60000) == big.substr(50000) + "tail");
        CHECK(f.read(10) == "");
    });
}

TEST_CASE_TEMPLATE("write_flush_append_and_mixed_modes", F, fo::FileObjectThread, fo::FileObjectPosix) {
    TempDir dir;
    const auto path = (dir.path / "out").string();
    gev::run([&] {
        {
            F f(path, "wb");
            CHECK(f.write("hello ") == 6);
            CHECK(slurp(path) == "");  // kept in the buffer
            f.flush();
            CHECK(slurp(path) == "hello ");
            f.write("world");
        }  // the destructor flushes
        CHECK(slurp(path) == "hello world");
        {
            F f(path, "ab");
            f.write("!\n");
        }
        CHECK(slurp(path) == "hello world!\n");
        {
            F f(path, "r+b");
            CHECK(f.read(6) == "hello ");  // more was read ahead: given back before the write
            f.write("WORLD");
            f.flush();
            CHECK(f.read() == "!\n");
        }
        CHECK(slurp(path) == "hello WORLD!\n");
        F unbuffered(path, "wb", {.buffering = 0});
        unbuffered.write("now");
        CHECK(slurp(path) == "now");
    });
}

TEST_CASE_TEMPLATE("a_missing_file_throws_file_not_found_naming_it", F, fo::FileObjectThread, fo::FileObjectPosix) {
    TempDir dir;
    const auto path = (dir.path / "nope.txt").string();
    gev::run([&] {
        try {
            F f(path);
            FAIL("opened a missing file");
        } catch (const gev::os::FileNotFoundError& e) {
            CHECK(e.code().value() == ENOENT);
            CHECK(std::string(e.what()).find("open('" + path + "', 'rb')") != std::string::npos);
        }
        const auto existing = dir.file("there", "x");
        CHECK_THROWS_AS(F(existing, "xb"), gev::os::FileExistsError);
        CHECK_THROWS_AS(F(existing, "rt"), std::invalid_argument);
        CHECK_THROWS_AS(F(existing, "rw"), std::invalid_argument);
        CHECK_THROWS_AS(F(-1, "rb"), gev::os::OSError);
    });
}

TEST_CASE_TEMPLATE("a_closed_file_object_throws_and_a_second_close_does_nothing", F, fo::FileObjectThread,
                   fo::FileObjectPosix) {
    TempDir dir;
    const auto path = dir.file("f", "data");
    gev::run([&] {
        F f(path, "r+b");
        f.close();
        f.close();
        CHECK_THROWS_AS(f.read(1), fo::ClosedFileError);
        CHECK_THROWS_AS(f.readline(), fo::ClosedFileError);
        CHECK_THROWS_AS(f.write("x"), fo::ClosedFileError);
        CHECK_THROWS_AS(f.flush(), fo::ClosedFileError);
        CHECK_THROWS_AS(f.fileno(), fo::ClosedFileError);
        F ro(path, "rb");
        CHECK_THROWS_AS(ro.write("x"), fo::UnsupportedOperation);
        F wo(path, "ab");
        CHECK_THROWS_AS(wo.read(), fo::UnsupportedOperation);
    });
}

TEST_CASE_TEMPLATE("closefd_false_leaves_the_callers_fd_open", F, fo::FileObjectThread, fo::FileObjectPosix) {
    TempDir dir;
    const auto path = dir.file("f", "data");
    gev::run([&] {
        const int mine = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        {
            F f(mine, "rb", {.closefd = false});
            CHECK(f.fileno() == mine);
            CHECK(f.name() == "<fd " + std::to_string(mine) + ">");
            CHECK(f.read() == "data");
        }
        CHECK(fd_open(mine));
        {
            F f(mine, "rb");
            f.close();
        }
        CHECK(!fd_open(mine));
    });
}

TEST_CASE("a_reader_on_a_posix_pipe_does_not_block_a_ticker") {
    gev::run([] {
        TestPipe p;
        fo::FileObjectPosix in(p.release_r(), "rb");
        fo::FileObjectPosix out(p.release_w(), "wb");
        int ticks = 0;
        int ticks_when_read = -1;
        auto reader = gev::spawn([&] {
            gev::Timeout limit(5s);
            CHECK(in.readline() == "late line\n");
            ticks_when_read = ticks;
        });
        auto ticker = gev::spawn([&] {
            for (; ticks < 10; ++ticks) gev::sleep(0.01);
        });
        gev::sleep(0.05);
        out.write("late line\n");
        out.flush();
        reader.get();
        ticker.get();
        CHECK(ticks_when_read >= 3);  // the ticker ran while the reader waited
    });
}

TEST_CASE("a_file_object_thread_read_waits_while_other_greenlets_run") {
    TempDir dir;
    const auto path = dir.file("f", "contents\n");
    gev::run([&] {
        gev::ThreadPool pool(1);
        // The pool's one thread is busy until a greenlet lets it go: a read that stalled the hub
        // would never finish (the Timeout bounds the test).
        std::promise<void> gate;
        auto busy = pool.spawn([g = gate.get_future().share()] { g.wait(); });
        bool released = false;
        auto opener = gev::spawn([&] {
            gev::sleep(0.02);
            released = true;
            gate.set_value();
        });
        {
            gev::Timeout limit(5s);
            fo::FileObjectThread f(dir.file("g", "other"), "rb", {.threadpool = &pool});
            CHECK(released);  // the open waited for the pool while the other greenlet ran
            CHECK(f.read() == "other");
        }
        busy.get();
        opener.get();
        fo::FileObjectThread g(path, "rb", {.threadpool = &pool});
        CHECK(g.readline() == "contents\n");
    });
}

TEST_CASE("a_pipe_whose_reader_is_gone_throws_broken_pipe_not_sigpipe") {
    gev::run([] {
        TestPipe p;
        p.close_r();
        const int w = p.release_w();
        fo::FileObjectPosix out(w, "wb");
        out.write("kept");  // buffered: nothing written yet
        CHECK_THROWS_AS(out.flush(), gev::os::BrokenPipeError);
        try {
            out.close();  // flushes again, closes the fd all the same, then reports
            FAIL("close flushed into a broken pipe silently");
        } catch (const gev::os::BrokenPipeError& e) {
            CHECK(std::string(e.what()).find("write('<fd " + std::to_string(w) + ">')") != std::string::npos);
        }
        CHECK(out.closed());
        CHECK(!fd_open(w));
    });
}

TEST_CASE("a_big_write_to_a_pipe_is_cooperative") {
    gev::run([] {
        TestPipe p;
        fo::FileObjectPosix in(p.release_r(), "rb");
        fo::FileObjectPosix out(p.release_w(), "wb");
        std::string big(4 << 20, '\0');
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
        auto writer = gev::spawn([&] {
            gev::Timeout limit(10s);
            out.write(big);  // far more than the pipe holds: written as the reader drains it
            out.close();
        });
        std::string got;
        {
            gev::Timeout limit(10s);
            got = in.read();
        }
        writer.get();
        CHECK(got.size() == big.size());
        CHECK(got == big);
    });
}

TEST_CASE("read_from_a_pipe_gathers_n_bytes_and_read1_returns_what_is_there") {
    gev::run([] {
        TestPipe p;
        fo::FileObjectPosix in(p.release_r(), "rb");
        auto writer = gev::spawn([&] {
            CHECK(::write(p.w, "ab", 2) == 2);
            gev::sleep(0.02);
            CHECK(::write(p.w, "cdef", 4) == 4);
            gev::sleep(0.02);
            CHECK(::write(p.w, "gh", 2) == 2);
            p.close_w();
        });
        gev::Timeout limit(5s);
        CHECK(in.read(4) == "abcd");
        CHECK(in.read1(100) == "ef");
        CHECK(in.read1(100) == "gh");
        CHECK(in.read1(100) == "");
        writer.get();
    });
}

TEST_CASE("close_wakes_a_greenlet_reading_the_pipe") {
    gev::run([] {
        TestPipe p;
        fo::FileObjectPosix in(p.release_r(), "rb");
        auto reader = gev::spawn([&] { return in.read(1); });
        gev::sleep(0.01);
        in.close();
        gev::Timeout limit(5s);
        CHECK_THROWS_AS(reader.get(), gev::net::SocketError);
    });
}
