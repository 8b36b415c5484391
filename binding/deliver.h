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
    // Converts b: each distinct topic becomes a string once; the events and
    // the data are copied into one ArrayBuffer (an Int32Array, then a
    // Uint8Array on it), or, past kCopyLimit bytes of data, b's data moves
    // into an ArrayBuffer of its own without a copy. Plain typed arrays,
    // not Buffers: node makes a Buffer from C++ by changing an array's
    // prototype, which costs more than the rest of a small batch; the JS
    // side views the data as a Buffer.
    JsBatch(Napi::Env env, Batch &b);
    static constexpr size_t kCopyLimit = 64 * 1024;

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
    Napi::Uint8Array data_;
    Napi::Array topics_;
    std::vector<int32_t> closed_;
};

} // namespace tmq_node

#endif
