/* tinymqtt WebSocket transport (RFC 6455): MQTT over ws:// and wss://, as a
 * transport that wraps another one (TCP, or TLS for wss). Portable C99, no
 * heap: its state is a tmq_ws and two buffers of the caller's. Built as its
 * own library (tinymqtt_ws, CMake option TMQ_WITH_WS), so firmware that does
 * not link it pays nothing.
 *
 * Usage:
 *     static uint8_t ws_tx[1024], ws_rx[512];
 *     static const tmq_ws_config wc = {.host = "broker.example:8080", .tx = ws_tx, .tx_cap = sizeof ws_tx,
 *                                       .rx = ws_rx, .rx_cap = sizeof ws_rx, .random = board_random};
 *     static tmq_ws ws;
 *     tmq_ws_init(&ws, &tcp_transport, &wc);
 *     tmq_client_init(&client, &cfg, &events, &mem, &ws.base);
 *
 * Behaviour of the transport operations (tinymqtt/port.h):
 *   connect  brings the lower transport up (its TMQ_IO_CONNECTING or
 *            TMQ_IO_HANDSHAKING meanwhile), then sends the HTTP/1.1 upgrade
 *            request and reads the answer, returning TMQ_IO_HANDSHAKING until
 *            the upgrade is done (TMQ_OK). Errors: the lower transport's;
 *            TMQ_ERR_BUF_TOO_SMALL when the request does not fit tx;
 *            TMQ_ERR_WS_HANDSHAKE for a status other than 101
 *            (tmq_ws_http_status says which); TMQ_ERR_WS_ACCEPT for a missing
 *            or wrong Sec-WebSocket-Accept; TMQ_ERR_WS_RESPONSE for any other
 *            unusable answer; TMQ_ERR_CLOSED when the server hangs up first.
 *   send     sends bytes as masked binary frames of at most tx_cap - 14
 *            payload bytes each. As with TLS, the bytes of a frame that could
 *            not be written whole are not reported written: the next send
 *            must start with them again (the client's send buffer does).
 *   recv     hands out the payload of binary frames and their continuations,
 *            whatever their boundaries; answers ping with pong and a close
 *            with a close. TMQ_ERR_CLOSED for the server's close frame
 *            between MQTT packets, TMQ_ERR_WS_CLOSE_MID_PACKET for one inside
 *            a packet or a fragmented message; TMQ_ERR_WS_MASKED,
 *            TMQ_ERR_WS_FRAME_SIZE, TMQ_ERR_WS_TEXT, TMQ_ERR_WS_OPCODE and
 *            TMQ_ERR_WS_FRAME for frames the client must refuse. Payload that
 *            came before an error is returned first; the error sticks.
 *   close    sends a close frame (1000) when it fits at once, then closes
 *            the lower transport. connect may follow.
 * Frames split at any byte boundary, and several frames or packets in one
 * read, are all the same to it. The lower transport is driven only from
 * these calls. */
#ifndef TINYMQTT_WS_H
#define TINYMQTT_WS_H

#include <stdint.h>
#include "tinymqtt/port.h"

/* Fills out[0..len) with unpredictable bytes (the Sec-WebSocket-Key and each
 * frame's masking key; RFC 6455 asks for a strong entropy source). */
typedef void (*tmq_ws_random_fn)(void *ctx, uint8_t *out, uint32_t len);

/* How to upgrade, and the memory to do it with. The struct and everything
 * it points to are the caller's and must outlive the tmq_ws.
 *   path:     request target, "/" and printable ASCII without spaces;
 *             NULL: "/mqtt".
 *   host:     the Host header; NULL: connect's host and port ("[...]" around
 *             an IPv6 literal).
 *   headers:  extra request header lines, each "Name: value\r\n" (a token,
 *             a colon, no CR, LF or NUL in the value), or NULL.
 *   protocol: the subprotocol asked for and accepted back; NULL: "mqtt".
 *   tx:       frames on their way out, and the upgrade request; at least
 *             140 bytes (a control frame fits).
 *   rx:       the upgrade response, whole headers (a few hundred bytes).
 *   max_frame: the largest frame payload accepted, 0: no limit below 4 GiB.
 *   random:   the entropy source, with random_ctx. */
typedef struct tmq_ws_config {
    const char *path;
    const char *host;
    const char *headers;
    const char *protocol;
    uint8_t *tx;
    uint32_t tx_cap;
    uint8_t *rx;
    uint32_t rx_cap;
    uint32_t max_frame;
    tmq_ws_random_fn random;
    void *random_ctx;
} tmq_ws_config;

/* A WebSocket connection over a lower transport. Treat the fields as
 * private, except `base` (hand &base to tmq_client_init). */
typedef struct tmq_ws {
    tmq_transport base;
    tmq_transport *lower;
    const tmq_ws_config *cfg;
    uint8_t state;
    int err;              /* the sticky error of the failed state */
    int pending_err;      /* an error to report once the payload before it is out */
    uint16_t http_status; /* status of the last upgrade response, 0 before one */
    uint16_t close_code;  /* status code of the server's close frame, 0 before one, 1005 without */
    char accept[29];      /* the Sec-WebSocket-Accept the key gives */
    /* sending: tx[tx_off..tx_len) is still to be written; it carries
     * tx_payload bytes of the caller's (0 for a control frame) */
    uint32_t tx_len, tx_off, tx_payload;
    /* the upgrade response's bytes after its header, read before the socket */
    uint32_t rx_len, rx_off;
    /* the frame reader */
    uint8_t hdr[10];
    uint8_t hdr_len;
    uint8_t opcode;       /* of the frame whose payload is being read */
    uint8_t fin;
    uint8_t in_payload;
    uint8_t in_message;   /* a fragmented data message is open */
    uint32_t left;        /* payload bytes of the current frame still to come */
    uint8_t ctl[125];     /* the payload of a ping (that of the pong owed) or a close */
    uint8_t ctl_len;
    uint8_t pong_due;     /* a pong owed, with ctl's payload */
    uint8_t close_due;    /* a close frame owed (the answer to the server's) */
    /* MQTT packet boundaries in the payload (a close inside a packet) */
    uint8_t pkt_stage;    /* 0: next byte starts a packet, 1-4: length bytes read */
    uint32_t pkt_len;
    uint32_t pkt_left;
} tmq_ws;

/* Prepares w to speak WebSocket over lower (which it connects, drives and
 * closes; w does not own it). Returns TMQ_OK, or TMQ_ERR_ARG for a NULL
 * argument, a missing random source or buffer, tx_cap under 140, or a path,
 * host, header or protocol with characters HTTP does not allow. */
int tmq_ws_init(tmq_ws *w, tmq_transport *lower, const tmq_ws_config *cfg);

/* The HTTP status of the last upgrade response (101 once upgraded, 403 when
 * refused so), or 0 when none came. Kept after close until the next connect. */
uint16_t tmq_ws_http_status(const tmq_ws *w);

/* The status code of the server's close frame (1000 normal, 1002 protocol
 * error, 1005 when the frame carried none), or 0 when none came. */
uint16_t tmq_ws_close_code(const tmq_ws *w);

/* Nonzero while w holds bytes it must write that the caller does not know
 * of (the upgrade request, a pong, a close): poll for writability then. */
int tmq_ws_wants_write(const tmq_ws *w);

#endif
