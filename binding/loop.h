// One Node environment's engine loop: a tmq_loop on its own thread shared by
// every client of the environment, the jobs JS hands it, and the way events
// come back (an EventQueue drained into JS batches through one thread-safe
// function). Owned by the Addon instance (instance data), never static, so
// each worker thread has its own.
//
// Threads:
//   JS thread    creates clients, posts jobs (Post never blocks), drains
//                events (CallJs, OnImmediate), keeps the ref count.
//   loop thread  runs tmq_loop_run: the jobs, every tmq_client_* call and
//                every engine callback (which push events).
// Shutdown (the environment's cleanup hook) stops and joins the loop thread,
// then closes what is left on the JS thread.
#ifndef TMQ_NODE_LOOP_H
#define TMQ_NODE_LOOP_H

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "deliver.h"
#include "driver.h"
#include "events.h"

extern "C" {
#include "tinymqtt/file_store.h"
#include "tinymqtt/posix.h"
}

namespace tmq_node {

class ClientWrap;
class Core;

class Loop : public Driver {
public:
    explicit Loop(Napi::Env env);
    ~Loop();
    Loop(const Loop &) = delete;
    Loop &operator=(const Loop &) = delete;

    // ---- JS thread ----

    // setBatchHandler: (re)places the handler. The first call creates the
    // thread-safe function (unref'd) and registers the cleanup hook.
    void SetHandler(Napi::Env env, Napi::Function handler);
    bool HasHandler() const { return !handler_.IsEmpty(); }
    const Napi::FunctionReference &Handler() const { return handler_; }
    // Starts the loop thread unless it runs. Throws a Napi::Error on failure.
    void Start(Napi::Env env);
    int32_t NextId() { return ++last_id_; }
    // createClient's second half: the NativeClient object for core (the
    // loop takes the core over), referenced (keeps the process alive) until
    // unref() or its Closed event, and held strongly until Closed.
    Napi::Object NewClient(std::unique_ptr<Core> core);
    void SetRef(int32_t id, bool ref) override;
    bool IsShutDown() const override { return shut_down_; }
    // waitEvents: blocks this (JS) thread until an event is queued or
    // timeout_ms pass, never the loop thread; then hands one batch to the
    // handler synchronously, on this thread. Returns the events delivered.
    // Throws (code TMQ_ERR_STATE) when called from inside the handler.
    size_t WaitEvents(Napi::Env env, uint32_t timeout_ms);

    // ---- any thread ----

    // Hands a job to the loop thread (takes ownership). Never blocks on the
    // network: appends under a mutex, wakes the loop on the first job.
    void Post(JobPtr job) override;

    // ---- loop thread (and Shutdown, when events are no longer accepted) ----

    // tmq_loop_add, tmq_loop_remove, tmq_loop_kick of the core's client.
    int Attach(Core *core) override;
    void Detach(Core *core) override;
    void Kick(Core *core) override;
    void Emit(int32_t id, int32_t kind, int32_t a = 0, int32_t b = 0, int32_t c = 0, int32_t d = 0) override;
    void EmitProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props) override;
    void EmitMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                     uint32_t payload_len, int32_t flags, Bytes props, LargeBuffer *packet) override;
    void EmitCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count,
                   Bytes props) override;
    // Operations wait in the binding while the engine's message ring is
    // full; a completed message may have made room: retried after the round
    // (Core::FollowUp, which also gives idle buffers back).
    void WantFollowUp(Core *core) override;

private:
    static void CallJs(napi_env env, napi_value js_cb, void *context, void *data);
    static Napi::Value OnImmediate(const Napi::CallbackInfo &info);
    static void CleanupHook(void *arg);
    static void RunJobs(void *arg);
    static void RunFollowUps(void *arg);

    void Delivered(PushResult r);
    // Wakes JS (the thread-safe function) if an event arrived in an empty
    // queue since the last signal.
    void SignalIfPending();
    void Drain(Napi::Env env);
    // Hands the oldest batch to the handler (sync: a plain call from JS, else
    // a callback from the event loop). Returns its number of events.
    size_t DeliverOne(Napi::Env env, bool sync);
    void ScheduleImmediate();
    void OnClosed(int32_t id);
    void UpdateRef();
    void Run(JobPtr job);
    void Shutdown();

    napi_env env_;

    // JS thread
    Napi::FunctionReference handler_;
    Napi::FunctionReference set_immediate_;
    Napi::FunctionReference drain_fn_;
    BatchCache batch_cache_;   // what a small batch to JS reuses (deliver.h)
    napi_async_context async_ = nullptr;
    napi_threadsafe_function tsfn_ = nullptr;
    bool tsfn_refd_ = false;
    bool hook_ = false;
    bool immediate_pending_ = false;
    bool delivering_ = false;   // the handler is running
    bool shut_down_ = false;
    int32_t last_id_ = 0;
    struct Tracked {
        ClientWrap *wrap;
        bool refd;
    };
    std::unordered_map<int32_t, Tracked> clients_;
    size_t refs_ = 0;   // tracked clients that are referenced

    // shared
    EventQueue queue_;
    std::mutex jobs_mu_;
    std::deque<JobPtr> jobs_;
    bool jobs_posted_ = false;   // a RunJobs is posted and has not taken the jobs yet
    std::atomic<bool> stopping_{false};
    std::atomic<bool> signal_pending_{false};

    // loop thread
    tmq_loop *loop_ = nullptr;
    std::thread thread_;
    std::thread::id thread_id_;
    std::unordered_map<int32_t, Core *> cores_;
    std::vector<int32_t> follow_up_ids_;
    bool follow_up_posted_ = false;
};

} // namespace tmq_node

#endif
