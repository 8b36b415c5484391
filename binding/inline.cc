// The inline driver: engine clients on the JS thread's libuv loop (inline.h).
#include "inline.h"

#include <poll.h>
#include <sched.h>

#include <algorithm>
#include <optional>

#include "client.h"
#include "deliver.h"

extern "C" {
#include "tinymqtt/error.h"
}

namespace tmq_node {

Inline::~Inline()
{
    // the cleanup hook has run whenever a client was made
    Shutdown();
}

void Inline::Start(Napi::Env env)
{
    if (uv_)
        return;
    if (napi_get_uv_event_loop(env, &uv_) != napi_ok)
        throw Napi::Error::New(env, "createClient: no libuv loop in this environment");
    Napi::String name = Napi::String::New(env, "tinymqtt:inline");
    if (napi_async_init(env, nullptr, name, &async_) != napi_ok)
        throw Napi::Error::New(env);
    if (napi_add_async_cleanup_hook(env, CleanupHook, this, &hook_) != napi_ok)
        throw Napi::Error::New(env, "createClient: cannot add the cleanup hook");
    env_ = env;
    flush_ = new uv_timer_t;
    uv_timer_init(uv_, flush_);
    flush_->data = this;
    idle_ = new uv_idle_t;
    uv_idle_init(uv_, idle_);
    uv_unref(reinterpret_cast<uv_handle_t *>(idle_));   // a wait never keeps the process alive
    idle_->data = this;
}

Napi::Object Inline::NewClient(Napi::Env env, std::unique_ptr<Core> core, const Napi::FunctionReference &handler)
{
    if (shut_down_)
        throw Napi::Error::New(env, "createClient: the environment is shutting down");
    Start(env);
    handler_ = &handler;
    int32_t id = core->Id();
    auto entry = std::make_unique<Entry>();
    Entry *e = entry.get();
    e->owner = this;
    Napi::Object obj = Wrap(core.get(), &e->wrap);   // until it is closed
    e->core = std::move(core);
    entries_[id] = std::move(entry);
    int rc = e->core->Add();
    if (rc != TMQ_OK) {
        // kept (closed) until close(), as with the loop thread
        Emit(id, kError, rc, 0);
        e->core->Close();
    }
    return obj;
}

Inline::Entry *Inline::Find(int32_t id)
{
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second.get();
}

// ---- JS thread: the NativeClient's methods --------------------------------------

void Inline::Post(JobPtr job)
{
    Core *core = job->core;
    if (job->kind != Job::kClose) {
        core->Handle(std::move(job));
        return;
    }
    int32_t id = core->Id();
    Entry *e = Find(id);
    core->Close();   // Detach: the handles go
    e->wrap->Unref();
    entries_.erase(id);
    Emit(id, kClosed);
}

void Inline::SetRef(int32_t id, bool ref)
{
    Entry *e = Find(id);
    if (!e || e->refd == ref)
        return;
    e->refd = ref;
    for (uv_handle_t *h : {reinterpret_cast<uv_handle_t *>(e->poll), reinterpret_cast<uv_handle_t *>(e->timer)}) {
        if (h && ref)
            uv_ref(h);
        else if (h)
            uv_unref(h);
    }
}

bool Inline::Stats(int32_t id, ReadStats *out)
{
    Entry *e = Find(id);
    if (e)
        *out = e->stats;
    return e != nullptr;
}

// ---- the engine's side ----------------------------------------------------------

int Inline::Attach(Core *core)
{
    Entry *e = Find(core->Id());
    e->timer = new uv_timer_t;
    uv_timer_init(uv_, e->timer);
    e->timer->data = e;
    // polled once whatever its state, as tmq_loop_add does
    Kick(core);
    return TMQ_OK;
}

void Inline::Detach(Core *core)
{
    Entry *e = Find(core->Id());
    if (!e)
        return;
    StopWatching(e);
    if (e->timer) {
        Close(reinterpret_cast<uv_handle_t *>(e->timer));
        e->timer = nullptr;
    }
}

void Inline::Kick(Core *core)
{
    Entry *e = Find(core->Id());
    if (!e)
        return;
    e->submitted = true;
    // outside a libuv callback: a JS call; its events wait for the flush
    if (++e->unflushed >= kFlushEvery && !running_) {
        Poll(e, false, true);
        ScheduleFlush();   // the poll's events
        return;
    }
    if (e->kicked)
        return;
    e->kicked = true;
    kicked_.push_back(core->Id());
    ScheduleFlush();
}

void Inline::WantFollowUp(Core *core)
{
    if (core->follow_up_pending)
        return;
    core->follow_up_pending = true;
    follow_up_.push_back(core->Id());
    ScheduleFlush();
}

void Inline::Emit(int32_t id, int32_t kind, int32_t a, int32_t b, int32_t c, int32_t d)
{
    if (kind == kState) {
        Entry *e = Find(id);
        if (e)
            e->renew = true;   // a reconnect may reuse the fd number for a new socket
    }
    // the QoS 0 publishes of one turn: one Written event, for the last
    if (kind != kWritten || !pending_.Replace(id, kind, a))
        pending_.Add(id, kind, a, b, c, d);
    ScheduleFlush();
}

void Inline::EmitProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props)
{
    pending_.AddProps(id, kind, a, b, props);
    ScheduleFlush();
}

void Inline::EmitMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                         uint32_t payload_len, int32_t flags, Bytes props,
                         LargeBuffer *packet)
{
    pending_.AddMessage(id, topic, topic_len, payload, payload_len, flags, props, packet);
    if (pending_.Bytes() >= EventQueue::kBatchBytes) {
        // enough for one batch: the client's poll reads no more, the rest
        // waits in the socket for the next turn, after JS has had these.
        // Not after a failed write: then the engine reads what the peer
        // sent before it closed until the socket has no more, and ends the
        // connection when a read finds nothing
        Entry *e = Find(id);
        if (e && !e->core->Engine()->tx_err)
            e->core->Socket()->skip_recv = 1;
    }
    ScheduleFlush();
}

void Inline::EmitCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count, Bytes props)
{
    pending_.AddCodes(id, kind, token, codes, count, props);
    ScheduleFlush();
}

// ---- libuv callbacks ------------------------------------------------------------

void Inline::ScheduleFlush()
{
    // inside a libuv callback the delivery at its end takes the events
    if (flush_armed_ || running_ || shut_down_)
        return;
    uv_timer_start(flush_, OnFlush, 0, 0);
    flush_armed_ = true;
}

void Inline::OnPoll(uv_poll_t *h, int, int)
{
    Ready(static_cast<Entry *>(h->data), false);
}

void Inline::OnTimer(uv_timer_t *h)
{
    Ready(static_cast<Entry *>(h->data), true);
}

void Inline::Ready(Entry *e, bool by_timer)
{
    Inline *self = e->owner;
    self->running_ = true;
    self->Poll(e, by_timer);
    self->Finish();
}

void Inline::OnFlush(uv_timer_t *h)
{
    Inline *self = static_cast<Inline *>(h->data);
    self->flush_armed_ = false;
    self->running_ = true;
    self->RunKicked();
    self->Finish();
}

void Inline::RunKicked()
{
    // the two lists trade places, so neither is allocated again on every
    // round trip; what the polls kick lands in kicked_ for the next run
    // (no JS runs in here, so no RunKicked inside this one)
    std::vector<int32_t> &kicked = kicked_running_;
    kicked.swap(kicked_);
    for (int32_t id : kicked) {
        Entry *e = Find(id);
        if (e && e->kicked) {
            Poll(e, false, true);
            MaybeSpin(e);
        }
    }
    kicked.clear();
}

void Inline::MaybeSpin(Entry *e)
{
    if (!e->core->SpinsForReplies() || !e->poll || !tmq_spin_after_write(&e->spin, &e->coalescing))
        return;
    if (!e->spin_until)
        spinning_.push_back(e->core->Id());
    e->spin_until = uv_hrtime() + TMQ_SPIN_BUDGET_US * 1000;
    if (!uv_is_active(reinterpret_cast<uv_handle_t *>(idle_)))
        uv_idle_start(idle_, OnSpin);
}

void Inline::StopSpin(Entry *e)
{
    if (!e->spin_until)
        return;
    e->spin_until = 0;
    spinning_.erase(std::find(spinning_.begin(), spinning_.end(), e->core->Id()));
    if (spinning_.empty())
        uv_idle_stop(idle_);
}

void Inline::OnSpin(uv_idle_t *h)
{
    Inline *self = static_cast<Inline *>(h->data);
    uint64_t now = uv_hrtime();
    // runs on every loop turn while a client waits: no copy of the list;
    // backwards, so StopSpin's erase moves only entries already seen
    for (size_t i = self->spinning_.size(); i-- > 0;) {
        Entry *e = self->Find(self->spinning_[i]);
        if (e && now >= e->spin_until) {
            tmq_spin_miss(&e->spin);
            self->StopSpin(e);
        }
    }
    // still waiting: let whatever else is runnable on this core go first.
    // Our write woke the broker, and the kernel sometimes wakes it onto
    // this core, where it would wait behind this loop until the wait ran
    // out (p99 of a steady ping-pong 140 -> 101 µs; bench/README.md,
    // "Latency")
    if (!self->spinning_.empty())
        sched_yield();
}

size_t Inline::WaitEvents(Napi::Env env, uint32_t timeout_ms)
{
    if (delivering_) {
        Napi::Error e = Napi::Error::New(env, "waitInlineEvents: cannot block inside an event handler");
        e.Set("code", Napi::String::New(env, "TMQ_ERR_STATE"));
        throw e;
    }
    if (!uv_ || shut_down_)
        return 0;
    uint32_t start = tmq_now_ms();
    std::vector<pollfd> fds;
    std::vector<Entry *> polled;
    running_ = true;
    for (;;) {
        RunKicked();
        uint32_t now = tmq_now_ms(), spent = now - start;
        if (pending_.Count() || spent >= timeout_ms)
            break;
        // until the first client timer, the deadline, or a socket is ready
        uint32_t wait = timeout_ms - spent;
        fds.clear();
        polled.clear();
        for (auto &kv : entries_) {
            Entry *e = kv.second.get();
            if (e->poll) {
                short ev = POLLIN | ((e->events & UV_WRITABLE) ? POLLOUT : 0);
                fds.push_back(pollfd{e->fd, ev, 0});
                polled.push_back(e);
            }
            if (e->timer && uv_is_active(reinterpret_cast<uv_handle_t *>(e->timer)))
                wait = std::min(wait, tmq_client_timeout(e->core->Engine(), now));
            if (tmq_coalesce_on(&e->coalescing))
                wait = std::min(wait, TMQ_COALESCE_MAX_DELAY_MS);   // bytes below the mark
        }
        if (!kicked_.empty())
            wait = 0;
        int n = poll(fds.data(), fds.size(), static_cast<int>(std::min<uint32_t>(wait, INT32_MAX)));
        now = tmq_now_ms();
        for (size_t i = 0; i < polled.size(); i++) {
            bool ready = n > 0 && fds[i].revents;
            bool due = tmq_client_timeout(polled[i]->core->Engine(), now) == 0 || tmq_coalesce_on(&polled[i]->coalescing);
            if (ready || due)
                Poll(polled[i], !ready);
        }
        for (auto &kv : entries_) {
            Entry *e = kv.second.get();
            if (!e->poll && e->timer && uv_is_active(reinterpret_cast<uv_handle_t *>(e->timer)) &&
                tmq_client_timeout(e->core->Engine(), now) == 0)
                Poll(e);   // a reconnect delay, with no socket
        }
    }
    return Finish(true);
}

void Inline::Poll(Entry *e, bool by_timer, bool to_write)
{
    e->kicked = false;
    e->unflushed = 0;
    tmq_tcp *socket = e->core->Socket();
    uint32_t received = socket->received, recv_calls = socket->recv_calls;
    // a recv that would find nothing costs a system call: none before a
    // write, none after a read that emptied the socket (libuv's poll and
    // poll(2) report a readable socket while bytes are queued; under a
    // low-water mark the port reads on, see tmq_tcp.short_read_ends)
    socket->skip_recv = to_write && e->poll && !e->renew;
    socket->short_read_ends = 1;
    tmq_client_poll(e->core->Engine(), tmq_now_ms());
    socket->skip_recv = 0;
    socket->short_read_ends = 0;
    uint32_t bytes = socket->received - received;
    e->stats.polls++;
    e->stats.reads += bytes != 0;
    e->stats.recvs += socket->recv_calls - recv_calls;
    e->stats.bytes += bytes;
    if (bytes && e->spin_until) {
        tmq_spin_hit(&e->spin);   // the reply came while waiting awake
        StopSpin(e);
    }
    if (e->core->CoalescesReads())
        tmq_coalesce_after_poll(&e->coalescing, static_cast<uint32_t>(uv_hrtime() / 1000), bytes, by_timer, e->submitted,
                                e->core->Engine()->inflight);
    e->submitted = false;
    Watch(e);
}

// Sets the client's handles from what its engine wants now: its fd watched
// (for writing too while it has something to write), its timer at the next
// deadline, or a kick when it is starting without an fd yet.
void Inline::Watch(Entry *e)
{
    if (!e->timer)
        return;   // detached (closed)
    tmq_posix_io *io = e->core->Io();
    tmq_client *c = e->core->Engine();
    if (e->poll && (io->fd != e->fd || e->renew))
        StopWatching(e);
    e->renew = false;
    if (!e->poll && io->fd >= 0) {
        uv_poll_t *p = new uv_poll_t;
        if (uv_poll_init(uv_, p, io->fd) != 0) {
            delete p;   // not a pollable fd: the engine's recv will tell
        } else {
            p->data = e;
            if (!e->refd)
                uv_unref(reinterpret_cast<uv_handle_t *>(p));
            e->poll = p;
            e->fd = io->fd;
            e->events = 0;
        }
    }
    int want = UV_READABLE | (io->want_write || tmq_client_wants_write(c) ? UV_WRITABLE : 0);
    if (e->poll && want != e->events) {
        uv_poll_start(e->poll, want, OnPoll);
        e->events = want;
    }
    uint32_t mark = tmq_coalesce_mark(&e->coalescing);
    if (e->poll && mark != e->core->Socket()->rcvlowat)
        tmq_tcp_set_rcvlowat(e->core->Socket(), mark);
    tmq_state s = tmq_client_state(c);
    if (io->fd < 0 && s != TMQ_STATE_DISCONNECTED && s != TMQ_STATE_WAITING_RECONNECT)
        Kick(e->core.get());
    uint32_t t = tmq_client_timeout(c, tmq_now_ms());
    if (tmq_coalesce_on(&e->coalescing))
        t = std::min(t, TMQ_COALESCE_MAX_DELAY_MS);   // what waits below the mark
    if (t == UINT32_MAX)
        uv_timer_stop(e->timer);
    else
        uv_timer_start(e->timer, OnTimer, t, 0);
}

void Inline::StopWatching(Entry *e)
{
    StopSpin(e);
    if (!e->poll)
        return;
    uv_poll_stop(e->poll);
    Close(reinterpret_cast<uv_handle_t *>(e->poll));
    e->poll = nullptr;
    e->fd = -1;
    e->events = 0;
    tmq_coalesce_reset(&e->coalescing);   // the next socket starts without a mark
}

size_t Inline::Finish(bool sync)
{
    RunFollowUps();
    running_ = false;
    size_t delivered = Deliver(sync);
    if (!sync && !kicked_.empty()) {
        // what the handlers (and the microtasks after them) submitted is
        // written now, not a loop turn later: a reply's round trip starts
        // here. Its events wait for the flush timer the submissions armed.
        running_ = true;
        RunKicked();
        RunFollowUps();
        running_ = false;
    }
    return delivered;
}

void Inline::RunFollowUps()
{
    std::vector<int32_t> ids;
    ids.swap(follow_up_);
    for (int32_t id : ids) {
        Entry *e = Find(id);
        if (!e)
            continue;   // closed meanwhile
        e->core->follow_up_pending = false;
        e->core->FollowUp();
        Watch(e);   // what it submitted: written when the socket takes it
    }
    SyncStores();
}

// Hands what the turn produced to JS as one batch. From the event loop a
// handler's exception goes on as an uncaught exception; from
// waitInlineEvents (sync) it is thrown to the caller.
size_t Inline::Deliver(bool sync)
{
    if (pending_.Count() == 0 || !handler_ || handler_->IsEmpty() || shut_down_) {
        pending_.Clear();
        return 0;
    }
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    std::swap(pending_, spare_);
    // a batch that could not be made is dropped with what it had given
    // away to JS already (its large payloads), never delivered again
    std::optional<JsBatch> made;
    try {
        made.emplace(env, spare_, &batch_cache_);
    } catch (...) {
        spare_.Clear();
        throw;
    }
    spare_.Clear();
    JsBatch &js = *made;
    if (sync) {
        js.Call(*handler_, async_, true, &delivering_);
        return js.Count();
    }
    // a plain call inside a callback scope: the microtasks it queued run
    // when the scope closes, after the handler, so a continuation may block
    // (waitSync) there. Opened by hand: Napi::CallbackScope makes a new
    // resource object for every batch, which Node ignores.
    struct Scope {
        napi_env env;
        napi_callback_scope scope = nullptr;
        ~Scope()
        {
            if (scope)
                napi_close_callback_scope(env, scope);
        }
    } callback{env_};
    if (napi_open_callback_scope(env_, env.Global(), async_, &callback.scope) != napi_ok)
        throw Napi::Error::New(env);
    try {
        js.Call(*handler_, async_, true, &delivering_);
    } catch (const Napi::Error &err) {
        if (!err.IsEmpty())   // empty: the environment is terminating
            napi_fatal_exception(env_, err.Value());
    }
    return js.Count();
}

// ---- shutdown -----------------------------------------------------------------------

void Inline::Close(uv_handle_t *h)
{
    closing_++;
    h->data = this;
    uv_close(h, [](uv_handle_t *h) {
        Inline *self = static_cast<Inline *>(h->data);
        if (h->type == UV_POLL)
            delete reinterpret_cast<uv_poll_t *>(h);
        else if (h->type == UV_IDLE)
            delete reinterpret_cast<uv_idle_t *>(h);
        else
            delete reinterpret_cast<uv_timer_t *>(h);
        if (--self->closing_ == 0 && self->shut_down_ && self->hook_) {
            napi_remove_async_cleanup_hook(self->hook_);
            self->hook_ = nullptr;
        }
    });
}

void Inline::CleanupHook(napi_async_cleanup_hook_handle, void *arg)
{
    static_cast<Inline *>(arg)->Shutdown();
}

// The environment is going away: close every client without events, and
// release the hook once libuv has let go of every handle.
void Inline::Shutdown()
{
    if (shut_down_)
        return;
    shut_down_ = true;
    for (auto &kv : entries_)
        kv.second->core->Close();   // Detach: the handles go
    entries_.clear();
    pending_.Clear();
    batch_cache_.Reset();
    if (flush_) {
        Close(reinterpret_cast<uv_handle_t *>(flush_));
        flush_ = nullptr;
    }
    if (idle_) {
        Close(reinterpret_cast<uv_handle_t *>(idle_));
        idle_ = nullptr;
    }
    if (async_) {
        napi_async_destroy(env_, async_);
        async_ = nullptr;
    }
    if (closing_ == 0 && hook_) {
        napi_remove_async_cleanup_hook(hook_);
        hook_ = nullptr;
    }
}

} // namespace tmq_node
