// Work for the thread that runs a client's engine (driver.h), and who owns
// it: a JobPtr from NewJob until the driver runs it; a publish, subscribe or
// unsubscribe job then waits in the offline queue (offline.h) or is lent to
// the engine as its message's tmq_msg.user (Core::Lend) and taken back at
// the message's final event (Core::Reclaim).
#ifndef TMQ_NODE_JOB_H
#define TMQ_NODE_JOB_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

extern "C" {
#include "tinymqtt/client.h"
}

#include "large.h"

namespace tmq_node {

class Core;

// A publish, subscribe or unsubscribe job carries its own copy of what the
// engine sends (the engine does not copy).
struct Job {
    enum Kind : uint8_t { kAdd, kConnect, kPublish, kSubscribe, kUnsubscribe, kPing, kCancel, kDisconnect, kReconnect, kClose,
                        kAuth };

    Job(Kind k, Core *c) : kind(k), core(c) {}
    // Gives back what the offline queue counts for it, if anything; a QoS 0
    // publish also leaves the client's Unwritten() count (its job goes when
    // it is written, failed or withdrawn).
    ~Job();
    Job(const Job &) = delete;
    Job &operator=(const Job &) = delete;
    // Copies a property block to data[data_len...] (which has room for it)
    // and points props at it; nothing for an empty block.
    void AttachProps(const char *block, size_t len);
    // Room for n bytes of data (what Data() then returns): inside the job
    // when they fit, so a small publish allocates nothing, else on the heap.
    // Large data (a large payload) goes to a buffer from the pool of
    // large.h, which takes the next one when this job is done: memory
    // already touched, where a fresh megabyte costs a page fault per page.
    char *Reserve(size_t n)
    {
        heap_.reset(n > kInlineData && n <= kLargeBytes ? new char[n] : nullptr);
        large_ = n > kLargeBytes ? NewLargeBuffer(static_cast<uint32_t>(n)) : nullptr;
        if (n > kLargeBytes && !large_)
            throw std::bad_alloc();
        return Data();
    }
    char *Data() { return large_ ? reinterpret_cast<char *>(large_.get()) : heap_ ? heap_.get() : inline_; }
    const char *Data() const
    {
        return large_ ? reinterpret_cast<const char *>(large_.get()) : heap_ ? heap_.get() : inline_;
    }

    // Jobs come from a small free list of the thread that frees them (the
    // publish path makes and drops one per message).
    static void *operator new(size_t size);
    static void operator delete(void *p);
    static constexpr size_t kInlineData = 160;

    Kind kind;
    Core *core;                // kAdd: owned by the job until the loop thread adds it
    int32_t token = 0;
    uint8_t qos = 0, retain = 0;
    uint8_t reason = 0;        // kDisconnect, kAuth: the 5.0 reason code
    uint32_t topic_len = 0;    // publish: data is the topic, then the payload
    uint32_t data_len = 0;     // topic and payload, or the filters (props not counted)
    uint32_t queued = 0;       // publish: bytes the offline queue counts for it (0: none)
    std::vector<tmq_sub> subs; // (un)subscribe: views into data
    tmq_props props{};         // 5.0: a property block at the end of data, or none
    uint64_t seq = 0;          // publish: its sequence number in the client's store (0: not stored)
    uint32_t unwritten = 0;    // QoS 0 publish: its bytes in the core's Unwritten() count

private:
    // the data (Reserve): publish: the topic, then the payload; (un)subscribe:
    // the filters back to back; then 5.0 properties (also kDisconnect's and
    // kAuth's); kReconnect: the new
    // tmq_backoff's bytes
    std::unique_ptr<char[]> heap_;
    LargeBuffer large_;
    char inline_[kInlineData];
};

using JobPtr = std::unique_ptr<Job>;

// Every job is made here (one place, so the publish path can pool them).
inline JobPtr NewJob(Job::Kind kind, Core *core)
{
    return JobPtr(new Job(kind, core));
}

} // namespace tmq_node

#endif
