// Read coalescing for the inline driver: when a client receives a busy
// stream and sends nothing of its own, let bytes gather in the socket and
// read them in one go, instead of waking for every packet.
//
// Why: on the project's machines a wake-up (the process sleeping in
// epoll_wait and being woken by the broker's send) costs 10-15 µs of CPU,
// shared between the client and the broker that wakes it, while decoding
// and delivering a 64-byte message costs well under 1 µs. A subscriber that
// keeps up with a stream wakes for almost every message (bench/README.md,
// "Where the time went", has the measurements).
//
// How: the socket's receive low-water mark (tmq_tcp_set_rcvlowat) keeps
// poll quiet until `Mark()` bytes are queued, and a timer reads anyway at
// most kMaxDelayMs after the previous read, so a stream that slows down
// waits no longer than that. It turns on after kStartStreak reads in a row
// that each came less than kBusyGapUs after the previous one while the
// application was not waiting for a reply, and off as soon as it waits for
// one or the timer finds the stream slowed. Waiting for a reply means it
// submitted an operation since the previous read while fewer than
// kStreamWindow of its QoS 1/2 publishes are in flight: a round trip (a
// QoS 0 message to its own subscription, one QoS 1 publish at a time)
// never qualifies, while the acknowledgements of a full window of
// publishes are a stream like any other.
// A stream that slows right after turning on makes the next attempt wait
// twice as long. Pure logic: the driver applies Mark() and the timer.
#ifndef TMQ_NODE_COALESCE_H
#define TMQ_NODE_COALESCE_H

#include <cstdint>

namespace tmq_node {

class ReadCoalescing {
public:
    static constexpr uint64_t kBusyGapUs = 200;
    static constexpr uint32_t kMaxDelayMs = 1;
    static constexpr uint32_t kStartStreak = 8, kLongestStreak = 1u << 14;
    static constexpr uint32_t kMinMark = 64, kMaxMark = 4096;
    // The first mark of an attempt: at least this, so the reads of a stream
    // whose sender writes each packet in pieces (aedes over WebSockets: five
    // frames of 3 to 66 bytes a message) batch several packets from the
    // start; the timer's reads bring it down to what the stream brings.
    static constexpr uint32_t kStartMark = 1024;
    static constexpr uint32_t kStreamWindow = 8;

    // After a poll of the client that read `bytes` (0: none) at now_us.
    // by_timer: the poll ran because the timer was due, not because the
    // socket was ready. submitted: the application submitted an operation
    // since the previous poll. inflight: its QoS 1/2 publishes sent and
    // not yet acknowledged.
    void AfterPoll(uint64_t now_us, uint32_t bytes, bool by_timer, bool submitted, uint32_t inflight);
    // The low-water mark the socket should have: 1 while off.
    uint32_t Mark() const { return on_ ? mark_ : 1; }
    // Whether reads are being coalesced (the driver keeps its timer at most
    // kMaxDelayMs away while they are).
    bool On() const { return on_; }
    // A new connection: starts over (the mark is the socket's, and a new
    // socket has none).
    void Reset() { *this = ReadCoalescing(); }

private:
    void TurnOff(bool failed);

    bool on_ = false;
    bool worked_ = false;   // a read this time on came by the mark
    uint32_t mark_ = 1;
    uint32_t streak_ = 0, needed_ = kStartStreak;
    uint64_t last_read_us_ = 0;
    bool read_before_ = false;
};

} // namespace tmq_node

#endif
