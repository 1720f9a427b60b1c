#include "detail/stack_pool.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <geventpp/runtime/detail/greenlet_state.hpp>
#include <mutex>
#include <new>

#include "detail/fiber_sanitizers.hpp"
#include "detail/greenlet_props.hpp"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace gev::detail {

namespace {

constexpr std::size_t stacks_per_slab = 64;

// Linux 6.13+ installs guard pages without splitting the mapping, so a slab of 64 stacks stays
// one memory map; older kernels fall back to mprotect, two maps a stack (see docs/stacks.md).
bool install_guard(char* page, std::size_t len) {
    static bool light = true;
    if (light && ::madvise(page, len, MADV_GUARD_INSTALL) == 0) return true;
    light = false;
    return ::mprotect(page, len, PROT_NONE) == 0;
}

}  // namespace

std::size_t StackPool::page_size() noexcept {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return page;
}

std::size_t StackPool::round_size(std::size_t size) noexcept {
    const std::size_t page = page_size();
    return (std::max(size, 4 * page) + page - 1) / page * page + page;
}

StackPool::~StackPool() {
    for (auto& s : slabs_) ::munmap(s.base, s.bytes);
}

StackPool::Bucket& StackPool::bucket(std::size_t size) {
    for (auto& b : buckets_) {
        if (b.size == size) return b;
    }
    buckets_.push_back(Bucket{size, {}, {}, nullptr, nullptr, 0});
    return buckets_.back();
}

char* StackPool::carve(Bucket& b) {
    if (b.next == b.end) {
        const std::size_t bytes = b.size * stacks_per_slab;
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        slabs_.push_back(Slab{static_cast<char*>(p), bytes});
        b.next = static_cast<char*>(p);
        b.end = b.next + bytes;
    }
    char* lo = b.next;
    b.next += b.size;
    if (!install_guard(lo, page_size())) throw std::bad_alloc();
    return lo;
}

boost::context::stack_context StackPool::allocate(std::size_t size) {
    Bucket& b = bucket(round_size(size));
    char* lo;
    if (!b.warm.empty()) {
        lo = b.warm.back();
        b.warm.pop_back();
        b.low_water = std::min(b.low_water, b.warm.size());
    } else if (!b.cold.empty()) {
        lo = b.cold.back();
        b.cold.pop_back();
    } else {
        lo = carve(b);
    }
    boost::context::stack_context sctx;
    sctx.size = b.size;
    sctx.sp = lo + b.size;
    return sctx;
}

void StackPool::deallocate(boost::context::stack_context& sctx) noexcept {
    char* lo = static_cast<char*>(sctx.sp) - sctx.size;
    Bucket& b = bucket(sctx.size);
    b.warm.push_back(lo);
    if (b.warm.size() > burst_limit) {
        release(b, 1);
    } else if (b.warm.size() > warm_limit) {
        schedule_trim();
    }
}

void StackPool::release(Bucket& b, std::size_t n) noexcept {
    // The oldest go: keep their address range (and guard page), give their memory back.
    for (std::size_t i = 0; i < n; ++i) {
        ::madvise(b.warm[i] + page_size(), b.size - page_size(), MADV_DONTNEED);
        b.cold.push_back(b.warm[i]);
    }
    b.warm.erase(b.warm.begin(), b.warm.begin() + static_cast<std::ptrdiff_t>(n));
    b.low_water = std::min(b.low_water, b.warm.size());
}

void StackPool::trim() noexcept {
    bool excess = false;
    bool released = false;
    for (auto& b : buckets_) {
        const std::size_t unused = std::min(b.low_water, b.warm.size());
        if (unused > warm_limit) {
            release(b, unused - warm_limit);
            released = true;
        }
        b.low_water = b.warm.size();
        excess = excess || b.warm.size() > warm_limit;
    }
    // A burst is over: what its greenlets freed on the heap (parsers, buffers, the greenlets
    // themselves) lies in holes between what lives on; give those pages back too.
    if (released) ::malloc_trim(0);
    if (excess) schedule_trim();
}

void StackPool::schedule_trim() noexcept {
    if (trim_scheduled_) return;
    trim_scheduled_ = true;
    for (auto& b : buckets_) b.low_water = b.warm.size();
    trim_timer_.expires_after(trim_period);
    trim_timer_.async_wait([this](const boost::system::error_code& ec) {
        trim_scheduled_ = false;
        if (!ec) trim();
    });
}

boost::context::stack_context StackAllocator::allocate() {
    auto sctx = pool_->allocate(size_);
    // The sanitizers see the stack above its guard page (which no one may read).
    const auto usable = sctx.size - StackPool::page_size();
    tsan_fiber_ = sanitizer::stack_created(static_cast<char*>(sctx.sp) - usable, usable);
    owner_->set_stack({static_cast<char*>(sctx.sp) - sctx.size, sctx.size, tsan_fiber_});
    return sctx;
}

void StackAllocator::deallocate(boost::context::stack_context& sctx) noexcept {
    // Boost gives the stack back once its fiber is gone.
    const auto usable = sctx.size - StackPool::page_size();
    sanitizer::stack_destroyed(tsan_fiber_, static_cast<char*>(sctx.sp) - usable, usable);
    pool_->deallocate(sctx);
}

namespace {

struct sigaction previous_segv;

void write_str(const char* s) {
    const std::size_t n = std::strlen(s);
    [[maybe_unused]] auto r = ::write(STDERR_FILENO, s, n);
}

void on_segv(int sig, siginfo_t* info, void* uc) {
    GreenletState* g = greenlet_of(boost::fibers::context::active());
    const char* addr = static_cast<const char*>(info->si_addr);
    const char* lo = g ? static_cast<const char*>(g->stack().limit) : nullptr;
    if (lo && addr >= lo && addr < lo + StackPool::page_size()) {
        char name[128];
        g->format_name(name, sizeof name);
        char msg[512];
        std::snprintf(msg, sizeof msg,
                      "geventpp: stack overflow in greenlet '%s' (stack of %zu KiB). Give it a larger stack: "
                      "gev::spawn(gev::SpawnOptions{.stack_size = ...}, fn)\n",
                      name, g->stack().size / 1024);
        write_str(msg);
        ::signal(SIGABRT, SIG_DFL);
        ::abort();
    }
    // Not ours: hand it to whoever handled SIGSEGV before us, or die as the default would.
    if (previous_segv.sa_flags & SA_SIGINFO) {
        if (previous_segv.sa_sigaction) return previous_segv.sa_sigaction(sig, info, uc);
    } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
        return previous_segv.sa_handler(sig);
    }
    ::signal(SIGSEGV, SIG_DFL);
}

}  // namespace

void StackPool::install_overflow_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGSEGV, &sa, &previous_segv);
    });
    // The handler needs a stack of its own: the overflowing one is full.
    thread_local bool has_altstack = false;
    if (has_altstack) return;
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) {
        has_altstack = true;
        return;
    }
    constexpr std::size_t size = 64 * 1024;
    static thread_local std::unique_ptr<char[]> area(new char[size]);
    stack_t ss{};
    ss.ss_sp = area.get();
    ss.ss_size = size;
    has_altstack = ::sigaltstack(&ss, nullptr) == 0;
}

}  // namespace gev::detail
