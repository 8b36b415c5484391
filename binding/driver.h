// What drives an engine client: the interface between a Core (client.h) and
// whatever runs it. Two drivers implement it, one per environment each:
//   Loop    (loop.h)    the engine loop thread; jobs cross to it, events come
//                       back through a thread-safe function
//   Inline  (inline.h)  libuv's poll handle and timers on the JS thread; jobs
//                       run at once, events go to JS after each read
// The NativeClient object (ClientWrap) and the Core talk to their driver only
// through this, so neither knows which one runs them.
#ifndef TMQ_NODE_DRIVER_H
#define TMQ_NODE_DRIVER_H

#include <napi.h>

#include <cstdint>
#include <vector>

#include "events.h"
#include "job.h"

extern "C" {
#include "tinymqtt/file_store.h"
}

namespace tmq_node {

class ClientWrap;
class Core;

class Driver {
public:
    virtual ~Driver() = default;

    // ---- JS thread (ClientWrap) ----

    // Runs a job: on the loop thread, or at once inline.
    virtual void Post(JobPtr job) = 0;
    // After the environment's cleanup: the client's methods throw.
    virtual bool IsShutDown() const = 0;
    // Whether the client keeps the process alive.
    virtual void SetRef(int32_t id, bool ref) = 0;
    // How the driver has read a client's socket since the client was made
    // (NativeClient.readStats: diagnostics for tests, which prove with it
    // that a busy stream's reads are batched).
    struct ReadStats {
        double polls = 0;   // polls of the client: its socket ready, its timer due, or work submitted
        double reads = 0;   // polls that received bytes
        double recvs = 0;   // recv system calls
        double bytes = 0;   // bytes received (TCP payload, under TLS and WebSocket framing)
    };
    // Fills *out; false when this driver keeps no figures (the loop thread).
    virtual bool Stats(int32_t id, ReadStats *out) { (void)id; (void)out; return false; }
    // The constructor of the NativeClient objects this driver runs
    // (ClientWrap::Define with this driver).
    void SetClientConstructor(Napi::Function ctor) { client_ctor_ = Napi::Persistent(ctor); }
    // For the NativeClient constructor: the core being wrapped (set while
    // Wrap runs), or nullptr when constructed from JS.
    Core *TakeNewCore()
    {
        Core *core = new_core_;
        new_core_ = nullptr;
        return core;
    }

    // ---- the engine's side (the thread that runs the engine) ----

    // Starts driving the core's engine client; an engine error code if it
    // cannot.
    virtual int Attach(Core *core) = 0;
    // Stops driving it (the core closes its transport after this).
    virtual void Detach(Core *core) = 0;
    // The core has submitted work: poll its client soon, so it is written
    // without waiting for the socket.
    virtual void Kick(Core *core) = 0;
    // Events for JS, in the batch format of events.h. EmitMessage's packet:
    // the heap buffer the packet was read into, when the payload lies in it
    // (the batch may take it, Batch::AddMessage), else null.
    virtual void Emit(int32_t id, int32_t kind, int32_t a = 0, int32_t b = 0, int32_t c = 0, int32_t d = 0) = 0;
    virtual void EmitProps(int32_t id, int32_t kind, int32_t a, int32_t b, Bytes props) = 0;
    virtual void EmitMessage(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                             uint32_t payload_len, int32_t flags, Bytes props, LargeBuffer *packet) = 0;
    virtual void EmitCodes(int32_t id, int32_t kind, int32_t token, const uint8_t *codes, uint32_t count,
                           Bytes props) = 0;
    // Asks for core->FollowUp() once the engine callback in progress has
    // returned.
    virtual void WantFollowUp(Core *core) = 0;
    // Adds (or removes) a store with the BATCH fsync policy: SyncStores
    // syncs it after every round of work.
    void SyncEachRound(tmq_fstore *fs, bool on);

protected:
    // A new NativeClient object for core (client.cc), held strongly (the
    // wrap's Ref) until the driver lets it go; *wrap is its C++ side.
    Napi::Object Wrap(Core *core, ClientWrap **wrap);
    // Syncs the BATCH stores (a failure is kept for the store's lastError).
    void SyncStores();

private:
    std::vector<tmq_fstore *> batch_stores_;
    Napi::FunctionReference client_ctor_;
    Core *new_core_ = nullptr;
};

} // namespace tmq_node

#endif
