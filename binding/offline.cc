// The offline queue (offline.h).
#include "offline.h"

#include <algorithm>
#include <string>

namespace tmq_node {

namespace {

[[noreturn]] void Refuse(Napi::Env env, const char *code, const std::string &why)
{
    Napi::Error e = Napi::Error::New(env, "publish: not connected, and " + why);
    e.Set("code", Napi::String::New(env, code));
    throw e;
}

} // namespace

uint32_t OfflineQueue::Admit(Napi::Env env, uint8_t qos, uint32_t packet)
{
    if (qos == 0 && !bounds_.qos0)
        Refuse(env, "TMQ_ERR_NOT_CONNECTED", "options.queueQoSZero is false");
    uint32_t count = count_.load(std::memory_order_relaxed);
    if (count >= bounds_.count)
        Refuse(env, "TMQ_ERR_QUEUE_FULL",
               "the offline queue holds options.queueLimit (" + std::to_string(bounds_.count) + ") messages");
    uint64_t used = bytes_.load(std::memory_order_relaxed), entry = uint64_t(packet) + kEntryBytes;
    if (used + entry > bounds_.bytes)
        Refuse(env, "TMQ_ERR_QUEUE_FULL",
               "a " + std::to_string(packet) + "-byte PUBLISH (" + std::to_string(entry) +
                   " bytes queued) would take the offline queue past options.queueByteLimit (" +
                   std::to_string(bounds_.bytes) + " bytes; " + std::to_string(used) + " used)");
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
