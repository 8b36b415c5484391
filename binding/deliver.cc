// A batch in JS form (deliver.h).
#include "deliver.h"

#include <cstring>

namespace tmq_node {

void BatchCache::Reset()
{
    events_ab_.Reset();
    events_data_ = nullptr;
    for (auto &view : events_)
        view.Reset();
    no_data_.Reset();
    pool_.Reset();
    pool_data_ = nullptr;
    pool_used_ = 0;
    no_topics_.Reset();
    topic_.clear();
    one_topic_.Reset();
}

JsBatch::JsBatch(Napi::Env env, Batch &b, BatchCache *cache) : env_(env), count_(b.Count())
{
    if (cache && cache->busy_)
        cache = nullptr;   // nested: a batch of its own
    int32_t *ev = b.ints.data();

    // topics: each distinct one once per batch (reused: the map's buckets
    // and the list stay allocated from one batch to the next)
    static thread_local std::unordered_map<std::string_view, uint32_t> seen;
    static thread_local std::vector<std::string_view> distinct;
    seen.clear();
    distinct.clear();
    std::string_view last;
    uint32_t last_index = UINT32_MAX;
    size_t t = 0;
    for (size_t i = 0; i < count_; i++) {
        int32_t *e = ev + i * kEventFields;
        if (e[1] == kMessage) {
            std::string_view topic(b.topic_bytes.data() + b.topics[t], b.topics[t + 1]);
            t += 2;
            if (last_index == UINT32_MAX || topic != last) {
                auto ins = seen.emplace(topic, static_cast<uint32_t>(distinct.size()));
                if (ins.second)
                    distinct.push_back(topic);
                last = topic;
                last_index = ins.first->second;
            }
            e[2] = static_cast<int32_t>(last_index);
        } else if (e[1] == kClosed) {
            closed_.push_back(e[0]);
        }
    }
    if (cache && distinct.empty()) {
        if (cache->no_topics_.IsEmpty())
            cache->no_topics_ = Napi::Persistent(Napi::Array::New(env));
        topics_ = cache->no_topics_.Value();
    } else if (cache && distinct.size() == 1 && !cache->one_topic_.IsEmpty() && distinct[0] == cache->topic_) {
        topics_ = cache->one_topic_.Value();
    } else {
        topics_ = Napi::Array::New(env);
        for (uint32_t i = 0; i < distinct.size(); i++)
            topics_.Set(i, Napi::String::New(env, distinct[i].data(), distinct[i].size()));
        if (cache && distinct.size() == 1) {
            cache->topic_.assign(distinct[0]);
            cache->one_topic_ = Napi::Persistent(topics_);
        }
    }

    size_t bytes = count_ * kEventFields * sizeof(int32_t), data_bytes = b.data.size();
    bool copy = data_bytes <= kCopyLimit;
    if (cache && count_ > 0 && count_ <= BatchCache::kEvents) {
        if (cache->events_ab_.IsEmpty()) {
            Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, BatchCache::kEvents * kEventFields * sizeof(int32_t));
            cache->events_data_ = static_cast<int32_t *>(ab.Data());
            cache->events_ab_ = Napi::Persistent(ab);
        }
        Napi::Reference<Napi::Int32Array> &view = cache->events_[count_ - 1];
        if (view.IsEmpty())
            view = Napi::Persistent(Napi::Int32Array::New(env, count_ * kEventFields, cache->events_ab_.Value(), 0));
        std::memcpy(cache->events_data_, ev, bytes);
        events_ = view.Value();
        cache_ = cache;
        cache->busy_ = true;
        if (copy && data_bytes == 0) {
            if (cache->no_data_.IsEmpty())
                cache->no_data_ = Napi::Persistent(Napi::Uint8Array::New(env, 0));
            data_ = cache->no_data_.Value();
            return;
        }
        if (data_bytes <= BatchCache::kPoolMax) {
            if (cache->pool_.IsEmpty() || cache->pool_used_ + data_bytes > BatchCache::kPool) {
                Napi::ArrayBuffer pool = Napi::ArrayBuffer::New(env, BatchCache::kPool);
                cache->pool_data_ = static_cast<uint8_t *>(pool.Data());
                cache->pool_used_ = 0;
                cache->pool_ = Napi::Persistent(pool);
            }
            std::memcpy(cache->pool_data_ + cache->pool_used_, b.data.data(), data_bytes);
            data_ = Napi::Uint8Array::New(env, data_bytes, cache->pool_.Value(), cache->pool_used_);
            cache->pool_used_ = (cache->pool_used_ + data_bytes + 7) & ~size_t(7);   // 8-aligned, as Node's pool
            return;
        }
        if (copy) {
            Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, data_bytes);
            std::memcpy(ab.Data(), b.data.data(), data_bytes);
            data_ = Napi::Uint8Array::New(env, data_bytes, ab, 0);
            return;
        }
    } else {
        Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes + (copy ? data_bytes : 0));
        std::memcpy(ab.Data(), ev, bytes);
        events_ = Napi::Int32Array::New(env, count_ * kEventFields, ab, 0);
        if (copy) {
            if (data_bytes)
                std::memcpy(static_cast<char *>(ab.Data()) + bytes, b.data.data(), data_bytes);
            data_ = Napi::Uint8Array::New(env, data_bytes, ab, bytes);
            return;
        }
    }
    // large payloads go to JS without a copy: the ArrayBuffer owns the string
    std::string *owned = new std::string(std::move(b.data));
    Napi::ArrayBuffer big = Napi::ArrayBuffer::New(
        env, owned->data(), owned->size(), [](Napi::Env, void *, std::string *s) { delete s; }, owned);
    data_ = Napi::Uint8Array::New(env, data_bytes, big, 0);
}

JsBatch::~JsBatch()
{
    if (cache_)
        cache_->busy_ = false;
}

void JsBatch::Call(const Napi::FunctionReference &handler, napi_async_context async, bool sync, bool *delivering) const
{
    struct Flag {
        bool *on;
        explicit Flag(bool *f) : on(f) { *on = true; }
        ~Flag() { *on = false; }
    } flag(delivering);
    if (sync)
        handler.Call(env_.Global(), {events_, data_, topics_});
    else
        handler.MakeCallback(env_.Global(), {events_, data_, topics_}, async);
}

} // namespace tmq_node
