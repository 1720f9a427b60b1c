// Resolve many names at once — gevent's examples/dns_mass_resolve.py:
//
//   N = 1000
//   pool = Pool(10)
//   finished = 0
//   def job(url):
//       global finished
//       try:
//           try:
//               ip = socket.gethostbyname(url)
//               print('%s = %s' % (url, ip))
//           except socket.gaierror as ex:
//               print('%s failed with %s' % (url, ex))
//       finally:
//           finished += 1
//   with gevent.Timeout(2, False):
//       for x in xrange(10, 10 + N):
//           pool.spawn(job, '%s.com' % x)
//       pool.join()
//   print('finished within 2 seconds: %s/%s' % (finished, N))
//
// There is no internet here: pass the names to resolve (e.g. names from /etc/hosts).
// Run: build/samples/dns_mass_resolve localhost ip6-localhost ...   (default: 10.com .. 1009.com)
#include <cstdio>
#include <string>
#include <vector>

#include <geventpp/geventpp.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/net/resolve.hpp>

int main(int argc, char** argv) {
    std::vector<std::string> names(argv + 1, argv + argc);
    if (names.empty()) {
        for (int x = 10; x < 10 + 1000; ++x) names.push_back(std::to_string(x) + ".com");
    }
    return gev::run([&] {
        gev::Pool pool(10);
        std::size_t finished = 0;
        auto job = [&](const std::string& url) {
            try {
                const auto ip = gev::net::gethostbyname(url);
                std::printf("%s = %s\n", url.c_str(), ip.c_str());
            } catch (const gev::net::AddressError& ex) {
                std::printf("%s failed with %s\n", url.c_str(), ex.what());
            }
            ++finished;
        };
        gev::Timeout::within(2.0, [&] {
            for (const auto& url : names) pool.spawn(job, url);
            pool.join();
        });
        std::printf("finished within 2 seconds: %zu/%zu\n", finished, names.size());
        pool.kill();
        return 0;
    });
}
