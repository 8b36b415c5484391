// The pool of large-packet buffers (large.h).
#include "large.h"

#include <sys/mman.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <vector>

namespace tmq_node {

namespace {

// Each buffer's capacity is kept just before the bytes handed out.
constexpr size_t kHeader = 16;
// Capacities are multiples of this, so payloads of about the same size
// share buffers.
constexpr size_t kGranule = 64 * 1024;
// The pool holds at most this many bytes; a buffer given back beyond it is
// unmapped. V8 collects unreachable ArrayBuffers after about 64 MiB of them
// (its external memory limit), so a stream of large messages gives back
// about that much at once.
constexpr size_t kPoolBytes = size_t(64) << 20;
// TrimLargeBuffers empties a pool untouched for this long.
constexpr std::chrono::seconds kIdle(1);
// A new buffer up to this size has its pages mapped at once; a larger one
// as it is written. A packet's buffer is asked for as soon as its header
// has come, for the size the header announces (up to maxPacketSize), so
// committing all of it at once would let a few bytes from a broker commit
// 256 MiB.
constexpr size_t kPopulateMax = size_t(4) << 20;

struct Pool {
    std::mutex mu;
    std::vector<uint8_t *> free;   // as NewLargeBuffer returns them
    size_t bytes = 0;
    std::chrono::steady_clock::time_point used;   // a buffer was last asked for
};

Pool &ThePool()
{
    static Pool *pool = new Pool;   // never destroyed: buffers may come back at exit
    return *pool;
}

size_t CapacityOf(const uint8_t *p)
{
    return *reinterpret_cast<const size_t *>(p - kHeader);
}

void Unmap(uint8_t *p)
{
    munmap(p - kHeader, kHeader + CapacityOf(p));
}

} // namespace

LargeBuffer NewLargeBuffer(uint32_t size)
{
    Pool &pool = ThePool();
    {
        std::lock_guard<std::mutex> lock(pool.mu);
        pool.used = std::chrono::steady_clock::now();
        // the newest buffer that fits without wasting more than half of it
        for (size_t i = pool.free.size(); i-- > 0;) {
            uint8_t *p = pool.free[i];
            size_t cap = CapacityOf(p);
            if (cap >= size && cap / 2 <= size) {
                pool.free.erase(pool.free.begin() + static_cast<ptrdiff_t>(i));
                pool.bytes -= cap;
                return LargeBuffer(p);
            }
        }
    }
    // a mapping of its own, its pages mapped at once when it is not too
    // large: cheaper than a fault per page as the packet arrives
    size_t cap = (size_t(size) + kGranule - 1) / kGranule * kGranule;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_POPULATE
    if (cap <= kPopulateMax)
        flags |= MAP_POPULATE;
#endif
    void *m = mmap(nullptr, kHeader + cap, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (m == MAP_FAILED)
        return nullptr;
    uint8_t *base = static_cast<uint8_t *>(m);
    *reinterpret_cast<size_t *>(base) = cap;
    return LargeBuffer(base + kHeader);
}

void LargeBufferRelease::operator()(uint8_t *p) const
{
    if (!p)
        return;
    {
        Pool &pool = ThePool();
        std::lock_guard<std::mutex> lock(pool.mu);
        size_t cap = CapacityOf(p);
        if (pool.bytes + cap <= kPoolBytes) {
            pool.free.push_back(p);
            pool.bytes += cap;
            return;
        }
    }
    Unmap(p);
}

void TrimLargeBuffers()
{
    std::vector<uint8_t *> idle;
    {
        Pool &pool = ThePool();
        std::lock_guard<std::mutex> lock(pool.mu);
        if (pool.free.empty() || std::chrono::steady_clock::now() - pool.used < kIdle)
            return;
        idle.swap(pool.free);
        pool.bytes = 0;
    }
    for (uint8_t *p : idle)
        Unmap(p);
}

} // namespace tmq_node
