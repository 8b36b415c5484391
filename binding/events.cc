// The event queue (events.h).
#include "events.h"

#include <chrono>

namespace tmq_node {

Batch &EventQueue::Tail(bool *first)
{
    *first = batches_.empty();
    if (*first || batches_.back()->Count() >= kBatchEvents || batches_.back()->Bytes() >= kBatchBytes) {
        auto b = std::make_unique<Batch>();
        b->ints.reserve(kBatchEvents * kEventFields);
        batches_.push_back(std::move(b));
    }
    return *batches_.back();
}

PushResult EventQueue::Pushed(bool first)
{
    events_++;
    if (first && blocked_)
        ready_.notify_one();
    return PushResult{first, events_ >= kMaxEvents || bytes_ >= kMaxBytes};
}

void Batch::Add(int32_t id, int32_t kind, int32_t a, int32_t b, int32_t c, int32_t d)
{
    ints.insert(ints.end(), {id, kind, a, b, c, d});
}

bool Batch::Replace(int32_t id, int32_t kind, int32_t a)
{
    size_t n = ints.size();
    if (n == 0 || ints[n - kEventFields] != id || ints[n - kEventFields + 1] != kind)
        return false;
    ints[n - kEventFields + 2] = a;
    return true;
}

void Batch::AddProps(int32_t id, int32_t kind, int32_t a, int32_t b, struct Bytes props)
{
    int32_t off = Append(props);
    ints.insert(ints.end(), {id, kind, a, b, off, static_cast<int32_t>(props.len)});
}

void Batch::AddMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                       uint32_t payload_len, int32_t flags, struct Bytes props, LargeBuffer *packet)
{
    if (props.len) {
        Append(props);
        const uint8_t len[4] = {uint8_t(props.len), uint8_t(props.len >> 8), uint8_t(props.len >> 16),
                                uint8_t(props.len >> 24)};
        Append(tmq_node::Bytes{len, 4});
        flags |= kMessageHasProps;
    }
    // a (the topic's index in the batch's `topics`) is filled in at drain time
    int32_t off;
    if (payload_len > kLargeBytes && packet && *packet) {
        off = static_cast<int32_t>(data.size());
        flags |= kMessageLargePayload;
        uint32_t at = static_cast<uint32_t>(payload - packet->get());
        large.push_back(LargePayload{std::move(*packet), at, payload_len});
        large_bytes += payload_len;
    } else {
        off = Append(tmq_node::Bytes{payload, payload_len});
    }
    ints.insert(ints.end(), {id, kMessage, 0, off, static_cast<int32_t>(payload_len), flags});
    topics.push_back(static_cast<uint32_t>(topic_bytes.size()));
    topics.push_back(topic_len);
    topic_bytes.append(reinterpret_cast<const char *>(topic), topic_len);
}

void Batch::AddCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count, struct Bytes props)
{
    Append(props);
    int32_t off = Append(tmq_node::Bytes{codes, count});
    ints.insert(ints.end(), {id, kind, token, off, static_cast<int32_t>(count), static_cast<int32_t>(props.len)});
}

void Batch::Clear()
{
    ints.clear();
    data.clear();
    topic_bytes.clear();
    topics.clear();
    large.clear();
    large_bytes = 0;
}

int32_t Batch::Append(struct Bytes bytes)
{
    int32_t off = static_cast<int32_t>(data.size());
    data.append(reinterpret_cast<const char *>(bytes.p), bytes.len);
    return off;
}

PushResult EventQueue::Push(int32_t id, int32_t kind, int32_t a, int32_t b, int32_t c, int32_t d)
{
    return PushWith([&](Batch &t) { t.Add(id, kind, a, b, c, d); });
}

PushResult EventQueue::PushProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props)
{
    return PushWith([&](Batch &t) { t.AddProps(id, kind, a, b, props); });
}

PushResult EventQueue::PushMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                                   uint32_t payload_len, int32_t flags, Bytes props,
                                   LargeBuffer *packet)
{
    return PushWith([&](Batch &t) { t.AddMessage(id, topic, topic_len, payload, payload_len, flags, props, packet); });
}

PushResult EventQueue::PushCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count,
                                 Bytes props)
{
    return PushWith([&](Batch &t) { t.AddCodes(id, kind, token, codes, count, props); });
}

void EventQueue::WaitForRoom()
{
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_ || (events_ < kMaxEvents && bytes_ < kMaxBytes))
        return;
    waiting_ = true;
    room_.wait(lock, [this] { return stopped_ || (events_ < kMaxEvents / 2 && bytes_ < kMaxBytes / 2); });
    waiting_ = false;
}

std::unique_ptr<Batch> EventQueue::Pop(bool *more)
{
    std::unique_ptr<Batch> b;
    bool wake = false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!batches_.empty()) {
            b = std::move(batches_.front());
            batches_.pop_front();
            events_ -= b->Count();
            bytes_ -= b->Bytes();
        }
        *more = !batches_.empty();
        wake = waiting_ && events_ < kMaxEvents / 2 && bytes_ < kMaxBytes / 2;
    }
    if (wake)
        room_.notify_all();
    return b;
}

bool EventQueue::WaitForEvents(uint32_t timeout_ms)
{
    std::unique_lock<std::mutex> lock(mu_);
    blocked_ = true;
    ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return stopped_ || !batches_.empty(); });
    blocked_ = false;
    return !batches_.empty();
}

void EventQueue::Stop()
{
    std::deque<std::unique_ptr<Batch>> dropped;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopped_ = true;
        dropped.swap(batches_);
        events_ = bytes_ = 0;
    }
    room_.notify_all();
    ready_.notify_all();
}

} // namespace tmq_node
