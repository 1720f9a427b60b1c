#include <geventpp/net/stream.hpp>
#include <geventpp/runtime/timeout.hpp>

namespace gev::net {

void Stream::shutdown_and_drain(Seconds within, std::size_t at_most) {
    try {
        shutdown_write();
        Timeout::within(within, [&] {
            char sink[16384];
            for (std::size_t total = 0; total < at_most;) {
                const auto n = recv_into(sink, sizeof sink);
                if (n == 0) break;
                total += n;
            }
        });
    } catch (const SocketError&) {
    }
}

}  // namespace gev::net
