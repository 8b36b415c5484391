// The offline queue (offline.h).
#include "offline.h"

#include <algorithm>

namespace tmq_node {

uint32_t OfflineQueue::Admit(Napi::Env env, uint8_t qos, uint32_t packet)
{
    uint64_t used = bytes_.load(std::memory_order_relaxed);
    int verdict = tmq_offline_admit(&bounds_, count_.load(std::memory_order_relaxed), used, qos, packet);
    if (verdict != TMQ_OFFLINE_ADMITTED) {
        char why[256];
        tmq_offline_refusal(why, sizeof why, verdict, &bounds_, used, packet);
        Napi::Error e = Napi::Error::New(env, why);
        e.Set("code", Napi::String::New(env, tmq_offline_code(verdict)));
        throw e;
    }
    uint64_t entry = tmq_offline_entry(packet);
    count_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(entry, std::memory_order_relaxed);
    return static_cast<uint32_t>(std::min<uint64_t>(entry, UINT32_MAX));
}

void OfflineQueue::Push(JobPtr job)
{
    if (!jobs_)
        jobs_ = std::make_unique<Jobs>();
    jobs_->push_back(std::move(job));
}

JobPtr OfflineQueue::Withdraw(int32_t token)
{
    if (!jobs_)
        return nullptr;
    auto it = std::find_if(jobs_->begin(), jobs_->end(), [&](const JobPtr &j) { return j->token == token; });
    if (it == jobs_->end())
        return nullptr;
    JobPtr job = std::move(*it);
    jobs_->erase(it);
    return job;
}

} // namespace tmq_node
