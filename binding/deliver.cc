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
    MakeTopics(b, cache);
    MakeLarge(b);
    // a small batch's events go into the cache's array; a larger one's into
    // an ArrayBuffer of its own, which holds its data too when it is copied
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
        std::memcpy(cache->events_data_, b.ints.data(), bytes);
        events_ = view.Value();
        cache_ = cache;
        cache->busy_ = true;
        data_ = MakeData(b, cache, Napi::ArrayBuffer(), 0);
    } else {
        Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes + (copy ? data_bytes : 0));
        std::memcpy(ab.Data(), b.ints.data(), bytes);
        events_ = Napi::Int32Array::New(env, count_ * kEventFields, ab, 0);
        data_ = MakeData(b, nullptr, ab, bytes);
    }
}

void JsBatch::MakeTopics(Batch &b, BatchCache *cache)
{
    // each distinct topic once per batch (reused: the map's buckets and the
    // list stay allocated from one batch to the next)
    static thread_local std::unordered_map<std::string_view, uint32_t> seen;
    static thread_local std::vector<std::string_view> distinct;
    seen.clear();
    distinct.clear();
    int32_t *ev = b.ints.data();
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
            cache->no_topics_ = Napi::Persistent(Napi::Array::New(env_));
        topics_ = cache->no_topics_.Value();
        return;
    }
    if (cache && distinct.size() == 1 && !cache->one_topic_.IsEmpty() && distinct[0] == cache->topic_) {
        topics_ = cache->one_topic_.Value();
        return;
    }
    topics_ = Napi::Array::New(env_);
    for (uint32_t i = 0; i < distinct.size(); i++)
        topics_.Set(i, Napi::String::New(env_, distinct[i].data(), distinct[i].size()));
    if (cache && distinct.size() == 1) {
        cache->topic_.assign(distinct[0]);
        cache->one_topic_ = Napi::Persistent(topics_);
    }
}

void JsBatch::MakeLarge(Batch &b)
{
    if (b.large.empty()) {
        large_ = env_.Undefined();
        return;
    }
    Napi::Array list = Napi::Array::New(env_, b.large.size());
    for (uint32_t i = 0; i < b.large.size(); i++) {
        LargePayload &l = b.large[i];
        uint8_t *buffer = l.buffer.get();
        Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
            env_, buffer + l.offset, l.length, [](Napi::Env, void *, uint8_t *p) { LargeBufferRelease()(p); },
            buffer);
        l.buffer.release();   // the ArrayBuffer's now
        list.Set(i, Napi::Uint8Array::New(env_, l.length, ab, 0));
    }
    large_ = list;
}

Napi::Uint8Array JsBatch::MakeData(Batch &b, BatchCache *cache, Napi::ArrayBuffer with_events, size_t at)
{
    size_t n = b.data.size();
    if (n > kCopyLimit) {
        // large payloads go to JS without a copy: the ArrayBuffer owns the string
        std::string *owned = new std::string(std::move(b.data));
        Napi::ArrayBuffer big = Napi::ArrayBuffer::New(
            env_, owned->data(), owned->size(), [](Napi::Env, void *, std::string *s) { delete s; }, owned);
        return Napi::Uint8Array::New(env_, n, big, 0);
    }
    if (!with_events.IsEmpty()) {   // room was left after the events
        if (n)
            std::memcpy(static_cast<char *>(with_events.Data()) + at, b.data.data(), n);
        return Napi::Uint8Array::New(env_, n, with_events, at);
    }
    if (n == 0) {
        if (cache->no_data_.IsEmpty())
            cache->no_data_ = Napi::Persistent(Napi::Uint8Array::New(env_, 0));
        return cache->no_data_.Value();
    }
    if (n <= BatchCache::kPoolMax) {
        if (cache->pool_.IsEmpty() || cache->pool_used_ + n > BatchCache::kPool) {
            Napi::ArrayBuffer pool = Napi::ArrayBuffer::New(env_, BatchCache::kPool);
            cache->pool_data_ = static_cast<uint8_t *>(pool.Data());
            cache->pool_used_ = 0;
            cache->pool_ = Napi::Persistent(pool);
        }
        std::memcpy(cache->pool_data_ + cache->pool_used_, b.data.data(), n);
        Napi::Uint8Array view = Napi::Uint8Array::New(env_, n, cache->pool_.Value(), cache->pool_used_);
        cache->pool_used_ = (cache->pool_used_ + n + 7) & ~size_t(7);   // 8-aligned, as Node's pool
        return view;
    }
    Napi::ArrayBuffer own = Napi::ArrayBuffer::New(env_, n);
    std::memcpy(own.Data(), b.data.data(), n);
    return Napi::Uint8Array::New(env_, n, own, 0);
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
        handler.Call(env_.Global(), {events_, data_, topics_, large_});
    else
        handler.MakeCallback(env_.Global(), {events_, data_, topics_, large_}, async);
}

} // namespace tmq_node
