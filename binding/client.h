// One MQTT client of the addon: Core (the engine client, its transport and
// memory; lives on the loop thread) and ClientWrap (the NativeClient JS
// object of lib/native.ts; lives on the JS thread and only posts jobs).
#ifndef TMQ_NODE_CLIENT_H
#define TMQ_NODE_CLIENT_H

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "tinymqtt/backoff.h"
#include "tinymqtt/client.h"
#include "tinymqtt/posix.h"
#include "tinymqtt/tls.h"
}

#include "job.h"
#include "large.h"
#include "offline.h"
#include "store.h"
#include "ws.h"

namespace tmq_node {

class Driver;
class Core;
class OptionReader;   // client.cc

// The engine side of a client. Created on the JS thread (createClient: all
// option parsing, TLS set-up and tmq_client_init happen there, so errors
// throw), then owned by the loop thread from its kAdd job to its kClose job.
class Core {
public:
    // Reads options (throws a TypeError naming a bad option, or an Error with
    // a `code` when the engine or TLS refuses them).
    static std::unique_ptr<Core> Create(Napi::Env env, Napi::Value options, Driver *driver, int32_t id);
    ~Core();
    Core(const Core &) = delete;
    Core &operator=(const Core &) = delete;

    int32_t Id() const { return id_; }
    // Bytes of QoS 0 publishes (topic, payload, properties) submitted and
    // not yet written or failed: what publish() returns, for its
    // high-water mark. Any thread (the loop thread's jobs end there).
    size_t Unwritten() const { return unwritten_.load(std::memory_order_relaxed); }
    void CountUnwritten(Job *job);
    void Uncount(uint32_t bytes) { unwritten_.fetch_sub(bytes, std::memory_order_relaxed); }
    // The durable store this client records its messages in, or nullptr.
    const std::shared_ptr<StoreHandle> &Store() const { return store_; }
    // Whether the loop syncs this client's store once a round (fsync batch).
    bool SyncsEachRound() const { return store_ && store_->policy == TMQ_FSYNC_BATCH; }
    // What the driver runs: the engine client and its transport.
    tmq_client *Engine() { return &client_; }
    tmq_posix_io *Io() { return ws_ ? ws_->Io() : tls_on_ ? &tls_.io : &tcp_.io; }
    // The TCP connection under the transport (TLS, WebSocket or not).
    tmq_tcp *Socket() { return &tcp_; }
    // options.coalesceReads: the driver (inline, or the loop thread's
    // tmq_loop_coalesce) may batch a busy stream's reads (tmq_coalesce,
    // tinymqtt/drive.h).
    bool CoalescesReads() const { return coalesce_reads_; }
    // options.spinForReplies: the inline driver may wait for a reply awake
    // (tmq_spin, tinymqtt/drive.h).
    bool SpinsForReplies() const { return spin_for_replies_; }

    // ---- the driver's thread ----
    // Adds the client to the loop; an error code if the loop refuses it.
    int Add();
    // Runs a job (not kAdd or kClose).
    void Handle(JobPtr job);
    // Closes at once: leaves the loop, closes the transport, fails every
    // operation not yet completed (Error TMQ_ERR_CLOSED). Does not emit
    // Closed (the loop does) and does not free.
    void Close();
    // What follows an engine callback, once it has returned (the driver's
    // WantFollowUp): RetryWaiting, then GiveBackBuffers when a CONNACK or
    // PINGRESP asked for it.
    void FollowUp();
    bool follow_up_pending = false;

    // ---- the JS thread (ClientWrap), also while the driver's thread runs ----
    // Whether the engine is connected (READY), as of its last state change.
    bool Ready() const { return ready_.load(std::memory_order_relaxed); }
    // The offline queue, which bounds what publish() may add while not Ready.
    OfflineQueue &Offline() { return offline_; }
    // The size of the job's PUBLISH on the wire (0 if the engine would
    // refuse it: that refusal is an Error event).
    uint32_t PublishSize(const Job &job) const;

private:
    Core(Driver *driver, int32_t id);
    // Creation with a store: plugs it into the engine and puts back what it
    // holds (tokens from `token` on, in the store's order). Throws on a
    // store that cannot be read.
    void Restore(Napi::Env env, int32_t token);
    // Creation, in this order: the CONNECT, timing, reconnect and offline
    // queue options into cfg_ (views into the core's copies); the store
    // (returns the first restored message's token); the TLS options (read
    // before anything is allocated); the engine's memory; TLS started.
    struct TlsOptions {
        std::optional<std::string> ca, cert, key, passphrase, servername;
        bool verify = true;
        std::vector<std::string> alpn;
    };
    void ReadConnect(const OptionReader &r);
    // options.servers (a list tried in order), if given.
    void ReadServers(const OptionReader &r);
    int32_t ReadStore(Napi::Env env, const OptionReader &r);
    static std::optional<TlsOptions> ReadTls(const OptionReader &r);
    tmq_client_mem LayOut(uint32_t max_packet, uint32_t send_buffer);
    void StartTls(Napi::Env env, const TlsOptions &tls);
    void StartWs(Napi::Env env, const OptionReader &r);
    // Submits the operations that wait (for a free message slot, or for the
    // connection), in order, while the client is READY.
    void RetryWaiting();
    // After a CONNACK or a PINGRESP (where a client that only keeps its
    // connection alive is between packets): gives the memory of its
    // buffers back to the system if they hold nothing
    // (tmq_client_buffers_empty). The next packet brings a page back.
    void GiveBackBuffers();
    void Submit(JobPtr job);
    bool TrySubmit(JobPtr &job);
    // The one hand-over of a job to the engine and back: when the engine
    // took it (rc >= 0) it is the message's tmq_msg.user until Reclaim, at
    // the message's final event.
    static bool Lend(JobPtr &job, int32_t rc);
    static JobPtr Reclaim(const tmq_msg *msg);

    static void OnConnack(tmq_client *c, const tmq_packet *pkt);
    static void OnMessage(tmq_client *c, const tmq_packet *pkt);
    static void OnSent(tmq_client *c, const tmq_msg *msg, uint8_t reason);
    static void OnSuback(tmq_client *c, const tmq_msg *msg, const tmq_packet *pkt);
    static void OnUnsuback(tmq_client *c, const tmq_msg *msg, const tmq_packet *pkt);
    static void OnPong(tmq_client *c);
    static void OnDisconnect(tmq_client *c, int err, const tmq_packet *pkt);
    static void OnError(tmq_client *c, int err, const tmq_msg *msg);
    static void OnState(tmq_client *c, tmq_state state);
    // options.logPackets: every packet in and out, as a Packet event.
    static void OnPacket(tmq_client *c, int out, const tmq_packet *pkt, uint32_t len);
    // 5.0: an AUTH from the server, for JS to answer (NativeClient.auth).
    static void OnAuth(tmq_client *c, const tmq_packet *pkt);
    // The reconnect policy the engine asks (tinymqtt/backoff.h).
    static uint32_t OnReconnectDelay(tmq_client *c, int was_ready, uint32_t lasted_ms);
    // tmq_client_mem.rx_grow: a buffer for one packet larger than rx
    // (size 0: the engine is done with it)
    static uint8_t *GrowRx(tmq_client *c, uint32_t size);
    static const tmq_client_events kEvents;
    // kEvents and OnPacket: a logging client's (the others pay nothing)
    static const tmq_client_events kLoggedEvents;
    // A live client's new reconnect policy (setReconnect's kReconnect job):
    // the next delay follows it; turned off, a wait under way ends too.
    void ChangePolicy(const tmq_backoff &policy);
    // A message or request reached its final event: frees its job.
    void Finished(const tmq_msg *msg);
    // A kDisconnect job: DISCONNECT with its reason and 5.0 properties (kept
    // in close_props_ until sent), or plain.
    void Disconnect(const Job &job);
    // A kAuth job: an AUTH with its reason and properties.
    void Auth(const Job &job);
    // The transport's one-line reason for a failure with engine error err
    // (the OS error, the resolver's answer, the TLS reason), or "".
    std::string FailureDetail(int err) const;

    Driver *driver_;
    int32_t id_;
    std::atomic<size_t> unwritten_{0};
    tmq_client client_{};
    tmq_tcp tcp_{};
    tmq_tls tls_{};
    bool tls_on_ = false;
    // ws:// and wss:// (options.ws): over tls_ or tcp_
    std::unique_ptr<WsLink> ws_;
    bool coalesce_reads_ = true;
    bool spin_for_replies_ = true;
    bool log_packets_ = false;
    bool added_ = false;
    bool closed_ = false;
    tmq_client_config cfg_{};
    // the reconnect policy: backoff with jitter or none, starting over after
    // a connection that lasted backoff_.stable_ms (OnReconnectDelay); off
    // while base_ms is 0; setReconnect changes it (ChangePolicy)
    tmq_backoff backoff_{};
    // what cfg_ points into
    std::string host_, client_id_, username_, password_, will_topic_, will_payload_;
    std::string connect_props_, will_props_;
    // options.servers: their hosts, and the list cfg_.servers points at;
    // a server's kind says whether it takes TLS (a list may mix them)
    static constexpr uint8_t kServerPlain = 0, kServerTls = 1;
    std::vector<std::string> server_hosts_;
    std::vector<tmq_server> servers_;
    // 5.0: the properties of a requested DISCONNECT, and its view of them
    std::string close_props_;
    tmq_props close_block_{};
    // 5.0: the incoming topic alias table, when CONNECT announces a Topic
    // Alias Maximum (tmq_client_mem.aliases)
    std::unique_ptr<uint8_t[]> in_aliases_;
    // the engine's memory: rx, tx, packet buffer, message slots, QoS 2 ids,
    // assigned id (LayOut); a mapping of its own, whose first buffers_bytes_
    // (rx, tx, the packet buffer, whole pages) GiveBackBuffers may release
    uint8_t *memory_ = nullptr;
    size_t memory_bytes_ = 0, buffers_bytes_ = 0;
    bool give_back_ = false;   // a CONNACK or PINGRESP came: FollowUp gives back
    // what GrowRx lends for a packet larger than rx: the block's packet
    // buffer, or for a packet larger than that a heap buffer while in use
    uint8_t *packet_rx_ = nullptr;
    uint32_t packet_rx_cap_ = 0;
    LargeBuffer big_rx_;   // taken by the batch of the message it holds (OnMessage)
    // operations not yet handed to the engine, in submission order: made
    // while not connected (from which kCancel withdraws), or refused with
    // TMQ_ERR_QUEUE_FULL (the engine's message slots are all taken)
    OfflineQueue offline_;
    std::atomic<bool> ready_{false};
    // the durable store (options.store) and the engine's link to it
    std::shared_ptr<StoreHandle> store_;
    tmq_fstore_link link_{};
};

// NativeClient (lib/native.ts). Every method returns at once: it copies its
// arguments into a job and posts it. After close() the operations throw an
// Error with code TMQ_ERR_CLOSED (no event may follow Closed).
class ClientWrap : public Napi::ObjectWrap<ClientWrap> {
public:
    static Napi::Function Define(Napi::Env env, Driver *driver);
    explicit ClientWrap(const Napi::CallbackInfo &info);

private:
    Napi::Value GetId(const Napi::CallbackInfo &info);
    void Connect(const Napi::CallbackInfo &info);
    Napi::Value Publish(const Napi::CallbackInfo &info);
    void Subscribe(const Napi::CallbackInfo &info);
    void Unsubscribe(const Napi::CallbackInfo &info);
    void Ping(const Napi::CallbackInfo &info);
    void Cancel(const Napi::CallbackInfo &info);
    void Disconnect(const Napi::CallbackInfo &info);
    void Auth(const Napi::CallbackInfo &info);
    void SetReconnect(const Napi::CallbackInfo &info);
    void CloseClient(const Napi::CallbackInfo &info);
    void RefClient(const Napi::CallbackInfo &info);
    void UnrefClient(const Napi::CallbackInfo &info);
    Napi::Value ReadStats(const Napi::CallbackInfo &info);

    void CheckOpen(Napi::Env env, const char *method) const;
    JobPtr Filters(const Napi::CallbackInfo &info, Job::Kind kind, const char *method);

    Driver *driver_ = nullptr;
    Core *core_ = nullptr;   // owned by the driver; only posted, never touched here
    std::shared_ptr<StoreHandle> store_;   // publish() records QoS 1/2 messages in it first
    int32_t id_ = 0;
    bool closed_ = false;
};

} // namespace tmq_node

#endif
