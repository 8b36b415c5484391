// A client of the addon (client.h): options, engine memory and callbacks on
// the loop thread, and the NativeClient methods on the JS thread.
#include "client.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <algorithm>
#include <new>
#include <optional>

#include "events.h"
#include "driver.h"

extern "C" {
#include "tinymqtt/describe.h"
#include "tinymqtt/error.h"
}

namespace tmq_node {

// ---- reading options ------------------------------------------------------

// Reads one options object; every error names the option ("options.will.qos").
class OptionReader {
public:
    // `method` names the call in messages (createClient, setReconnect).
    OptionReader(Napi::Env env, Napi::Value v, std::string path, const char *method = "createClient")
        : env_(env), path_(std::move(path)), method_(method)
    {
        if (!v.IsObject() || v.IsArray() || v.IsFunction())
            Type("must be an object", "");
        obj_ = v.As<Napi::Object>();
    }

    bool Has(const char *name) const
    {
        Napi::Value v = obj_.Get(name);
        return !v.IsUndefined() && !v.IsNull();
    }

    Napi::Value Get(const char *name) const { return obj_.Get(name); }

    std::string String(const char *name) const
    {
        Napi::Value v = obj_.Get(name);
        if (!v.IsString())
            Type("must be a string", name);
        return v.As<Napi::String>().Utf8Value();
    }

    // A string handed to C as NUL-terminated text.
    std::string Text(const char *name) const
    {
        std::string s = String(name);
        if (s.find('\0') != std::string::npos)
            Type("must not contain NUL characters", name);
        return s;
    }

    std::optional<std::string> OptText(const char *name) const
    {
        if (!Has(name))
            return std::nullopt;
        return Text(name);
    }

    bool OptString(const char *name, std::string *out) const
    {
        if (!Has(name))
            return false;
        *out = String(name);
        return true;
    }

    bool Bool(const char *name) const
    {
        Napi::Value v = obj_.Get(name);
        if (!v.IsBoolean())
            Type("must be a boolean", name);
        return v.As<Napi::Boolean>().Value();
    }

    // An integer that fits the engine's field (at most max). Ranges are
    // lib/client.ts's (validated once, there); the engine refuses what it
    // cannot use with its own error (Refused).
    uint32_t Int(const char *name, uint32_t max) const
    {
        Napi::Value v = obj_.Get(name);
        std::string range = "an integer from 0 to " + std::to_string(max);
        if (!v.IsNumber())
            Type(("must be " + range).c_str(), name);
        double d = v.As<Napi::Number>().DoubleValue();
        if (!std::isfinite(d) || std::trunc(d) != d)
            Type(("must be " + range).c_str(), name);
        if (d < 0 || d > max)
            throw Napi::RangeError::New(env_, method_ + ": " + Path(name) + " must be " + range);
        return static_cast<uint32_t>(d);
    }

    std::string Bytes(const char *name) const
    {
        Napi::Value v = obj_.Get(name);
        if (!v.IsBuffer())
            Type("must be a Buffer", name);
        Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
        return std::string(b.Data(), b.Length());
    }

    bool OptBytes(const char *name, std::string *out) const
    {
        if (!Has(name))
            return false;
        *out = Bytes(name);
        return true;
    }

    Napi::Env Env() const { return env_; }

    std::string Path(const char *name) const { return *name ? path_ + "." + name : path_; }

    [[noreturn]] void Type(const char *what, const char *name) const
    {
        throw Napi::TypeError::New(env_, method_ + ": " + Path(name) + " " + what);
    }

private:
    Napi::Env env_;
    std::string path_;
    std::string method_;
    Napi::Object obj_;
};

// The reconnect policy's settings (createClient's options, setReconnect's
// policy): the first delay's ceiling (0: no reconnect), its growth, jitter
// and when it starts over; its state starts over.
static tmq_backoff ReadReconnect(const OptionReader &r)
{
    tmq_backoff b{};
    b.base_ms = r.Int("reconnectPeriod", UINT32_MAX);
    b.max_ms = std::max(r.Int("reconnectMaxPeriod", UINT32_MAX), b.base_ms);
    b.factor = static_cast<uint16_t>(r.Int("reconnectFactor", UINT16_MAX));
    b.no_jitter = r.Bool("reconnectJitter") ? 0 : 1;
    b.stable_ms = r.Int("reconnectResetAfter", UINT32_MAX);
    return b;
}

// The seed of a client's reconnect jitter, odd, from the kernel (getrandom,
// glibc 2.25): std::random_device would link libstdc++'s code that needs
// glibc 2.36 (arc4random), above the prebuilt addon's floor. Should the
// kernel have no bytes yet, the client's address still differs per client.
static uint32_t JitterSeed(const void *client)
{
    uint32_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed))
        seed = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(client) >> 4);
    return seed | 1u;
}

namespace {

// Caller memory of every client (native/README.md, "Sizing the memory").
constexpr uint16_t kMsgSlots = 1024;        // operations from submission to their final event
constexpr uint16_t kQos2Ids = 65535;        // incoming QoS 2 ids: every packet id, so no server can overrun it
constexpr uint16_t kAssignedId = 1024;      // 5.0: room for a server-assigned client id
// 5.0 outgoing topic aliases the client keeps (a server may allow more: an
// alias beyond these goes out with its topic every time), each a 2-byte
// length and a topic of up to 256 bytes (a longer topic gets no alias).
constexpr uint16_t kOutAliases = 64;
constexpr uint16_t kOutAliasSlot = 2 + 256;
// 5.0 incoming topic aliases: at most this many (options.properties.
// topicAliasMaximum), each a 2-byte length and a topic of up to 1 KiB (a
// server aliasing a longer topic ends the connection: TMQ_ERR_TOO_LARGE).
constexpr uint32_t kInAliasesMax = 256;
constexpr uint16_t kInAliasSlot = 2 + 1024;
// MQTT's largest packet: a 268,435,455-byte remaining length and its 5-byte header.
constexpr uint32_t kMaxPacket = 268435460;
// The receive buffer the engine reads into: with the block's header and the
// front of the send buffer it fills the block's first page, the one page an
// idle client touches (its CONNECT and PINGREQs, its CONNACK and PINGRESPs).
constexpr uint32_t kRxBuffer = 3 * 1024;
// A packet larger than that is read into the block's packet buffer, which
// no idle client touches; a packet larger still (up to maxPacketSize) gets a
// heap buffer of its own for as long as it is handled.
constexpr uint32_t kPacketBuffer = 64 * 1024;

// An Error for options the engine or the TLS port refuses, with the engine's
// code name as `code`.
[[noreturn]] void Refused(Napi::Env env, const std::string &what, int rc, const std::string &detail = "")
{
    std::string msg = "createClient: " + what + " (" + tmq_strerror(rc) + ")";
    if (!detail.empty())
        msg += ": " + detail;
    Napi::Error e = Napi::Error::New(env, msg);
    e.Set("code", Napi::String::New(env, tmq_strerror(rc)));
    throw e;
}

// ---- reading method arguments ----------------------------------------------

[[noreturn]] void ArgType(Napi::Env env, const char *method, const char *what)
{
    throw Napi::TypeError::New(env, std::string(method) + ": " + what);
}

// The arguments of the frequent calls (publish) are read with one Node-API
// call each, which also checks the type (a wrong type is its failure): the
// checks and reads of node-addon-api's wrappers took two or three each.

int32_t Token(Napi::Env env, Napi::Value v, const char *method)
{
    double d = 0;
    if (napi_get_value_double(env, v, &d) == napi_ok && std::isfinite(d) && std::trunc(d) == d && d >= 1 &&
        d <= std::numeric_limits<int32_t>::max())
        return static_cast<int32_t>(d);
    ArgType(env, method, "token must be a positive 32-bit integer");
}

uint8_t Byte(Napi::Env env, Napi::Value v, const char *method, const char *what)
{
    double d = 0;
    if (napi_get_value_double(env, v, &d) == napi_ok && std::isfinite(d) && std::trunc(d) == d && d >= 0 && d <= 255)
        return static_cast<uint8_t>(d);
    ArgType(env, method, what);
}

// The bytes of `v` if it is a Buffer (or another ArrayBufferView, as
// Value::IsBuffer), else false.
bool BufferBytes(Napi::Env env, Napi::Value v, const char **data, size_t *len)
{
    void *p = nullptr;
    if (napi_get_buffer_info(env, v, &p, len) != napi_ok)
        return false;
    *data = static_cast<const char *>(p);
    return true;
}

// Length in bytes of a JS string's UTF-8 form.
size_t Utf8Length(Napi::Env env, Napi::Value s)
{
    size_t len = 0;
    napi_status st = napi_get_value_string_utf8(env, s, nullptr, 0, &len);
    NAPI_THROW_IF_FAILED(env, st, 0);
    return len;
}

// Writes a JS string's UTF-8 form at dst, which has room for len + 1 bytes
// (napi writes a NUL after it). Returns the bytes written.
size_t Utf8Write(Napi::Env env, Napi::Value s, char *dst, size_t len)
{
    size_t done = 0;
    napi_status st = napi_get_value_string_utf8(env, s, dst, len + 1, &done);
    NAPI_THROW_IF_FAILED(env, st, 0);
    return done;
}

tmq_bin Bin(const std::string &s)
{
    return tmq_bin{reinterpret_cast<const uint8_t *>(s.data()), static_cast<uint32_t>(s.size())};
}

Core *Of(tmq_client *c)
{
    return static_cast<Core *>(c->user);
}

// The property block of a received packet (empty before 5.0).
Bytes PropsOf(const tmq_packet *pkt)
{
    return Bytes{pkt->props.raw.p, pkt->props.raw.len};
}

// An optional property block argument, as a view of its bytes (empty when
// undefined: no Buffer is made for it, the common case).
struct Block {
    const char *data = nullptr;
    size_t len = 0;
};

Block Props(Napi::Env env, Napi::Value v, const char *method)
{
    Block b{};
    if (!v.IsUndefined() && !BufferBytes(env, v, &b.data, &b.len))
        ArgType(env, method, "properties must be a Buffer or undefined");
    return b;
}

int32_t TokenOf(const tmq_msg *msg)
{
    return msg && msg->user ? static_cast<const Job *>(msg->user)->token : 0;
}

} // namespace

namespace {

// The free list of Job memory of one thread (Job::operator new/delete).
struct JobPool {
    static constexpr size_t kMax = 1024;
    std::vector<void *> free;
    ~JobPool()
    {
        for (void *p : free)
            ::operator delete(p);
    }
};
thread_local JobPool job_pool;

} // namespace

void *Job::operator new(size_t size)
{
    if (size != sizeof(Job) || job_pool.free.empty())
        return ::operator new(size);
    void *p = job_pool.free.back();
    job_pool.free.pop_back();
    return p;
}

void Job::operator delete(void *p)
{
    if (job_pool.free.size() < JobPool::kMax)
        job_pool.free.push_back(p);
    else
        ::operator delete(p);
}

Job::~Job()
{
    if (queued)
        core->Offline().Release(*this);
    if (unwritten)
        core->Uncount(unwritten);
}

void Core::CountUnwritten(Job *job)
{
    job->unwritten = job->data_len + job->props.raw.len + 1;   // never 0
    unwritten_.fetch_add(job->unwritten, std::memory_order_relaxed);
}

void Job::AttachProps(const char *block, size_t len)
{
    if (len == 0)
        return;
    char *at = Data() + data_len;
    std::memcpy(at, block, len);
    props.raw = tmq_bin{reinterpret_cast<const uint8_t *>(at), static_cast<uint32_t>(len)};
}

// ---- Core: creation ---------------------------------------------------------

Core::Core(Driver *driver, int32_t id) : driver_(driver), id_(id)
{
    tmq_tcp_init(&tcp_, nullptr);
}

std::unique_ptr<Core> Core::Create(Napi::Env env, Napi::Value options, Driver *driver, int32_t id)
{
    OptionReader r(env, options, "options");
    std::unique_ptr<Core> k(new Core(driver, id));
    k->ReadConnect(r);
    int32_t restore_token = k->ReadStore(env, r);
    // memory is bounded here (what the block below must hold); TLS options
    // are read before anything is allocated for them
    uint32_t max_packet = r.Int("maxPacketSize", kMaxPacket);
    uint32_t send_buffer = r.Int("sendBufferSize", kMaxPacket);
    std::optional<TlsOptions> tls = ReadTls(r);
    tmq_client_mem mem = k->LayOut(max_packet, send_buffer);
    tmq_prop aliases;
    if (k->cfg_.version == TMQ_V5 && tmq_props_get(&k->cfg_.connect_props, TMQ_PROP_TOPIC_ALIAS_MAXIMUM, &aliases) &&
        aliases.num) {
        if (aliases.num > kInAliasesMax)
            throw Napi::RangeError::New(env, "createClient: options.properties.topicAliasMaximum must be at most " +
                                                 std::to_string(kInAliasesMax));
        k->in_aliases_.reset(new uint8_t[aliases.num * kInAliasSlot]);
        mem.aliases = k->in_aliases_.get();
        mem.alias_max = static_cast<uint16_t>(aliases.num);
        mem.alias_len = kInAliasSlot;
    }
    if (tls)
        k->StartTls(env, *tls);
    if (r.Has("ws"))
        k->StartWs(env, r);
    int rc = tmq_client_init(&k->client_, &k->cfg_, k->log_packets_ ? &kLoggedEvents : &kEvents, &mem, &k->Io()->base);
    if (rc != TMQ_OK)
        Refused(env, "options refused", rc);
    k->client_.user = k.get();
    if (k->store_)
        k->Restore(env, restore_token);
    return k;
}

void Core::ReadConnect(const OptionReader &r)
{
    tmq_connect &conn = cfg_.connect;
    host_ = r.Text("host");
    cfg_.host = host_.c_str();
    cfg_.port = static_cast<uint16_t>(r.Int("port", UINT16_MAX));
    ReadServers(r);
    cfg_.version = static_cast<uint8_t>(r.Int("protocolVersion", UINT8_MAX));
    client_id_ = r.String("clientId");
    conn.client_id = Bin(client_id_);   // views into the core's own copies
    conn.clean = r.Bool("clean") ? 1 : 0;
    conn.keepalive = static_cast<uint16_t>(r.Int("keepalive", UINT16_MAX));
    if (r.OptString("username", &username_))
        conn.username = Bin(username_);   // data() is never NULL: presence is the pointer
    if (r.OptBytes("password", &password_))
        conn.password = Bin(password_);
    if (r.Has("will")) {
        OptionReader w(r.Env(), r.Get("will"), "options.will");
        will_topic_ = w.String("topic");
        will_payload_ = w.Bytes("payload");
        conn.will_topic = Bin(will_topic_);
        conn.will_payload = Bin(will_payload_);
        conn.will_qos = static_cast<uint8_t>(w.Int("qos", UINT8_MAX));
        conn.will_retain = w.Bool("retain") ? 1 : 0;
        if (w.OptBytes("properties", &will_props_))
            conn.will_props.raw = Bin(will_props_);
    }
    if (r.OptBytes("properties", &connect_props_))
        cfg_.connect_props.raw = Bin(connect_props_);
    cfg_.connect_timeout_ms = r.Int("connectTimeout", UINT32_MAX);
    cfg_.max_inflight = static_cast<uint16_t>(r.Int("maxInflight", UINT16_MAX));
    if (r.Has("autoAssignTopicAlias"))
        cfg_.auto_alias = r.Bool("autoAssignTopicAlias") ? 1 : 0;
    // reconnect: the engine asks the policy (OnReconnectDelay) whether and
    // when, so cfg_.reconnect_delay_ms stays unused
    backoff_ = ReadReconnect(r);
    backoff_.seed = JitterSeed(this);
    // the offline queue's bounds (none unless given)
    tmq_offline_bounds bounds = TMQ_OFFLINE_NO_BOUNDS;
    if (r.Has("queueLimit"))
        bounds.count = r.Int("queueLimit", UINT32_MAX);
    if (r.Has("queueByteLimit"))
        bounds.bytes = r.Int("queueByteLimit", UINT32_MAX);
    if (r.Has("queueQoSZero"))
        bounds.qos0 = r.Bool("queueQoSZero") ? 1 : 0;
    offline_.SetBounds(bounds);
    if (r.Has("coalesceReads"))
        coalesce_reads_ = r.Bool("coalesceReads");
    if (r.Has("spinForReplies"))
        spin_for_replies_ = r.Bool("spinForReplies");
    if (r.Has("logPackets"))
        log_packets_ = r.Bool("logPackets");
}

void Core::ReadServers(const OptionReader &r)
{
    if (!r.Has("servers"))
        return;
    Napi::Value v = r.Get("servers");
    if (!v.IsArray() || v.As<Napi::Array>().Length() == 0 || v.As<Napi::Array>().Length() > UINT8_MAX)
        r.Type("must be an array of 1 to 255 servers", "servers");
    Napi::Array list = v.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
        OptionReader s(r.Env(), list.Get(i), r.Path("servers") + "[" + std::to_string(i) + "]");
        server_hosts_.push_back(s.Text("host"));
        tmq_server server{};
        server.port = static_cast<uint16_t>(s.Int("port", UINT16_MAX));
        server.kind = s.Bool("tls") ? kServerTls : kServerPlain;
        servers_.push_back(server);
    }
    // the strings are in place now: the vector no longer grows
    for (size_t i = 0; i < servers_.size(); i++)
        servers_[i].host = server_hosts_[i].c_str();
    cfg_.servers = servers_.data();
    cfg_.server_count = static_cast<uint8_t>(servers_.size());
}

int32_t Core::ReadStore(Napi::Env env, const OptionReader &r)
{
    // options.store: a NativeStore no other client uses
    if (!r.Has("store"))
        return 0;
    std::shared_ptr<StoreHandle> store = StoreWrap::Of(r.Get("store"));
    if (!store)
        r.Type("must be a NativeStore", "store");
    if (!store->fs)
        Refused(env, "options.store " + store->path + " is closed", TMQ_ERR_CLOSED);
    if (store->in_use.exchange(true))
        Refused(env, "options.store " + store->path + " is in use by another client", TMQ_ERR_STATE);
    store_ = std::move(store);
    // tokens are positive (0 means none in an event)
    int32_t token = static_cast<int32_t>(r.Int("restoreToken", INT32_MAX));
    if (token == 0)
        throw Napi::RangeError::New(env, "createClient: options.restoreToken must be an integer from 1 to " +
                                             std::to_string(INT32_MAX));
    return token;
}

std::optional<Core::TlsOptions> Core::ReadTls(const OptionReader &r)
{
    if (!r.Has("tls"))
        return std::nullopt;
    OptionReader t(r.Env(), r.Get("tls"), "options.tls");
    TlsOptions o;
    o.ca = t.OptText("ca");
    o.cert = t.OptText("cert");
    o.key = t.OptText("key");
    o.passphrase = t.OptText("passphrase");
    o.servername = t.OptText("servername");
    o.verify = t.Bool("rejectUnauthorized");
    if (t.Has("alpn")) {
        Napi::Value v = t.Get("alpn");
        if (!v.IsArray())
            t.Type("must be an array of strings", "alpn");
        Napi::Array a = v.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); i++) {
            Napi::Value s = a.Get(i);
            if (!s.IsString())
                t.Type("must be an array of strings", "alpn");
            o.alpn.push_back(s.As<Napi::String>().Utf8Value());
            if (o.alpn.back().find('\0') != std::string::npos)
                t.Type("must not contain NUL characters", "alpn");
        }
    }
    return o;
}

// One block, never zeroed (the engine clears a slot when it takes it and
// reads only the ids and bytes it stored), so it is mapped by itself and only
// the pages used are committed. tx comes first, sharing its first page with
// the block's header: an idle client commits two pages, that one (its
// CONNECT) and the first of rx (its CONNACK).
tmq_client_mem Core::LayOut(uint32_t max_packet, uint32_t send_buffer)
{
    // rx, tx, the packet buffer, then what only traffic touches: message
    // slots, QoS 2 ids, assigned id, outgoing topic aliases
    const uint32_t rx_cap = std::min(max_packet, kRxBuffer);
    const size_t tx_at = rx_cap, packet_at = tx_at + send_buffer;
    packet_rx_cap_ = std::min(max_packet, kPacketBuffer);
    const size_t msgs_at = (packet_at + packet_rx_cap_ + 7) & ~size_t(7);
    const size_t qos2_at = msgs_at + sizeof(tmq_msg) * kMsgSlots, assigned_at = qos2_at + sizeof(uint16_t) * kQos2Ids;
    const size_t out_aliases_at = assigned_at + kAssignedId;
    // its own mapping: no allocator's header in the buffers' first page,
    // and the pages of the buffers can be given back (GiveBackBuffers)
    const size_t bytes = out_aliases_at + size_t(kOutAliases) * kOutAliasSlot;
    void *block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED)
        throw std::bad_alloc();
    memory_ = static_cast<uint8_t *>(block);
    memory_bytes_ = bytes;
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    buffers_bytes_ = (packet_at + packet_rx_cap_) / page * page;
    uint8_t *base = memory_;
    packet_rx_ = base + packet_at;
    tmq_client_mem mem{};
    mem.tx = base + tx_at;
    mem.tx_cap = send_buffer;
    mem.rx = base;
    mem.rx_cap = rx_cap;
    mem.rx_grow = &Core::GrowRx;
    mem.rx_max = max_packet;
    mem.msgs = new (base + msgs_at) tmq_msg[kMsgSlots];   // default-initialized: nothing written
    mem.msg_cap = kMsgSlots;
    mem.qos2 = new (base + qos2_at) uint16_t[kQos2Ids];
    mem.qos2_cap = kQos2Ids;
    mem.assigned_id = base + assigned_at;
    mem.assigned_cap = kAssignedId;
    mem.out_aliases = base + out_aliases_at;
    mem.out_alias_max = kOutAliases;
    mem.out_alias_len = kOutAliasSlot;
    return mem;
}

void Core::StartTls(Napi::Env env, const TlsOptions &t)
{
    std::vector<const char *> protocols;
    for (const std::string &p : t.alpn)
        protocols.push_back(p.c_str());
    protocols.push_back(nullptr);
    auto text = [](const std::optional<std::string> &s) { return s ? s->c_str() : nullptr; };
    tmq_tls_options o{};
    o.ca_pem = text(t.ca);
    o.cert_pem = text(t.cert);
    o.key_pem = text(t.key);
    o.key_password = text(t.passphrase);
    o.server_name = text(t.servername);
    o.alpn = t.alpn.empty() ? nullptr : protocols.data();
    o.verify = t.verify ? TMQ_TLS_VERIFY_REQUIRED : TMQ_TLS_VERIFY_NONE;
    int rc = tmq_tls_init(&tls_, &tcp_.io, &o);
    if (rc != TMQ_OK) {
        char why[256];
        tmq_tls_describe(&tls_, why, sizeof why);
        tmq_tls_free(&tls_);
        Refused(env, "options.tls refused", rc, why);
    }
    tls_on_ = true;
}

void Core::StartWs(Napi::Env env, const OptionReader &r)
{
    OptionReader w(env, r.Get("ws"), "options.ws");
    WsLink::Options o{w.Text("path"), w.Text("host"), w.Text("headers")};
    ws_.reset(new WsLink());
    int rc = ws_->Start(o, tls_on_ ? &tls_.io : &tcp_.io);
    if (rc != TMQ_OK) {
        ws_.reset();   // the client is closed over what is left: TLS or TCP
        Refused(env, "options.ws refused", rc);
    }
}

namespace {

// The store's sequence number of a message slot (tmq_fstore_link).
uint64_t SeqOf(const tmq_msg *msg)
{
    return msg->user ? static_cast<const Job *>(msg->user)->seq : 0;
}

// A publish job for a stored message: topic, payload, then properties.
JobPtr StoredJob(Core *core, const tmq_fstore_msg &m, int32_t token)
{
    JobPtr job = NewJob(Job::kPublish, core);
    job->token = token;
    job->seq = m.seq;
    job->qos = m.qos;
    job->retain = m.retain;
    job->topic_len = m.topic.len;
    job->data_len = m.topic.len + m.payload.len;
    char *at = job->Reserve(job->data_len + m.props.len + 1);
    std::memcpy(at, m.topic.p, m.topic.len);
    std::memcpy(at + m.topic.len, m.payload.p, m.payload.len);
    std::memcpy(at + job->data_len, m.props.p, m.props.len);
    if (m.props.len)
        job->props.raw = tmq_bin{reinterpret_cast<const uint8_t *>(at + job->data_len), m.props.len};
    return job;
}

} // namespace

void Core::Restore(Napi::Env env, int32_t token)
{
    tmq_fstore *fs = store_->fs;
    tmq_fstore_link_init(&link_, fs, SeqOf);
    tmq_client_set_store(&client_, &link_.base);
    // the messages, oldest first: those sent under an id before the others
    // (the engine gives the others new ids, which must not take theirs)
    std::vector<std::pair<JobPtr, tmq_fstore_msg>> sent, unsent;
    uint32_t n = tmq_fstore_count(fs);
    for (uint32_t i = 0; i < n; i++) {
        tmq_fstore_msg m;
        uint8_t *buf = nullptr;
        if (tmq_fstore_message(fs, i, &m, &buf) != TMQ_OK)
            throw StoreError(env, "createClient: options.store", *store_);
        JobPtr job = StoredJob(this, m, token + static_cast<int32_t>(i));
        std::free(buf);
        (m.id ? sent : unsent).emplace_back(std::move(job), m);
    }
    for (auto &p : unsent)
        sent.push_back(std::move(p));
    for (auto &p : sent) {
        JobPtr &job = p.first;
        const uint8_t *data = reinterpret_cast<const uint8_t *>(job->Data());
        int32_t rc = !offline_.Empty() ? TMQ_ERR_QUEUE_FULL
            : tmq_client_restore(&client_, tmq_bin{data, job->topic_len},
                                 tmq_bin{data + job->topic_len, job->data_len - job->topic_len}, job->qos, job->retain,
                                 &job->props, job.get(), p.second.id, p.second.released);
        if (!Lend(job, rc))
            offline_.Push(std::move(job));   // submitted (or refused with an Error event) after CONNACK
    }
    std::vector<uint16_t> ids(65535);
    uint32_t held = tmq_fstore_incoming_ids(fs, ids.data());
    for (uint32_t i = 0; i < held; i++)
        tmq_client_restore_incoming(&client_, ids[i]);   // kQos2Ids holds every id
}

Core::~Core()
{
    Close();
    if (tls_on_)
        tmq_tls_free(&tls_);
    if (store_)
        store_->in_use = false;
    if (memory_)
        munmap(memory_, memory_bytes_);
}

// ---- Core: loop thread ------------------------------------------------------

int Core::Add()
{
    int rc = driver_->Attach(this);
    added_ = rc == TMQ_OK;
    if (added_ && SyncsEachRound())
        driver_->SyncEachRound(store_->fs, true);
    return rc;
}

void Core::Handle(JobPtr job)
{
    switch (job->kind) {
    case Job::kConnect: {
        // a connect that cannot start ends like one that failed: Disconnect.
        // One that finds an attempt in flight or the connection up
        // (TMQ_ERR_STATE: an automatic reconnect got there first) joins it:
        // its CONNACK or Disconnect event settles this connect too.
        int rc = closed_ ? TMQ_ERR_CLOSED : tmq_client_connect(&client_, tmq_now_ms());
        if (rc != TMQ_OK && rc != TMQ_ERR_STATE)
            driver_->Emit(id_, kDisconnect, rc, 0);
        break;
    }
    case Job::kPing: {
        int rc = closed_ ? TMQ_ERR_CLOSED : tmq_client_ping(&client_, tmq_now_ms());
        if (rc != TMQ_OK)
            driver_->Emit(id_, kError, rc, job->token);
        break;
    }
    case Job::kCancel:
        // withdrawn only while it still waits here; no event follows
        if (JobPtr gone = offline_.Withdraw(job->token)) {
            if (gone->seq)
                tmq_fstore_done(store_->fs, gone->seq);   // never sent, and not after a restart either
        }
        break;
    case Job::kDisconnect:
        if (!closed_)
            Disconnect(*job);
        break;
    case Job::kAuth:
        if (!closed_)
            Auth(*job);
        else
            driver_->Emit(id_, kError, TMQ_ERR_CLOSED, job->token);
        break;
    case Job::kReconnect:
        if (!closed_) {
            tmq_backoff policy;
            std::memcpy(&policy, job->Data(), sizeof policy);
            ChangePolicy(policy);
        }
        break;
    case Job::kPublish:
    case Job::kSubscribe:
    case Job::kUnsubscribe:
        if (closed_)
            driver_->Emit(id_, kError, TMQ_ERR_CLOSED, job->token);
        else
            Submit(std::move(job));
        break;
    default:
        break;
    }
    // what the job queued is written in this round, not after another poll
    if (added_ && !closed_)
        driver_->Kick(this);
}

void Core::Disconnect(const Job &job)
{
    uint32_t now = tmq_now_ms();
    if (job.reason || job.props.raw.len) {
        close_props_.assign(reinterpret_cast<const char *>(job.props.raw.p), job.props.raw.len);
        close_block_ = tmq_props{};
        close_block_.raw = Bin(close_props_);
        int rc = tmq_client_disconnect_with(&client_, job.reason, &close_block_, now);
        if (rc == TMQ_OK || rc == TMQ_ERR_STATE)
            return;
        driver_->Emit(id_, kError, rc, job.token);   // refused: a plain DISCONNECT still ends it
    }
    tmq_client_disconnect(&client_, 0, now);   // TMQ_ERR_STATE: already down
}

void Core::Auth(const Job &job)
{
    int rc = tmq_client_auth(&client_, job.reason, &job.props);
    if (rc != TMQ_OK)
        driver_->Emit(id_, kError, rc, job.token);
}

void Core::Submit(JobPtr job)
{
    // while not connected operations wait here, where a cancel can still
    // reach them; once anything waits, everything after it waits too
    if (!offline_.Empty() || tmq_client_state(&client_) != TMQ_STATE_READY || !TrySubmit(job))
        offline_.Push(std::move(job));
}

// Hands the job to the engine. Returns false (the job still ours) when the
// message ring is full; otherwise the job is the engine's, or was refused
// with an Error event and freed.
bool Core::TrySubmit(JobPtr &job)
{
    int32_t rc;
    if (job->kind == Job::kPublish) {
        const uint8_t *p = reinterpret_cast<const uint8_t *>(job->Data());
        tmq_bin topic{p, job->topic_len};
        tmq_bin payload{p + job->topic_len, job->data_len - job->topic_len};
        rc = tmq_client_publish(&client_, topic, payload, job->qos, job->retain, &job->props, job.get());
    } else if (job->subs.size() > 0xFFFFu) {
        rc = TMQ_ERR_TOO_LARGE;
    } else {
        uint16_t n = static_cast<uint16_t>(job->subs.size());
        rc = job->kind == Job::kSubscribe ? tmq_client_subscribe(&client_, job->subs.data(), n, &job->props, job.get())
                                          : tmq_client_unsubscribe(&client_, job->subs.data(), n, &job->props, job.get());
    }
    if (rc == TMQ_ERR_QUEUE_FULL)
        return false;
    offline_.Release(*job);
    if (Lend(job, rc))
        return true;
    if (job->seq)
        tmq_fstore_done(store_->fs, job->seq);   // refused for good: not sent after a restart either
    driver_->Emit(id_, kError, rc, job->token);
    job.reset();
    return true;
}

bool Core::Lend(JobPtr &job, int32_t rc)
{
    if (rc < 0)
        return false;
    (void)job.release();   // the engine's tmq_msg.user now
    return true;
}

JobPtr Core::Reclaim(const tmq_msg *msg)
{
    return JobPtr(static_cast<Job *>(msg->user));
}

uint32_t Core::PublishSize(const Job &job) const
{
    tmq_packet pkt{};
    pkt.type = TMQ_PUBLISH;
    pkt.version = cfg_.version;
    pkt.id = job.qos ? 1 : 0;
    const uint8_t *p = reinterpret_cast<const uint8_t *>(job.Data());
    pkt.u.publish.topic = tmq_bin{p, job.topic_len};
    pkt.u.publish.payload = tmq_bin{p + job.topic_len, job.data_len - job.topic_len};
    pkt.u.publish.qos = job.qos;
    pkt.u.publish.retain = job.retain;
    pkt.props = job.props;
    int32_t size = tmq_encode(nullptr, 0, &pkt);
    return size < 0 ? 0 : static_cast<uint32_t>(size);
}

void Core::FollowUp()
{
    RetryWaiting();
    if (give_back_) {
        give_back_ = false;
        GiveBackBuffers();
    }
}

void Core::GiveBackBuffers()
{
    // their contents are not needed: the pages come back zeroed when touched
    if (!closed_ && tmq_client_buffers_empty(&client_))
        madvise(memory_, buffers_bytes_, MADV_DONTNEED);
    TrimLargeBuffers();
}

void Core::RetryWaiting()
{
    while (!closed_ && !offline_.Empty() && tmq_client_state(&client_) == TMQ_STATE_READY) {
        if (!TrySubmit(offline_.Front()))
            return;
        offline_.PopFront();
    }
}

void Core::ChangePolicy(const tmq_backoff &policy)
{
    uint32_t seed = backoff_.seed;
    backoff_ = policy;
    backoff_.seed = seed;
    tmq_backoff_reset(&backoff_);
    // off: a wait under way ends too (DISCONNECTED, a Disconnect event with 0)
    if (!policy.base_ms && tmq_client_state(&client_) == TMQ_STATE_WAITING_RECONNECT)
        tmq_client_disconnect(&client_, 0, tmq_now_ms());
}

void Core::Close()
{
    if (closed_)
        return;
    closed_ = true;
    if (added_)
        driver_->Detach(this);
    if (added_ && SyncsEachRound())
        driver_->SyncEachRound(store_->fs, false);
    added_ = false;
    Io()->base.ops->close(&Io()->base);   // TLS closes the TCP connection under it
    tmq_client_abandon(&client_);         // Error TMQ_ERR_CLOSED for each, in order
    if (std::unique_ptr<OfflineQueue::Jobs> jobs = offline_.TakeAll())
        for (const JobPtr &job : *jobs)
            driver_->Emit(id_, kError, TMQ_ERR_CLOSED, job->token);
}

void Core::Finished(const tmq_msg *msg)
{
    Reclaim(msg);   // freed here
    if (!offline_.Empty() && !closed_)
        driver_->WantFollowUp(this);
}

// ---- Core: engine callbacks (loop thread) -------------------------------------

const tmq_client_events Core::kEvents = {
    &Core::OnConnack, &Core::OnMessage, &Core::OnSent, &Core::OnSuback, &Core::OnUnsuback,
    &Core::OnPong,    &Core::OnDisconnect, &Core::OnError, &Core::OnState,   &Core::OnReconnectDelay,
    &Core::OnAuth,    nullptr,
};

const tmq_client_events Core::kLoggedEvents = {
    &Core::OnConnack, &Core::OnMessage, &Core::OnSent, &Core::OnSuback, &Core::OnUnsuback,
    &Core::OnPong,    &Core::OnDisconnect, &Core::OnError, &Core::OnState,   &Core::OnReconnectDelay,
    &Core::OnAuth,    &Core::OnPacket,
};

uint8_t *Core::GrowRx(tmq_client *c, uint32_t size)
{
    Core *k = Of(c);
    k->big_rx_.reset();
    if (size <= k->packet_rx_cap_)
        return size ? k->packet_rx_ : nullptr;
    k->big_rx_ = NewLargeBuffer(size);
    return k->big_rx_.get();
}

void Core::OnConnack(tmq_client *c, const tmq_packet *pkt)
{
    Core *k = Of(c);
    k->driver_->EmitProps(k->id_, kConnack, pkt->session_present, pkt->reason, PropsOf(pkt));
    // the offline queue goes out after what the engine resends; a client
    // with nothing to send then holds no buffer pages until its next packet
    k->give_back_ = true;
    k->driver_->WantFollowUp(k);
}

void Core::OnMessage(tmq_client *c, const tmq_packet *pkt)
{
    Core *k = Of(c);
    const tmq_publish &p = pkt->u.publish;
    int32_t flags = p.qos | (p.retain ? 4 : 0) | (p.dup ? 8 : 0) | static_cast<int32_t>(uint32_t(pkt->id) << 16);
    // a packet read into a buffer of its own (GrowRx) may go to JS with its
    // payload: the engine reads the next large packet into a new one
    bool in_big = k->big_rx_ && c->reader.buf == k->big_rx_.get();
    k->driver_->EmitMessage(k->id_, p.topic.p, p.topic.len, p.payload.p, p.payload.len, flags, PropsOf(pkt),
                            in_big ? &k->big_rx_ : nullptr);
}

void Core::OnSent(tmq_client *c, const tmq_msg *msg, uint8_t reason)
{
    Core *k = Of(c);
    // a QoS 0 publish is done once written, in order: Written
    bool written = msg->kind == TMQ_MSG_PUBLISH && msg->u.publish.qos == 0;
    k->driver_->Emit(k->id_, written ? kWritten : kSent, TokenOf(msg), reason);
    k->Finished(msg);
}

void Core::OnSuback(tmq_client *c, const tmq_msg *msg, const tmq_packet *pkt)
{
    Core *k = Of(c);
    k->driver_->EmitCodes(k->id_, kSuback, TokenOf(msg), pkt->u.codes.p, pkt->u.codes.count, PropsOf(pkt));
    k->Finished(msg);
}

void Core::OnUnsuback(tmq_client *c, const tmq_msg *msg, const tmq_packet *pkt)
{
    Core *k = Of(c);
    k->driver_->EmitCodes(k->id_, kUnsuback, TokenOf(msg), pkt->u.codes.p, pkt->u.codes.count, PropsOf(pkt));
    k->Finished(msg);
}

void Core::OnPong(tmq_client *c)
{
    Core *k = Of(c);
    k->driver_->Emit(k->id_, kPong);
    // a keepalive's answer: the client has been quiet (GiveBackBuffers)
    k->give_back_ = true;
    k->driver_->WantFollowUp(k);
}

std::string Core::FailureDetail(int err) const
{
    char reason[128], text[256];
    size_t r = 0, n = 0;
    if (tls_on_ && (err == TMQ_ERR_TLS || err == TMQ_ERR_TLS_VERIFY)) {
        r = tmq_tls_reason(&tls_, reason, sizeof reason);
        n = tmq_tls_describe(&tls_, text, sizeof text);
    } else if (err != TMQ_OK) {
        n = tmq_tcp_describe(&tcp_, text, sizeof text);
    }
    if (r && n)
        return std::string(reason, r) + " (" + std::string(text, n) + ")";
    return r ? std::string(reason, r) : std::string(text, n);
}

void Core::OnDisconnect(tmq_client *c, int err, const tmq_packet *pkt)
{
    Core *k = Of(c);
    if (!pkt) {   // not the broker's refusal: the transport may say why
        std::string detail = k->FailureDetail(err);
        if (!detail.empty())
            k->driver_->EmitProps(k->id_, kFailure, err, 0,
                                  Bytes{reinterpret_cast<const uint8_t *>(detail.data()), static_cast<uint32_t>(detail.size())});
    }
    // the 5.0 reason code, or a 3.x CONNACK's return code
    int32_t reason = pkt && (k->cfg_.version == TMQ_V5 || pkt->type == TMQ_CONNACK) ? pkt->reason : 0;
    if (err == TMQ_ERR_WS_HANDSHAKE && k->ws_)
        reason = k->ws_->HttpStatus();   // the refusal's HTTP status
    k->driver_->EmitProps(k->id_, kDisconnect, err, reason, pkt ? PropsOf(pkt) : Bytes{});
}

void Core::OnError(tmq_client *c, int err, const tmq_msg *msg)
{
    Core *k = Of(c);
    k->driver_->Emit(k->id_, kError, err, TokenOf(msg));
    if (msg && msg->user)
        k->Finished(msg);
}

void Core::OnState(tmq_client *c, tmq_state state)
{
    Core *k = Of(c);
    k->ready_.store(state == TMQ_STATE_READY, std::memory_order_relaxed);
    // a list mixing mqtt and mqtts: the TLS layer stands aside for a plain
    // server (told before the transport connects)
    if (state == TMQ_STATE_TCP_CONNECTING && k->tls_on_ && !k->servers_.empty())
        tmq_tls_set_plain(&k->tls_, k->servers_[tmq_client_server_index(c)].kind == kServerPlain);
    uint32_t delay = state == TMQ_STATE_WAITING_RECONNECT ? c->reconnect_ms : 0;
    k->driver_->Emit(k->id_, kState, state, static_cast<int32_t>(std::min<uint32_t>(delay, INT32_MAX)),
                     tmq_client_server_index(c), tmq_client_failing_over(c));
}

// A packet as one line of the debug log: direction, type, what identifies it
// (tinymqtt/describe.h, the same text as the WebAssembly engine's).
static std::string PacketLine(int out, const tmq_packet *p, uint32_t len)
{
    std::string s(tmq_packet_describe(p, out, len, nullptr, 0), '\0');
    tmq_packet_describe(p, out, len, s.data(), s.size());
    return s;
}

void Core::OnPacket(tmq_client *c, int out, const tmq_packet *pkt, uint32_t len)
{
    Core *k = Of(c);
    std::string line = PacketLine(out, pkt, len);
    k->driver_->EmitProps(k->id_, kPacket, 0, 0, Bytes{reinterpret_cast<const uint8_t *>(line.data()), static_cast<uint32_t>(line.size())});
}

void Core::OnAuth(tmq_client *c, const tmq_packet *pkt)
{
    Core *k = Of(c);
    k->driver_->EmitProps(k->id_, kAuth, pkt->reason, 0, PropsOf(pkt));
}

uint32_t Core::OnReconnectDelay(tmq_client *c, int was_ready, uint32_t lasted_ms)
{
    return tmq_backoff_after(&Of(c)->backoff_, was_ready, lasted_ms);
}

// ---- ClientWrap (JS thread) ---------------------------------------------------

Napi::Function ClientWrap::Define(Napi::Env env, Driver *driver)
{
    return DefineClass(env, "NativeClient",
                       {
                           InstanceAccessor<&ClientWrap::GetId>("id"),
                           InstanceMethod<&ClientWrap::Connect>("connect"),
                           InstanceMethod<&ClientWrap::Publish>("publish"),
                           InstanceMethod<&ClientWrap::Subscribe>("subscribe"),
                           InstanceMethod<&ClientWrap::Unsubscribe>("unsubscribe"),
                           InstanceMethod<&ClientWrap::Ping>("ping"),
                           InstanceMethod<&ClientWrap::Cancel>("cancel"),
                           InstanceMethod<&ClientWrap::Disconnect>("disconnect"),
                           InstanceMethod<&ClientWrap::Auth>("auth"),
                           InstanceMethod<&ClientWrap::SetReconnect>("setReconnect"),
                           InstanceMethod<&ClientWrap::CloseClient>("close"),
                           InstanceMethod<&ClientWrap::RefClient>("ref"),
                           InstanceMethod<&ClientWrap::UnrefClient>("unref"),
                           InstanceMethod<&ClientWrap::ReadStats>("readStats"),
                       },
                       driver);
}

// Constructed by createClient only, which hands the core over through the
// driver (Loop::NewClient, Inline::NewClient); from JS the constructor throws.
ClientWrap::ClientWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<ClientWrap>(info)
{
    driver_ = static_cast<Driver *>(info.Data());
    core_ = driver_->TakeNewCore();
    if (!core_)
        throw Napi::TypeError::New(info.Env(), "NativeClient: use createClient()");
    id_ = core_->Id();
    store_ = core_->Store();
}

Napi::Value ClientWrap::GetId(const Napi::CallbackInfo &info)
{
    return Napi::Number::New(info.Env(), id_);
}

void ClientWrap::CheckOpen(Napi::Env env, const char *method) const
{
    if (closed_ || driver_->IsShutDown()) {
        Napi::Error e = Napi::Error::New(env, std::string(method) + ": the client is closed");
        e.Set("code", Napi::String::New(env, "TMQ_ERR_CLOSED"));
        throw e;
    }
}

void ClientWrap::Connect(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "connect");
    driver_->Post(NewJob(Job::kConnect, core_));
}

Napi::Value ClientWrap::Publish(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    const char *m = "publish";
    CheckOpen(env, m);
    const char *topic = nullptr, *payload = nullptr;
    size_t topic_len = 0, payload_len = 0;
    bool topic_bytes = BufferBytes(env, info[0], &topic, &topic_len);
    if (!topic_bytes && !info[0].IsString())
        ArgType(env, m, "topic must be a string or a Buffer of UTF-8");
    if (!BufferBytes(env, info[1], &payload, &payload_len))
        ArgType(env, m, "payload must be a Buffer");
    uint8_t qos = Byte(env, info[2], m, "qos must be an integer from 0 to 2");
    bool retain = false;
    if (napi_get_value_bool(env, info[3], &retain) != napi_ok)
        ArgType(env, m, "retain must be a boolean");
    int32_t token = Token(env, info[4], m);

    Block props = Props(env, info[5], m);

    if (!topic_bytes)
        topic_len = Utf8Length(env, info[0]);
    if (topic_len + payload_len + props.len > UINT32_MAX - 1)
        throw Napi::RangeError::New(env, "publish: payload is too large");
    JobPtr job = NewJob(Job::kPublish, core_);
    job->token = token;
    job->qos = qos;
    job->retain = retain ? 1 : 0;
    job->data_len = static_cast<uint32_t>(topic_len + payload_len);
    job->Reserve(job->data_len + props.len + 1);
    if (topic_bytes)
        std::memcpy(job->Data(), topic, topic_len);
    job->topic_len = static_cast<uint32_t>(topic_bytes ? topic_len : Utf8Write(env, info[0], job->Data(), topic_len));
    if (payload_len)
        std::memcpy(job->Data() + job->topic_len, payload, payload_len);
    job->AttachProps(props.data, props.len);
    if (!core_->Ready())
        job->queued = core_->Offline().Admit(env, qos, core_->PublishSize(*job));   // throws when full
    if (store_ && (qos == 1 || qos == 2)) {
        // in the store before publish() returns; the engine's hooks record the rest
        tmq_fstore_msg m{};
        m.topic = tmq_bin{reinterpret_cast<const uint8_t *>(job->Data()), job->topic_len};
        m.payload = tmq_bin{m.topic.p + job->topic_len, job->data_len - job->topic_len};
        m.props = job->props.raw;
        m.qos = qos;
        m.retain = job->retain;
        if (tmq_fstore_add(store_->fs, &m, &job->seq) != TMQ_OK)
            throw StoreError(env, "publish", *store_);   // the job, and what Admit counted, go
    }
    if (qos == 0)
        core_->CountUnwritten(job.get());
    driver_->Post(std::move(job));
    // read after Post: the inline driver may have written it already
    return Napi::Number::New(env, static_cast<double>(core_->Unwritten()));
}

// The filters (and, for subscribe, options) and token of (un)subscribe.
JobPtr ClientWrap::Filters(const Napi::CallbackInfo &info, Job::Kind kind, const char *m)
{
    Napi::Env env = info.Env();
    bool sub = kind == Job::kSubscribe;
    if (!info[0].IsArray())
        ArgType(env, m, "filters must be an array of strings");
    Napi::Array filters = info[0].As<Napi::Array>();
    uint32_t n = filters.Length();
    Napi::Array opts;
    if (sub) {
        if (!info[1].IsArray() || info[1].As<Napi::Array>().Length() != n)
            ArgType(env, m, "options must be an array of numbers, one per filter");
        opts = info[1].As<Napi::Array>();
    }
    int32_t token = Token(env, info[sub ? 2 : 1], m);
    Block props = Props(env, info[sub ? 3 : 2], m);

    JobPtr job = NewJob(kind, core_);
    job->token = token;
    job->subs.resize(n);
    std::vector<Napi::Value> strings(n);
    std::vector<size_t> lens(n);
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        strings[i] = filters.Get(i);
        if (!strings[i].IsString())
            ArgType(env, m, "filters must be an array of strings");
        lens[i] = Utf8Length(env, strings[i]);
        total += lens[i];
        if (sub)
            job->subs[i].opts = Byte(env, opts.Get(i), m, "options must be integers from 0 to 255");
    }
    if (total + props.len > UINT32_MAX - 1)
        throw Napi::RangeError::New(env, std::string(m) + ": filters are too large");
    job->data_len = static_cast<uint32_t>(total);
    job->Reserve(total + props.len + 1);
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = Utf8Write(env, strings[i], job->Data() + off, lens[i]);
        job->subs[i].filter = tmq_bin{reinterpret_cast<const uint8_t *>(job->Data() + off), static_cast<uint32_t>(len)};
        off += len;
    }
    job->AttachProps(props.data, props.len);
    return job;
}

void ClientWrap::Subscribe(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "subscribe");
    driver_->Post(Filters(info, Job::kSubscribe, "subscribe"));
}

void ClientWrap::Unsubscribe(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "unsubscribe");
    driver_->Post(Filters(info, Job::kUnsubscribe, "unsubscribe"));
}

void ClientWrap::Ping(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "ping");
    JobPtr job = NewJob(Job::kPing, core_);
    job->token = Token(info.Env(), info[0], "ping");
    driver_->Post(std::move(job));
}

void ClientWrap::Cancel(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "cancel");
    JobPtr job = NewJob(Job::kCancel, core_);
    job->token = Token(info.Env(), info[0], "cancel");
    driver_->Post(std::move(job));
}

// A job carrying a 5.0 reason code (info[0]), a token (info[1], optional:
// its errors then concern the connection) and a property block (info[2],
// optional): disconnect's and auth's.
static JobPtr ReasonJob(const Napi::CallbackInfo &info, Job::Kind kind, Core *core, const char *m)
{
    Napi::Env env = info.Env();
    uint8_t reason = Byte(env, info[0], m, "reason must be an integer from 0 to 255");
    int32_t token = info[1].IsUndefined() ? 0 : Token(env, info[1], m);
    Block props = Props(env, info[2], m);
    JobPtr job = NewJob(kind, core);
    job->reason = reason;
    job->token = token;
    job->Reserve(props.len + 1);
    job->AttachProps(props.data, props.len);
    return job;
}

void ClientWrap::Disconnect(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "disconnect");
    if (info.Length() == 0) {
        driver_->Post(NewJob(Job::kDisconnect, core_));
        return;
    }
    driver_->Post(ReasonJob(info, Job::kDisconnect, core_, "disconnect"));
}

void ClientWrap::Auth(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "auth");
    driver_->Post(ReasonJob(info, Job::kAuth, core_, "auth"));
}

void ClientWrap::SetReconnect(const Napi::CallbackInfo &info)
{
    CheckOpen(info.Env(), "setReconnect");
    tmq_backoff policy = ReadReconnect(OptionReader(info.Env(), info[0], "policy", "setReconnect"));
    JobPtr job = NewJob(Job::kReconnect, core_);
    std::memcpy(job->Reserve(sizeof policy), &policy, sizeof policy);
    driver_->Post(std::move(job));
}

void ClientWrap::CloseClient(const Napi::CallbackInfo &)
{
    if (closed_ || driver_->IsShutDown())
        return;
    closed_ = true;
    driver_->Post(NewJob(Job::kClose, core_));
}

void ClientWrap::RefClient(const Napi::CallbackInfo &)
{
    if (!closed_)
        driver_->SetRef(id_, true);
}

void ClientWrap::UnrefClient(const Napi::CallbackInfo &)
{
    if (!closed_)
        driver_->SetRef(id_, false);
}

// Diagnostics (Driver::ReadStats): undefined from a driver that keeps none
// or once closed.
Napi::Value ClientWrap::ReadStats(const Napi::CallbackInfo &info)
{
    Napi::Env env = info.Env();
    Driver::ReadStats s;
    if (closed_ || !driver_->Stats(id_, &s))
        return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("polls", s.polls);
    o.Set("reads", s.reads);
    o.Set("recvs", s.recvs);
    o.Set("bytes", s.bytes);
    return o;
}

} // namespace tmq_node
