/* tinymqtt: the MQTT client. A portable state machine with no heap and no
 * clock of its own, driven by tmq_client_poll(client, now_ms) over a
 * non-blocking transport (tinymqtt/port.h). The same client runs from a
 * bare-metal main loop and inside the POSIX event loop.
 *
 * Memory: the caller provides the tmq_client struct, the configuration, and
 * the buffers and slot arrays of tmq_client_mem, all of which must outlive
 * the client. Outgoing messages are not copied: a message's topic, payload,
 * properties (and a request's filters) must stay valid until its `sent`,
 * `suback`/`unsuback` or `error` event.
 *
 * Build options (compile definitions, default 0):
 *   TMQ_WITH_STORE   persistence hooks (tinymqtt/store.h)
 *   TMQ_WITH_RX_GROW receive memory on demand (tmq_client_mem.rx_grow)
 *   TMQ_WITH_RECONNECT_POLICY  the reconnect_delay event (a reconnect policy)
 *   TMQ_WITH_FAILOVER a list of servers tried in order (tmq_client_config.servers)
 *   TMQ_WITH_PACKET_HOOK  the packet event (every packet in and out, for logs) */
#ifndef TINYMQTT_CLIENT_H
#define TINYMQTT_CLIENT_H

#include <stdint.h>
#include "tinymqtt/packet.h"
#include "tinymqtt/port.h"
#include "tinymqtt/reader.h"

#ifndef TMQ_WITH_STORE
#define TMQ_WITH_STORE 0
#endif
#ifndef TMQ_WITH_RECONNECT_POLICY
#define TMQ_WITH_RECONNECT_POLICY 0
#endif
#ifndef TMQ_WITH_FAILOVER
#define TMQ_WITH_FAILOVER 0
#endif
#ifndef TMQ_WITH_PACKET_HOOK
#define TMQ_WITH_PACKET_HOOK 0
#endif
struct tmq_client;

/* Connection states, in the order a connection goes through them. */
typedef enum tmq_state {
    TMQ_STATE_DISCONNECTED = 0,
    TMQ_STATE_TCP_CONNECTING,    /* transport coming up */
    TMQ_STATE_TLS_HANDSHAKING,   /* transport up, TLS handshake running */
    TMQ_STATE_MQTT_CONNECTING,   /* CONNECT sent, waiting for CONNACK */
    TMQ_STATE_READY,
    TMQ_STATE_WAITING_RECONNECT  /* lost the connection; reconnects after a delay */
} tmq_state;

#if TMQ_WITH_FAILOVER
/* One server of a failover list (tmq_client_config.servers). host is a
 * caller-owned string that must outlive the client. kind is the port
 * layer's own value (which transport the server needs: plain, TLS, ...);
 * the engine only keeps it for the port, which reads it from the state
 * event of TMQ_STATE_TCP_CONNECTING (tmq_client_server_index), delivered
 * before the transport's connect is called for that server. */
typedef struct tmq_server {
    const char *host;
    uint16_t port;
    uint8_t kind;
} tmq_server;
#endif

/* What to connect with. `connect` holds what CONNECT carries (client id,
 * user name, password, will, keepalive, clean); its strings are
 * caller-owned views that must outlive the client, since they are sent again
 * on every reconnect. Zero fields take the defaults noted. */
typedef struct tmq_client_config {
    const char *host;
    uint16_t port;
    uint8_t version;              /* TMQ_V31, TMQ_V311 (0 means 3.1.1) or TMQ_V5 */
    tmq_connect connect;          /* keepalive 0 turns keepalive off */
    tmq_props connect_props;      /* 5.0 CONNECT properties (session expiry, user properties,
                                   * ...; at most TMQ_CONNECT_PROPS_MAX in list). Receive
                                   * Maximum and Maximum Packet Size default to what mem can
                                   * hold and may not exceed it; so does Topic Alias Maximum
                                   * (mem.alias_max) */
    uint32_t connect_timeout_ms;  /* transport plus CONNACK; 0 means 30,000 */
    uint32_t ping_timeout_ms;     /* PINGRESP wait before the link is dead; 0 means half the
                                   * keepalive. A PINGREQ goes out after a keepalive without
                                   * sending or without receiving, so a silent link is found
                                   * dead within 1.5 keepalives of the last packet received */
    uint16_t max_inflight;        /* outgoing QoS 1/2 window; 0 means only the server's Receive Maximum */
    uint32_t reconnect_delay_ms;  /* 0: no automatic reconnect; else the delay before each
                                   * attempt. Unused when ev->reconnect_delay is set: the
                                   * policy decides both. A CONNACK refusing the
                                   * version, client id, credentials or authorization
                                   * ends reconnecting (DISCONNECTED): the same
                                   * settings would be refused again; so does an
                                   * incoming packet larger than the client accepts
                                   * (TMQ_ERR_TOO_LARGE), which a kept session would
                                   * bring back on every reconnect */
#if TMQ_WITH_FAILOVER
    const tmq_server *servers;    /* NULL, or server_count servers used instead of host and
                                   * port: a round tries them in order, the next at once
                                   * when an attempt fails (transport, connect timeout or a
                                   * CONNACK refusal that is not for good), and only a
                                   * round that failed on every server waits the reconnect
                                   * delay (the policy is asked once per round). Every
                                   * connect, and every reconnect after a delay, starts a
                                   * round with servers[0]. Without automatic reconnect,
                                   * tmq_client_connect still tries each server once. The
                                   * step to the next server is a WAITING_RECONNECT with
                                   * delay 0 and a disconnect event with the failure */
    uint8_t server_count;         /* at most 255 */
#endif
    uint8_t auto_alias;           /* 5.0: give outgoing PUBLISHes Topic Aliases of the
                                   * client's choosing (mem.out_aliases) within the
                                   * server's Topic Alias Maximum */
} tmq_client_config;

/* Most properties a 5.0 CONNECT may list in cfg->connect_props.list. */
#define TMQ_CONNECT_PROPS_MAX 8

/* Kinds and states of a message slot. A kind is the type of the packet the
 * slot sends. */
enum tmq_msg_kind {
    TMQ_MSG_PUBLISH = TMQ_PUBLISH, TMQ_MSG_SUBSCRIBE = TMQ_SUBSCRIBE, TMQ_MSG_UNSUBSCRIBE = TMQ_UNSUBSCRIBE
};
enum tmq_msg_state {
    TMQ_MSG_FREE = 0,
    TMQ_MSG_QUEUED,     /* waiting for its turn (window, send buffer, connection) */
    TMQ_MSG_WRITTEN,    /* QoS 0 in the send buffer, not yet on the wire */
    TMQ_MSG_AWAIT_ACK,  /* sent: waiting for PUBACK / PUBREC / SUBACK / UNSUBACK */
    TMQ_MSG_RELEASE,    /* QoS 2: PUBREC received, PUBREL to be sent (again, after a reconnect) */
    TMQ_MSG_AWAIT_COMP  /* QoS 2: PUBREL sent, waiting for PUBCOMP */
};

/* One outgoing PUBLISH, SUBSCRIBE or UNSUBSCRIBE, from submission to its
 * final event. The client owns the slot; the caller owns what it points to. */
typedef struct tmq_msg {
    uint8_t kind, state;
    uint16_t id;                /* packet id (0 for QoS 0) */
    union {
        tmq_publish publish;    /* TMQ_MSG_PUBLISH: topic, payload, qos, retain, dup */
        tmq_subs subs;          /* SUBSCRIBE / UNSUBSCRIBE: list and count of filters */
    } u;
    const tmq_props *props;     /* 5.0 properties, or NULL */
    void *user;                 /* the caller's handle, given back in events */
    uint32_t mark;              /* QoS 0: send-buffer position after its bytes; QoS 2
                                 * (5.0): nonzero once its PUBREL was resent after a
                                 * reconnect */
} tmq_msg;

/* Caller memory for one client.
 *   tx:    packets waiting to be written; must hold the largest packet sent
 *   rx:    the incoming packet buffer; its size is the largest packet
 *          accepted (announced as Maximum Packet Size in 5.0 unless set lower)
 *   rx_grow, rx_max (TMQ_WITH_RX_GROW, optional): for a packet larger than
 *          rx and at most rx_max bytes, the client calls rx_grow(c, size)
 *          for a buffer of exactly `size` bytes that holds that one packet
 *          (NULL: refused, the packet is TMQ_ERR_TOO_LARGE), then
 *          rx_grow(c, 0) once it no longer uses it (the packet was handled or
 *          the connection ended), and goes back to rx. rx_max is then the
 *          largest packet accepted, and what 5.0 announces
 *   msgs:  slots for outgoing messages and requests, in submission order
 *   assigned_id (5.0): room for the client id a server assigns when the
 *          configured one is empty; the client then reconnects with it, so a
 *          kept session can be resumed
 *   out_aliases (5.0): the topics the client's outgoing Topic Aliases stand
 *          for on the current connection. A PUBLISH with a Topic Alias
 *          property (the caller's, or one the client assigns with
 *          cfg->auto_alias) is sent with its topic the first time and with
 *          the alias alone after that; the topic stays in the message, so a
 *          resend after a reconnect carries it again
 *   aliases (5.0): room for incoming topic aliases; the client announces
 *          alias_max as Topic Alias Maximum and resolves aliased PUBLISHes
 *          before the message event (topics longer than alias_len - 2 bytes
 *          end the connection)
 *   qos2:  ids of incoming QoS 2 messages delivered but not yet released
 *          (de-duplication), at least one; also the Receive Maximum
 *          announced in 5.0. 3.x cannot announce it: make it at least the
 *          server's in-flight limit (mosquitto: max_inflight_messages, 20),
 *          or a burst beyond it ends the connection with TMQ_ERR_QUEUE_FULL
 *          (the server resends after a reconnect to the same session). */
typedef struct tmq_client_mem {
    uint8_t *tx;
    uint32_t tx_cap;
    uint8_t *rx;
    uint32_t rx_cap;
    tmq_msg *msgs;
    uint16_t msg_cap;
    uint16_t *qos2;
    uint16_t qos2_cap;
    /* 5.0, optional (NULL/0: not used) */
    uint8_t *assigned_id;         /* keeps a server-assigned client id for reconnects */
    uint16_t assigned_cap;
    uint8_t *aliases;             /* incoming topic aliases: alias_max slots of alias_len bytes */
    uint16_t alias_max, alias_len; /* each slot holds a 2-byte length and the topic */
#if TMQ_WITH_V5
    uint8_t *out_aliases;         /* outgoing topic aliases: out_alias_max slots of out_alias_len bytes */
    uint16_t out_alias_max, out_alias_len; /* as aliases; a longer topic is sent in full */
#endif
#if TMQ_WITH_RX_GROW
    /* optional (NULL: rx is all there is) */
    uint8_t *(*rx_grow)(struct tmq_client *c, uint32_t size);
    uint32_t rx_max;
#endif
} tmq_client_mem;

/* Event callbacks; any may be NULL. Packet views are valid only during the
 * call. `msg` is the slot of the message or request concerned (its user
 * field is the caller's handle); it is freed when the callback returns.
 *   connack:    the connection is READY (connack->session_present, props)
 *   message:    an incoming PUBLISH, delivered once (QoS 2 de-duplicated)
 *   sent:       QoS 0 written to the transport, QoS 1 PUBACK, QoS 2 PUBCOMP;
 *               reason is the 5.0 reason code (>= 0x80: the broker refused it)
 *   suback:     the SUBACK of a SUBSCRIBE (one code per filter)
 *   unsuback:   the UNSUBACK of an UNSUBSCRIBE
 *   pong:       PINGRESP
 *   disconnect: the connection ended; err says why (TMQ_OK after
 *               tmq_client_disconnect); pkt is the refusing CONNACK, the
 *               server's 5.0 DISCONNECT, or NULL. The state is already
 *               DISCONNECTED or WAITING_RECONNECT (its state event came first)
 *   error:      err concerns msg (a message that can no longer be delivered:
 *               refused by the encoder or too large for the server), or with
 *               msg NULL a protocol violation the connection survives (an
 *               acknowledgement for an unknown packet id). Errors that end
 *               the connection come once, through disconnect.
 *   state:      the connection state changed
 *   reconnect_delay (TMQ_WITH_RECONNECT_POLICY, optional): the reconnect policy. Asked once as the
 *               client starts waiting to reconnect (before its state event),
 *               with whether the connection had come up (READY) and for how
 *               long; returns the delay in ms, or TMQ_RECONNECT_NEVER to stay
 *               DISCONNECTED. NULL: cfg->reconnect_delay_ms.
 *               tinymqtt/backoff.h has one (tmq_backoff_after).
 *   auth (5.0, optional): an AUTH from the server, a step of the enhanced
 *               authentication the CONNECT's Authentication Method (or a
 *               re-authentication) started; answer with tmq_client_auth.
 *               NULL, or no Authentication Method in CONNECT: an AUTH is a
 *               protocol violation.
 *   packet (TMQ_WITH_PACKET_HOOK, optional): every packet of a connection,
 *               out (nonzero: just queued to send, `len` bytes) or in (just
 *               received and decoded, before it is handled); pkt is a view
 *               valid during the call. For logs: NULL costs nothing. */
typedef struct tmq_client_events {
    void (*connack)(struct tmq_client *c, const tmq_packet *connack);
    void (*message)(struct tmq_client *c, const tmq_packet *publish);
    void (*sent)(struct tmq_client *c, const tmq_msg *msg, uint8_t reason);
    void (*suback)(struct tmq_client *c, const tmq_msg *msg, const tmq_packet *suback);
    void (*unsuback)(struct tmq_client *c, const tmq_msg *msg, const tmq_packet *unsuback);
    void (*pong)(struct tmq_client *c);
    void (*disconnect)(struct tmq_client *c, int err, const tmq_packet *pkt);
    void (*error)(struct tmq_client *c, int err, const tmq_msg *msg);
    void (*state)(struct tmq_client *c, tmq_state state);
#if TMQ_WITH_RECONNECT_POLICY
    uint32_t (*reconnect_delay)(struct tmq_client *c, int was_ready, uint32_t lasted_ms);
#endif
#if TMQ_WITH_V5
    void (*auth)(struct tmq_client *c, const tmq_packet *auth);
#endif
#if TMQ_WITH_PACKET_HOOK
    void (*packet)(struct tmq_client *c, int out, const tmq_packet *pkt, uint32_t len);
#endif
} tmq_client_events;

/* What the reconnect_delay event returns for "do not reconnect". */
#define TMQ_RECONNECT_NEVER UINT32_MAX

/* The client. Allocate it anywhere (static, stack of a task, inside a
 * binding object); treat the fields as private. */
typedef struct tmq_client {
    /* the most used fields first: Thumb code reaches small offsets with
     * shorter instructions */
    uint8_t state, version, ping_out, server_max_qos, server_retain, closing, close_reason;
    uint16_t keepalive;           /* effective keepalive (5.0 Server Keep Alive wins) */
    uint16_t inflight;            /* QoS 1/2 PUBLISHes sent and not yet completed */
    uint16_t server_receive_max;  /* 5.0 Receive Maximum of the server (65535 before 5.0) */
    uint16_t next_id;
    uint16_t head, live, send_off; /* msgs ring: oldest slot, slots in use from it, first unsent */
    uint16_t qos2_count;
    uint16_t assigned_len;        /* 5.0: length of the id kept in mem.assigned_id */
    int16_t tx_err;               /* a failed write's error while what came before it is read; else 0 */
    tmq_client_mem mem;
    const tmq_client_config *cfg;
    const tmq_client_events *ev;
    tmq_transport *transport;
    uint32_t tx_off, tx_len;      /* unwritten bytes are mem.tx[tx_off, tx_len) */
    uint32_t tx_done;             /* bytes written to the transport since connect (QoS 0 marks) */
    uint32_t t_state, t_conn, t_tx;
    uint32_t t_ping;              /* the later of the last packet received and the last PINGREQ */
    uint32_t server_max_packet;   /* 0: no limit announced */
#if TMQ_WITH_RECONNECT_POLICY
    uint32_t reconnect_ms;        /* the delay of the current WAITING_RECONNECT */
#endif
#if TMQ_WITH_V5
    uint16_t server_alias_max;    /* the server's Topic Alias Maximum (0: none) */
    uint16_t out_alias_top;       /* outgoing alias slots used on this connection */
    uint16_t out_alias_next;      /* the slot auto_alias reuses next once all are used */
    const tmq_props *close_props; /* the DISCONNECT's properties (tmq_client_disconnect_with) */
#endif
    tmq_reader reader;
#if TMQ_WITH_STORE
    struct tmq_store *store;      /* persistence hooks, or NULL (tmq_client_set_store) */
#endif
#if TMQ_WITH_FAILOVER
    uint8_t server;               /* index in cfg->servers of the server in use or being tried */
    uint8_t failover;             /* nonzero while waiting to try the next server of a round */
#endif
    void *user;                   /* the caller's context, free for it to use */
} tmq_client;

/* Prepares c. cfg, ev, mem and transport are caller-owned and must outlive
 * c. Returns TMQ_OK, or TMQ_ERR_ARG for missing memory or CONNECT properties
 * the client cannot honour; or the encoder's error if the CONNECT itself is
 * invalid (TMQ_ERR_VERSION for an unsupported version, TMQ_ERR_CLIENT_ID,
 * ...) or TMQ_ERR_TOO_LARGE if it is larger than the send buffer. Does not
 * connect. */
int tmq_client_init(tmq_client *c, const tmq_client_config *cfg, const tmq_client_events *ev,
                    const tmq_client_mem *mem, tmq_transport *transport);

/* Starts connecting (transport, then CONNECT); progress happens in
 * tmq_client_poll. Returns TMQ_OK or TMQ_ERR_STATE if not DISCONNECTED or
 * WAITING_RECONNECT. */
int tmq_client_connect(tmq_client *c, uint32_t now_ms);

/* Submitting never calls back and never does I/O: tmq_client_publish,
 * tmq_client_subscribe and tmq_client_unsubscribe validate and queue; the
 * next tmq_client_poll sends, and reports through the events. (connect,
 * disconnect and abandon report their state changes before returning.) */

/* Queues a PUBLISH (it is sent in submission order, QoS 1/2 within the
 * in-flight window; while not connected it waits). topic, payload and props
 * must stay valid until its final event. Returns the packet id (0 for QoS 0)
 * or a negative error: TMQ_ERR_QUEUE_FULL (no free slot), TMQ_ERR_TOPIC,
 * TMQ_ERR_QOS, TMQ_ERR_QOS_NOT_SUPPORTED, TMQ_ERR_RETAIN_NOT_SUPPORTED,
 * TMQ_ERR_TOO_LARGE (over the send buffer or the server's maximum), ... */
int32_t tmq_client_publish(tmq_client *c, tmq_bin topic, tmq_bin payload, uint8_t qos, uint8_t retain,
                           const tmq_props *props, void *user);

/* Queues a SUBSCRIBE for count filters (subs[i].opts carries the QoS and
 * 5.0 options). subs and props must stay valid until its suback or error
 * event. Returns the packet id or a negative error. */
int32_t tmq_client_subscribe(tmq_client *c, const tmq_sub *subs, uint16_t count, const tmq_props *props,
                             void *user);

/* Queues an UNSUBSCRIBE; as tmq_client_subscribe. */
int32_t tmq_client_unsubscribe(tmq_client *c, const tmq_sub *subs, uint16_t count, const tmq_props *props,
                               void *user);

/* Sends DISCONNECT (5.0: with reason) after what is already in the send
 * buffer, then closes the transport; no will is published. Messages still
 * queued or unacknowledged stay in their slots for a later connect with the
 * same session. Returns TMQ_OK or TMQ_ERR_STATE. */
int tmq_client_disconnect(tmq_client *c, uint8_t reason, uint32_t now_ms);

#if TMQ_WITH_V5
/* 5.0: as tmq_client_disconnect, with DISCONNECT properties (props, the
 * caller's, valid until the disconnect event; NULL for none), e.g. a new
 * Session Expiry Interval. Returns TMQ_OK; TMQ_ERR_VERSION before 5.0;
 * TMQ_ERR_ARG for a nonzero Session Expiry Interval when CONNECT set none or
 * 0 [MQTT-3.14.2-2]; the encoder's error for properties a DISCONNECT cannot
 * carry; TMQ_ERR_STATE as tmq_client_disconnect. */
int tmq_client_disconnect_with(tmq_client *c, uint8_t reason, const tmq_props *props, uint32_t now_ms);

/* 5.0: queues an AUTH with reason (TMQ_RC_CONTINUE_AUTH to answer the
 * server's AUTH, TMQ_RC_REAUTHENTICATE to start a re-authentication while
 * READY) and props (Authentication Method and Data; encoded now, so the
 * caller keeps nothing). Returns TMQ_OK, TMQ_ERR_VERSION before 5.0,
 * TMQ_ERR_STATE when neither connecting nor READY, TMQ_ERR_WOULD_BLOCK
 * when the send buffer is full, or the encoder's error. */
int tmq_client_auth(tmq_client *c, uint8_t reason, const tmq_props *props);
#endif

/* Sends PINGREQ now (READY only) unless one already waits for its PINGRESP;
 * the pong event follows. Without a PINGRESP within the ping timeout the
 * link is dead, as with keepalive pings (with keepalive 0 nothing times
 * out). Returns TMQ_OK, TMQ_ERR_STATE when not READY, or TMQ_ERR_WOULD_BLOCK
 * when the send buffer is full. */
int tmq_client_ping(tmq_client *c, uint32_t now_ms);

/* Fails every queued and unacknowledged message and request with
 * error(TMQ_ERR_CLOSED) and frees its slot: for shutting a client down for
 * good. Call when DISCONNECTED. */
void tmq_client_abandon(tmq_client *c);

/* Does all pending work: connect progress, writing, reading and handling
 * packets, keepalive, timeouts, reconnect. Call when the transport is ready
 * or a timer is due (tmq_client_timeout), or simply often. Returns the state. */
tmq_state tmq_client_poll(tmq_client *c, uint32_t now_ms);

/* Milliseconds until the client needs tmq_client_poll for a timer (keepalive,
 * connect timeout, reconnect delay), or UINT32_MAX if none is running. */
uint32_t tmq_client_timeout(const tmq_client *c, uint32_t now_ms);

/* Nonzero when there is something to send now: bytes in the send buffer, or
 * a queued message or request the window lets through. Poll the transport
 * for writing (or call tmq_client_poll soon). */
int tmq_client_wants_write(const tmq_client *c);

/* The connection state. */
tmq_state tmq_client_state(const tmq_client *c);

#if TMQ_WITH_RX_GROW
/* Memory on demand, the other way (hosts that lend rx_grow buffers): nonzero
 * when the send and receive buffers (mem.tx, mem.rx) hold nothing the client
 * still needs: every byte of the send buffer written, no part of a packet
 * received and not yet handled, no lent receive buffer in use. Until the
 * next tmq_client_poll or operation their contents may be lost (a host may
 * give their memory back to its system while a client is idle). */
int tmq_client_buffers_empty(const tmq_client *c);
#endif

#if TMQ_WITH_FAILOVER
/* The index in cfg->servers of the server the client is connected to or
 * trying (0 without a list): set before the state event of
 * TMQ_STATE_TCP_CONNECTING, kept until the next attempt. */
uint8_t tmq_client_server_index(const tmq_client *c);

/* Nonzero while the client waits (WAITING_RECONNECT, no delay) to try the
 * next server of the current round, rather than for a reconnect delay. */
int tmq_client_failing_over(const tmq_client *c);
#endif

#endif
