/* tinymqtt: incremental packet reader for non-blocking transports. */
#ifndef TINYMQTT_READER_H
#define TINYMQTT_READER_H

#include <stdint.h>
#include "tinymqtt/error.h"

/* Build option: receive memory on demand (tmq_reader_move; the client's
 * tmq_client_mem.rx_grow). */
#ifndef TMQ_WITH_RX_GROW
#define TMQ_WITH_RX_GROW 0
#endif

/* Frames a byte stream into whole packets inside one caller-owned buffer.
 * Bytes may arrive in chunks of any size, one at a time included. The
 * transport can receive straight into the buffer (tmq_reader_space and
 * tmq_reader_commit), so packets are handed out as views without copying;
 * only an incomplete tail is moved to the front when room runs out.
 * A packet larger than the buffer is TMQ_ERR_TOO_LARGE. Errors are sticky:
 * the stream cannot be resynchronised after one. */
typedef struct tmq_reader {
    uint8_t *buf;
    uint32_t cap;
    uint32_t start;     /* first unread byte */
    uint32_t end;       /* one past the last received byte */
    uint32_t taken;     /* length of the packet last handed out, released on the next call */
    uint8_t version;    /* protocol level used to check fixed headers */
    int8_t err;         /* sticky error, 0 while healthy */
} tmq_reader;

/* Prepares r to use buf (cap bytes, owned by the caller, which must outlive
 * r) for a stream of protocol `version` packets. */
void tmq_reader_init(tmq_reader *r, uint8_t *buf, uint32_t cap, uint8_t version);

/* Returns how many bytes may be written at *dst, compacting the buffer first
 * if that makes room. Receive into *dst, then call tmq_reader_commit. */
uint32_t tmq_reader_space(tmq_reader *r, uint8_t **dst);

/* Records that n bytes were written at the place tmq_reader_space gave
 * (n is clamped to the space there was). */
void tmq_reader_commit(tmq_reader *r, uint32_t n);

/* Copies up to len bytes of data into the reader. Returns how many it took:
 * fewer than len when the buffer is full until packets are taken out. */
uint32_t tmq_reader_feed(tmq_reader *r, const uint8_t *data, uint32_t len);

#if TMQ_WITH_RX_GROW
/* Goes on reading in buf (cap bytes, caller-owned, at least the bytes not
 * yet handed out): moves those there and clears a TMQ_ERR_TOO_LARGE, for a
 * packet the old buffer could not hold. */
void tmq_reader_move(tmq_reader *r, uint8_t *buf, uint32_t cap);
#endif

/* Hands out the next complete packet: returns 1 with *pkt and *len set to a view
 * inside the buffer, valid until the next call on r; 0 if more bytes are
 * needed; or a negative tmq_err (for a bad fixed header or a packet larger
 * than the buffer), repeated on every later call. The body is not decoded:
 * pass the view to tmq_decode. */
int tmq_reader_next(tmq_reader *r, const uint8_t **pkt, uint32_t *len);

#endif
