/* Bounded byte reader and counting writer; variable byte integers. */
#include "wire.h"

#include <string.h>
#include "tinymqtt/topic.h"

void tmq_rd_fail(tmq_rd *r, int err)
{
    if (!err)
        return;
    if (!r->err)
        r->err = err;
    r->p = r->end;
}

uint32_t tmq_rd_left(const tmq_rd *r)
{
    return (uint32_t)(r->end - r->p);
}

/* Returns the next n bytes and advances, or NULL (and fails with err). */
static const uint8_t *take(tmq_rd *r, uint32_t n, int err)
{
    const uint8_t *p = r->p;
    if (tmq_rd_left(r) < n) {
        tmq_rd_fail(r, err);
        return 0;
    }
    r->p += n;
    return p;
}

/* Reads an n-byte big-endian integer. */
static uint32_t rd_be(tmq_rd *r, uint32_t n)
{
    const uint8_t *p = take(r, n, TMQ_ERR_SHORT_PACKET);
    uint32_t v = 0;
    while (p && n--)
        v = (v << 8) | *p++;
    return v;
}

uint8_t tmq_rd_u8(tmq_rd *r) { return (uint8_t)rd_be(r, 1); }
uint16_t tmq_rd_u16(tmq_rd *r) { return (uint16_t)rd_be(r, 2); }
#if TMQ_WITH_V5
uint32_t tmq_rd_u32(tmq_rd *r) { return rd_be(r, 4); }

uint32_t tmq_rd_vbi(tmq_rd *r)
{
    uint32_t v = 0;
    int n = tmq_vbi_decode(r->p, tmq_rd_left(r), &v);
    if (n <= 0) {
        tmq_rd_fail(r, n ? n : TMQ_ERR_SHORT_PACKET);
        return 0;
    }
    r->p += n;
    return v;
}
#endif

void tmq_rd_bin(tmq_rd *r, tmq_bin *out)
{
    out->len = tmq_rd_u16(r);
    out->p = take(r, out->len, TMQ_ERR_FIELD_LENGTH);
    if (!out->p)
        out->len = 0;
}

#if TMQ_WITH_V5 || TMQ_WITH_SERVER
void tmq_rd_str(tmq_rd *r, tmq_bin *out)
{
    tmq_rd_bin(r, out);
    if (out->p) {
        int rc = tmq_utf8_check(out->p, out->len);
        if (rc)
            tmq_rd_fail(r, rc);
    }
}
#endif

void tmq_rd_rest(tmq_rd *r, tmq_bin *out)
{
    out->len = tmq_rd_left(r);
    out->p = r->p;
    r->p = r->end;
}

void tmq_wr_check(tmq_wr *w, int err)
{
    if (err && !w->err)
        w->err = err;
}

void tmq_wr_raw(tmq_wr *w, const uint8_t *p, uint32_t n)
{
    if (!p && n)
        tmq_wr_check(w, TMQ_ERR_ARG); /* a length without data */
    else if (w->buf && n && w->pos + n <= w->cap)
        memcpy(w->buf + w->pos, p, n);
    w->pos += n;
}

/* Writes the low n bytes of v big-endian. */
static void wr_be(tmq_wr *w, uint32_t v, uint32_t n)
{
    uint8_t b[4];
    uint32_t i;
    for (i = n; i-- > 0; v >>= 8)
        b[i] = (uint8_t)v;
    tmq_wr_raw(w, b, n);
}

void tmq_wr_u8(tmq_wr *w, uint8_t v) { wr_be(w, v, 1); }
void tmq_wr_u16(tmq_wr *w, uint16_t v) { wr_be(w, v, 2); }
#if TMQ_WITH_V5
void tmq_wr_u32(tmq_wr *w, uint32_t v) { wr_be(w, v, 4); }

void tmq_wr_vbi(tmq_wr *w, uint32_t v)
{
    uint8_t b[4];
    int n = tmq_vbi_encode(b, v);
    if (n < 0)
        tmq_wr_check(w, n);
    else
        tmq_wr_raw(w, b, (uint32_t)n);
}
#endif

void tmq_wr_bin(tmq_wr *w, tmq_bin b)
{
    if (b.len > 0xFFFFu)
        tmq_wr_check(w, TMQ_ERR_TOO_LARGE);
    tmq_wr_u16(w, (uint16_t)b.len);
    tmq_wr_raw(w, b.p, b.len);
}

void tmq_wr_str(tmq_wr *w, tmq_bin s)
{
    if (s.p)
        tmq_wr_check(w, tmq_utf8_check(s.p, s.len));
    tmq_wr_bin(w, s);
}

int tmq_vbi_encode(uint8_t *out, uint32_t v)
{
    int n = 0;
    if (v > TMQ_MAX_REMAINING)
        return TMQ_ERR_TOO_LARGE;
    do {
        uint8_t b = (uint8_t)(v & 0x7Fu);
        v >>= 7;
        out[n++] = (uint8_t)(v ? b | 0x80u : b);
    } while (v);
    return n;
}

int tmq_vbi_decode(const uint8_t *buf, uint32_t len, uint32_t *v)
{
    uint32_t value = 0;
    int i;
    for (i = 0; i < 4; i++) {
        if ((uint32_t)i >= len)
            return 0;
        value |= (uint32_t)(buf[i] & 0x7Fu) << (7 * i);
        if (!(buf[i] & 0x80u)) {
            if (i > 0 && buf[i] == 0)
                return TMQ_ERR_VBI; /* not the minimal encoding */
            *v = value;
            return i + 1;
        }
    }
    return TMQ_ERR_VBI;
}
