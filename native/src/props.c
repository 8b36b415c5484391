/* MQTT 5.0 properties: the identifier table, reading, validating, writing. */
#include "wire.h"

#include <string.h>
#include "tinymqtt/topic.h"

/* Value types. The numeric ones are their width in bytes. */
enum { T_BYTE = 1, T_U16 = 2, T_VBI = 3, T_U32 = 4, T_STR, T_BIN, T_PAIR };

#define WILL 1u /* bit 0 of `packets` stands for will properties */
#define P(t) (1u << TMQ_##t)
#define MSG (WILL | P(PUBLISH))
#define SESSION (P(CONNECT) | P(CONNACK))
#define AUTHS (SESSION | P(AUTH))
#define REASONED (P(CONNACK) | P(PUBACK) | P(PUBREC) | P(PUBREL) | P(PUBCOMP) | P(SUBACK) | \
                  P(UNSUBACK) | P(DISCONNECT) | P(AUTH))
#define ANY (REASONED | MSG | P(CONNECT) | P(SUBSCRIBE) | P(UNSUBSCRIBE))

typedef struct prop_def {
    uint8_t id, type;
    uint16_t packets;
} prop_def;

/* Every 5.0 property with its type and the packets it may appear in (MQTT 5.0, 2.2.2.2). */
static const prop_def defs[] = {
    {TMQ_PROP_PAYLOAD_FORMAT, T_BYTE, MSG},
    {TMQ_PROP_MESSAGE_EXPIRY, T_U32, MSG},
    {TMQ_PROP_CONTENT_TYPE, T_STR, MSG},
    {TMQ_PROP_RESPONSE_TOPIC, T_STR, MSG},
    {TMQ_PROP_CORRELATION_DATA, T_BIN, MSG},
    {TMQ_PROP_SUBSCRIPTION_ID, T_VBI, P(PUBLISH) | P(SUBSCRIBE)},
    {TMQ_PROP_SESSION_EXPIRY, T_U32, SESSION | P(DISCONNECT)},
    {TMQ_PROP_ASSIGNED_CLIENT_ID, T_STR, P(CONNACK)},
    {TMQ_PROP_SERVER_KEEPALIVE, T_U16, P(CONNACK)},
    {TMQ_PROP_AUTH_METHOD, T_STR, AUTHS},
    {TMQ_PROP_AUTH_DATA, T_BIN, AUTHS},
    {TMQ_PROP_REQUEST_PROBLEM_INFO, T_BYTE, P(CONNECT)},
    {TMQ_PROP_WILL_DELAY, T_U32, WILL},
    {TMQ_PROP_REQUEST_RESPONSE_INFO, T_BYTE, P(CONNECT)},
    {TMQ_PROP_RESPONSE_INFO, T_STR, P(CONNACK)},
    {TMQ_PROP_SERVER_REFERENCE, T_STR, P(CONNACK) | P(DISCONNECT)},
    {TMQ_PROP_REASON_STRING, T_STR, REASONED},
    {TMQ_PROP_RECEIVE_MAXIMUM, T_U16, SESSION},
    {TMQ_PROP_TOPIC_ALIAS_MAXIMUM, T_U16, SESSION},
    {TMQ_PROP_TOPIC_ALIAS, T_U16, P(PUBLISH)},
    {TMQ_PROP_MAXIMUM_QOS, T_BYTE, P(CONNACK)},
    {TMQ_PROP_RETAIN_AVAILABLE, T_BYTE, P(CONNACK)},
    {TMQ_PROP_USER, T_PAIR, ANY},
    {TMQ_PROP_MAXIMUM_PACKET_SIZE, T_U32, SESSION},
    {TMQ_PROP_WILDCARD_SUB_AVAILABLE, T_BYTE, P(CONNACK)},
    {TMQ_PROP_SUB_ID_AVAILABLE, T_BYTE, P(CONNACK)},
    {TMQ_PROP_SHARED_SUB_AVAILABLE, T_BYTE, P(CONNACK)},
};

static const prop_def *find_def(uint32_t id)
{
    unsigned i;
    for (i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (defs[i].id == id)
            return &defs[i];
    return 0;
}

/* Reads one property from block reader b. Returns its definition, or NULL
 * with b failed (an overrun inside the block is TMQ_ERR_PROP_LENGTH). */
static const prop_def *rd_prop(tmq_rd *b, tmq_prop *out)
{
    uint32_t id = tmq_rd_vbi(b);
    const prop_def *d = find_def(id);
    memset(out, 0, sizeof *out);
    if (!b->err && !d)
        tmq_rd_fail(b, TMQ_ERR_PROP_ID);
    if (b->err)
        return 0;
    out->id = (uint8_t)id;
    switch (d->type) {
    case T_BYTE: out->num = tmq_rd_u8(b); break;
    case T_U16: out->num = tmq_rd_u16(b); break;
    case T_U32: out->num = tmq_rd_u32(b); break;
    case T_VBI: out->num = tmq_rd_vbi(b); break;
    case T_BIN: tmq_rd_bin(b, &out->str); break;
    default:
        tmq_rd_str(b, &out->str);
        if (d->type == T_PAIR)
            tmq_rd_str(b, &out->val);
    }
    if (b->err == TMQ_ERR_SHORT_PACKET || b->err == TMQ_ERR_FIELD_LENGTH)
        b->err = TMQ_ERR_PROP_LENGTH;
    return b->err ? 0 : d;
}

/* Checks property p against its definition, the packet kind it is in, and
 * the ids already seen in the block (a 6-byte bitmap, updated). */
static int prop_check(const prop_def *d, const tmq_prop *p, uint8_t kind, uint8_t *seen)
{
    uint8_t bit = (uint8_t)(1u << (d->id & 7u));
    if (!((d->packets >> kind) & 1u))
        return TMQ_ERR_PROP_PACKET;
    if ((seen[d->id >> 3] & bit) && d->id != TMQ_PROP_USER &&
        !(d->id == TMQ_PROP_SUBSCRIPTION_ID && kind == TMQ_PUBLISH))
        return TMQ_ERR_PROP_DUP;
    seen[d->id >> 3] |= bit;
    if ((d->type == T_BYTE && p->num > 1) || (d->type == T_U16 && p->num > 0xFFFFu) ||
        (d->type == T_VBI && p->num > TMQ_MAX_REMAINING))
        return TMQ_ERR_PROP_VALUE;
    if (!p->num && (d->id == TMQ_PROP_RECEIVE_MAXIMUM || d->id == TMQ_PROP_MAXIMUM_PACKET_SIZE ||
                    d->id == TMQ_PROP_TOPIC_ALIAS || d->id == TMQ_PROP_SUBSCRIPTION_ID))
        return TMQ_ERR_PROP_VALUE;
    if (d->id == TMQ_PROP_RESPONSE_TOPIC)
        return tmq_topic_check(p->str.p, p->str.len);
    return TMQ_OK;
}

/* Validates every property of block b for packet kind. */
static void check_block(tmq_rd *b, uint8_t kind, uint8_t *seen)
{
    tmq_prop p;
    while (tmq_rd_left(b)) {
        const prop_def *d = rd_prop(b, &p);
        if (d)
            tmq_rd_fail(b, prop_check(d, &p, kind, seen));
    }
}

void tmq_rd_props(tmq_rd *r, uint8_t kind, tmq_props *out)
{
    uint8_t seen[6] = {0};
    uint32_t len = tmq_rd_vbi(r);
    tmq_rd b;
    if (!r->err && len > tmq_rd_left(r))
        tmq_rd_fail(r, TMQ_ERR_PROP_LENGTH);
    if (r->err)
        return;
    b.p = r->p;
    b.end = r->p + len;
    b.err = 0;
    r->p = b.end;
    out->raw.p = b.p;
    out->raw.len = len;
    check_block(&b, kind, seen);
    tmq_rd_fail(r, b.err);
}

/* Writes one property's identifier and value. */
static void wr_prop(tmq_wr *w, const prop_def *d, const tmq_prop *p)
{
    tmq_wr_u8(w, d->id);
    switch (d->type) {
    case T_BYTE: tmq_wr_u8(w, (uint8_t)p->num); break;
    case T_U16: tmq_wr_u16(w, (uint16_t)p->num); break;
    case T_U32: tmq_wr_u32(w, p->num); break;
    case T_VBI: tmq_wr_vbi(w, p->num); break;
    case T_BIN: tmq_wr_bin(w, p->str); break;
    default:
        tmq_wr_check(w, p->str.p ? TMQ_OK : TMQ_ERR_ARG);
        tmq_wr_str(w, p->str);
        if (d->type == T_PAIR) {
            tmq_wr_check(w, p->val.p ? TMQ_OK : TMQ_ERR_ARG);
            tmq_wr_str(w, p->val);
        }
    }
}

/* Validates and writes the block's content (raw, then list), no length. */
static void wr_block(tmq_wr *w, uint8_t kind, const tmq_props *props)
{
    uint8_t seen[6] = {0};
    uint16_t i;
    if (props->raw.len && !props->raw.p)
        tmq_wr_check(w, TMQ_ERR_ARG);
    else if (props->raw.len) {
        tmq_rd b;
        b.p = props->raw.p;
        b.end = props->raw.p + props->raw.len;
        b.err = TMQ_OK;
        check_block(&b, kind, seen);
        tmq_wr_check(w, b.err);
        tmq_wr_raw(w, props->raw.p, props->raw.len);
    }
    if (props->count && !props->list)
        tmq_wr_check(w, TMQ_ERR_ARG);
    for (i = 0; props->list && i < props->count; i++) {
        const tmq_prop *p = &props->list[i];
        const prop_def *d = find_def(p->id);
        if (!d) {
            tmq_wr_check(w, TMQ_ERR_PROP_ID);
            continue;
        }
        tmq_wr_check(w, prop_check(d, p, kind, seen));
        wr_prop(w, d, p);
    }
}

void tmq_wr_props(tmq_wr *w, uint8_t kind, const tmq_props *props)
{
    tmq_wr m = {0, 0, 0, 0};
    wr_block(&m, kind, props);
    tmq_wr_check(w, m.err);
    tmq_wr_vbi(w, m.pos);
    wr_block(w, kind, props);
}

int tmq_prop_next(tmq_bin *cursor, tmq_prop *out)
{
    tmq_rd b;
    if (!cursor->len || !cursor->p)
        return 0;
    b.p = cursor->p;
    b.end = cursor->p + cursor->len;
    b.err = 0;
    if (!rd_prop(&b, out)) {
        cursor->len = 0;
        return 0;
    }
    cursor->len -= (uint32_t)(b.p - cursor->p);
    cursor->p = b.p;
    return 1;
}

int tmq_prop_find(const tmq_props *props, uint8_t id, tmq_prop *out)
{
    tmq_bin cursor = props->raw;
    while (tmq_prop_next(&cursor, out))
        if (out->id == id)
            return 1;
    return 0;
}

int tmq_props_get(const tmq_props *props, uint8_t id, tmq_prop *out)
{
    uint16_t i;
    for (i = 0; props->list && i < props->count; i++) {
        if (props->list[i].id == id) {
            *out = props->list[i];
            return 1;
        }
    }
    return tmq_prop_find(props, id, out);
}
