// A batch of events (events.h) in the form JS receives it: the arguments of
// lib/native.ts's BatchHandler. Shared by both drivers.
#ifndef TMQ_NODE_DELIVER_H
#define TMQ_NODE_DELIVER_H

#include <napi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events.h"

namespace tmq_node {

// What one driver keeps from one batch to the next, so that a small batch
// makes fewer JS objects. For batches of up to kEvents events the events
// array is a view of one ArrayBuffer kept here (one view per event count,
// made on first use), rewritten by every such batch: it is the handler's
// only while the handler runs. A batch without data gets one empty data
// array; one with at most kPoolMax bytes of data a view of a pool (an
// ArrayBuffer of kPool bytes, filled batch after batch and never written
// again, replaced when full: Node's own policy for small Buffers, so a
// payload kept by the application keeps its pool alive as a pooled Buffer
// does). A batch without messages gets one empty topics array, and one whose
// messages all have the topic of the last such batch that batch's topics
// array (never written after it is made, so a handler may keep it). A
// batch made while one from here is being handled (a nested delivery)
// makes its own. Why: a round trip (a message in, a publish out) was two
// batches, each an ArrayBuffer with its memory, two typed arrays, an array
// and a string.
class BatchCache {
public:
    static constexpr size_t kEvents = 16;
    static constexpr size_t kPool = 8192, kPoolMax = 4096;
    // Lets go of the JS values (at the driver's shutdown, the environment alive).
    void Reset();

private:
    friend class JsBatch;
    bool busy_ = false;           // a batch from here is being handled
    Napi::Reference<Napi::ArrayBuffer> events_ab_;
    int32_t *events_data_ = nullptr;
    Napi::Reference<Napi::Int32Array> events_[kEvents];   // [n - 1]: the first n events
    Napi::Reference<Napi::Uint8Array> no_data_;
    Napi::Reference<Napi::ArrayBuffer> pool_;
    uint8_t *pool_data_ = nullptr;
    size_t pool_used_ = 0;
    Napi::Reference<Napi::Array> no_topics_;
    std::string topic_;           // the topic of the last batch with one, and that batch's topics
    Napi::Reference<Napi::Array> one_topic_;
};

class JsBatch {
public:
    // Converts b: each distinct topic becomes a string once; the large
    // payloads move into ArrayBuffers (MakeLarge); the events and
    // the data are copied into one ArrayBuffer (an Int32Array, then a
    // Uint8Array on it), or, past kCopyLimit bytes of data, b's data moves
    // into an ArrayBuffer of its own without a copy. Plain typed arrays,
    // not Buffers: node makes a Buffer from C++ by changing an array's
    // prototype, which costs more than the rest of a small batch; the JS
    // side views the data as a Buffer.
    // With cache (the driver's), a small batch uses what it keeps (above).
    JsBatch(Napi::Env env, Batch &b, BatchCache *cache = nullptr);
    ~JsBatch();
    JsBatch(const JsBatch &) = delete;
    JsBatch &operator=(const JsBatch &) = delete;
    static constexpr size_t kCopyLimit = 64 * 1024;

    // handler(events, data, topics, large): a plain call (sync, from JS) or a
    // callback from the event loop with its async context. *delivering is
    // true while the handler runs.
    void Call(const Napi::FunctionReference &handler, napi_async_context async, bool sync, bool *delivering) const;
    size_t Count() const { return count_; }
    // The clients whose Closed event the batch carries.
    const std::vector<int32_t> &Closed() const { return closed_; }

private:
    // topics_ (and closed_), each event's topic index set in b
    void MakeTopics(Batch &b, BatchCache *cache);
    // The data array: b's data moved when large, else copied to `at` in
    // with_events when given (room left after the events), else to cache's
    // empty array or pool, or an ArrayBuffer of its own.
    Napi::Uint8Array MakeData(Batch &b, BatchCache *cache, Napi::ArrayBuffer with_events, size_t at);
    // large_: each of b's large payloads a Uint8Array on its own buffer,
    // which the ArrayBuffer takes over (no copy)
    void MakeLarge(Batch &b);

    Napi::Env env_;
    BatchCache *cache_ = nullptr;   // held (busy) until this batch is gone
    size_t count_;
    Napi::Int32Array events_;
    Napi::Uint8Array data_;
    Napi::Array topics_;
    Napi::Value large_;   // undefined, or an Array of the batch's large payloads
    std::vector<int32_t> closed_;
};

} // namespace tmq_node

#endif
