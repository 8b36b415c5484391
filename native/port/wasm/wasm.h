/* tinymqtt's WebAssembly port: the engine's client driven from JavaScript.
 * The transport, the clock, the random bytes of the WebSocket layer and the
 * memory are the JS side's (lib/wasm/): a client's transport calls the JS
 * functions imported below, its events go to JS through imported functions
 * too, and every buffer lives in memory the JS side allocated in the
 * module's linear memory (no heap here, no libc). Only this port's build
 * (scripts/build-wasm) compiles it. */
#ifndef TINYMQTT_WASM_H
#define TINYMQTT_WASM_H

#include <stdint.h>

#include "tinymqtt/backoff.h"
#include "tinymqtt/client.h"
#include "tinymqtt/drive.h"
#include "tinymqtt/offline.h"
#include "tinymqtt/ws.h"

/* The transport of one client: its calls go to JS, which owns the socket
 * (lib/wasm/native.ts: tmq_js_connect, tmq_js_send, tmq_js_recv, tmq_js_close). */
typedef struct tmq_wasm_io {
    tmq_transport base;
    int32_t id;
} tmq_wasm_io;

/* One client and everything of it the engine points into, apart from the
 * buffers (tmq_wasm_init's). Allocated by JS, tmq_wasm_size() bytes. */
typedef struct tmq_wasm_client {
    tmq_client client;
    tmq_client_config cfg;
    tmq_backoff backoff;
    tmq_wasm_io io;
    tmq_ws ws;
    tmq_ws_config ws_cfg;
    tmq_props close_props;   /* a requested 5.0 DISCONNECT's properties */
    tmq_coalesce coalesce;   /* the JS driver's read coalescing (tinymqtt/drive.h) */
    tmq_spin spin;           /* the JS driver's waits for a reply awake */
    tmq_offline_bounds offline;   /* the offline queue's bounds (tinymqtt/offline.h) */
    uint64_t offline_bytes;       /* and what it counts: bytes, */
    uint32_t offline_count;       /* messages */
    uint8_t ws_on;
    uint8_t log_packets;     /* tmq_wasm_log_packets */
    int32_t id;
} tmq_wasm_client;

/* sizeof(tmq_wasm_client), for the JS side's allocation. */
uint32_t tmq_wasm_size(void);
/* sizeof(tmq_msg), sizeof(tmq_server): what JS allocates per slot and server. */
uint32_t tmq_wasm_msg_size(void);
uint32_t tmq_wasm_server_size(void);
/* What a job block starts with (tmq_wasm_publish, tmq_wasm_subscribe):
 * sizeof(tmq_props), and sizeof(tmq_sub) per filter. */
uint32_t tmq_wasm_props_size(void);
uint32_t tmq_wasm_sub_size(void);

/* Zeroes w and sets it up as client `id` (the first field of its events)
 * over the JS transport. */
void tmq_wasm_new(tmq_wasm_client *w, int32_t id);

/* Reports every packet of the client, in and out, as a line of text
 * (tmq_js_packet; tinymqtt/describe.h). Before tmq_wasm_init. */
void tmq_wasm_log_packets(tmq_wasm_client *w);

/* CONNECT's fields, all views into JS-allocated memory that outlives w
 * (username/password: NULL for none). */
void tmq_wasm_set_connect(tmq_wasm_client *w, const char *host, uint32_t port, uint32_t version,
                          const uint8_t *client_id, uint32_t client_id_len, uint32_t clean, uint32_t keepalive,
                          const uint8_t *username, uint32_t username_len, const uint8_t *password,
                          uint32_t password_len, const uint8_t *props, uint32_t props_len,
                          uint32_t connect_timeout, uint32_t max_inflight, uint32_t auto_alias);

/* The will (CONNECT's), views as tmq_wasm_set_connect's. */
void tmq_wasm_set_will(tmq_wasm_client *w, const uint8_t *topic, uint32_t topic_len, const uint8_t *payload,
                       uint32_t payload_len, uint32_t qos, uint32_t retain, const uint8_t *props, uint32_t props_len);

/* Server i of the list at `servers` (count servers, JS-allocated,
 * tmq_wasm_server_size() each; host NUL-terminated): written, and with
 * i == count - 1 the list is the client's. */
void tmq_wasm_set_server(tmq_wasm_client *w, tmq_server *servers, uint32_t i, uint32_t count, const char *host,
                         uint32_t port, uint32_t kind);

/* The reconnect policy (tinymqtt/backoff.h); seed: nonzero random bits. */
void tmq_wasm_set_reconnect(tmq_wasm_client *w, uint32_t base_ms, uint32_t max_ms, uint32_t factor, uint32_t jitter,
                            uint32_t stable_ms, uint32_t seed);

/* MQTT over WebSocket by the engine's layer (tinymqtt/ws.h) over the JS
 * byte stream: path, host and headers NUL-terminated (headers NULL: none),
 * tx and rx its buffers. Returns TMQ_OK or tmq_ws_init's error. */
int tmq_wasm_set_ws(tmq_wasm_client *w, const char *path, const char *host, const char *headers, uint8_t *tx,
                    uint32_t tx_cap, uint8_t *rx, uint32_t rx_cap);

/* tmq_client_init over the memory given (tmq_client_mem's fields; packets
 * larger than rx_cap and at most rx_max are read into memory JS lends
 * through tmq_js_rx_grow). Returns tmq_client_init's result. */
int tmq_wasm_init(tmq_wasm_client *w, uint8_t *tx, uint32_t tx_cap, uint8_t *rx, uint32_t rx_cap, uint32_t rx_max,
                  tmq_msg *msgs, uint32_t msg_cap, uint16_t *qos2, uint32_t qos2_cap, uint8_t *assigned,
                  uint32_t assigned_cap, uint8_t *aliases, uint32_t alias_max, uint32_t alias_len, uint8_t *out_aliases,
                  uint32_t out_alias_max, uint32_t out_alias_len);

/* Queues a PUBLISH from a job block (JS-owned until the message's final
 * event): a tmq_props, then topic, payload and property block back to back.
 * token comes back in the message's events. Returns tmq_client_publish's
 * result. */
int32_t tmq_wasm_publish(tmq_wasm_client *w, uint8_t *block, uint32_t topic_len, uint32_t payload_len,
                         uint32_t props_len, uint32_t qos, uint32_t retain, int32_t token);

/* Queues a SUBSCRIBE (unsub 0) or UNSUBSCRIBE from a job block: a tmq_props,
 * count tmq_subs (filled in here), then each filter as a 2-byte
 * little-endian length, its bytes and (SUBSCRIBE) its options byte, then the
 * property block. Returns the engine's result. */
int32_t tmq_wasm_subscribe(tmq_wasm_client *w, uint8_t *block, uint32_t count, uint32_t props_len, uint32_t unsub,
                           int32_t token);

/* The size of a PUBLISH of a job block (as tmq_wasm_publish's) on the wire,
 * 0 if the encoder refuses it. */
uint32_t tmq_wasm_publish_size(const tmq_wasm_client *w, uint8_t *block, uint32_t topic_len, uint32_t payload_len,
                               uint32_t props_len, uint32_t qos, uint32_t retain);

/* DISCONNECT (props NULL: plain, else a 5.0 one with reason and this
 * property block, JS-owned until the disconnect event). Returns the
 * engine's result; a refused 5.0 one still sends a plain DISCONNECT. */
int tmq_wasm_disconnect(tmq_wasm_client *w, uint32_t reason, const uint8_t *props, uint32_t props_len,
                        uint32_t now_ms);

/* 5.0 AUTH with reason and property block (encoded at once). */
int tmq_wasm_auth(tmq_wasm_client *w, uint32_t reason, const uint8_t *props, uint32_t props_len);

/* A new reconnect policy for a live client; turned off, a wait ends. */
void tmq_wasm_change_reconnect(tmq_wasm_client *w, uint32_t base_ms, uint32_t max_ms, uint32_t factor,
                               uint32_t jitter, uint32_t stable_ms, uint32_t now_ms);

/* Closes the transport and fails every message (error TMQ_ERR_CLOSED). */
void tmq_wasm_close(tmq_wasm_client *w);

/* Nonzero when the client (or its WebSocket layer: a pong, a close) has
 * bytes to write: poll it again soon. */
int tmq_wasm_wants_write(const tmq_wasm_client *w);

/* The client's QoS 1/2 PUBLISHes sent and not yet completed (the
 * `inflight` of tmq_coalesce_after_poll). */
uint32_t tmq_wasm_inflight(const tmq_wasm_client *w);

/* The client's driver policy state (tinymqtt/drive.h), zeroed by
 * tmq_wasm_new: lib/wasm/native.ts hands these to the tmq_coalesce_* and
 * tmq_spin_* functions, which scripts/build-wasm exports. */
tmq_coalesce *tmq_wasm_coalesce(tmq_wasm_client *w);
tmq_spin *tmq_wasm_spin(tmq_wasm_client *w);

/* The offline queue's bounds (tinymqtt/offline.h): at most count_limit
 * messages, byte_limit bytes (a JS number: NaN, Infinity or anything from
 * 2^64 is none, a negative one 0, a fraction is cut), QoS 0 publishes only
 * when qos0 is nonzero. None until set; the caller checked the options
 * (lib/client.ts). */
void tmq_wasm_set_offline(tmq_wasm_client *w, uint32_t count_limit, double byte_limit, uint32_t qos0);

/* A publish of `packet` bytes at `qos` made while not connected: counted
 * and the bytes counted for it returned (> 0, for tmq_wasm_offline_release),
 * or refused: minus its enum tmq_offline_verdict, nothing counted. */
int32_t tmq_wasm_offline_admit(tmq_wasm_client *w, uint32_t qos, uint32_t packet);

/* A message tmq_wasm_offline_admit counted at `entry` bytes left the queue. */
void tmq_wasm_offline_release(tmq_wasm_client *w, uint32_t entry);

/* The words of refusal `verdict` of a publish of `packet` bytes, now, into
 * buf (tmq_offline_refusal); its length. */
uint32_t tmq_wasm_offline_refusal(const tmq_wasm_client *w, uint32_t verdict, uint32_t packet, char *buf,
                                  uint32_t cap);

/* The value of numeric property id in a 5.0 property block, 0 when absent. */
uint32_t tmq_wasm_prop_num(const uint8_t *props, uint32_t props_len, uint32_t id);

/* A 5.0 DISCONNECT's validity by the encoder (0 or the error), for
 * checkDisconnect. */
int32_t tmq_wasm_check_disconnect(uint32_t reason, const uint8_t *props, uint32_t props_len);

#endif
