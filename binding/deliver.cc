// A batch in JS form (deliver.h).
#include "deliver.h"

#include <cstring>

namespace tmq_node {

JsBatch::JsBatch(Napi::Env env, Batch &b) : env_(env), count_(b.Count())
{
    int32_t *ev = b.ints.data();

    // topics: each distinct one becomes a string once per batch
    topics_ = Napi::Array::New(env);
    // reused: its buckets stay allocated from one batch to the next
    static thread_local std::unordered_map<std::string_view, uint32_t> seen;
    seen.clear();
    std::string_view last;
    uint32_t last_index = UINT32_MAX, count = 0;
    size_t t = 0;
    for (size_t i = 0; i < count_; i++) {
        int32_t *e = ev + i * kEventFields;
        if (e[1] == kMessage) {
            std::string_view topic(b.topic_bytes.data() + b.topics[t], b.topics[t + 1]);
            t += 2;
            if (last_index == UINT32_MAX || topic != last) {
                auto ins = seen.emplace(topic, count);
                if (ins.second)
                    topics_.Set(count++, Napi::String::New(env, topic.data(), topic.size()));
                last = topic;
                last_index = ins.first->second;
            }
            e[2] = static_cast<int32_t>(last_index);
        } else if (e[1] == kClosed) {
            closed_.push_back(e[0]);
        }
    }

    size_t bytes = count_ * kEventFields * sizeof(int32_t), data_bytes = b.data.size();
    bool copy = data_bytes <= kCopyLimit;
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes + (copy ? data_bytes : 0));
    std::memcpy(ab.Data(), ev, bytes);
    events_ = Napi::Int32Array::New(env, count_ * kEventFields, ab, 0);
    if (copy) {
        if (data_bytes)
            std::memcpy(static_cast<char *>(ab.Data()) + bytes, b.data.data(), data_bytes);
        data_ = Napi::Uint8Array::New(env, data_bytes, ab, bytes);
        return;
    }
    // large payloads go to JS without a copy: the ArrayBuffer owns the string
    std::string *owned = new std::string(std::move(b.data));
    Napi::ArrayBuffer big = Napi::ArrayBuffer::New(
        env, owned->data(), owned->size(), [](Napi::Env, void *, std::string *s) { delete s; }, owned);
    data_ = Napi::Uint8Array::New(env, data_bytes, big, 0);
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
