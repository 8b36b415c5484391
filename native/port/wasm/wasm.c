/* The WebAssembly port (wasm.h): a client whose transport and events are
 * JavaScript functions, imported from the module "env". */
#include "wasm.h"

#include <stddef.h>
#include <string.h>

#include "tinymqtt/describe.h"
#include "tinymqtt/error.h"
#include "tinymqtt/topic.h"

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

/* ---- what JS provides (lib/wasm/native.ts) ---- */

/* The transport of client id, as tinymqtt/port.h's operations. */
IMPORT(tmq_js_connect) int tmq_js_connect(int32_t id, const char *host, uint32_t port);
IMPORT(tmq_js_send) int32_t tmq_js_send(int32_t id, const uint8_t *buf, uint32_t len);
IMPORT(tmq_js_recv) int32_t tmq_js_recv(int32_t id, uint8_t *buf, uint32_t len);
IMPORT(tmq_js_close) void tmq_js_close(int32_t id);
/* len unpredictable bytes at out (the WebSocket key and masks). */
IMPORT(tmq_js_random) void tmq_js_random(uint8_t *out, uint32_t len);
/* A buffer of size bytes for one large packet, 0: the engine is done with it. */
IMPORT(tmq_js_rx_grow) uint8_t *tmq_js_rx_grow(int32_t id, uint32_t size);
/* The engine's events (tinymqtt/client.h), one function each. */
IMPORT(tmq_js_connack) void tmq_js_connack(int32_t id, uint32_t session_present, uint32_t reason, const uint8_t *props,
                                           uint32_t props_len);
IMPORT(tmq_js_message) void tmq_js_message(int32_t id, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                                           uint32_t payload_len, uint32_t qos, uint32_t retain, uint32_t dup,
                                           uint32_t packet_id, const uint8_t *props, uint32_t props_len);
IMPORT(tmq_js_sent) void tmq_js_sent(int32_t id, int32_t token, uint32_t reason, uint32_t written);
IMPORT(tmq_js_codes) void tmq_js_codes(int32_t id, uint32_t unsub, int32_t token, const uint8_t *codes, uint32_t count,
                                       const uint8_t *props, uint32_t props_len);
IMPORT(tmq_js_pong) void tmq_js_pong(int32_t id);
/* packet: nonzero when a packet (a refusing CONNACK, the server's 5.0
 * DISCONNECT) ended it, else the transport may say why */
IMPORT(tmq_js_disconnect) void tmq_js_disconnect(int32_t id, int32_t err, uint32_t reason, uint32_t packet,
                                                 const uint8_t *props, uint32_t props_len);
IMPORT(tmq_js_error) void tmq_js_error(int32_t id, int32_t err, int32_t token);
IMPORT(tmq_js_state) void tmq_js_state(int32_t id, uint32_t state, uint32_t delay, uint32_t server, uint32_t failing_over);
IMPORT(tmq_js_auth) void tmq_js_auth(int32_t id, uint32_t reason, const uint8_t *props, uint32_t props_len);
/* A packet sent or received, as one line of text (options.logPackets). */
IMPORT(tmq_js_packet) void tmq_js_packet(int32_t id, const char *line, uint32_t len);

/* ---- the transport ---- */

static int32_t io_id(tmq_transport *t)
{
    return ((tmq_wasm_io *)(void *)t)->id;
}

static int io_connect(tmq_transport *t, const char *host, uint16_t port)
{
    return tmq_js_connect(io_id(t), host, port);
}

static int32_t io_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    return tmq_js_send(io_id(t), buf, len);
}

static int32_t io_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    return tmq_js_recv(io_id(t), buf, len);
}

static void io_close(tmq_transport *t)
{
    tmq_js_close(io_id(t));
}

static const tmq_transport_ops io_ops = {io_connect, io_send, io_recv, io_close};

static void ws_random(void *ctx, uint8_t *out, uint32_t len)
{
    (void)ctx;
    tmq_js_random(out, len);
}

/* ---- events ---- */

static tmq_wasm_client *of(tmq_client *c)
{
    return (tmq_wasm_client *)c->user;
}

/* A message's token: tmq_msg.user holds it (never 0). */
static int32_t token_of(const tmq_msg *msg)
{
    return msg ? (int32_t)(uintptr_t)msg->user : 0;
}

static void on_connack(tmq_client *c, const tmq_packet *p)
{
    tmq_js_connack(of(c)->id, p->session_present, p->reason, p->props.raw.p, p->props.raw.len);
}

static void on_message(tmq_client *c, const tmq_packet *p)
{
    const tmq_publish *m = &p->u.publish;
    tmq_js_message(of(c)->id, m->topic.p, m->topic.len, m->payload.p, m->payload.len, m->qos, m->retain, m->dup, p->id,
                   p->props.raw.p, p->props.raw.len);
}

static void on_sent(tmq_client *c, const tmq_msg *msg, uint8_t reason)
{
    tmq_js_sent(of(c)->id, token_of(msg), reason, msg->kind == TMQ_MSG_PUBLISH && msg->u.publish.qos == 0);
}

static void on_suback(tmq_client *c, const tmq_msg *msg, const tmq_packet *p)
{
    tmq_js_codes(of(c)->id, 0, token_of(msg), p->u.codes.p, p->u.codes.count, p->props.raw.p, p->props.raw.len);
}

static void on_unsuback(tmq_client *c, const tmq_msg *msg, const tmq_packet *p)
{
    tmq_js_codes(of(c)->id, 1, token_of(msg), p->u.codes.p, p->u.codes.count, p->props.raw.p, p->props.raw.len);
}

static void on_pong(tmq_client *c)
{
    tmq_js_pong(of(c)->id);
}

static void on_disconnect(tmq_client *c, int err, const tmq_packet *p)
{
    tmq_wasm_client *w = of(c);
    /* the 5.0 reason code, a 3.x CONNACK's return code, or a refused
     * upgrade's HTTP status */
    uint32_t reason = p && (w->cfg.version == TMQ_V5 || p->type == TMQ_CONNACK) ? p->reason : 0;
    if (err == TMQ_ERR_WS_HANDSHAKE && w->ws_on)
        reason = tmq_ws_http_status(&w->ws);
    tmq_js_disconnect(w->id, err, reason, p != NULL, p ? p->props.raw.p : NULL, p ? p->props.raw.len : 0);
}

static void on_error(tmq_client *c, int err, const tmq_msg *msg)
{
    tmq_js_error(of(c)->id, err, token_of(msg));
}

static void on_state(tmq_client *c, tmq_state state)
{
    uint32_t delay = state == TMQ_STATE_WAITING_RECONNECT ? c->reconnect_ms : 0;
    tmq_js_state(of(c)->id, state, delay, tmq_client_server_index(c), (uint32_t)tmq_client_failing_over(c));
}

static void on_auth(tmq_client *c, const tmq_packet *p)
{
    tmq_js_auth(of(c)->id, p->reason, p->props.raw.p, p->props.raw.len);
}

static uint32_t on_reconnect_delay(tmq_client *c, int was_ready, uint32_t lasted_ms)
{
    return tmq_backoff_after(&of(c)->backoff, was_ready, lasted_ms);
}

static uint8_t *grow_rx(tmq_client *c, uint32_t size)
{
    return tmq_js_rx_grow(of(c)->id, size);
}

static const tmq_client_events events = {
    on_connack, on_message, on_sent, on_suback, on_unsuback, on_pong, on_disconnect, on_error, on_state,
    on_reconnect_delay, on_auth, NULL,
};

/* The text of one packet (tinymqtt/describe.h): a client id or a topic
 * (at most 65535 bytes each) and the rest of the line fit. */
static char packet_line[65536 + 256];

static void on_packet(tmq_client *c, int out, const tmq_packet *p, uint32_t len)
{
    size_t n = tmq_packet_describe(p, out, len, packet_line, sizeof packet_line);
    tmq_js_packet(of(c)->id, packet_line, (uint32_t)(n < sizeof packet_line ? n : sizeof packet_line));
}

/* The events of a client that logs its packets (tmq_wasm_log_packets). */
static const tmq_client_events logged_events = {
    on_connack, on_message, on_sent, on_suback, on_unsuback, on_pong, on_disconnect, on_error, on_state,
    on_reconnect_delay, on_auth, on_packet,
};

/* ---- set-up ---- */

EXPORT(tmq_wasm_size) uint32_t tmq_wasm_size(void)
{
    return sizeof(tmq_wasm_client);
}

EXPORT(tmq_wasm_msg_size) uint32_t tmq_wasm_msg_size(void)
{
    return sizeof(tmq_msg);
}

EXPORT(tmq_wasm_server_size) uint32_t tmq_wasm_server_size(void)
{
    return sizeof(tmq_server);
}

EXPORT(tmq_wasm_props_size) uint32_t tmq_wasm_props_size(void)
{
    return sizeof(tmq_props);
}

EXPORT(tmq_wasm_sub_size) uint32_t tmq_wasm_sub_size(void)
{
    return sizeof(tmq_sub);
}

EXPORT(tmq_wasm_new) void tmq_wasm_new(tmq_wasm_client *w, int32_t id)
{
    memset(w, 0, sizeof *w);
    w->id = id;
    w->io.base.ops = &io_ops;
    w->io.id = id;
    {
        static const tmq_offline_bounds none = TMQ_OFFLINE_NO_BOUNDS;
        w->offline = none;   /* until tmq_wasm_set_offline */
    }
}

EXPORT(tmq_wasm_log_packets) void tmq_wasm_log_packets(tmq_wasm_client *w)
{
    w->log_packets = 1;
}

static tmq_bin bin(const uint8_t *p, uint32_t len)
{
    tmq_bin b;
    b.p = p;
    b.len = len;
    return b;
}

EXPORT(tmq_wasm_set_connect)
void tmq_wasm_set_connect(tmq_wasm_client *w, const char *host, uint32_t port, uint32_t version,
                          const uint8_t *client_id, uint32_t client_id_len, uint32_t clean, uint32_t keepalive,
                          const uint8_t *username, uint32_t username_len, const uint8_t *password,
                          uint32_t password_len, const uint8_t *props, uint32_t props_len,
                          uint32_t connect_timeout, uint32_t max_inflight, uint32_t auto_alias)
{
    tmq_client_config *cfg = &w->cfg;
    cfg->host = host;
    cfg->port = (uint16_t)port;
    cfg->version = (uint8_t)version;
    cfg->connect.client_id = bin(client_id, client_id_len);
    cfg->connect.clean = (uint8_t)clean;
    cfg->connect.keepalive = (uint16_t)keepalive;
    cfg->connect.username = bin(username, username_len);
    cfg->connect.password = bin(password, password_len);
    if (props)
        cfg->connect_props.raw = bin(props, props_len);
    cfg->connect_timeout_ms = connect_timeout;
    cfg->max_inflight = (uint16_t)max_inflight;
    cfg->auto_alias = (uint8_t)auto_alias;
}

EXPORT(tmq_wasm_set_will)
void tmq_wasm_set_will(tmq_wasm_client *w, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                       uint32_t payload_len, uint32_t qos, uint32_t retain, const uint8_t *props, uint32_t props_len)
{
    tmq_connect *conn = &w->cfg.connect;
    conn->will_topic = bin(topic, topic_len);
    conn->will_payload = bin(payload, payload_len);
    conn->will_qos = (uint8_t)qos;
    conn->will_retain = (uint8_t)retain;
    if (props)
        conn->will_props.raw = bin(props, props_len);
}

EXPORT(tmq_wasm_set_server)
void tmq_wasm_set_server(tmq_wasm_client *w, tmq_server *servers, uint32_t i, uint32_t count, const char *host,
                         uint32_t port, uint32_t kind)
{
    servers[i].host = host;
    servers[i].port = (uint16_t)port;
    servers[i].kind = (uint8_t)kind;
    if (i + 1 == count) {
        w->cfg.servers = servers;
        w->cfg.server_count = (uint8_t)count;
    }
}

static void policy(tmq_backoff *b, uint32_t base_ms, uint32_t max_ms, uint32_t factor, uint32_t jitter,
                   uint32_t stable_ms)
{
    b->base_ms = base_ms;
    b->max_ms = max_ms > base_ms ? max_ms : base_ms;
    b->factor = (uint16_t)factor;
    b->no_jitter = jitter ? 0 : 1;
    b->stable_ms = stable_ms;
}

EXPORT(tmq_wasm_set_reconnect)
void tmq_wasm_set_reconnect(tmq_wasm_client *w, uint32_t base_ms, uint32_t max_ms, uint32_t factor, uint32_t jitter,
                            uint32_t stable_ms, uint32_t seed)
{
    policy(&w->backoff, base_ms, max_ms, factor, jitter, stable_ms);
    w->backoff.seed = seed | 1u;
}

EXPORT(tmq_wasm_set_ws)
int tmq_wasm_set_ws(tmq_wasm_client *w, const char *path, const char *host, const char *headers, uint8_t *tx,
                    uint32_t tx_cap, uint8_t *rx, uint32_t rx_cap)
{
    int rc;
    tmq_ws_config *wc = &w->ws_cfg;
    wc->path = path;
    wc->host = host;
    wc->headers = headers;
    wc->tx = tx;
    wc->tx_cap = tx_cap;
    wc->rx = rx;
    wc->rx_cap = rx_cap;
    wc->random = ws_random;
    rc = tmq_ws_init(&w->ws, &w->io.base, wc);
    w->ws_on = rc == TMQ_OK;
    return rc;
}

EXPORT(tmq_wasm_init)
int tmq_wasm_init(tmq_wasm_client *w, uint8_t *tx, uint32_t tx_cap, uint8_t *rx, uint32_t rx_cap, uint32_t rx_max,
                  tmq_msg *msgs, uint32_t msg_cap, uint16_t *qos2, uint32_t qos2_cap, uint8_t *assigned,
                  uint32_t assigned_cap, uint8_t *aliases, uint32_t alias_max, uint32_t alias_len, uint8_t *out_aliases,
                  uint32_t out_alias_max, uint32_t out_alias_len)
{
    tmq_client_mem mem;
    int rc;
    memset(&mem, 0, sizeof mem);
    mem.tx = tx;
    mem.tx_cap = tx_cap;
    mem.rx = rx;
    mem.rx_cap = rx_cap;
    mem.rx_grow = grow_rx;
    mem.rx_max = rx_max;
    mem.msgs = msgs;
    mem.msg_cap = (uint16_t)msg_cap;
    mem.qos2 = qos2;
    mem.qos2_cap = (uint16_t)qos2_cap;
    mem.assigned_id = assigned;
    mem.assigned_cap = (uint16_t)assigned_cap;
    mem.aliases = aliases;
    mem.alias_max = (uint16_t)alias_max;
    mem.alias_len = (uint16_t)alias_len;
    mem.out_aliases = out_aliases;
    mem.out_alias_max = (uint16_t)out_alias_max;
    mem.out_alias_len = (uint16_t)out_alias_len;
    rc = tmq_client_init(&w->client, &w->cfg, w->log_packets ? &logged_events : &events, &mem,
                         w->ws_on ? &w->ws.base : &w->io.base);
    w->client.user = w;
    return rc;
}

/* ---- operations ---- */

/* The tmq_props at the front of a job block, over its property block. */
static tmq_props *block_props(uint8_t *block, const uint8_t *raw, uint32_t len)
{
    tmq_props *props = (tmq_props *)(void *)block;
    memset(props, 0, sizeof *props);
    if (len)
        props->raw = bin(raw, len);
    return props;
}

EXPORT(tmq_wasm_publish)
int32_t tmq_wasm_publish(tmq_wasm_client *w, uint8_t *block, uint32_t topic_len, uint32_t payload_len,
                         uint32_t props_len, uint32_t qos, uint32_t retain, int32_t token)
{
    uint8_t *topic = block + sizeof(tmq_props);
    tmq_props *props = block_props(block, topic + topic_len + payload_len, props_len);
    return tmq_client_publish(&w->client, bin(topic, topic_len), bin(topic + topic_len, payload_len), (uint8_t)qos,
                              (uint8_t)retain, props, (void *)(uintptr_t)token);
}

EXPORT(tmq_wasm_publish_size)
uint32_t tmq_wasm_publish_size(const tmq_wasm_client *w, uint8_t *block, uint32_t topic_len, uint32_t payload_len,
                               uint32_t props_len, uint32_t qos, uint32_t retain)
{
    tmq_packet pkt;
    int32_t size;
    const uint8_t *topic = block + sizeof(tmq_props);
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_PUBLISH;
    pkt.version = w->cfg.version;
    pkt.id = qos ? 1 : 0;
    pkt.u.publish.topic = bin(topic, topic_len);
    pkt.u.publish.payload = bin(topic + topic_len, payload_len);
    pkt.u.publish.qos = (uint8_t)qos;
    pkt.u.publish.retain = (uint8_t)retain;
    if (props_len)
        pkt.props.raw = bin(topic + topic_len + payload_len, props_len);
    size = tmq_encode(NULL, 0, &pkt);
    return size < 0 ? 0 : (uint32_t)size;
}

EXPORT(tmq_wasm_subscribe)
int32_t tmq_wasm_subscribe(tmq_wasm_client *w, uint8_t *block, uint32_t count, uint32_t props_len, uint32_t unsub,
                           int32_t token)
{
    tmq_sub *subs = (tmq_sub *)(void *)(block + sizeof(tmq_props));
    uint8_t *at = (uint8_t *)(subs + count);
    tmq_props *props;
    uint32_t i;
    if (count > 0xFFFFu)
        return TMQ_ERR_TOO_LARGE;
    for (i = 0; i < count; i++) {
        uint32_t len = (uint32_t)at[0] | (uint32_t)at[1] << 8;
        subs[i].filter = bin(at + 2, len);
        at += 2 + len;
        subs[i].opts = unsub ? 0 : *at++;
    }
    props = block_props(block, at, props_len);
    return unsub ? tmq_client_unsubscribe(&w->client, subs, (uint16_t)count, props, (void *)(uintptr_t)token)
                 : tmq_client_subscribe(&w->client, subs, (uint16_t)count, props, (void *)(uintptr_t)token);
}

EXPORT(tmq_wasm_disconnect)
int tmq_wasm_disconnect(tmq_wasm_client *w, uint32_t reason, const uint8_t *props, uint32_t props_len,
                        uint32_t now_ms)
{
    int rc = TMQ_OK;
    if (props) {
        memset(&w->close_props, 0, sizeof w->close_props);
        w->close_props.raw = bin(props, props_len);
        rc = tmq_client_disconnect_with(&w->client, (uint8_t)reason, &w->close_props, now_ms);
        if (rc == TMQ_OK || rc == TMQ_ERR_STATE)
            return TMQ_OK;
    }
    tmq_client_disconnect(&w->client, 0, now_ms);   /* TMQ_ERR_STATE: already down */
    return rc;
}

EXPORT(tmq_wasm_auth) int tmq_wasm_auth(tmq_wasm_client *w, uint32_t reason, const uint8_t *props, uint32_t props_len)
{
    tmq_props p;
    memset(&p, 0, sizeof p);
    p.raw = bin(props, props_len);
    return tmq_client_auth(&w->client, (uint8_t)reason, &p);
}

EXPORT(tmq_wasm_change_reconnect)
void tmq_wasm_change_reconnect(tmq_wasm_client *w, uint32_t base_ms, uint32_t max_ms, uint32_t factor,
                               uint32_t jitter, uint32_t stable_ms, uint32_t now_ms)
{
    policy(&w->backoff, base_ms, max_ms, factor, jitter, stable_ms);
    tmq_backoff_reset(&w->backoff);
    if (!base_ms && tmq_client_state(&w->client) == TMQ_STATE_WAITING_RECONNECT)
        tmq_client_disconnect(&w->client, 0, now_ms);
}

EXPORT(tmq_wasm_close) void tmq_wasm_close(tmq_wasm_client *w)
{
    tmq_transport *t = w->ws_on ? &w->ws.base : &w->io.base;
    t->ops->close(t);
    tmq_client_abandon(&w->client);
}

EXPORT(tmq_wasm_check_disconnect)
int32_t tmq_wasm_check_disconnect(uint32_t reason, const uint8_t *props, uint32_t props_len)
{
    tmq_packet pkt;
    int32_t n;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_DISCONNECT;
    pkt.version = TMQ_V5;
    pkt.reason = (uint8_t)reason;
    if (props)
        pkt.props.raw = bin(props, props_len);
    n = reason > 0xFF ? TMQ_ERR_REASON : tmq_encode(NULL, 0, &pkt);
    return n < 0 ? n : 0;
}

EXPORT(tmq_wasm_wants_write) int tmq_wasm_wants_write(const tmq_wasm_client *w)
{
    return tmq_client_wants_write(&w->client) || (w->ws_on && tmq_ws_wants_write(&w->ws));
}

EXPORT(tmq_wasm_inflight) uint32_t tmq_wasm_inflight(const tmq_wasm_client *w)
{
    return w->client.inflight;
}

EXPORT(tmq_wasm_coalesce) tmq_coalesce *tmq_wasm_coalesce(tmq_wasm_client *w)
{
    return &w->coalesce;
}

EXPORT(tmq_wasm_spin) tmq_spin *tmq_wasm_spin(tmq_wasm_client *w)
{
    return &w->spin;
}

EXPORT(tmq_wasm_set_offline)
void tmq_wasm_set_offline(tmq_wasm_client *w, uint32_t count_limit, double byte_limit, uint32_t qos0)
{
    w->offline.count = count_limit;
    /* 2^64 as a double: the first that does not fit */
    w->offline.bytes = !(byte_limit < 18446744073709551616.0) ? UINT64_MAX
                       : byte_limit > 0 ? (uint64_t)byte_limit : 0;
    w->offline.qos0 = qos0 ? 1 : 0;
}

EXPORT(tmq_wasm_offline_admit) int32_t tmq_wasm_offline_admit(tmq_wasm_client *w, uint32_t qos, uint32_t packet)
{
    int verdict = tmq_offline_admit(&w->offline, w->offline_count, w->offline_bytes, (uint8_t)qos, packet);
    uint64_t entry;
    if (verdict != TMQ_OFFLINE_ADMITTED)
        return -verdict;
    entry = tmq_offline_entry(packet);
    w->offline_count++;
    w->offline_bytes += entry;
    return (int32_t)entry;   /* a packet is at most TMQ_MAX_PACKET bytes */
}

EXPORT(tmq_wasm_offline_release) void tmq_wasm_offline_release(tmq_wasm_client *w, uint32_t entry)
{
    w->offline_count--;
    w->offline_bytes -= entry;
}

EXPORT(tmq_wasm_offline_refusal)
uint32_t tmq_wasm_offline_refusal(const tmq_wasm_client *w, uint32_t verdict, uint32_t packet, char *buf, uint32_t cap)
{
    return (uint32_t)tmq_offline_refusal(buf, cap, (int)verdict, &w->offline, w->offline_bytes, packet);
}

EXPORT(tmq_wasm_prop_num) uint32_t tmq_wasm_prop_num(const uint8_t *props, uint32_t props_len, uint32_t id)
{
    tmq_props p;
    tmq_prop prop;
    memset(&p, 0, sizeof p);
    p.raw = bin(props, props_len);
    return tmq_props_get(&p, (uint8_t)id, &prop) ? prop.num : 0;
}
