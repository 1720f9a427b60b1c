#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <geventpp/http/error.hpp>
#include <geventpp/http/static_file.hpp>
#include <string>

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

void static_file(Request& request, Response& response, std::string_view filename, std::string_view root,
                 std::string_view mimetype) {
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(fs::path(root), ec);
    const fs::path file = fs::weakly_canonical(base / fs::path(filename).relative_path(), ec);
    const auto rel = file.lexically_relative(base);
    if (ec || rel.empty() || *rel.begin() == "..") abort(403, "Access denied.");
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) abort(404, "File does not exist.");
    std::ifstream in(file, std::ios::binary);
    if (!in) abort(403, "You do not have permission to access this file.");

    const std::string etag = "\"" + std::to_string(st.st_mtime) + "-" + std::to_string(st.st_size) + "\"";
    const std::string last_modified = http_time(st.st_mtime);
    response.set_header("Content-Type", mimetype.empty() ? guess_mimetype(file.native()) : mimetype);
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
    const std::size_t length = st.st_size ? last - first + 1 : 0;
    response.body.resize(length);
    in.seekg(static_cast<std::streamoff>(first));
    in.read(response.body.data(), static_cast<std::streamsize>(length));
    response.body.resize(static_cast<std::size_t>(in.gcount()));
}

}  // namespace gev::http
