// Greenlet stacks: carved from large lazily-committed mappings, each with a guard page at its
// low end, and cached per hub for reuse. See docs/stacks.md.
#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace gev::detail {

class GreenletState;

class StackPool {
public:
    // Warm (recently used, still resident) stacks kept per size; beyond this a freed stack's
    // memory is returned to the kernel.
    static constexpr std::size_t warm_limit = 1024;

    StackPool() = default;
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
        std::vector<char*> warm;
        std::vector<char*> cold;
        char* next = nullptr;
        char* end = nullptr;
    };
    Bucket& bucket(std::size_t size);
    char* carve(Bucket& b);

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
    void deallocate(boost::context::stack_context& sctx) noexcept { pool_->deallocate(sctx); }

private:
    StackPool* pool_;
    std::size_t size_;
    GreenletState* owner_;
};

}  // namespace gev::detail
