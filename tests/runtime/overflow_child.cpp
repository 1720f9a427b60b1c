// Recurses without end inside a greenlet; stack_test expects geventpp to stop it with a message.
#include <geventpp/geventpp.hpp>

namespace {
int down(int n) {
    volatile char pad[512];
    pad[0] = static_cast<char>(n);
    return down(n + 1) + pad[0];
}
}  // namespace

int main() {
    return gev::run([] { return gev::spawn(gev::SpawnOptions{.name = "recursor"}, [] { return down(0); }).get(); });
}
