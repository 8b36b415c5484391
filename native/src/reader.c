/* Incremental reader: frames a byte stream into whole packets in place. */
#include <string.h>
#include "tinymqtt/packet.h"
#include "tinymqtt/reader.h"

void tmq_reader_init(tmq_reader *r, uint8_t *buf, uint32_t cap, uint8_t version)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->cap = cap;
    r->version = version;
}

/* Releases the packet handed out last; rewinds an empty buffer. */
static void release(tmq_reader *r)
{
    r->start += r->taken;
    r->taken = 0;
    if (r->start == r->end)
        r->start = r->end = 0;
}

uint32_t tmq_reader_space(tmq_reader *r, uint8_t **dst)
{
    release(r);
    if (r->start) {
        /* Only the unread tail of an incomplete packet is ever moved; whole
         * packets are handed out where they were received. */
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    *dst = r->buf + r->end;
    return r->cap - r->end;
}

void tmq_reader_commit(tmq_reader *r, uint32_t n)
{
    if (n > r->cap - r->end)
        n = r->cap - r->end;
    r->end += n;
}

uint32_t tmq_reader_feed(tmq_reader *r, const uint8_t *data, uint32_t len)
{
    uint8_t *dst;
    uint32_t n = tmq_reader_space(r, &dst);
    if (n > len)
        n = len;
    if (n)
        memcpy(dst, data, n);
    tmq_reader_commit(r, n);
    return n;
}

#if TMQ_WITH_RX_GROW
void tmq_reader_move(tmq_reader *r, uint8_t *buf, uint32_t cap)
{
    uint32_t len = r->end - r->start;
    memcpy(buf, r->buf + r->start, len);
    r->buf = buf;
    r->cap = cap;
    r->start = r->taken = 0;
    r->end = len;
    r->err = 0;
}
#endif

int tmq_reader_next(tmq_reader *r, const uint8_t **pkt, uint32_t *len)
{
    int32_t total;
    if (r->err)
        return r->err;
    release(r);
    total = tmq_frame(r->buf + r->start, r->end - r->start, r->version);
    /* too large: longer than the buffer, or a header that does not even fit */
    if (total > 0 ? (uint32_t)total > r->cap : !total && r->end - r->start == r->cap)
        total = TMQ_ERR_TOO_LARGE;
    if (total < 0) {
        r->err = (int8_t)total;
        return total;
    }
    if (!total || (uint32_t)total > r->end - r->start)
        return 0;
    *pkt = r->buf + r->start;
    *len = (uint32_t)total;
    r->taken = (uint32_t)total;
    return 1;
}
