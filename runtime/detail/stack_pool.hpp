// Greenlet stacks: carved from large lazily-committed mappings, each with a guard page at its
// low end, and cached per hub for reuse. See docs/stacks.md.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/stack_context.hpp>
#include <chrono>
#include <cstddef>
#include <vector>

namespace gev::detail {

class GreenletState;

class StackPool {
public:
    // Warm (recently used, still resident) stacks kept per size for good (1-2 MiB). After a
    // burst, up to burst_limit stay warm for as long as they are used again: the ones unused
    // for a whole trim period are returned to the kernel then (madvise and the page faults of
    // reuse cost ~20 us a stack on these VMs, as much as the work of a short greenlet), and so
    // are the heap pages the burst left free (malloc_trim).
    static constexpr std::size_t warm_limit = 256;
    static constexpr std::size_t burst_limit = 16384;
    static constexpr std::chrono::milliseconds trim_period{500};

    explicit StackPool(boost::asio::io_context& io) : trim_timer_(io) {}
    ~StackPool();
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;

    boost::context::stack_context allocate(std::size_t size);
    void deallocate(boost::context::stack_context& sctx) noexcept;

    static std::size_t page_size() noexcept;
    // Rounds a requested size up to whole pages, plus the guard page.
    static std::size_t round_size(std::size_t size) noexcept;

    // Installs the SIGSEGV handler that reports overflows, and an alternate signal stack for
    // the calling thread. Idempotent.
    static void install_overflow_handler();

private:
    struct Bucket {
        std::size_t size;
        std::vector<char*> warm;  // oldest first
        std::vector<char*> cold;
        char* next = nullptr;
        char* end = nullptr;
        std::size_t low_water = 0;  // fewest warm stacks since the last trim
    };
    Bucket& bucket(std::size_t size);
    char* carve(Bucket& b);
    static void release(Bucket& b, std::size_t n) noexcept;
    // Releases the warm stacks beyond warm_limit that no allocation needed for a trim period.
    void trim() noexcept;
    void schedule_trim() noexcept;

    boost::asio::steady_timer trim_timer_;
    bool trim_scheduled_ = false;

    std::vector<Bucket> buckets_;
    struct Slab {
        char* base;
        std::size_t bytes;
    };
    std::vector<Slab> slabs_;
};

// The allocator Boost.Fiber gets for a greenlet's stack.
class StackAllocator {
public:
    StackAllocator(StackPool& pool, std::size_t size, GreenletState& owner) noexcept
        : pool_(&pool), size_(size), owner_(&owner) {}
    boost::context::stack_context allocate();
    void deallocate(boost::context::stack_context& sctx) noexcept;

private:
    StackPool* pool_;
    std::size_t size_;
    GreenletState* owner_;
    void* tsan_fiber_ = nullptr;  // ThreadSanitizer builds: the fiber that runs on this stack
};

}  // namespace gev::detail
