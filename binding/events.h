// The event queue between an environment's engine loop thread (producer) and
// its JS thread (consumer). Plain C++: no Node-API in here.
//
// Events are stored the way JS receives them (lib/native.ts): EVENT_FIELDS
// int32s per event, payloads and SUBACK codes back to back in one byte array,
// a large payload in a buffer of its own, topics in a side array turned into
// strings at drain time. The queue is a
// list of batches of at most kBatchEvents events (and about kBatchBytes
// bytes); the producer appends to the last batch, the consumer takes the
// first one whole, so a drain is one pointer swap under the lock and the
// batch's bytes become the JS Buffer without a copy.
//
// The queue is bounded (kMaxEvents events or kMaxBytes bytes): a push that
// crosses the bound says so, and the loop thread then waits in WaitForRoom
// until JS has taken the queue below half of it. While it waits no socket is
// read, so memory cannot grow without limit, and nothing is dropped.
#ifndef TMQ_NODE_EVENTS_H
#define TMQ_NODE_EVENTS_H

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "large.h"

namespace tmq_node {

// The kinds of events, their fields, and the Message flags: the one source
// of these values. scripts/gen-constants.mjs copies this enum (the `k` taken
// off, comments kept), kEventFields and kMessageHasProps into
// lib/constants.ts; test/constants.test.ts fails when they differ.
enum EventKind : int32_t {
    kConnack = 1,     // a: session present (0/1), b: reason code, c/d: property block offset/length in `data`
    kMessage = 2,     // a: topic index in `topics`, b: payload offset in `data`, c: payload length,
                      // d: qos | retain << 2 | dup << 3 | MESSAGE_HAS_PROPS | packet id << 16
    kSent = 3,        // a: token, b: reason code (5.0; >= 0x80 refused)
    kSuback = 4,      // a: token, b: codes offset in `data`, c: number of codes,
                      // d: length of the property block just before the codes
    kUnsuback = 5,    // as Suback (no codes before 5.0)
    kPong = 6,
    kDisconnect = 7,  // a: engine error code (0 after a requested disconnect), b: 5.0 reason, a 3.x
                      // CONNACK's return code, or 0,
                      // c/d: property block offset/length in `data` (a 5.0 DISCONNECT or CONNACK)
    kError = 8,       // a: engine error code, b: token of the operation it fails (0: the connection)
    kState = 9,       // a: the tmq_state now, b: the reconnect delay in ms (WAITING_RECONNECT),
                      // c: the index in options.servers of the server in use or tried,
                      // d: 1 while waiting to try the next server of a round (failover)
    kClosed = 10,     // the native client is closed: no more events for it
    kWritten = 11,    // a: token: QoS 0 publishes are written up to this one, in order (the
                      // inline driver sends one for several)
    kAuth = 12,       // a: the 5.0 AUTH's reason code, c/d: property block offset/length in `data`
    kFailure = 13,    // a: engine error code, c/d: offset/length in `data` of the transport's one-line
                      // reason (OS error, resolver, TLS); comes just before the Disconnect it explains
    kPacket = 14,     // (options.logPackets only) c/d: offset/length in `data` of a one-line text of a
                      // packet in or out, for the debug log
};

// Ints per event in a batch: client id, kind, a, b, c, d.
constexpr size_t kEventFields = 6;

// A view of bytes an event carries (a 5.0 property block).
struct Bytes {
    const uint8_t *p = nullptr;
    uint32_t len = 0;
};

// The d field of a Message event: qos | retain << 2 | dup << 3 |
// kMessageHasProps | packet id << 16.
// Flag of a Message event (its d field): a property block precedes the
// payload, followed by its length (uint32, little-endian), i.e. the block is
// data[b - 4 - len, b - 4) with len at data[b - 4].
constexpr int32_t kMessageHasProps = 16;
// Flag of a Message event: its payload is the batch's next large payload
// (Batch::large, the handler's fourth argument), not in data; b is where it
// would have started (its property block, if any, still ends there).
constexpr int32_t kMessageLargePayload = 32;

// A payload over kLargeBytes (large.h) in the buffer its packet was read
// into, taken whole. JS gets it without a copy (deliver.h).
struct LargePayload {
    LargeBuffer buffer;
    uint32_t offset, length;   // the payload's place in buffer
};

// What one drain hands to JS.
struct Batch {
    std::vector<int32_t> ints;      // kEventFields per event
    std::string data;               // payloads and codes the events point into
    std::string topic_bytes;        // the topics of Message events, back to back
    std::vector<uint32_t> topics;   // per Message event, in order: offset, length in topic_bytes
    std::vector<LargePayload> large;   // per kMessageLargePayload event, in order
    size_t large_bytes = 0;

    size_t Count() const { return ints.size() / kEventFields; }
    size_t Bytes() const { return data.size() + topic_bytes.size() + large_bytes; }

    // Appending one event (the EventQueue's Push* of the same names).
    void Add(int32_t id, int32_t kind, int32_t a = 0, int32_t b = 0, int32_t c = 0, int32_t d = 0);
    void AddProps(int32_t id, int32_t kind, int32_t a, int32_t b, struct Bytes props);
    // A payload over kLargeBytes becomes a large payload, *packet taken
    // (the buffer the packet was read into, which holds the payload; every
    // packet with such a payload is larger than the client's packet buffer,
    // so it has one). Without the copy into data, a stream of large
    // messages costs no growing of data (each step a copy into fresh
    // pages).
    void AddMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                    uint32_t payload_len, int32_t flags, struct Bytes props,
                    LargeBuffer *packet = nullptr);
    void AddCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count, struct Bytes props);
    // When the batch's last event is client id's `kind` event: sets its a
    // to `a` and returns true (a later Written event of a client stands for
    // the ones before it).
    bool Replace(int32_t id, int32_t kind, int32_t a);
    // Empties the batch, keeping its capacity.
    void Clear();

private:
    // Copies bytes to the end of data; returns their offset.
    int32_t Append(struct Bytes bytes);
};

// Result of a push: `first` when the queue went from empty to non-empty
// (the producer signals the consumer then, and only then); `full` when the
// queue is over its bound (the producer calls WaitForRoom).
struct PushResult {
    bool first;
    bool full;
};

class EventQueue {
public:
    static constexpr size_t kBatchEvents = 1024;
    static constexpr size_t kBatchBytes = size_t(4) << 20;
    static constexpr size_t kMaxEvents = 300000;
    static constexpr size_t kMaxBytes = size_t(256) << 20;

    // Producer (any thread; the loop thread in practice). Pushes are ignored
    // (and report neither first nor full) after Stop.
    PushResult Push(int32_t id, int32_t kind, int32_t a = 0, int32_t b = 0, int32_t c = 0, int32_t d = 0);
    // An event whose c and d are the offset and length of a copy of props
    // (Connack, Disconnect).
    PushResult PushProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props);
    // A Message event: copies topic, payload and props (kMessageHasProps);
    // a large payload as Batch::AddMessage.
    PushResult PushMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                           uint32_t payload_len, int32_t flags, Bytes props, LargeBuffer *packet);
    // A Suback or Unsuback event: copies the codes, and props just before
    // them (d is the props' length).
    PushResult PushCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count, Bytes props);

    // Blocks while the queue is over its bound, until the consumer has taken
    // it below half the bound or Stop is called.
    void WaitForRoom();

    // Consumer: takes the oldest batch (nullptr when empty); *more says
    // whether batches remain after it.
    std::unique_ptr<Batch> Pop(bool *more);

    // Consumer: blocks until the queue holds an event, Stop is called or
    // timeout_ms pass. Returns whether an event is queued.
    bool WaitForEvents(uint32_t timeout_ms);

    // Stops accepting events, drops what is queued and wakes WaitForRoom.
    void Stop();

private:
    // With mu_ held: the batch to append to (a new one when the last is full
    // or the queue is empty).
    Batch &Tail(bool *first);
    PushResult Pushed(bool first);
    // Every Push*: under mu_, unless stopped, fill(batch) appends one event
    // to the batch to append to, which is then counted.
    template <typename Fill>
    PushResult PushWith(Fill fill)
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_)
            return PushResult{false, false};
        bool first;
        Batch &t = Tail(&first);
        size_t before = t.Bytes();
        fill(t);
        bytes_ += t.Bytes() - before;
        return Pushed(first);
    }

    std::mutex mu_;
    std::condition_variable room_;
    std::condition_variable ready_;   // a consumer in WaitForEvents
    std::deque<std::unique_ptr<Batch>> batches_;
    size_t events_ = 0;   // queued events
    size_t bytes_ = 0;    // queued payload, code and topic bytes
    bool waiting_ = false;
    bool blocked_ = false;   // a consumer waits in WaitForEvents
    bool stopped_ = false;
};

} // namespace tmq_node

#endif
