// Buffers for large packets (over the client's packet buffer): the engine
// reads such a packet into one, and its payload goes to JS in it without a
// copy (events.h, LargePayload). A buffer JS lets go of (its ArrayBuffer
// collected) comes back to a pool and takes the next large packet: memory
// the process has written already. Writing memory freshly mapped costs far
// more than the copy itself (on this project's machine 1.6-3.0 ms a MiB
// against 0.05, bench/fresh_memory.c; bench/README.md, "Large messages").
// A publish of a large payload keeps its copy in one too (job.h).
#ifndef TMQ_NODE_LARGE_H
#define TMQ_NODE_LARGE_H

#include <cstdint>
#include <memory>

namespace tmq_node {

// Data over this many bytes is large: a payload over it goes to JS in its
// packet's LargeBuffer (events.h), a publish job keeps such data in one
// (job.h).
constexpr uint32_t kLargeBytes = 64 * 1024;

// Gives a buffer back to the pool, or frees it when the pool is full.
struct LargeBufferRelease {
    void operator()(uint8_t *p) const;
};

using LargeBuffer = std::unique_ptr<uint8_t[], LargeBufferRelease>;

// A buffer of at least size bytes (from the pool when one fits), or null
// when out of memory. Any thread.
LargeBuffer NewLargeBuffer(uint32_t size);

// Gives the pool's memory back to the system when no buffer has been asked
// for in the last second (a client calls it at a CONNACK and a keepalive's
// PINGRESP). Any thread.
void TrimLargeBuffers();

} // namespace tmq_node

#endif
