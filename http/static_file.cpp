#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <geventpp/http/error.hpp>
#include <geventpp/http/static_file.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <memory>
#include <string>
#include <system_error>

namespace gev::http {

namespace fs = std::filesystem;

std::string_view guess_mimetype(std::string_view filename) {
    static const std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".css", "text/css"},
        {".js", "application/javascript"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".pdf", "application/pdf"},
        {".wasm", "application/wasm"},
    };
    const auto dot = filename.rfind('.');
    if (dot != std::string_view::npos) {
        for (const auto& [ext, type] : types) {
            if (filename.substr(dot) == ext) return type;
        }
    }
    return "application/octet-stream";
}

namespace {
std::string http_time(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::time_t parse_http_time(std::string_view s) {
    std::tm tm{};
    const std::string str(s);
    if (!::strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return -1;
    return ::timegm(&tm);
}
}  // namespace

namespace {
// An open file, closed by its last holder: a read still running on the pool keeps it open
// after a killed request let go of it.
struct File {
    int fd = -1;
    File() = default;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File() {
        if (fd >= 0) ::close(fd);
    }
};

struct Opened {
    std::shared_ptr<File> file;
    struct stat st {};
    std::string path;
    int refused = 0;  // 403 or 404 instead of a file
};

constexpr std::size_t block_size = 64 * 1024;

// Disk reads (and the path walk, open and stat before them) run here, never on a hub.
ThreadPool& file_pool() {
    static ThreadPool pool(4);
    return pool;
}

// `filename` under `root`, opened; on a pool thread.
Opened open_under(const std::string& root, const std::string& filename) {
    Opened out;
    if (filename.find('\0') != std::string::npos) {  // "x.txt\0.png" would open "x.txt"
        out.refused = 403;
        return out;
    }
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(fs::path(root), ec);
    const fs::path file = fs::weakly_canonical(base / fs::path(filename).relative_path(), ec);
    const auto rel = file.lexically_relative(base);
    if (ec || rel.empty() || *rel.begin() == "..") {
        out.refused = 403;
        return out;
    }
    auto f = std::make_shared<File>();
    f->fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        out.refused = errno == ENOENT || errno == ENOTDIR ? 404 : 403;
        return out;
    }
    if (::fstat(f->fd, &out.st) != 0 || !S_ISREG(out.st.st_mode)) {
        out.refused = 404;
        return out;
    }
    out.file = std::move(f);
    out.path = file.native();
    return out;
}

// Up to n bytes of the file from `offset`; on a pool thread.
std::string read_block(const std::shared_ptr<File>& file, std::uint64_t offset, std::size_t n) {
    std::string block(n, '\0');
    ssize_t got;
    do {
        got = ::pread(file->fd, block.data(), n, static_cast<off_t>(offset));
    } while (got < 0 && errno == EINTR);
    if (got < 0) throw std::system_error(errno, std::generic_category(), "static_file: reading the file");
    block.resize(static_cast<std::size_t>(got));
    return block;
}
}  // namespace

void static_file(Request& request, Response& response, std::string_view filename, std::string_view root,
                 std::string_view mimetype) {
    const Opened opened = file_pool().apply(open_under, std::string(root), std::string(filename));
    if (opened.refused == 403) abort(403, "Access denied.");
    if (opened.refused) abort(404, "File does not exist.");
    const struct stat& st = opened.st;

    std::string etag = "\"";  // built in place: "\"" + std::to_string(...) trips GCC 12's -Wrestrict
    etag.append(std::to_string(st.st_mtime)).append("-").append(std::to_string(st.st_size)).append("\"");
    const std::string last_modified = http_time(st.st_mtime);
    response.set_header("Content-Type", mimetype.empty() ? guess_mimetype(opened.path) : mimetype);
    response.set_header("Last-Modified", last_modified);
    response.set_header("ETag", etag);
    response.set_header("Accept-Ranges", "bytes");
    const auto inm = request.header("If-None-Match");
    const auto ims = request.header("If-Modified-Since");
    if ((!inm.empty() && inm == etag) || (inm.empty() && !ims.empty() && parse_http_time(ims) >= st.st_mtime)) {
        response.set_status(304);
        return;
    }
    std::size_t first = 0, last = st.st_size ? static_cast<std::size_t>(st.st_size) - 1 : 0;
    if (const auto range = request.header("Range"); !range.empty() && range.substr(0, 6) == "bytes=") {
        const std::string spec(range.substr(6));
        unsigned long long a = 0, b = 0;
        char dash = 0;
        bool ok = false;
        if (!spec.empty() && spec[0] == '-' && std::sscanf(spec.c_str(), "-%llu", &b) == 1 && b > 0) {  // suffix
            first = b >= static_cast<unsigned long long>(st.st_size) ? 0 : st.st_size - b;
            ok = st.st_size > 0;
        } else if (std::sscanf(spec.c_str(), "%llu%c%llu", &a, &dash, &b) == 3 && dash == '-') {
            first = a;
            last = std::min<std::size_t>(b, last);
            ok = a <= b && a < static_cast<unsigned long long>(st.st_size);
        } else if (std::sscanf(spec.c_str(), "%llu%c", &a, &dash) == 2 && dash == '-') {
            first = a;
            ok = a < static_cast<unsigned long long>(st.st_size);
        }
        if (!ok) {
            throw HTTPError(416, "Requested Range Not Satisfiable",
                            {{"Content-Range", "bytes */" + std::to_string(st.st_size)}});
        }
        response.set_status(206);
        response.set_header("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                                 std::to_string(st.st_size));
    }
    const std::uint64_t length = st.st_size ? last - first + 1 : 0;
    if (length == 0) return;
    // Streamed with its length, a block at a time: a client that does not read holds one block.
    response.set_header("Content-Length", std::to_string(length));
    if (request.method() == "HEAD") {
        response.write({});
        return;
    }
    for (std::uint64_t offset = first, left = length; left > 0;) {
        const std::string block =
            file_pool().apply(read_block, opened.file, offset, std::min<std::uint64_t>(left, block_size));
        if (block.empty()) break;  // the file shrank meanwhile: the response ends short, its connection closes
        response.write(block);
        offset += block.size();
        left -= block.size();
    }
}

}  // namespace gev::http
