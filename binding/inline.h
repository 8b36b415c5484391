// The inline driver (driver.h): one environment's engine clients driven on
// the JS thread by libuv, with no thread of their own. The engine still owns
// each socket, its framing, TLS and timers; libuv only says when to call
// tmq_client_poll: a uv_poll_t on the client's fd (readable always, writable
// while the engine has something to write) and a uv_timer_t for its next
// deadline (keepalive, connect timeout, reconnect delay).
//
// - Operations run at once on the calling JS thread (no job crossing a
//   thread). What they queue is written in the next turn of the event loop:
//   the first one arms a 0 ms timer that polls every client with work, so
//   the publishes of one turn leave in one write; and every kFlushEvery
//   operations of one client within a turn are written at once, so a loop
//   publishing thousands in one turn does not hold them all back.
// - The events of one poll (everything one read brought) reach JS as one
//   batch, right after it, through the environment's batch handler. Events
//   made by a JS call (a refused publish, a close) wait for that timer: none
//   is delivered inside the call that caused it.
// - What the handlers (and their microtasks) submitted is written right
//   after them, in the same callback, so a reply's round trip starts there.
// - A busy incoming stream is read in batches, and a client whose replies
//   come back fast waits for them awake: the engine's driver policies
//   (tinymqtt/drive.h) decide, the driver applies a socket's low-water mark,
//   its timer and a libuv idle handle.
// - Keepalive and acknowledgements need the JS thread to turn: a busy JS
//   thread delays them (the loop thread driver does not).
// - unref() unrefs the client's handles; a closed client has none.
// - The environment's async cleanup hook closes every client and waits for
//   libuv to release their handles (worker threads).
#ifndef TMQ_NODE_INLINE_H
#define TMQ_NODE_INLINE_H

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "deliver.h"
#include "driver.h"
#include "events.h"

extern "C" {
#include "tinymqtt/drive.h"
}

namespace tmq_node {

class ClientWrap;

class Inline : public Driver {
public:
    static constexpr uint32_t kFlushEvery = 128;

    Inline() = default;
    ~Inline() override;
    Inline(const Inline &) = delete;
    Inline &operator=(const Inline &) = delete;

    // createClient's second half for this driver: the NativeClient for core,
    // whose events go to handler (the environment's batch handler).
    Napi::Object NewClient(Napi::Env env, std::unique_ptr<Core> core, const Napi::FunctionReference &handler);

    // waitInlineEvents: blocks this thread until one of this driver's
    // clients has events or timeout_ms pass, driving the clients meanwhile
    // (poll(2) on their sockets, their timers), then hands the events to the
    // handler by a plain call. Returns the events delivered. Throws (code
    // TMQ_ERR_STATE) when called from inside the handler.
    size_t WaitEvents(Napi::Env env, uint32_t timeout_ms);

    void Post(JobPtr job) override;
    bool IsShutDown() const override { return shut_down_; }
    void SetRef(int32_t id, bool ref) override;
    bool Stats(int32_t id, ReadStats *out) override;
    int Attach(Core *core) override;
    void Detach(Core *core) override;
    void Kick(Core *core) override;
    void Emit(int32_t id, int32_t kind, int32_t a = 0, int32_t b = 0, int32_t c = 0, int32_t d = 0) override;
    void EmitProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props) override;
    void EmitMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                     uint32_t payload_len, int32_t flags, Bytes props, LargeBuffer *packet) override;
    void EmitCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count,
                   Bytes props) override;
    void WantFollowUp(Core *core) override;

private:
    // One client: its core and the libuv handles that drive it.
    struct Entry {
        Inline *owner;
        std::unique_ptr<Core> core;
        ClientWrap *wrap = nullptr;
        uv_poll_t *poll = nullptr;   // on fd; a new one for every new connection
        int fd = -1;
        int events = 0;              // what poll watches
        uv_timer_t *timer = nullptr;
        bool refd = true;
        bool kicked = false;
        uint32_t unflushed = 0;      // operations submitted since its last poll
        bool renew = false;          // the connection changed state: poll afresh
        bool submitted = false;      // an operation was submitted since its last poll
        tmq_coalesce coalescing{};   // whether to batch its reads (options.coalesceReads)
        tmq_spin spin{};             // whether to wait for replies awake (options.spinForReplies)
        uint64_t spin_until = 0;     // uv_hrtime() the wait ends at; 0: not waiting
        ReadStats stats;             // NativeClient.readStats
    };

    // Sets up the uv loop, the flush timer, the async context and the
    // cleanup hook on first use.
    void Start(Napi::Env env);
    // The client's socket is ready, or its timer is due.
    static void OnPoll(uv_poll_t *h, int status, int events);
    static void OnTimer(uv_timer_t *h);
    static void Ready(Entry *e, bool by_timer);
    static void OnFlush(uv_timer_t *h);
    // The idle handle, while a client waits for a reply: ends the waits
    // whose budget has passed.
    static void OnSpin(uv_idle_t *h);
    // After the client wrote what the application submitted.
    void MaybeSpin(Entry *e);
    void StopSpin(Entry *e);
    static void CleanupHook(napi_async_cleanup_hook_handle handle, void *arg);
    // Polls the client (by_timer: because its timer was due; to_write:
    // because the application submitted work, so its socket is not read,
    // libuv's poll handle tells when it has something), then sets its
    // handles from what the engine wants.
    void Poll(Entry *e, bool by_timer = false, bool to_write = false);
    void Watch(Entry *e);
    void StopWatching(Entry *e);
    // Polls the clients whose work was kicked.
    void RunKicked();
    // Work that follows every turn: follow-ups, BATCH syncs, the events to JS
    // (sync: a plain call, from waitInlineEvents). Returns the events.
    size_t Finish(bool sync = false);
    // The clients that asked for FollowUp, then the BATCH store syncs.
    void RunFollowUps();
    size_t Deliver(bool sync);
    // Arms the flush timer (0 ms) unless armed.
    void ScheduleFlush();
    void Close(uv_handle_t *h);
    void Shutdown();
    Entry *Find(int32_t id);
    void Closed(int32_t id);

    napi_env env_ = nullptr;
    uv_loop_t *uv_ = nullptr;
    uv_timer_t *flush_ = nullptr;
    uv_idle_t *idle_ = nullptr;
    std::vector<int32_t> spinning_;   // the clients waiting for a reply awake
    bool flush_armed_ = false;
    bool running_ = false;   // inside a libuv callback, before its delivery
    bool delivering_ = false;   // the handler is running
    bool shut_down_ = false;
    napi_async_context async_ = nullptr;
    napi_async_cleanup_hook_handle hook_ = nullptr;
    size_t closing_ = 0;     // handles whose close callback has not run
    const Napi::FunctionReference *handler_ = nullptr;
    std::unordered_map<int32_t, std::unique_ptr<Entry>> entries_;
    std::vector<int32_t> kicked_, follow_up_;
    std::vector<int32_t> kicked_running_;   // RunKicked's, kept for its capacity
    Batch pending_, spare_;
    BatchCache batch_cache_;   // what a small batch to JS reuses (deliver.h)
};

} // namespace tmq_node

#endif
