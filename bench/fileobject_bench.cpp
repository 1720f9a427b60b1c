// What FileObjectThread costs a read, beside a plain read(2) loop in the same process:
//
//   plain read      ::read(fd, buf, block) on the hub's thread until the end of the file
//   FileObjectThread  f.read(block) until "", each read a trip to a pool thread and back
//
// on a 100 MiB file in a temporary directory (removed at the end), for 64 KiB and 1 MiB blocks.
// The file is in the page cache after it is written: this measures the trip, not the disk.
// Rounds interleave the rows; the figure is the median round.
// Run: make bench (or build/bench/fileobject_bench [MiB] [rounds]).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <geventpp/os/fileobject.hpp>
#include <geventpp/runtime/hub.hpp>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <class F>
double mib_per_s(std::size_t bytes, F&& read_all) {
    const auto t0 = std::chrono::steady_clock::now();
    if (read_all() != bytes) std::abort();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(bytes) / (1 << 20) / s;
}

std::size_t plain_read(const std::string& path, std::size_t block) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    std::string buf(block, '\0');
    std::size_t total = 0;
    for (ssize_t r; (r = ::read(fd, buf.data(), block)) > 0;) total += static_cast<std::size_t>(r);
    ::close(fd);
    return total;
}

std::size_t fileobject_read(const std::string& path, std::size_t block) {
    gev::fileobject::FileObjectThread f(path, "rb");
    std::size_t total = 0;
    for (std::string s; !(s = f.read(block)).empty();) total += s.size();
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    std::string dir = (std::filesystem::temp_directory_path() / "gev_fileobject_bench_XXXXXX").string();
    if (!::mkdtemp(dir.data())) return 1;
    const std::string path = dir + "/data";
    const std::size_t bytes = mib << 20;
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        const std::string chunk(1 << 20, 'x');
        for (std::size_t i = 0; i < mib; ++i) {
            if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) return 1;
        }
        ::close(fd);
    }
    const std::size_t blocks[] = {64 << 10, 1 << 20};
    std::vector<double> plain[2], thread[2];
    gev::run([&] {
        for (int r = 0; r < rounds; ++r) {
            for (int b = 0; b < 2; ++b) {
                plain[b].push_back(mib_per_s(bytes, [&] { return plain_read(path, blocks[b]); }));
                thread[b].push_back(mib_per_s(bytes, [&] { return fileobject_read(path, blocks[b]); }));
            }
        }
    });
    std::filesystem::remove_all(dir);
    std::printf("fileobject: reading a %zu MiB file (page cache), median of %d interleaved rounds\n", mib, rounds);
    for (int b = 0; b < 2; ++b) {
        const double base = median(plain[b]), ours = median(thread[b]);
        std::printf("  %4zu KiB blocks: FileObjectThread %8.0f MiB/s   plain read %8.0f MiB/s   %.2fx plain\n",
                    blocks[b] >> 10, ours, base, ours / base);
    }
    return 0;
}
