/* A memory-pipe transport for tests: the client writes into `out`, the test
 * (a scripted fake broker) queues bytes for the client in `in`. Knobs make
 * connects slow or failing, writes partial, and the peer close. */
#ifndef TMQ_TEST_PIPE_H
#define TMQ_TEST_PIPE_H

#include "tinymqtt/packet.h"
#include "tinymqtt/port.h"

#define PIPE_CAP 65536

typedef struct tmq_pipe {
    tmq_transport base;
    uint8_t out[PIPE_CAP];     /* what the client sent, oldest first */
    uint32_t out_len;
    uint8_t in[PIPE_CAP];      /* what the client will read */
    uint32_t in_off, in_len;
    int connect_steps;         /* connect answers TMQ_IO_CONNECTING this many times first */
    int handshake_steps;       /* then TMQ_IO_HANDSHAKING this many times */
    int connect_error;         /* nonzero: connect fails with it */
    uint32_t write_limit;      /* nonzero: at most this many bytes per send */
    int write_blocked;         /* nonzero: send answers TMQ_IO_AGAIN */
    int send_error;            /* nonzero: send fails with it (recv goes on) */
    int peer_closed;           /* recv answers TMQ_ERR_CLOSED once `in` is drained */
    int connected, connects, closes;
    int recvs;                 /* recv calls */
} tmq_pipe;

/* Prepares a pipe whose connect succeeds at once. */
void pipe_init(tmq_pipe *p);

/* Queues raw bytes for the client to read. */
void pipe_push(tmq_pipe *p, const uint8_t *bytes, uint32_t len);

/* Encodes pkt (as protocol `version`) and queues it for the client. */
void pipe_push_packet(tmq_pipe *p, tmq_packet *pkt, uint8_t version);

/* Takes the oldest whole packet the client sent and decodes it into *pkt,
 * copying its bytes to raw (if not NULL, room for PIPE_CAP). Returns its
 * length, 0 if none, or a negative decode error. */
int32_t pipe_pop_packet(tmq_pipe *p, uint8_t version, tmq_packet *pkt, uint8_t *raw);

#endif
