// An environment's engine loop thread and its way back to JS (loop.h).
#include "loop.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string_view>
#include <system_error>

#include "client.h"
#include "deliver.h"

namespace tmq_node {

Loop::Loop(Napi::Env env) : env_(env) {}

Loop::~Loop()
{
    // The cleanup hook has run by now whenever it was registered (hooks run
    // before instance data is freed); this is the safety net.
    if (hook_ && !shut_down_)
        napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    Shutdown();
}

// ---- JS thread: set-up ------------------------------------------------------

void Loop::SetHandler(Napi::Env env, Napi::Function handler)
{
    if (shut_down_)
        throw Napi::Error::New(env, "setBatchHandler: the environment is shutting down");
    if (!tsfn_) {
        Napi::Value immediate = env.Global().Get("setImmediate");
        if (!immediate.IsFunction())
            throw Napi::Error::New(env, "setBatchHandler: no global setImmediate");
        Napi::String name = Napi::String::New(env, "tinymqtt:events");
        napi_async_context async = nullptr;
        if (napi_async_init(env, nullptr, name, &async) != napi_ok)
            throw Napi::Error::New(env);
        napi_threadsafe_function tsfn = nullptr;
        if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, CallJs,
                                            &tsfn) != napi_ok) {
            napi_async_destroy(env, async);
            throw Napi::Error::New(env, "setBatchHandler: cannot create the thread-safe function");
        }
        // no client yet: nothing to keep the process alive for
        napi_unref_threadsafe_function(env, tsfn);
        set_immediate_ = Napi::Persistent(immediate.As<Napi::Function>());
        drain_fn_ = Napi::Persistent(Napi::Function::New(env, OnImmediate, "tinymqttDrain", this));
        async_ = async;
        tsfn_ = tsfn;
        // registered after the thread-safe function, so it runs before the
        // function's own cleanup (hooks run in reverse order): the loop thread
        // is joined while the function still exists
        if (napi_add_env_cleanup_hook(env, CleanupHook, this) != napi_ok)
            throw Napi::Error::New(env, "setBatchHandler: cannot add the cleanup hook");
        hook_ = true;
    }
    handler_ = Napi::Persistent(handler);
}

void Loop::Start(Napi::Env env)
{
    if (loop_)
        return;
    if (shut_down_)
        throw Napi::Error::New(env, "createClient: the environment is shutting down");
    loop_ = tmq_loop_new();
    if (!loop_)
        throw Napi::Error::New(env, "createClient: cannot create the event loop");
    try {
        thread_ = std::thread([this] {
            thread_id_ = std::this_thread::get_id();
            // round by round, so that JS is signalled once per round with
            // everything the round produced (tmq_loop_stop wakes the poll)
            while (!stopping_.load()) {
                int rc = tmq_loop_run_once(loop_, -1);
                SyncStores();
                SignalIfPending();
                if (rc != TMQ_OK)   // a poll failure: retried
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        });
    } catch (const std::system_error &) {
        tmq_loop_free(loop_);
        loop_ = nullptr;
        throw Napi::Error::New(env, "createClient: cannot start the event loop thread");
    }
}

// ---- JS thread: reference counting ------------------------------------------

Napi::Object Loop::NewClient(std::unique_ptr<Core> core)
{
    ClientWrap *wrap = nullptr;
    Napi::Object obj = Wrap(core.get(), &wrap);   // until its Closed event
    int32_t id = core->Id();
    clients_[id] = Tracked{wrap, true};
    refs_++;
    UpdateRef();
    Post(NewJob(Job::kAdd, core.release()));
    return obj;
}

void Loop::SetRef(int32_t id, bool ref)
{
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second.refd == ref)
        return;
    it->second.refd = ref;
    if (ref)
        refs_++;
    else
        refs_--;
    UpdateRef();
}

void Loop::OnClosed(int32_t id)
{
    auto it = clients_.find(id);
    if (it == clients_.end())
        return;
    if (it->second.refd)
        refs_--;
    it->second.wrap->Unref();
    clients_.erase(it);
}

// The thread-safe function keeps the process alive exactly while a
// referenced client is open (from createClient to its Closed event).
void Loop::UpdateRef()
{
    bool want = refs_ > 0;
    if (!tsfn_ || want == tsfn_refd_)
        return;
    if (want)
        napi_ref_threadsafe_function(env_, tsfn_);
    else
        napi_unref_threadsafe_function(env_, tsfn_);
    tsfn_refd_ = want;
}

// ---- jobs -------------------------------------------------------------------

void Loop::Post(JobPtr job)
{
    bool post;
    {
        std::lock_guard<std::mutex> lock(jobs_mu_);
        jobs_.push_back(std::move(job));
        post = !jobs_posted_;
        jobs_posted_ = true;
    }
    // One RunJobs at a time takes every job queued: the engine's posted-work
    // queue (4096 entries) never fills, however fast JS submits.
    if (post && tmq_loop_post(loop_, RunJobs, this) != TMQ_OK) {
        std::lock_guard<std::mutex> lock(jobs_mu_);
        jobs_posted_ = false;   // the next Post tries again
    }
}

void Loop::RunJobs(void *arg)
{
    Loop *self = static_cast<Loop *>(arg);
    std::deque<JobPtr> jobs;
    {
        std::lock_guard<std::mutex> lock(self->jobs_mu_);
        jobs.swap(self->jobs_);
        self->jobs_posted_ = false;
    }
    for (JobPtr &job : jobs)
        self->Run(std::move(job));
}

void Loop::Run(JobPtr job)
{
    Core *core = job->core;
    switch (job->kind) {
    case Job::kAdd: {
        cores_[core->Id()] = core;
        int rc = core->Add();
        if (rc != TMQ_OK) {
            // kept (closed) until its kClose job, which emits Closed
            Emit(core->Id(), kError, rc, 0);
            core->Close();
        }
        break;
    }
    case Job::kClose: {
        int32_t id = core->Id();
        core->Close();
        cores_.erase(id);
        delete core;
        Emit(id, kClosed);
        break;
    }
    default:
        core->Handle(std::move(job));
    }
}

int Loop::Attach(Core *core)
{
    int rc = tmq_loop_add(loop_, core->Engine(), core->Io());
    if (rc == TMQ_OK && core->CoalescesReads())
        rc = tmq_loop_coalesce(loop_, core->Engine(), core->Socket());
    return rc;
}

void Loop::Detach(Core *core)
{
    tmq_loop_remove(loop_, core->Engine());
}

void Loop::Kick(Core *core)
{
    tmq_loop_kick(loop_, core->Io());
}

void Loop::WantFollowUp(Core *core)
{
    if (core->follow_up_pending)
        return;
    core->follow_up_pending = true;
    follow_up_ids_.push_back(core->Id());
    // after the current engine callback and round: a SUBACK's slot, for
    // one, is freed only after its callback returns
    if (!follow_up_posted_ && tmq_loop_post(loop_, RunFollowUps, this) == TMQ_OK)
        follow_up_posted_ = true;
}

void Loop::RunFollowUps(void *arg)
{
    Loop *self = static_cast<Loop *>(arg);
    self->follow_up_posted_ = false;
    std::vector<int32_t> ids;
    ids.swap(self->follow_up_ids_);
    for (int32_t id : ids) {
        auto it = self->cores_.find(id);
        if (it == self->cores_.end())
            continue;   // closed meanwhile
        it->second->follow_up_pending = false;
        it->second->FollowUp();
    }
}

// ---- events: loop thread -> JS ------------------------------------------------

void Loop::Delivered(PushResult r)
{
    // Signal only on the empty-to-non-empty transition (the drain that
    // follows continues by itself, through setImmediate, until the queue is
    // empty), and on the loop thread only at the end of its round, so one
    // wake-up carries all the round's events.
    bool loop_thread = std::this_thread::get_id() == thread_id_;
    if (r.first)
        signal_pending_ = true;
    if (!loop_thread || r.full)
        SignalIfPending();
    // Over the bound: the loop thread stops here, reading no socket, until
    // JS has drained half. Never on the JS thread (it is the one draining).
    if (r.full && loop_thread)
        queue_.WaitForRoom();
}

void Loop::SignalIfPending()
{
    if (signal_pending_.exchange(false) && tsfn_)
        napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
}

void Loop::Emit(int32_t id, int32_t kind, int32_t a, int32_t b, int32_t c, int32_t d)
{
    Delivered(queue_.Push(id, kind, a, b, c, d));
}

void Loop::EmitProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props)
{
    Delivered(queue_.PushProps(id, kind, a, b, props));
}

void Loop::EmitMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                       uint32_t payload_len, int32_t flags, Bytes props,
                       LargeBuffer *packet)
{
    Delivered(queue_.PushMessage(id, topic, topic_len, payload, payload_len, flags, props, packet));
}

void Loop::EmitCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count, Bytes props)
{
    Delivered(queue_.PushCodes(id, kind, token, codes, count, props));
}

// The thread-safe function only wakes JS: the drain itself always runs from
// setImmediate, one batch per event-loop turn. Draining here would let Node
// call this again at once when the loop thread refills the queue during the
// handler (Node's dispatcher loops while calls arrive mid-callback), and a
// slow handler would then starve timers and I/O.
void Loop::CallJs(napi_env env, napi_value, void *context, void *)
{
    if (!env)
        return;   // the function is being torn down
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    try {
        static_cast<Loop *>(context)->ScheduleImmediate();
    } catch (const Napi::Error &err) {
        if (!err.IsEmpty())   // empty: the environment is terminating
            napi_fatal_exception(env, err.Value());
    }
}

Napi::Value Loop::OnImmediate(const Napi::CallbackInfo &info)
{
    Loop *self = static_cast<Loop *>(info.Data());
    self->immediate_pending_ = false;
    self->Drain(info.Env());   // a handler's exception goes on as an uncaught exception
    return info.Env().Undefined();
}

void Loop::ScheduleImmediate()
{
    if (immediate_pending_ || shut_down_)
        return;
    set_immediate_.Call({drain_fn_.Value()});
    immediate_pending_ = true;
}

// One turn: at most one batch (about EventQueue::kBatchEvents events) to the
// handler; what remains waits for the next turn (setImmediate), so timers
// and I/O run in between however fast events arrive. When this drain leaves
// the queue empty, the loop thread's next event signals again.
void Loop::Drain(Napi::Env env)
{
    DeliverOne(env, false);
}

size_t Loop::WaitEvents(Napi::Env env, uint32_t timeout_ms)
{
    if (delivering_) {
        Napi::Error e = Napi::Error::New(env, "waitEvents: cannot block inside an event handler");
        e.Set("code", Napi::String::New(env, "TMQ_ERR_STATE"));
        throw e;
    }
    if (!loop_ || shut_down_ || handler_.IsEmpty() || !queue_.WaitForEvents(timeout_ms))
        return 0;
    return DeliverOne(env, true);
}

size_t Loop::DeliverOne(Napi::Env env, bool sync)
{
    if (shut_down_ || handler_.IsEmpty())
        return 0;
    bool more = false;
    std::unique_ptr<Batch> b = queue_.Pop(&more);
    if (more)
        ScheduleImmediate();   // first: a throwing handler must not stall the queue
    if (!b)
        return 0;

    JsBatch js(env, *b, &batch_cache_);
    b.reset();
    for (int32_t id : js.Closed())
        OnClosed(id);
    UpdateRef();

    // sync: called from JS (waitEvents), so a plain call; else a callback
    // from the event loop, with its async context
    js.Call(handler_, async_, sync, &delivering_);
    return js.Count();
}

// ---- shutdown -------------------------------------------------------------------

void Loop::CleanupHook(void *arg)
{
    static_cast<Loop *>(arg)->Shutdown();
}

// The environment is going away (process exit, worker terminated): stop and
// join the loop thread, then close every client here. No event reaches JS any
// more.
void Loop::Shutdown()
{
    if (shut_down_)
        return;
    shut_down_ = true;
    queue_.Stop();   // drops events, wakes a loop thread waiting for room
    if (loop_) {
        stopping_ = true;
        tmq_loop_stop(loop_);
        thread_.join();
        std::deque<JobPtr> jobs;
        {
            std::lock_guard<std::mutex> lock(jobs_mu_);
            jobs.swap(jobs_);
        }
        std::vector<Core *> unadded;   // never reached the loop
        for (JobPtr &job : jobs) {
            if (job->kind == Job::kAdd)
                unadded.push_back(job->core);
        }
        jobs.clear();   // first: a job gives back what it counts to its core
        for (Core *core : unadded)
            delete core;
        for (auto &kv : cores_)
            delete kv.second;   // closes: abandons its operations, frees its copies
        cores_.clear();
        tmq_loop_free(loop_);
        loop_ = nullptr;
    }
    if (tsfn_) {
        napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
        tsfn_ = nullptr;
    }
    if (async_) {
        napi_async_destroy(env_, async_);
        async_ = nullptr;
    }
    clients_.clear();
    handler_.Reset();
    batch_cache_.Reset();
    set_immediate_.Reset();
    drain_fn_.Reset();
}

} // namespace tmq_node
