// Download several URLs at once — gevent's examples/concurrent_download.py:
//
//   urls = ['https://www.google.com/', 'https://www.apple.com/', 'https://www.python.org/']
//   def print_head(url):
//       print('Starting %s' % url)
//       data = urlopen(url).read()
//       print('%s: %s bytes: %r' % (url, len(data), data[:50]))
//   jobs = [gevent.spawn(print_head, _url) for _url in urls]
//   gevent.wait(jobs)
//
// There is no internet here: pass URLs of local servers. https:// ones are verified against the
// system's CAs, or the CA file in SSL_CERT_FILE (OpenSSL's variable), as urlopen does.
// Run: build/samples/concurrent_download http://127.0.0.1:8080/hello http://127.0.0.1:8080/
//      SSL_CERT_FILE=samples/server.crt build/samples/concurrent_download https://localhost:8443/
#include <cstdio>
#include <geventpp/geventpp.hpp>
#include <geventpp/http/client.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const std::vector<std::string> urls(argv + 1, argv + argc);
    return gev::run([&] {
        auto print_head = [](const std::string& url) {
            std::printf("Starting %s\n", url.c_str());
            const std::string data = gev::http::get(url).body;
            std::printf("%s: %zu bytes: '%s'\n", url.c_str(), data.size(), data.substr(0, 50).c_str());
        };
        std::vector<gev::Waitable> jobs;
        std::vector<gev::AnyGreenlet> keep;
        for (const auto& url : urls) keep.push_back(gev::spawn(print_head, url));
        for (auto& g : keep) jobs.push_back(g);
        gev::wait(jobs);
        return 0;
    });
}
