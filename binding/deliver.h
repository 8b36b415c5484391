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

class JsBatch {
public:
    // Converts b: each distinct topic becomes a string once, the events are
    // copied into an Int32Array, and b's data moves into the Buffer without a
    // copy (b keeps its other capacity).
    JsBatch(Napi::Env env, Batch &b);

    // handler(events, data, topics): a plain call (sync, from JS) or a
    // callback from the event loop with its async context. *delivering is
    // true while the handler runs.
    void Call(const Napi::FunctionReference &handler, napi_async_context async, bool sync, bool *delivering) const;
    size_t Count() const { return count_; }
    // The clients whose Closed event the batch carries.
    const std::vector<int32_t> &Closed() const { return closed_; }

private:
    Napi::Env env_;
    size_t count_;
    Napi::Int32Array events_;
    Napi::Buffer<char> data_;
    Napi::Array topics_;
    std::vector<int32_t> closed_;
};

} // namespace tmq_node

#endif
