// Waiting for a reply without sleeping, for the inline driver: after a
// client writes what the application submitted, and while its recent
// replies came back within kBudgetUs, the JS thread's loop does not sleep
// (the driver keeps a libuv idle handle active, so libuv polls its sockets
// without blocking) until data arrives or kBudgetUs pass.
//
// Why: on the project's machines a sleep and wake-up in epoll_wait adds
// 15-20 µs to a round trip through the broker of about 60 µs
// (bench/README.md, "Where the time went"). What it costs is CPU while
// waiting, so only while replies come that fast: a wait that ends without
// data lowers the client's score, and at zero the client only tries again
// once in kProbeEvery writes. Pure logic: the driver runs the idle handle.
#ifndef TMQ_NODE_SPIN_H
#define TMQ_NODE_SPIN_H

#include <cstdint>

namespace tmq_node {

class ReplySpin {
public:
    static constexpr uint64_t kBudgetUs = 100;
    static constexpr int kStartScore = 4, kMaxScore = 16, kHit = 2, kMiss = 4;
    static constexpr uint32_t kProbeEvery = 128;

    // After the client wrote what the application submitted: whether to
    // wait for the reply without sleeping.
    bool AfterWrite()
    {
        return score_ > 0 || ++writes_since_miss_ % kProbeEvery == 0;
    }
    // Data arrived while waiting.
    void Hit()
    {
        score_ = score_ + kHit > kMaxScore ? kMaxScore : score_ + kHit;
    }
    // kBudgetUs passed without data.
    void Miss()
    {
        score_ = score_ - kMiss < 0 ? 0 : score_ - kMiss;
        writes_since_miss_ = 0;
    }

private:
    int score_ = kStartScore;
    uint32_t writes_since_miss_ = 0;
};

} // namespace tmq_node

#endif
