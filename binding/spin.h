// Waiting for a reply without sleeping, for the inline driver: after a
// client writes what the application submitted, and while its recent
// replies came back within kBudgetUs, the JS thread's loop does not sleep
// (the driver keeps a libuv idle handle active, so libuv polls its sockets
// without blocking) until data arrives or kBudgetUs pass.
//
// Why: on the project's machines a sleep and wake-up in epoll_wait adds
// 15-20 µs to a round trip through the broker of about 60 µs
// (bench/README.md, "Where the time went"). What it costs is CPU while
// waiting, so only while replies come that fast.
//
// One wait that ends without data stops the waiting: when every core is
// busy the woken broker is often queued behind the waiting thread and runs
// only once the wait gives up, so its reply comes a full round trip after
// kBudgetUs (measured: a bump at 140-160 µs holding up to 6% of the round
// trips under load, none without the wait; bench/README.md, "Latency").
// A wait that ends without data is thus the sign that waiting costs the
// broker its CPU. After one, the client waits again only when a probe, once
// in kProbeEvery writes, finds its reply within kBudgetUs.
// Pure logic: the driver runs the idle handle.
#ifndef TMQ_NODE_SPIN_H
#define TMQ_NODE_SPIN_H

#include <cstdint>

namespace tmq_node {

class ReplySpin {
public:
    static constexpr uint64_t kBudgetUs = 100;
    static constexpr uint32_t kProbeEvery = 1024;

    // After the client wrote what the application submitted: whether to
    // wait for the reply without sleeping.
    bool AfterWrite()
    {
        return waiting_ || ++writes_since_miss_ % kProbeEvery == 0;
    }
    // Data arrived while waiting.
    void Hit()
    {
        waiting_ = true;
    }
    // kBudgetUs passed without data.
    void Miss()
    {
        waiting_ = false;
        writes_since_miss_ = 0;
    }

private:
    bool waiting_ = true;
    uint32_t writes_since_miss_ = 0;
};

} // namespace tmq_node

#endif
