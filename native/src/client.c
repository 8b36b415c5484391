/* The MQTT client: connection state machine, send buffer, packet handling,
 * keepalive, and the in-flight window over the session's message ring. */
#include "tinymqtt/client.h"

#include <string.h>
#include "session.h"
#include "wire.h"
#include "tinymqtt/topic.h"
#if TMQ_WITH_STORE
#include "tinymqtt/store.h"
#endif

/* Room kept free in the send buffer before reading a packet, so the
 * acknowledgement it may need always fits. */
#define ACK_ROOM 16u
/* Room for the CONNECT property list: the caller's plus the two the client adds. */
#if TMQ_WITH_V5
#define CONNECT_LIST (TMQ_CONNECT_PROPS_MAX + 3)
#else
#define CONNECT_LIST 1
#endif
/* Largest PUBLISH accepted when the server announced no Maximum Packet Size. */
#define NO_LIMIT 0xFFFFFFFFu

/* tmq_client.closing: where a requested disconnect is. */
enum closing_step {
    CLOSING_NONE = 0,  /* no disconnect requested */
    CLOSING_ASKED,     /* requested; its DISCONNECT waits for room in the send buffer */
    CLOSING_QUEUED     /* DISCONNECT queued; the transport closes once it is written */
};

/* Nonzero once `ms` milliseconds have passed since `since` (wrap-safe). */
static int elapsed(uint32_t now, uint32_t since, uint32_t ms)
{
    return now - since >= ms;
}

static void set_state(tmq_client *c, uint8_t state, uint32_t now)
{
    if (c->state == state)
        return;
    c->state = state;
    c->t_state = now;
    if (c->ev->state)
        c->ev->state(c, (tmq_state)state);
}

/* The outgoing window: at most max_inflight (if set) and the server's
 * Receive Maximum unacknowledged QoS 1/2 PUBLISHes. */
static uint16_t window(const tmq_client *c)
{
    uint16_t w = c->server_receive_max;
    if (c->cfg->max_inflight && c->cfg->max_inflight < w)
        w = c->cfg->max_inflight;
    return w;
}

/* Nonzero if the window holds queued message m back: a QoS 1/2 PUBLISH
 * while the window is full. */
static int held_by_window(const tmq_client *c, const tmq_msg *m)
{
    return m->kind == TMQ_MSG_PUBLISH && m->u.publish.qos && c->inflight >= window(c);
}

/* Bytes the send buffer can still take (after moving its content forward). */
static uint32_t tx_free(const tmq_client *c)
{
    return c->mem.tx_cap - (c->tx_len - c->tx_off);
}

/* Encodes pkt at the end of the send buffer, moving the unwritten bytes to
 * its front first if that makes room. Returns its length, or
 * TMQ_ERR_WOULD_BLOCK if it does not fit now, TMQ_ERR_TOO_LARGE if it does
 * not fit the empty buffer, or an encoder error. */
static int32_t queue_packet(tmq_client *c, tmq_packet *pkt)
{
    int32_t n;
    pkt->version = c->version;
    for (;;) {
        n = tmq_encode(c->mem.tx + c->tx_len, c->mem.tx_cap - c->tx_len, pkt);
        if (n != TMQ_ERR_BUF_TOO_SMALL || !c->tx_off)
            break;
        memmove(c->mem.tx, c->mem.tx + c->tx_off, c->tx_len - c->tx_off);
        c->tx_len -= c->tx_off;
        c->tx_off = 0;
    }
    if (n == TMQ_ERR_BUF_TOO_SMALL)
        return c->tx_len ? TMQ_ERR_WOULD_BLOCK : TMQ_ERR_TOO_LARGE;
    if (n > 0)
        c->tx_len += (uint32_t)n;
#if TMQ_WITH_PACKET_HOOK
    /* not tmq_client_init's trial CONNECT (DISCONNECTED): only what a connection sends */
    if (n > 0 && c->ev->packet && c->state != TMQ_STATE_DISCONNECTED)
        c->ev->packet(c, 1, pkt, (uint32_t)n);
#endif
    return n;
}

/* Queues a packet that carries only a type, an id and (5.0) a reason. */
static int32_t queue_simple(tmq_client *c, uint8_t type, uint16_t id, uint8_t reason)
{
    tmq_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = type;
    pkt.id = id;
    pkt.reason = reason; /* written in 5.0 only */
    return queue_packet(c, &pkt);
}

#if TMQ_WITH_STORE
/* Tells the store a QoS 1/2 PUBLISH completed or failed for good. Not when
 * abandoned (TMQ_ERR_CLOSED): the store keeps it for the next run. */
static void store_done(tmq_client *c, const tmq_msg *m, int err)
{
    if (c->store && m->kind == TMQ_MSG_PUBLISH && m->u.publish.qos && err != TMQ_ERR_CLOSED)
        c->store->ops->done(c->store, m);
}
#else
static inline void store_done(tmq_client *c, const tmq_msg *m, int err)
{
    (void)c;
    (void)m;
    (void)err;
}
#endif

/* Frees a message slot, then reports its final event with a copy: the
 * callback may submit new messages (reusing the slot) or re-enter the
 * client, and the message must not complete twice. */
static void finish(tmq_client *c, tmq_msg *m, int err, uint8_t reason)
{
    tmq_msg done = *m;
    tmq_session_free(c, m);
    store_done(c, &done, err);
    if (err && c->ev->error)
        c->ev->error(c, err, &done);
    else if (!err && c->ev->sent)
        c->ev->sent(c, &done, reason);
}

/* A slot visitor (tmq_session_each) for a lost connection: a message that
 * was only in the send buffer is queued again. */
static void requeue_written(tmq_client *c, tmq_msg *m, int unused)
{
    (void)c;
    (void)unused;
    if (m->state == TMQ_MSG_WRITTEN)
        m->state = TMQ_MSG_QUEUED;
}

/* Whether connecting again with the same settings cannot change err: a
 * CONNACK refusing the protocol version, client identifier, credentials or
 * authorization (TMQ_ERR_CONNACK_VERSION .. TMQ_ERR_CONNACK_NOT_AUTHORIZED
 * but for "server unavailable"), or an incoming packet larger than the
 * client accepts (a kept session would bring it back on every reconnect). */
static int refused_for_good(int err)
{
    return (err <= TMQ_ERR_CONNACK_VERSION && err >= TMQ_ERR_CONNACK_NOT_AUTHORIZED && err != TMQ_ERR_CONNACK_UNAVAILABLE) ||
           err == TMQ_ERR_TOO_LARGE;
}

#if TMQ_WITH_RX_GROW
/* The largest packet accepted: rx_max with a receive hook, else rx. */
static uint32_t rx_limit(const tmq_client *c)
{
    return c->mem.rx_grow && c->mem.rx_max > c->mem.rx_cap ? c->mem.rx_max : c->mem.rx_cap;
}

/* For a packet too large for rx: asks the hook (if there is one) for a
 * buffer of its size and reads on there. Returns nonzero when it did. */
static int rx_grow(tmq_client *c)
{
    tmq_reader *r = &c->reader;
    int32_t size;
    uint8_t *buf;
    if (!c->mem.rx_grow)
        return 0;
    size = tmq_frame(r->buf + r->start, r->end - r->start, c->version);
    if (size <= 0 || (uint32_t)size > rx_limit(c))
        return 0;
    buf = c->mem.rx_grow(c, (uint32_t)size);
    if (!buf)
        return 0;
    tmq_reader_move(r, buf, (uint32_t)size);
    return 1;
}

/* Nonzero while the reader is in a buffer from the hook, not in rx. */
static int rx_grown(const tmq_client *c)
{
    return c->reader.buf != c->mem.rx;
}

/* Gives a buffer from the hook back. */
static void rx_release(tmq_client *c)
{
    if (rx_grown(c))
        c->mem.rx_grow(c, 0);
}
#else
/* Without TMQ_WITH_RX_GROW: rx is all there is. */
#define rx_limit(c) ((c)->mem.rx_cap)

static inline int rx_grow(tmq_client *c)
{
    (void)c;
    return 0;
}

static inline int rx_grown(const tmq_client *c)
{
    (void)c;
    return 0;
}

static inline void rx_release(tmq_client *c)
{
    (void)c;
}
#endif

/* Reads into rx again, giving back a grown buffer. It held exactly one
 * packet, so nothing unread is left in it. */
static void rx_reset(tmq_client *c)
{
    rx_release(c);
    tmq_reader_init(&c->reader, c->mem.rx, c->mem.rx_cap, c->version);
}

#if TMQ_WITH_RECONNECT_POLICY
/* Before the state changes on a lost connection that may be followed by a
 * wait: whether it is, and its delay, from the policy (told whether the
 * connection had come up and for how long) or the configuration. */
static int wants_reconnect(tmq_client *c, uint32_t now)
{
    c->reconnect_ms = c->ev->reconnect_delay ? c->ev->reconnect_delay(c, c->state == TMQ_STATE_READY, now - c->t_state)
                      : c->cfg->reconnect_delay_ms ? c->cfg->reconnect_delay_ms : TMQ_RECONNECT_NEVER;
    return c->reconnect_ms != TMQ_RECONNECT_NEVER;
}
#define reconnect_delay(c) ((c)->reconnect_ms)
#else
#define wants_reconnect(c, now) ((void)(now), (c)->cfg->reconnect_delay_ms != 0)
#define reconnect_delay(c) ((c)->cfg->reconnect_delay_ms)
#endif

#if TMQ_WITH_FAILOVER
/* Before the state changes on a lost connection: whether a failed attempt
 * (not a lost READY connection) moves on to the next server of the round,
 * at once and without asking the policy. */
static int fail_over(tmq_client *c, int err)
{
    c->failover = !c->closing && !refused_for_good(err) && c->state != TMQ_STATE_READY &&
                  c->server + 1u < c->cfg->server_count;
#if TMQ_WITH_RECONNECT_POLICY
    if (c->failover)
        c->reconnect_ms = 0; /* what the state event reports */
#endif
    return c->failover;
}

/* The wait of WAITING_RECONNECT: none before the next server of a round. */
#define wait_ms(c) ((c)->failover ? 0u : reconnect_delay(c))

/* The host and port of the server to try (the list's, else cfg's). */
static const char *server_host(const tmq_client *c)
{
    return c->cfg->server_count ? c->cfg->servers[c->server].host : c->cfg->host;
}

static uint16_t server_port(const tmq_client *c)
{
    return c->cfg->server_count ? c->cfg->servers[c->server].port : c->cfg->port;
}

/* Picks the server of an attempt: the next one of the round after a failed
 * attempt, else the first (a new round). */
static void pick_server(tmq_client *c)
{
    c->server = c->failover ? (uint8_t)(c->server + 1u) : 0u;
    c->failover = 0;
}
#else
#define fail_over(c, err) ((void)(err), 0)
#define wait_ms(c) reconnect_delay(c)
#define server_host(c) ((c)->cfg->host)
#define server_port(c) ((c)->cfg->port)
#define pick_server(c) ((void)(c))
#endif

/* Ends the connection: closes the transport, keeps every message for the
 * next connect, and reports why. Moves on to the next server of a list
 * after a failed attempt; otherwise reconnects later when configured to,
 * unless closing or refused for good. */
static void lost(tmq_client *c, int err, const tmq_packet *pkt, uint32_t now)
{
    c->transport->ops->close(c->transport);
    c->tx_off = c->tx_len = 0;
    c->tx_err = 0;
    rx_reset(c);
    c->ping_out = 0;
    c->inflight = 0;
    tmq_session_each(c, requeue_written, 0);
    c->send_off = 0;
    /* the state first: the disconnect callback sees where the client is now */
    set_state(c, fail_over(c, err) || (!c->closing && !refused_for_good(err) && wants_reconnect(c, now))
                     ? TMQ_STATE_WAITING_RECONNECT : TMQ_STATE_DISCONNECTED, now);
    c->closing = CLOSING_NONE;
#if TMQ_WITH_V5
    c->close_props = 0; /* the caller's, until this disconnect event */
#endif
    if (c->ev->disconnect)
        c->ev->disconnect(c, err, pkt);
}

/* A protocol failure: in 5.0 tell the server why (best effort), then close. */
static void fail(tmq_client *c, int err, uint8_t reason, uint32_t now)
{
    if (TMQ_IS_V5(c->version) && queue_simple(c, TMQ_DISCONNECT, 0, reason) > 0)
        c->transport->ops->send(c->transport, c->mem.tx + c->tx_off, c->tx_len - c->tx_off);
    lost(c, err, 0, now);
}

/* The store hooks (tinymqtt/store.h). Each returns nonzero when the store
 * failed and the connection is over; without TMQ_WITH_STORE they do nothing
 * and the compiler drops them and the branches on their results. */
#if TMQ_WITH_STORE
/* Ends the connection if a store hook failed (rc < 0): what depends on the
 * record is not sent, and the next connection goes through the same steps
 * again. Returns nonzero when it did. */
static int store_failed(tmq_client *c, int rc, uint32_t now)
{
    if (rc >= 0)
        return 0;
    fail(c, rc, TMQ_RC_FAILURE, now); /* Unspecified error */
    return 1;
}

/* Records that incoming QoS 2 id is held or released (id 0: all released)
 * before anything that depends on it is sent. */
static int store_incoming(tmq_client *c, uint16_t id, int held, uint32_t now)
{
    return c->store && store_failed(c, c->store->ops->incoming(c->store, id, held), now);
}

/* Records the packet id of a QoS 1/2 PUBLISH whose n bytes were just queued,
 * before they reach the transport. On failure they are taken back out: not
 * even a 5.0 DISCONNECT may carry them out. */
static int store_sending(tmq_client *c, const tmq_msg *m, int32_t n, uint32_t now)
{
    int rc;
    if (!c->store || m->kind != TMQ_MSG_PUBLISH || !m->u.publish.qos)
        return 0;
    rc = c->store->ops->sending(c->store, m);
    if (rc < 0)
        c->tx_len -= (uint32_t)n;
    return store_failed(c, rc, now);
}

/* Records that QoS 2 message m had its PUBREC, before its PUBREL is queued. */
static int store_released(tmq_client *c, const tmq_msg *m, uint32_t now)
{
    return c->store && store_failed(c, c->store->ops->released(c->store, m), now);
}
#else
static inline int store_incoming(tmq_client *c, uint16_t id, int held, uint32_t now)
{
    (void)c;
    (void)id;
    (void)held;
    (void)now;
    return 0;
}

static inline int store_sending(tmq_client *c, const tmq_msg *m, int32_t n, uint32_t now)
{
    (void)c;
    (void)m;
    (void)n;
    (void)now;
    return 0;
}

static inline int store_released(tmq_client *c, const tmq_msg *m, uint32_t now)
{
    (void)c;
    (void)m;
    (void)now;
    return 0;
}
#endif

/* A slot visitor (tmq_session_each): completes a QoS 0 message whose bytes
 * have all been written, wherever it is in the ring (an older message may
 * still wait for its ack). */
static void complete_written(tmq_client *c, tmq_msg *m, int unused)
{
    (void)unused;
    if (m->state == TMQ_MSG_WRITTEN && (int32_t)(c->tx_done - m->mark) >= 0)
        finish(c, m, TMQ_OK, 0);
}

/* Writes what the transport takes; completes QoS 0 messages now on the wire.
 * A send buffer written out starts over at its front, so packets keep to the
 * memory already used instead of walking through all of tx_cap.
 * A failed write does not end the connection here: what the server sent
 * before it closed (acknowledgements, messages, a DISCONNECT with its
 * reason) may still wait unread. The error is kept in tx_err, the unwritten
 * bytes are dropped, and read_packets reads what is left, then ends the
 * connection. */
static void flush(tmq_client *c, uint32_t now)
{
    while (c->tx_off < c->tx_len) {
        int32_t n = c->transport->ops->send(c->transport, c->mem.tx + c->tx_off, c->tx_len - c->tx_off);
        if (n == TMQ_IO_AGAIN || n == 0)
            break;
        if (n < 0) {
            c->tx_err = (int16_t)n;
            c->tx_off = c->tx_len; /* dropped: never written */
            break;
        }
        c->tx_off += (uint32_t)n;
        c->tx_done += (uint32_t)n;
        c->t_tx = now;
    }
    if (c->tx_off == c->tx_len)
        c->tx_off = c->tx_len = 0;
    tmq_session_each(c, complete_written, 0);
}

/* Builds the packet a queued slot stands for. */
static void msg_packet(const tmq_msg *m, tmq_packet *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->type = m->kind;
    pkt->id = m->id;
    if (m->props)
        pkt->props = *m->props;
    /* u.publish or u.subs, which the packet's union has too */
    memcpy(&pkt->u, &m->u, sizeof m->u);
}

#if TMQ_WITH_V5
/* The slot of outgoing alias `alias` (1-based): a 2-byte length, the topic. */
static uint8_t *out_slot(const tmq_client *c, uint16_t alias)
{
    return c->mem.out_aliases + (uint32_t)(alias - 1u) * c->mem.out_alias_len;
}

/* Nonzero when outgoing alias `alias` already stands for topic on this
 * connection. */
static int out_holds(const tmq_client *c, uint16_t alias, const tmq_bin *topic)
{
    const uint8_t *slot = out_slot(c, alias);
    return alias <= c->out_alias_top && ((uint32_t)slot[0] << 8 | slot[1]) == topic->len &&
           !memcmp(slot + 2, topic->p, topic->len);
}

/* Records that outgoing alias `alias` now stands for topic; a topic too
 * long for its slot leaves the slot empty (the alias then always goes
 * out with its topic). */
static void out_record(tmq_client *c, uint16_t alias, const tmq_bin *topic)
{
    uint8_t *slot = out_slot(c, alias);
    uint32_t len = topic->len <= c->mem.out_alias_len - 2u ? topic->len : 0;
    while (c->out_alias_top < alias) { /* slots come into use in order */
        uint8_t *s = out_slot(c, ++c->out_alias_top);
        s[0] = s[1] = 0;
    }
    slot[0] = (uint8_t)(len >> 8);
    slot[1] = (uint8_t)len;
    memcpy(slot + 2, topic->p, len);
}

/* The alias the client gives topic (cfg->auto_alias): the one that stands
 * for it, else the next unused one, else the oldest assigned again. 0 when
 * none can be used. */
static uint16_t out_assign(tmq_client *c, const tmq_bin *topic)
{
    uint16_t limit = c->server_alias_max < c->mem.out_alias_max ? c->server_alias_max : c->mem.out_alias_max;
    uint16_t i;
    if (!limit || topic->len > c->mem.out_alias_len - 2u)
        return 0;
    for (i = 1; i <= c->out_alias_top && i <= limit; i++)
        if (out_holds(c, i, topic))
            return i;
    if (c->out_alias_top < limit)
        return (uint16_t)(c->out_alias_top + 1u);
    c->out_alias_next = (uint16_t)(c->out_alias_next % limit + 1u);
    return c->out_alias_next;
}

/* Gives an outgoing PUBLISH (pkt, built from its slot) its Topic Alias:
 * the caller's property, or with cfg->auto_alias one the client assigns
 * (put in *extra, for a PUBLISH with no property list of its own). The
 * topic is left out once the alias stands for it. Returns TMQ_OK or
 * TMQ_ERR_TOPIC_ALIAS for an alias the server does not accept. */
static int alias_out(tmq_client *c, tmq_packet *pkt, tmq_prop *extra)
{
    tmq_prop p;
    uint16_t alias;
    tmq_bin *topic = &pkt->u.publish.topic;
    if (tmq_props_get(&pkt->props, TMQ_PROP_TOPIC_ALIAS, &p)) {
        if (p.num > c->server_alias_max)
            return TMQ_ERR_TOPIC_ALIAS;
        alias = (uint16_t)p.num;
    } else {
        if (!c->cfg->auto_alias || pkt->props.count || !(alias = out_assign(c, topic)))
            return TMQ_OK;
        memset(extra, 0, sizeof *extra);
        extra->id = TMQ_PROP_TOPIC_ALIAS;
        extra->num = alias;
        pkt->props.list = extra;
        pkt->props.count = 1;
    }
    if (alias > c->mem.out_alias_max)
        return TMQ_OK; /* no memory for it: always with its topic */
    if (out_holds(c, alias, topic))
        topic->len = 0;
    else
        out_record(c, alias, topic);
    return TMQ_OK;
}
#endif

/* Moves queued messages into the send buffer, in order, within the window. */
static void pump(tmq_client *c, uint32_t now)
{
    if (c->state != TMQ_STATE_READY || c->closing)
        return;
    while (c->send_off < c->live) {
        tmq_msg *m = tmq_session_at(c, c->send_off);
        tmq_packet pkt;
        int32_t n;
#if TMQ_WITH_V5
        tmq_prop alias; /* a Topic Alias the client assigns */
#endif
        if (m->state == TMQ_MSG_RELEASE) {
            if (queue_simple(c, TMQ_PUBREL, m->id, 0) < 0)
                return;
            m->state = TMQ_MSG_AWAIT_COMP;
            if (TMQ_WITH_V5)
                m->mark = 1; /* a PUBREL of the recovery: see on_ack */
            c->inflight++;
        }
        if (m->state != TMQ_MSG_QUEUED) {
            c->send_off++;
            continue;
        }
        if (held_by_window(c, m))
            return;
        msg_packet(m, &pkt);
#if TMQ_WITH_V5
        n = c->version == TMQ_V5 && m->kind == TMQ_MSG_PUBLISH ? alias_out(c, &pkt, &alias) : TMQ_OK;
        if (!n)
#endif
            n = queue_packet(c, &pkt);
        if (n == TMQ_ERR_WOULD_BLOCK)
            return;
        if (TMQ_WITH_V5 && n > 0) {
            /* the 5.0 server's limits, announced after the message was queued:
             * its Maximum Packet Size for every packet, measured by encoding */
            int err = c->server_max_packet < (uint32_t)n ? TMQ_ERR_TOO_LARGE
                    : m->kind != TMQ_MSG_PUBLISH ? TMQ_OK
                    : m->u.publish.qos > c->server_max_qos ? TMQ_ERR_QOS_NOT_SUPPORTED
                    : m->u.publish.retain && !c->server_retain ? TMQ_ERR_RETAIN_NOT_SUPPORTED : TMQ_OK;
            if (err) {
                c->tx_len -= (uint32_t)n;
                n = err;
            }
        }
        /* the packet id is recorded before the bytes reach the transport */
        if (n > 0 && store_sending(c, m, n, now))
            return;
        c->send_off++;
        if (n < 0) {
            finish(c, m, n, 0);
            continue;
        }
        if (m->kind == TMQ_MSG_PUBLISH && !m->u.publish.qos) {
            m->state = TMQ_MSG_WRITTEN;
            m->mark = c->tx_done + (c->tx_len - c->tx_off);
        } else {
            m->state = TMQ_MSG_AWAIT_ACK;
            if (m->kind == TMQ_MSG_PUBLISH)
                c->inflight++;
        }
    }
}

/* A slot visitor (tmq_session_each) after CONNACK: what the previous
 * connection left in flight goes out again. With the session present, an
 * unacknowledged PUBLISH is resent with DUP and a released QoS 2 message
 * gets its PUBREL again; without it the server knows none of them, so a
 * PUBLISH goes out as new and a QoS 2 message that already had its PUBREC
 * is complete. */
static void resume(tmq_client *c, tmq_msg *m, int present)
{
    if (m->state == TMQ_MSG_AWAIT_ACK) {
        m->state = TMQ_MSG_QUEUED;
        if (m->kind == TMQ_MSG_PUBLISH)
            m->u.publish.dup = (uint8_t)present;
    } else if (m->state == TMQ_MSG_AWAIT_COMP || m->state == TMQ_MSG_RELEASE) {
        if (present)
            m->state = TMQ_MSG_RELEASE; /* pump sends the PUBREL again */
        else
            finish(c, m, TMQ_OK, 0);
    }
}

/* Maps a refused CONNACK to an error code. The 3.x return codes 1-5 map in
 * order onto TMQ_ERR_CONNACK_VERSION .. TMQ_ERR_CONNACK_NOT_AUTHORIZED. */
static int connack_error(uint8_t version, uint8_t code)
{
    if (TMQ_IS_V5(version))
        switch (code) {
        case TMQ_RC_UNSUPPORTED_VERSION: return TMQ_ERR_CONNACK_VERSION;
        case TMQ_RC_CLIENT_ID_NOT_VALID: return TMQ_ERR_CONNACK_ID;
        case TMQ_RC_BAD_AUTH: return TMQ_ERR_CONNACK_AUTH;
        case TMQ_RC_NOT_AUTHORIZED: return TMQ_ERR_CONNACK_NOT_AUTHORIZED;
        case TMQ_RC_SERVER_UNAVAILABLE:
        case TMQ_RC_SERVER_BUSY: return TMQ_ERR_CONNACK_UNAVAILABLE;
        default: return TMQ_ERR_CONNACK_REFUSED;
        }
    return TMQ_ERR_CONNACK_VERSION + 1 - (int)code;
}

#if TMQ_WITH_V5
/* Applies the limits a 5.0 server announces in CONNACK. */
static void apply_connack_props(tmq_client *c, const tmq_packet *pkt)
{
    tmq_prop p;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_RECEIVE_MAXIMUM, &p))
        c->server_receive_max = (uint16_t)p.num;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_MAXIMUM_PACKET_SIZE, &p))
        c->server_max_packet = p.num;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_MAXIMUM_QOS, &p))
        c->server_max_qos = (uint8_t)p.num;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_RETAIN_AVAILABLE, &p))
        c->server_retain = (uint8_t)p.num;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_SERVER_KEEPALIVE, &p))
        c->keepalive = (uint16_t)p.num;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_TOPIC_ALIAS_MAXIMUM, &p))
        c->server_alias_max = (uint16_t)p.num;
    if (tmq_prop_find(&pkt->props, TMQ_PROP_ASSIGNED_CLIENT_ID, &p) && p.str.len <= c->mem.assigned_cap) {
        memcpy(c->mem.assigned_id, p.str.p, p.str.len);
        c->assigned_len = (uint16_t)p.str.len;
    }
}

/* Resolves an incoming topic alias in place: records the topic a PUBLISH
 * gives its alias, or fills in the topic an aliased PUBLISH leaves empty.
 * Returns TMQ_OK, or the error that ends the connection. */
static int resolve_alias(tmq_client *c, tmq_packet *pkt)
{
    tmq_prop p;
    uint8_t *slot;
    tmq_bin *topic = &pkt->u.publish.topic;
    if (!tmq_prop_find(&pkt->props, TMQ_PROP_TOPIC_ALIAS, &p))
        return topic->len ? TMQ_OK : TMQ_ERR_PROTOCOL_VIOLATION;
    if (p.num > c->mem.alias_max)
        return TMQ_ERR_PROTOCOL_VIOLATION;
    slot = c->mem.aliases + (uint32_t)(p.num - 1) * c->mem.alias_len;
    if (topic->len) {
        if (topic->len > c->mem.alias_len - 2u)
            return TMQ_ERR_TOO_LARGE;
        slot[0] = (uint8_t)(topic->len >> 8);
        slot[1] = (uint8_t)topic->len;
        memcpy(slot + 2, topic->p, topic->len);
        return TMQ_OK;
    }
    topic->len = (uint32_t)slot[0] << 8 | slot[1];
    topic->p = slot + 2;
    return topic->len ? TMQ_OK : TMQ_ERR_PROTOCOL_VIOLATION; /* an alias never set */
}

/* An AUTH from the server: a step of the enhanced authentication that
 * CONNECT's Authentication Method (or a re-authentication) started, for the
 * auth event to answer. Success comes only after a re-authentication. */
static void on_auth(tmq_client *c, const tmq_packet *pkt, uint32_t now)
{
    tmq_prop p;
    if (!c->ev->auth || !tmq_props_get(&c->cfg->connect_props, TMQ_PROP_AUTH_METHOD, &p) ||
        (pkt->reason == TMQ_RC_SUCCESS && c->state != TMQ_STATE_READY)) {
        fail(c, TMQ_ERR_PROTOCOL_VIOLATION, TMQ_RC_PROTOCOL_ERROR, now);
        return;
    }
    c->ev->auth(c, pkt);
}
#endif

static void on_connack(tmq_client *c, const tmq_packet *pkt, uint32_t now)
{
    int present;
    if (c->state != TMQ_STATE_MQTT_CONNECTING) {
        fail(c, TMQ_ERR_PROTOCOL_VIOLATION, TMQ_RC_PROTOCOL_ERROR, now);
        return;
    }
    if (pkt->reason) {
        lost(c, connack_error(c->version, pkt->reason), pkt, now);
        return;
    }
#if TMQ_WITH_V5
    if (c->version == TMQ_V5) {
        /* [MQTT-3.2.2-4]: a session the client asked to start clean */
        if (pkt->session_present && c->cfg->connect.clean) {
            fail(c, TMQ_ERR_SESSION_PRESENT, TMQ_RC_PROTOCOL_ERROR, now);
            return;
        }
        apply_connack_props(c, pkt);
    }
#endif
    set_state(c, TMQ_STATE_READY, now);
    /* 3.1's CONNACK has no session present flag: a 3.1 server keeps the
     * session whenever the client asked for one */
    present = c->version == TMQ_V31 ? !c->cfg->connect.clean : pkt->session_present;
    if (!present && store_incoming(c, 0, 0, now))
        return;
    if (!present)
        c->qos2_count = 0;
    tmq_session_each(c, resume, present);
    if (c->ev->connack)
        c->ev->connack(c, pkt);
}

static void on_publish(tmq_client *c, tmq_packet *pkt, uint32_t now)
{
    int held = 0;
    if (pkt->u.publish.qos == 2) {
        held = tmq_session_qos2_hold(c, pkt->id);
        if (held < 0) {
            /* 5.0: the server broke our Receive Maximum. 3.x has no such limit:
             * the table is too small for this server; close, since delivering
             * without recording the id could deliver twice */
            fail(c, TMQ_IS_V5(c->version) ? TMQ_ERR_PROTOCOL_VIOLATION : TMQ_ERR_QUEUE_FULL,
                 TMQ_RC_RECEIVE_MAX_EXCEEDED, now);
            return;
        }
        if (!held && store_incoming(c, pkt->id, 1, now)) {
            tmq_session_qos2_release(c, pkt->id); /* not delivered: the server sends it again */
            return;
        }
    }
#if TMQ_WITH_V5
    if (c->version == TMQ_V5) {
        int rc = resolve_alias(c, pkt);
        if (rc) {
            fail(c, rc, TMQ_RC_TOPIC_ALIAS_INVALID, now);
            return;
        }
    }
#endif
    if (!held && c->ev->message)
        c->ev->message(c, pkt);
    if (c->state != TMQ_STATE_READY || c->closing)
        return; /* the callback disconnected */
    if (pkt->u.publish.qos)
        queue_simple(c, (uint8_t)(TMQ_PUBLISH + pkt->u.publish.qos), pkt->id, 0); /* PUBACK, PUBREC */
}

/* The slot that ack `type` answers, if slot m is one: of the right kind, in
 * the state waiting for that ack, and for PUBACK/PUBREC of the right QoS. */
static int answers(const tmq_msg *m, uint8_t type, uint8_t kind)
{
    return m && m->kind == kind && m->state == (type == TMQ_PUBCOMP ? TMQ_MSG_AWAIT_COMP : TMQ_MSG_AWAIT_ACK) &&
           (kind != TMQ_MSG_PUBLISH || m->u.publish.qos == (type == TMQ_PUBACK ? 1 : 2));
}

/* PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: the outgoing side's answers. */
#define ACK_TYPES ((1u << TMQ_PUBACK) | (1u << TMQ_PUBREC) | (1u << TMQ_PUBCOMP) | (1u << TMQ_SUBACK) | \
                   (1u << TMQ_UNSUBACK))

static void on_ack(tmq_client *c, const tmq_packet *pkt, uint32_t now)
{
    uint8_t type = pkt->type;
    /* SUBACK and UNSUBACK follow their requests' types */
    uint8_t kind = type >= TMQ_SUBACK ? (uint8_t)(type - 1) : TMQ_MSG_PUBLISH;
    tmq_msg *m = tmq_session_by_id(c, pkt->id);
    if (!answers(m, type, kind)) {
        if (type == TMQ_PUBREC)
            queue_simple(c, TMQ_PUBREL, pkt->id, TMQ_RC_PACKET_ID_NOT_FOUND);
        else if (c->ev->error)
            c->ev->error(c, TMQ_ERR_PROTOCOL_VIOLATION, 0);
        return;
    }
    if (kind != TMQ_MSG_PUBLISH) {
        int rc = tmq_check_ack_count(pkt, m->u.subs.count);
        void (*answered)(tmq_client *, const tmq_msg *, const tmq_packet *) =
            kind == TMQ_MSG_SUBSCRIBE ? c->ev->suback : c->ev->unsuback;
        if (rc) {
            finish(c, m, rc, 0);
            return;
        }
        if (answered)
            answered(c, m, pkt);
        tmq_session_free(c, m);
        return;
    }
    if (type == TMQ_PUBREC && pkt->reason < TMQ_RC_FAILURE) {
        if (store_released(c, m, now))
            return;
        m->state = TMQ_MSG_AWAIT_COMP;
        queue_simple(c, TMQ_PUBREL, m->id, 0);
        return;
    }
    c->inflight--;
    /* Packet Identifier not found for a PUBREL resent after a reconnect: the
     * server completed the message before the connection was lost */
    if (TMQ_WITH_V5 && type == TMQ_PUBCOMP && pkt->reason == TMQ_RC_PACKET_ID_NOT_FOUND && m->mark) {
        finish(c, m, TMQ_OK, 0);
        return;
    }
    finish(c, m, TMQ_OK, pkt->reason);
}

static void on_packet(tmq_client *c, const uint8_t *bytes, uint32_t len, uint32_t now)
{
    tmq_packet pkt;
    int32_t rc = tmq_decode(bytes, len, c->version, &pkt);
    if (rc < 0) {
        /* a server without 5.0 may answer with a 3.1.1 CONNACK refusing the
         * protocol version (return code 1) */
        if (TMQ_IS_V5(c->version) && c->state == TMQ_STATE_MQTT_CONNECTING && tmq_decode(bytes, len, TMQ_V311, &pkt) > 0 &&
            pkt.type == TMQ_CONNACK && pkt.reason == 1) {
            lost(c, TMQ_ERR_CONNACK_VERSION, 0, now);
            return;
        }
        fail(c, rc, TMQ_RC_MALFORMED_PACKET, now);
        return;
    }
#if TMQ_WITH_PACKET_HOOK
    if (c->ev->packet)
        c->ev->packet(c, 0, &pkt, len);
#endif
    if (pkt.type != TMQ_CONNACK && !(TMQ_WITH_V5 && pkt.type == TMQ_AUTH) && c->state != TMQ_STATE_READY) {
        fail(c, TMQ_ERR_PROTOCOL_VIOLATION, TMQ_RC_PROTOCOL_ERROR, now);
        return;
    }
    if (pkt.type == TMQ_CONNACK) {
        on_connack(c, &pkt, now);
    } else if (pkt.type == TMQ_PUBLISH) {
        on_publish(c, &pkt, now);
    } else if (pkt.type == TMQ_PUBREL) {
        if (store_incoming(c, pkt.id, 0, now))
            return;
        queue_simple(c, TMQ_PUBCOMP, pkt.id, tmq_session_qos2_release(c, pkt.id) ? TMQ_RC_SUCCESS
                                                                                : TMQ_RC_PACKET_ID_NOT_FOUND);
    } else if ((ACK_TYPES >> pkt.type) & 1u) {
        on_ack(c, &pkt, now);
    } else if (pkt.type == TMQ_PINGRESP) {
        c->ping_out = 0;
        if (c->ev->pong)
            c->ev->pong(c);
    } else if (pkt.type == TMQ_DISCONNECT) {
        lost(c, TMQ_ERR_SERVER_DISCONNECT, &pkt, now);
#if TMQ_WITH_V5
    } else if (pkt.type == TMQ_AUTH) {
        on_auth(c, &pkt, now);
#endif
    } else { /* a client-to-server packet */
        fail(c, TMQ_ERR_PROTOCOL_VIOLATION, TMQ_RC_PROTOCOL_ERROR, now);
    }
}

/* Reads and handles packets until the transport has no more, the send
 * buffer lacks room for acknowledgements, or the connection ends. After a
 * failed write (tx_err) it reads until the transport has no more or
 * reports the close, then ends the connection (unless what it read, the
 * server's DISCONNECT, ended it first). */
static void read_packets(tmq_client *c, uint32_t now)
{
    while (c->state == TMQ_STATE_MQTT_CONNECTING || c->state == TMQ_STATE_READY) {
        const uint8_t *bytes;
        uint8_t *dst;
        uint32_t len, room;
        int32_t n;
        if (tx_free(c) < ACK_ROOM) {
            flush(c, now);
            if (c->state != TMQ_STATE_READY || tx_free(c) < ACK_ROOM)
                return; /* stop reading until the acknowledgements can go out */
        }
        n = tmq_reader_next(&c->reader, &bytes, &len);
        if (n == TMQ_ERR_TOO_LARGE && rx_grow(c))
            continue;
        if (n < 0) {
            fail(c, n, n == TMQ_ERR_TOO_LARGE ? TMQ_RC_PACKET_TOO_LARGE : TMQ_RC_MALFORMED_PACKET, now);
            return;
        }
        if (n == 1) {
            on_packet(c, bytes, len, now);
            if (rx_grown(c))
                rx_reset(c);
            continue;
        }
        room = tmq_reader_space(&c->reader, &dst);
        n = c->transport->ops->recv(c->transport, dst, room);
        if (n == TMQ_IO_AGAIN) {
            if (!c->tx_err)
                return;
            n = c->tx_err; /* all read */
        }
        if (n <= 0) {
            lost(c, n ? n : TMQ_ERR_CLOSED, 0, now);
            return;
        }
        tmq_reader_commit(&c->reader, (uint32_t)n);
        c->t_ping = now; /* the link lives, even while a long packet is still arriving */
    }
}

/* Builds CONNECT from the configuration. In 5.0 the properties are the
 * caller's plus the Receive Maximum and Maximum Packet Size that mem can
 * hold, unless the caller set them; `list` has room for those. */
static void build_connect(const tmq_client *c, tmq_packet *pkt, tmq_prop *list)
{
    const tmq_client_config *cfg = c->cfg;
    memset(pkt, 0, sizeof *pkt);
    pkt->type = TMQ_CONNECT;
    pkt->version = c->version;
    pkt->props = cfg->connect_props;
    pkt->u.connect = cfg->connect;
#if TMQ_WITH_V5
    if (c->version == TMQ_V5) {
        tmq_prop p;
        uint16_t n = cfg->connect_props.count;
        if (n)
            memcpy(list, cfg->connect_props.list, n * sizeof *list);
        if (!tmq_props_get(&cfg->connect_props, TMQ_PROP_RECEIVE_MAXIMUM, &p)) {
            memset(&list[n], 0, sizeof *list);
            list[n].id = TMQ_PROP_RECEIVE_MAXIMUM;
            list[n++].num = c->mem.qos2_cap;
        }
        if (!tmq_props_get(&cfg->connect_props, TMQ_PROP_MAXIMUM_PACKET_SIZE, &p)) {
            memset(&list[n], 0, sizeof *list);
            list[n].id = TMQ_PROP_MAXIMUM_PACKET_SIZE;
            list[n++].num = rx_limit(c);
        }
        if (c->mem.alias_max && !tmq_props_get(&cfg->connect_props, TMQ_PROP_TOPIC_ALIAS_MAXIMUM, &p)) {
            memset(&list[n], 0, sizeof *list);
            list[n].id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM;
            list[n++].num = c->mem.alias_max;
        }
        pkt->props.list = list;
        pkt->props.count = n;
        if (!cfg->connect.client_id.len && c->assigned_len) {
            pkt->u.connect.client_id.p = c->mem.assigned_id;
            pkt->u.connect.client_id.len = c->assigned_len;
        }
    }
#else
    (void)list;
#endif
}

/* Queues CONNECT. */
static int32_t queue_connect(tmq_client *c)
{
    tmq_packet pkt;
    tmq_prop list[CONNECT_LIST];
    build_connect(c, &pkt, list);
    return queue_packet(c, &pkt);
}

#if TMQ_WITH_V5
/* Checks the 5.0 CONNECT properties ask for nothing mem cannot honour. */
static int connect_props_ok(const tmq_client *c)
{
    const tmq_props *props = &c->cfg->connect_props;
    tmq_prop p;
    if (props->count > TMQ_CONNECT_PROPS_MAX)
        return 0;
    if (tmq_props_get(props, TMQ_PROP_RECEIVE_MAXIMUM, &p) && p.num > c->mem.qos2_cap)
        return 0;
    if (tmq_props_get(props, TMQ_PROP_MAXIMUM_PACKET_SIZE, &p) && p.num > rx_limit(c))
        return 0;
    if ((c->mem.alias_max && (!c->mem.aliases || c->mem.alias_len < 3)) ||
        (c->mem.out_alias_max && (!c->mem.out_aliases || c->mem.out_alias_len < 3)))
        return 0;
    return !tmq_props_get(props, TMQ_PROP_TOPIC_ALIAS_MAXIMUM, &p) || p.num <= c->mem.alias_max;
}
#endif

/* Drives the transport's connect; queues CONNECT once it is up. */
static void progress_connect(tmq_client *c, uint32_t now)
{
    int rc = c->transport->ops->connect(c->transport, server_host(c), server_port(c));
    if (rc == TMQ_IO_CONNECTING || rc == TMQ_IO_HANDSHAKING) {
        set_state(c, rc == TMQ_IO_CONNECTING ? TMQ_STATE_TCP_CONNECTING : TMQ_STATE_TLS_HANDSHAKING, now);
        return;
    }
    if (rc == TMQ_OK)
        rc = queue_connect(c);
    if (rc < 0) {
        lost(c, rc, 0, now);
        return;
    }
    c->t_tx = now;
    set_state(c, TMQ_STATE_MQTT_CONNECTING, now);
}

/* Resets per-connection state and starts the transport. */
static void start_connect(tmq_client *c, uint32_t now)
{
    c->tx_off = c->tx_len = c->tx_done = 0;
    c->server_receive_max = 0xFFFFu;
    if (TMQ_WITH_V5) { /* no 5.0 limits until CONNACK announces them */
        c->server_max_packet = NO_LIMIT;
        c->server_max_qos = 2;
        c->server_retain = 1;
    }
    c->keepalive = c->cfg->connect.keepalive;
    c->inflight = 0;
    c->ping_out = 0;
    c->closing = CLOSING_NONE;
    c->t_ping = now;
#if TMQ_WITH_V5
    if (c->mem.aliases) /* topic aliases live for one connection */
        memset(c->mem.aliases, 0, (uint32_t)c->mem.alias_max * c->mem.alias_len);
    c->server_alias_max = c->out_alias_top = c->out_alias_next = 0;
#endif
    c->t_conn = now; /* the connect timeout covers transport and CONNACK */
    pick_server(c);  /* before the state event: the port may switch transports there */
    set_state(c, TMQ_STATE_TCP_CONNECTING, now);
    progress_connect(c, now);
}

int tmq_client_init(tmq_client *c, const tmq_client_config *cfg, const tmq_client_events *ev,
                    const tmq_client_mem *mem, tmq_transport *transport)
{
    static const tmq_client_events none;
    int32_t n;
    memset(c, 0, sizeof *c);
    if (!cfg || !mem || !transport || !mem->tx || !mem->rx || !mem->msgs || !mem->msg_cap ||
        mem->msg_cap == 0xFFFFu || !mem->qos2 || !mem->qos2_cap || mem->tx_cap < 32 || mem->rx_cap < 16)
        return TMQ_ERR_ARG;
#if TMQ_WITH_FAILOVER
    if (cfg->server_count && !cfg->servers)
        return TMQ_ERR_ARG;
#endif
    c->version = cfg->version ? cfg->version : TMQ_V311; /* checked by encoding CONNECT below */
    c->cfg = cfg;
    c->ev = ev ? ev : &none;
    c->mem = *mem;
    c->transport = transport;
    tmq_reader_init(&c->reader, mem->rx, mem->rx_cap, c->version);
#if TMQ_WITH_V5
    if (c->version == TMQ_V5 && !connect_props_ok(c))
        return TMQ_ERR_ARG;
#endif
    /* the CONNECT that every connect sends, encoded now to refuse it early */
    n = queue_connect(c);
    c->tx_len = 0;
    return n < 0 ? n : TMQ_OK;
}

int tmq_client_connect(tmq_client *c, uint32_t now_ms)
{
    if (c->state != TMQ_STATE_DISCONNECTED && c->state != TMQ_STATE_WAITING_RECONNECT)
        return TMQ_ERR_STATE;
    start_connect(c, now_ms);
    return TMQ_OK;
}

/* Queues a filled slot after validating the packet it stands for exactly as
 * it will be encoded. Returns its packet id or an error (the slot freed).
 * Nothing is written here: tmq_client_poll sends it (tmq_client_wants_write
 * tells the caller there is something to send). */
static int32_t submit(tmq_client *c, tmq_msg *m)
{
    tmq_packet pkt;
    int32_t n;
    if (m->kind != TMQ_MSG_PUBLISH || m->u.publish.qos)
        m->id = tmq_session_new_id(c);
    msg_packet(m, &pkt);
    pkt.version = c->version;
    n = tmq_encode(0, 0, &pkt);
    if (n > 0 && (uint32_t)n > c->mem.tx_cap)
        n = TMQ_ERR_TOO_LARGE;
    /* the 5.0 server's Maximum Packet Size, once known (pump checks what
     * was submitted before) */
    if (TMQ_WITH_V5 && n > 0 && c->state == TMQ_STATE_READY && (uint32_t)n > c->server_max_packet)
        n = TMQ_ERR_TOO_LARGE;
    if (n < 0) {
        tmq_session_free(c, m);
        return n;
    }
    return m->id;
}

/* Takes a slot for a new message or request and fills what all kinds share. */
static tmq_msg *new_msg(tmq_client *c, uint8_t kind, const tmq_props *props, void *user)
{
    tmq_msg *m = tmq_session_alloc(c);
    if (m) {
        m->kind = kind;
        m->props = props;
        m->user = user;
    }
    return m;
}

int32_t tmq_client_publish(tmq_client *c, tmq_bin topic, tmq_bin payload, uint8_t qos, uint8_t retain,
                           const tmq_props *props, void *user)
{
    tmq_msg *m;
    /* the 5.0 server's limits, once known */
    if (TMQ_WITH_V5 && c->state == TMQ_STATE_READY && qos <= 2 && qos > c->server_max_qos)
        return TMQ_ERR_QOS_NOT_SUPPORTED;
    if (TMQ_WITH_V5 && c->state == TMQ_STATE_READY && retain && !c->server_retain)
        return TMQ_ERR_RETAIN_NOT_SUPPORTED;
    m = new_msg(c, TMQ_MSG_PUBLISH, props, user);
    if (!m)
        return TMQ_ERR_QUEUE_FULL;
    m->u.publish.topic = topic;
    m->u.publish.payload = payload;
    m->u.publish.qos = qos;
    m->u.publish.retain = retain ? 1u : 0u;
    return submit(c, m);
}

/* SUBSCRIBE and UNSUBSCRIBE share everything but the kind. */
static int32_t request(tmq_client *c, uint8_t kind, const tmq_sub *subs, uint16_t count,
                       const tmq_props *props, void *user)
{
    tmq_msg *m = new_msg(c, kind, props, user);
    if (!m)
        return TMQ_ERR_QUEUE_FULL;
    m->u.subs.list = subs;
    m->u.subs.count = count;
    return submit(c, m);
}

int32_t tmq_client_subscribe(tmq_client *c, const tmq_sub *subs, uint16_t count, const tmq_props *props,
                             void *user)
{
    return request(c, TMQ_MSG_SUBSCRIBE, subs, count, props, user);
}

int32_t tmq_client_unsubscribe(tmq_client *c, const tmq_sub *subs, uint16_t count, const tmq_props *props,
                               void *user)
{
    return request(c, TMQ_MSG_UNSUBSCRIBE, subs, count, props, user);
}

#if TMQ_WITH_V5
/* The DISCONNECT a requested disconnect sends: its reason and properties. */
static void close_packet(const tmq_client *c, tmq_packet *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->type = TMQ_DISCONNECT;
    pkt->version = c->version;
    pkt->reason = c->close_reason;
    if (c->close_props)
        pkt->props = *c->close_props;
}

/* Queues the DISCONNECT of a requested disconnect. */
static int32_t queue_close(tmq_client *c)
{
    tmq_packet pkt;
    close_packet(c, &pkt);
    return queue_packet(c, &pkt);
}
#else
#define queue_close(c) queue_simple(c, TMQ_DISCONNECT, 0, (c)->close_reason)
#endif

/* Writes what the transport takes. During a requested disconnect (closing is
 * set only while READY) it queues DISCONNECT once there is room behind what
 * is already queued (CLOSING_ASKED -> CLOSING_QUEUED), and closes once that
 * is all written. */
static void step_closing(tmq_client *c, uint32_t now)
{
    if (c->closing == CLOSING_ASKED && queue_close(c) > 0)
        c->closing = CLOSING_QUEUED;
    flush(c, now);
    if (c->closing == CLOSING_QUEUED && c->state == TMQ_STATE_READY && c->tx_off == c->tx_len)
        lost(c, c->tx_err, 0, now); /* a failed write while closing: no reading on */
}

int tmq_client_disconnect(tmq_client *c, uint8_t reason, uint32_t now_ms)
{
    if (c->state == TMQ_STATE_DISCONNECTED)
        return TMQ_ERR_STATE;
    c->closing = CLOSING_ASKED;
    c->close_reason = reason;
    if (c->state == TMQ_STATE_READY)
        step_closing(c, now_ms);
    else
        lost(c, TMQ_OK, 0, now_ms);
    return TMQ_OK;
}

#if TMQ_WITH_V5
int tmq_client_disconnect_with(tmq_client *c, uint8_t reason, const tmq_props *props, uint32_t now_ms)
{
    tmq_prop p, asked;
    tmq_packet pkt;
    int32_t n;
    if (c->version != TMQ_V5)
        return TMQ_ERR_VERSION;
    if (c->state == TMQ_STATE_DISCONNECTED)
        return TMQ_ERR_STATE;
    /* [MQTT-3.14.2-2]: no session expiry to set when CONNECT asked for none */
    if (props && tmq_props_get(props, TMQ_PROP_SESSION_EXPIRY, &p) && p.num &&
        !(tmq_props_get(&c->cfg->connect_props, TMQ_PROP_SESSION_EXPIRY, &asked) && asked.num))
        return TMQ_ERR_ARG;
    c->close_props = props;
    c->close_reason = reason;
    close_packet(c, &pkt);
    n = tmq_encode(0, 0, &pkt); /* refused now, not when it is its turn */
    if (n < 0) {
        c->close_props = 0;
        return (int)n;
    }
    return tmq_client_disconnect(c, reason, now_ms);
}

int tmq_client_auth(tmq_client *c, uint8_t reason, const tmq_props *props)
{
    tmq_packet pkt;
    int32_t n;
    if (c->version != TMQ_V5)
        return TMQ_ERR_VERSION;
    if (c->state != TMQ_STATE_MQTT_CONNECTING && c->state != TMQ_STATE_READY)
        return TMQ_ERR_STATE;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_AUTH;
    pkt.reason = reason;
    if (props)
        pkt.props = *props;
    n = queue_packet(c, &pkt);
    return n < 0 ? (int)n : TMQ_OK;
}
#endif

/* A slot visitor (tmq_session_each): fails the message with err. */
static void fail_msg(tmq_client *c, tmq_msg *m, int err)
{
    finish(c, m, err, 0);
}

void tmq_client_abandon(tmq_client *c)
{
    /* only what was pending on entry, even if callbacks submit more */
    tmq_session_each(c, fail_msg, TMQ_ERR_CLOSED);
    c->qos2_count = 0;
    c->inflight = 0;
}

/* The running timer of the current state: it expires `*ms` milliseconds
 * after `*since`. Returns 0 when no timer runs.
 *   WAITING_RECONNECT  the reconnect delay
 *   connecting states  the connect timeout (transport and CONNACK)
 *   READY              keepalive: PINGREQ after keepalive seconds without
 *                      sending, then the ping timeout for its PINGRESP */
static int timer(const tmq_client *c, uint32_t *since, uint32_t *ms)
{
    uint32_t ka = (uint32_t)c->keepalive * 1000u;
    switch (c->state) {
    case TMQ_STATE_WAITING_RECONNECT:
        *since = c->t_state;
        *ms = wait_ms(c);
        return 1;
    case TMQ_STATE_TCP_CONNECTING:
    case TMQ_STATE_TLS_HANDSHAKING:
    case TMQ_STATE_MQTT_CONNECTING:
        *since = c->t_conn;
        *ms = c->cfg->connect_timeout_ms ? c->cfg->connect_timeout_ms : 30000u;
        return 1;
    case TMQ_STATE_READY:
        /* a PINGREQ after a keepalive of silence either way (sending keeps
         * the server content, but only hearing from it shows the link
         * lives), then half a keepalive for an answer */
        *since = c->ping_out || (int32_t)(c->t_tx - c->t_ping) > 0 ? c->t_ping : c->t_tx;
        *ms = !c->ping_out ? ka : c->cfg->ping_timeout_ms ? c->cfg->ping_timeout_ms : ka / 2;
        return ka != 0;
    default:
        return 0;
    }
}

/* Acts on an expired timer (see timer()). */
static void on_timer(tmq_client *c, uint32_t now)
{
    if (c->state == TMQ_STATE_WAITING_RECONNECT)
        tmq_client_connect(c, now);
    else if (c->state != TMQ_STATE_READY)
        lost(c, TMQ_ERR_CONNECT_TIMEOUT, 0, now);
    else if (c->ping_out)
        lost(c, TMQ_ERR_KEEPALIVE, 0, now);
    else
        tmq_client_ping(c, now);
}

int tmq_client_ping(tmq_client *c, uint32_t now_ms)
{
    int32_t n;
    if (c->state != TMQ_STATE_READY)
        return TMQ_ERR_STATE;
    if (c->ping_out)
        return TMQ_OK;
    n = queue_simple(c, TMQ_PINGREQ, 0, 0);
    if (n < 0)
        return (int)n;
    c->ping_out = 1;
    c->t_ping = now_ms;
    return TMQ_OK;
}

tmq_state tmq_client_poll(tmq_client *c, uint32_t now_ms)
{
    if (c->state == TMQ_STATE_TCP_CONNECTING || c->state == TMQ_STATE_TLS_HANDSHAKING)
        progress_connect(c, now_ms);
    /* reading first: what the server sent is handled even when the
     * connection is dying and the next write fails */
    if (c->state == TMQ_STATE_MQTT_CONNECTING || c->state == TMQ_STATE_READY) {
    read:
        read_packets(c, now_ms);
    }
    if (!tmq_client_timeout(c, now_ms))
        on_timer(c, now_ms);
    if (c->state == TMQ_STATE_MQTT_CONNECTING || c->state == TMQ_STATE_READY) {
        pump(c, now_ms);
        step_closing(c, now_ms);
        if (c->tx_err)
            goto read; /* a write failed: read what came before it, which ends the connection */
    }
    return (tmq_state)c->state;
}

uint32_t tmq_client_timeout(const tmq_client *c, uint32_t now_ms)
{
    uint32_t since, ms;
    if (!timer(c, &since, &ms))
        return 0xFFFFFFFFu;
    return elapsed(now_ms, since, ms) ? 0 : ms - (now_ms - since);
}

int tmq_client_wants_write(const tmq_client *c)
{
    unsigned i;
    if (c->tx_off < c->tx_len || (c->state == TMQ_STATE_READY && c->closing == CLOSING_ASKED))
        return 1;
    if (c->state != TMQ_STATE_READY || c->closing)
        return 0;
    /* a queued message that pump would send now */
    for (i = c->send_off; i < c->live; i++) {
        const tmq_msg *m = tmq_session_at(c, i);
        if (m->state == TMQ_MSG_RELEASE)
            return 1;
        if (m->state == TMQ_MSG_QUEUED)
            return !held_by_window(c, m);
    }
    return 0;
}

tmq_state tmq_client_state(const tmq_client *c)
{
    return (tmq_state)c->state;
}

#if TMQ_WITH_RX_GROW
int tmq_client_buffers_empty(const tmq_client *c)
{
    const tmq_reader *r = &c->reader;
    return c->tx_off == c->tx_len && r->buf == c->mem.rx && r->start + r->taken == r->end;
}
#endif

#if TMQ_WITH_FAILOVER
uint8_t tmq_client_server_index(const tmq_client *c)
{
    return c->server;
}

int tmq_client_failing_over(const tmq_client *c)
{
    return c->state == TMQ_STATE_WAITING_RECONNECT && c->failover;
}
#endif

#if TMQ_WITH_STORE
void tmq_client_set_store(tmq_client *c, tmq_store *store)
{
    c->store = store;
}

int32_t tmq_client_restore(tmq_client *c, tmq_bin topic, tmq_bin payload, uint8_t qos, uint8_t retain,
                           const tmq_props *props, void *user, uint16_t id, uint8_t released)
{
    int32_t rc;
    if (c->state != TMQ_STATE_DISCONNECTED)
        return TMQ_ERR_STATE;
    if (!qos || (released && (qos != 2 || !id)) || (id && tmq_session_by_id(c, id)))
        return TMQ_ERR_ARG;
    rc = tmq_client_publish(c, topic, payload, qos, retain, props, user);
    if (rc > 0 && id) {
        /* the slot just taken: back to where the last connection left it,
         * for resume() to pick up after CONNACK */
        tmq_msg *m = tmq_session_at(c, c->live - 1u);
        m->id = id;
        m->state = released ? TMQ_MSG_AWAIT_COMP : TMQ_MSG_AWAIT_ACK;
        rc = id;
    }
    return rc;
}

int tmq_client_restore_incoming(tmq_client *c, uint16_t id)
{
    if (!id)
        return TMQ_ERR_ARG;
    return tmq_session_qos2_hold(c, id) < 0 ? TMQ_ERR_QUEUE_FULL : TMQ_OK;
}
#endif
