// The offline queue of a client: the operations its engine has not taken
// yet, in submission order, and the bounds options.queueLimit,
// queueByteLimit and queueQoSZero put on it (binding/README.md, "The
// offline queue"), admitted by tinymqtt/offline.h's rule. lib/client.ts
// keeps no count, the engine's message slots are its in-flight window.
#ifndef TMQ_NODE_OFFLINE_H
#define TMQ_NODE_OFFLINE_H

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>

#include "job.h"

extern "C" {
#include "tinymqtt/offline.h"
}

namespace tmq_node {

class OfflineQueue {
public:
    // At creation, before the first Admit: queueByteLimit, queueLimit,
    // queueQoSZero (none, none and 1 until then).
    void SetBounds(const tmq_offline_bounds &bounds) { bounds_ = bounds; }

    // ---- JS thread: a publish made while the client is not connected ----
    // Throws an Error with code TMQ_ERR_NOT_CONNECTED (QoS 0 without
    // queueQoSZero) or TMQ_ERR_QUEUE_FULL, before anything changes; else
    // counts a PUBLISH of `packet` bytes and returns what it counted, for
    // job->queued (given back by Release when the job leaves the binding).
    uint32_t Admit(Napi::Env env, uint8_t qos, uint32_t packet);

    // ---- the driver's thread ----
    using Jobs = std::deque<JobPtr>;
    bool Empty() const { return !jobs_ || jobs_->empty(); }
    JobPtr &Front() { return jobs_->front(); }
    void PopFront() { jobs_->pop_front(); }
    void Push(JobPtr job);
    // Takes out the job of `token` if it still waits here, else nullptr.
    JobPtr Withdraw(int32_t token);
    // Every job still waiting, oldest first (nullptr: none ever waited); the
    // queue is left empty.
    std::unique_ptr<Jobs> TakeAll() { return std::move(jobs_); }

    // ---- either thread ----
    // The job leaves the binding (the engine took it, or it was refused,
    // withdrawn or closed): what Admit counted for it goes. Inline: every
    // publish passes here, and while connected it counts nothing.
    void Release(Job &job)
    {
        if (!job.queued)
            return;
        count_.fetch_sub(1, std::memory_order_relaxed);
        bytes_.fetch_sub(job.queued, std::memory_order_relaxed);
        job.queued = 0;
    }

private:
    tmq_offline_bounds bounds_ = TMQ_OFFLINE_NO_BOUNDS;
    // Admit adds (JS thread), Release subtracts (either): counted from the
    // call to the job leaving, so jobs posted to the loop thread and not yet
    // run count too
    std::atomic<uint32_t> count_{0};
    std::atomic<uint64_t> bytes_{0};
    // made by the first Push (an empty deque takes about 600 bytes, and most
    // clients never queue); last: its jobs go before the counts they
    // Release into
    std::unique_ptr<Jobs> jobs_;
};

} // namespace tmq_node

#endif
