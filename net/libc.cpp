#include "detail/libc.hpp"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace gev::net::detail::libc {

void* lookup(const char* name) noexcept {
    // A handle on libc itself finds its own definition, past any interposer loaded before it.
    static void* const handle = ::dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void* fn = handle ? ::dlsym(handle, name) : nullptr;
    if (!fn) {
        static const char msg[] = "geventpp: cannot find the C library's own definition of ";
        [[maybe_unused]] auto r = ::syscall(SYS_write, STDERR_FILENO, msg, sizeof msg - 1);
        r = ::syscall(SYS_write, STDERR_FILENO, name, std::strlen(name));
        std::abort();
    }
    return fn;
}

}  // namespace gev::net::detail::libc
