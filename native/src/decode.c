/* tmq_decode and tmq_frame: bytes to a tmq_packet of views, every field
 * bounded by the packet's remaining length. */
#include "wire.h"

#include <string.h>
#include "tinymqtt/topic.h"

int32_t tmq_frame(const uint8_t *buf, uint32_t len, uint8_t version)
{
    uint32_t rl = 0;
    int n, rc;
    if (len == 0)
        return 0;
    rc = tmq_header_check((uint8_t)(buf[0] >> 4), (uint8_t)(buf[0] & 15u), version);
    if (rc)
        return rc;
    n = tmq_vbi_decode(buf + 1, len - 1, &rl);
    if (n <= 0)
        return n;
    return (int32_t)(1u + (uint32_t)n + rl);
}

static void rd_id(tmq_rd *r, tmq_packet *pkt)
{
    pkt->id = tmq_rd_u16(r);
    if (!pkt->id)
        tmq_rd_fail(r, TMQ_ERR_PACKET_ID);
}

static void rd_props(tmq_rd *r, tmq_packet *pkt)
{
#if TMQ_WITH_V5
    if (pkt->version == TMQ_V5)
        tmq_rd_props(r, pkt->type, &pkt->props);
#else
    (void)r;
    (void)pkt;
#endif
}

/* The 5.0 tail of acks, DISCONNECT and AUTH: an optional reason code, then
 * optional properties (absent means reason 0 and no properties). */
#if TMQ_WITH_V5
static void rd_reason_tail(tmq_rd *r, tmq_packet *pkt)
{
    if (pkt->version == TMQ_V5 && tmq_rd_left(r)) {
        pkt->reason = tmq_rd_u8(r);
        if (!tmq_code_ok(pkt->type, pkt->version, pkt->reason))
            tmq_rd_fail(r, TMQ_ERR_REASON);
        if (tmq_rd_left(r))
            rd_props(r, pkt);
    }
}
#else
#define rd_reason_tail(r, pkt) ((void)0)
#endif

static void rd_publish(tmq_rd *r, tmq_packet *pkt, uint8_t flags)
{
    tmq_publish *pub = &pkt->u.publish;
    int rc;
    pub->retain = flags & 1u;
    pub->qos = (uint8_t)((flags >> 1) & 3u);
    pub->dup = (uint8_t)((flags >> 3) & 1u);
    tmq_rd_bin(r, &pub->topic);
    if (r->err == TMQ_ERR_FIELD_LENGTH)
        r->err = TMQ_ERR_TOPIC_LENGTH;
    if (pub->qos)
        rd_id(r, pkt);
    rd_props(r, pkt);
    rc = tmq_topic_check(pub->topic.p, pub->topic.len);
#if TMQ_WITH_V5
    tmq_prop alias;
    /* 5.0: an empty topic is allowed when a Topic Alias stands in for it. */
    if (rc == TMQ_ERR_TOPIC && !pub->topic.len && tmq_props_get(&pkt->props, TMQ_PROP_TOPIC_ALIAS, &alias))
        rc = TMQ_OK;
#endif
    tmq_rd_fail(r, rc); /* keeps an earlier error */
    tmq_rd_rest(r, &pub->payload);
}

static void rd_codes(tmq_rd *r, tmq_packet *pkt)
{
    uint32_t i;
    tmq_bin codes;
    rd_id(r, pkt);
    rd_props(r, pkt);
    tmq_rd_rest(r, &codes);
    if (!codes.len)
        tmq_rd_fail(r, TMQ_ERR_NO_FILTERS);
    for (i = 0; i < codes.len; i++)
        if (!tmq_code_ok(pkt->type, pkt->version, codes.p[i]))
            tmq_rd_fail(r, TMQ_ERR_REASON);
    pkt->u.codes.p = codes.p;
    pkt->u.codes.count = codes.len;
}

#if TMQ_WITH_SERVER
static void rd_connect(tmq_rd *r, tmq_packet *pkt)
{
    static const uint8_t mqisdp[] = {'M', 'Q', 'I', 's', 'd', 'p'};
    tmq_connect *c = &pkt->u.connect;
    tmq_bin name;
    uint8_t level, flags;
    int v31;
    tmq_rd_bin(r, &name);
    level = tmq_rd_u8(r);
    v31 = name.len == 6 && !memcmp(name.p, mqisdp, 6);
    if (!r->err && !v31 && !(name.len == 4 && !memcmp(name.p, "MQTT", 4)))
        tmq_rd_fail(r, TMQ_ERR_PROTOCOL);
    if (!r->err && (level < TMQ_V31 || level > (TMQ_WITH_V5 ? TMQ_V5 : TMQ_V311)))
        tmq_rd_fail(r, TMQ_ERR_VERSION);
    if (!r->err && v31 != (level == TMQ_V31))
        tmq_rd_fail(r, TMQ_ERR_PROTOCOL);
    pkt->version = level;
    flags = tmq_rd_u8(r);
    c->clean = (flags >> 1) & 1u;
    c->will_qos = (flags >> 3) & 3u;
    c->will_retain = (flags >> 5) & 1u;
    c->keepalive = tmq_rd_u16(r);
    rd_props(r, pkt);
    tmq_rd_str(r, &c->client_id);
    if (!r->err)
        tmq_rd_fail(r, tmq_connect_check(level, flags, c->client_id.len));
    if (flags & 4u) {
#if TMQ_WITH_V5
        if (level == TMQ_V5)
            tmq_rd_props(r, 0, &c->will_props);
#endif
        tmq_rd_str(r, &c->will_topic);
        if (!r->err)
            tmq_rd_fail(r, tmq_topic_check(c->will_topic.p, c->will_topic.len));
        tmq_rd_bin(r, &c->will_payload);
    }
    if (flags & 0x80u)
        tmq_rd_str(r, &c->username);
    if (flags & 0x40u)
        tmq_rd_bin(r, &c->password);
}

/* SUBSCRIBE and UNSUBSCRIBE: validates every entry, keeps them as a view. */
static void rd_subs(tmq_rd *r, tmq_packet *pkt)
{
    tmq_subs *s = &pkt->u.subs;
    rd_id(r, pkt);
    rd_props(r, pkt);
    s->raw.p = r->p;
    s->raw.len = tmq_rd_left(r);
    while (tmq_rd_left(r)) {
        tmq_bin f;
        tmq_rd_str(r, &f);
        if (!r->err)
            tmq_rd_fail(r, tmq_filter_check(f.p, f.len));
        if (pkt->type == TMQ_SUBSCRIBE) {
            uint8_t opts = tmq_rd_u8(r);
            if (!r->err)
                tmq_rd_fail(r, tmq_sub_opts_check(pkt->version, opts, f));
        }
        s->count++;
    }
    if (!s->count)
        tmq_rd_fail(r, TMQ_ERR_NO_FILTERS);
}
#endif

static void rd_body(tmq_rd *r, tmq_packet *pkt, uint8_t flags)
{
    switch (pkt->type) {
    case TMQ_CONNACK: {
        uint8_t ack = tmq_rd_u8(r);
        pkt->session_present = ack & 1u;
        pkt->reason = tmq_rd_u8(r);
        if (ack & 0xFEu)
            tmq_rd_fail(r, TMQ_ERR_RESERVED);
        /* a refusal never carries session present (3.1.1 3.2.2.2, 5.0 3.2.2.1.1) */
        if (!tmq_code_ok(pkt->type, pkt->version, pkt->reason) || (ack && pkt->reason))
            tmq_rd_fail(r, TMQ_ERR_REASON);
        rd_props(r, pkt);
        break;
    }
    case TMQ_PUBLISH:
        rd_publish(r, pkt, flags);
        break;
    case TMQ_PUBACK:
    case TMQ_PUBREC:
    case TMQ_PUBREL:
    case TMQ_PUBCOMP:
        rd_id(r, pkt);
        rd_reason_tail(r, pkt);
        break;
    case TMQ_SUBACK:
        rd_codes(r, pkt);
        break;
    case TMQ_UNSUBACK:
        if (TMQ_IS_V5(pkt->version))
            rd_codes(r, pkt);
        else
            rd_id(r, pkt);
        break;
    case TMQ_PINGRESP:
        break;
    case TMQ_DISCONNECT:
    case TMQ_AUTH:
        rd_reason_tail(r, pkt);
        break;
#if TMQ_WITH_SERVER
    case TMQ_CONNECT:
        rd_connect(r, pkt);
        break;
    case TMQ_SUBSCRIBE:
    case TMQ_UNSUBSCRIBE:
        rd_subs(r, pkt);
        break;
    case TMQ_PINGREQ:
        break;
#endif
    default:
        tmq_rd_fail(r, TMQ_ERR_TYPE);
    }
}

int32_t tmq_decode(const uint8_t *buf, uint32_t len, uint8_t version, tmq_packet *pkt)
{
    int32_t total = tmq_frame(buf, len, version);
    tmq_rd r;
    memset(pkt, 0, sizeof *pkt);
    if (total <= 0)
        return total ? total : TMQ_ERR_INCOMPLETE;
    if ((uint32_t)total > len)
        return TMQ_ERR_INCOMPLETE;
    pkt->type = (uint8_t)(buf[0] >> 4);
    pkt->version = version;
    if (pkt->type != TMQ_CONNECT && (uint8_t)(version - TMQ_V31) > (TMQ_WITH_V5 ? 2u : 1u))
        return TMQ_ERR_VERSION;
    r.end = buf + total;
    r.p = buf + 1;
    while (*r.p++ & 0x80u) {
        /* skip the remaining length, already read by tmq_frame */
    }
    r.err = 0;
    rd_body(&r, pkt, (uint8_t)(buf[0] & 15u));
    if (!r.err && r.p != r.end)
        r.err = TMQ_ERR_TRAILING;
    return r.err ? r.err : total;
}

int tmq_check_ack_count(const tmq_packet *pkt, uint32_t filters)
{
    if (pkt->type == TMQ_UNSUBACK && !TMQ_IS_V5(pkt->version))
        return TMQ_OK;
    return pkt->u.codes.count == filters ? TMQ_OK : TMQ_ERR_SUBACK_COUNT;
}

#if TMQ_WITH_SERVER
int tmq_sub_next(tmq_bin *cursor, uint8_t type, tmq_sub *out)
{
    tmq_rd r;
    if (!cursor->len)
        return 0;
    r.p = cursor->p;
    r.end = cursor->p + cursor->len;
    r.err = 0;
    tmq_rd_bin(&r, &out->filter);
    out->opts = type == TMQ_SUBSCRIBE ? tmq_rd_u8(&r) : 0;
    if (r.err) {
        cursor->len = 0;
        return 0;
    }
    cursor->len -= (uint32_t)(r.p - cursor->p);
    cursor->p = r.p;
    return 1;
}
#endif
