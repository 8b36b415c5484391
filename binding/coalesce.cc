// Read coalescing: when to batch a client's reads (coalesce.h).
#include "coalesce.h"

#include <algorithm>

namespace tmq_node {

void ReadCoalescing::AfterPoll(uint64_t now_us, uint32_t bytes, bool by_timer, bool submitted, uint32_t inflight)
{
    bool waits_for_reply = submitted && inflight < kStreamWindow;
    if (on_) {
        if (waits_for_reply) {
            TurnOff(false);   // a round trip: its reply must not wait
        } else if (by_timer && bytes < mark_ && bytes / 2 < kMinMark) {
            TurnOff(!worked_);   // the stream slowed down or stopped
        } else if (by_timer && bytes < mark_) {
            mark_ = bytes / 2;   // the sender stopped short of the mark (its window, or a slower stream)
        } else if (bytes >= mark_) {
            worked_ = true;
            needed_ = kStartStreak;
            if (bytes >= 2 * mark_)
                mark_ = std::min(2 * mark_, kMaxMark);
        }
        if (bytes)
            last_read_us_ = now_us;
        return;
    }
    if (bytes == 0)
        return;   // woke for something else: no evidence either way
    bool busy = read_before_ && !waits_for_reply && now_us - last_read_us_ < kBusyGapUs;
    read_before_ = true;
    last_read_us_ = now_us;
    streak_ = busy ? streak_ + 1 : 0;
    if (streak_ < needed_)
        return;
    on_ = true;
    worked_ = false;
    streak_ = 0;
    mark_ = std::clamp(bytes * 4, kStartMark, kMaxMark);
}

void ReadCoalescing::TurnOff(bool failed)
{
    on_ = false;
    streak_ = 0;
    if (failed)
        needed_ = std::min(2 * needed_, kLongestStreak);
}

} // namespace tmq_node
