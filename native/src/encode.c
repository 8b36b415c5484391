/* tmq_encode: a tmq_packet to bytes. The body is written twice through the
 * same code: once by a measuring writer (which also validates), then for real
 * after the fixed header, so no length is computed by a second set of rules. */
#include "wire.h"

#include "tinymqtt/topic.h"

static void wr_id(tmq_wr *w, uint16_t id)
{
    if (!id)
        tmq_wr_check(w, TMQ_ERR_PACKET_ID);
    tmq_wr_u16(w, id);
}

/* Writes a property block of packet kind (0: will) in 5.0; before 5.0 any
 * property is an error rather than silently left out. */
static void wr_props_of(tmq_wr *w, uint8_t version, uint8_t kind, const tmq_props *props)
{
#if TMQ_WITH_V5
    if (version == TMQ_V5) {
        tmq_wr_props(w, kind, props);
        return;
    }
#else
    (void)version;
    (void)kind;
#endif
    if (props->raw.len || props->count)
        tmq_wr_check(w, TMQ_ERR_VERSION);
}

static void wr_props(tmq_wr *w, const tmq_packet *pkt)
{
    wr_props_of(w, pkt->version, pkt->type, &pkt->props);
}

#if TMQ_WITH_V5
/* 5.0 acks, DISCONNECT and AUTH: the reason code, omitted when it is 0 and
 * there are no properties, then the properties, omitted when there are none
 * (AUTH keeps an empty property length after a reason code). */
static void wr_reason_tail(tmq_wr *w, const tmq_packet *pkt)
{
    int has_props = pkt->props.raw.len || pkt->props.count;
    if (pkt->version != TMQ_V5)
        return;
    if (!tmq_code_ok(pkt->type, TMQ_V5, pkt->reason))
        tmq_wr_check(w, TMQ_ERR_REASON);
    if (pkt->reason || has_props)
        tmq_wr_u8(w, pkt->reason);
    if (has_props || (pkt->reason && pkt->type == TMQ_AUTH))
        wr_props(w, pkt);
}
#else
#define wr_reason_tail(w, pkt) wr_props(w, pkt)
#endif

static void wr_connect(tmq_wr *w, const tmq_packet *pkt)
{
    /* protocol name and level: "MQIsdp" 3 for 3.1, "MQTT" 4 or 5 after */
    static const uint8_t names[] = {0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 0, 4, 'M', 'Q', 'T', 'T'};
    const tmq_connect *c = &pkt->u.connect;
    uint8_t v = pkt->version;
    uint8_t flags = (uint8_t)(c->will_qos << 3);
    if (c->clean)
        flags |= 2u;
    if (c->will_topic.p)
        flags |= 4u;
    if (c->will_retain)
        flags |= 0x20u;
    if (c->password.p)
        flags |= 0x40u;
    if (c->username.p)
        flags |= 0x80u;
    tmq_wr_check(w, c->will_qos > 2 ? TMQ_ERR_QOS : tmq_connect_check(v, flags, c->client_id.len));
    if (v == TMQ_V31)
        tmq_wr_raw(w, names, 8);
    else
        tmq_wr_raw(w, names + 8, 6);
    tmq_wr_u8(w, v);
    tmq_wr_u8(w, flags);
    tmq_wr_u16(w, c->keepalive);
    wr_props(w, pkt);
    tmq_wr_str(w, c->client_id); /* p == NULL writes an empty id */
    if (c->will_topic.p) {
        wr_props_of(w, v, 0, &c->will_props);
        tmq_wr_check(w, tmq_topic_check(c->will_topic.p, c->will_topic.len));
        tmq_wr_str(w, c->will_topic);
        tmq_wr_bin(w, c->will_payload);
    }
    if (c->username.p)
        tmq_wr_str(w, c->username);
    if (c->password.p)
        tmq_wr_bin(w, c->password);
}

static void wr_publish(tmq_wr *w, const tmq_packet *pkt)
{
    const tmq_publish *pub = &pkt->u.publish;
    int rc = tmq_topic_check(pub->topic.p, pub->topic.len);
#if TMQ_WITH_V5
    tmq_prop alias;
    if (rc == TMQ_ERR_TOPIC && pkt->version == TMQ_V5 && !pub->topic.len &&
        tmq_props_get(&pkt->props, TMQ_PROP_TOPIC_ALIAS, &alias))
        rc = TMQ_OK; /* 5.0: an empty topic stands for a Topic Alias */
#endif
    tmq_wr_check(w, rc);
    tmq_wr_str(w, pub->topic);
    if (pub->qos)
        wr_id(w, pkt->id);
    wr_props(w, pkt);
    tmq_wr_raw(w, pub->payload.p, pub->payload.len);
}

static void wr_subs(tmq_wr *w, const tmq_packet *pkt)
{
    const tmq_subs *s = &pkt->u.subs;
    unsigned i;
    wr_id(w, pkt->id);
    wr_props(w, pkt);
    if (!s->count || !s->list)
        tmq_wr_check(w, s->count ? TMQ_ERR_ARG : TMQ_ERR_NO_FILTERS);
    for (i = 0; s->list && i < s->count; i++) {
        const tmq_sub *e = &s->list[i];
        tmq_wr_check(w, tmq_filter_check(e->filter.p, e->filter.len));
        tmq_wr_str(w, e->filter);
        if (pkt->type == TMQ_SUBSCRIBE) {
            tmq_wr_check(w, tmq_sub_opts_check(pkt->version, e->opts, e->filter));
            tmq_wr_u8(w, e->opts);
        }
    }
}

#if TMQ_WITH_SERVER
/* SUBACK and 5.0 UNSUBACK: packet id, properties, one code per filter. */
static void wr_codes(tmq_wr *w, const tmq_packet *pkt)
{
    const tmq_codes *codes = &pkt->u.codes;
    uint32_t i;
    wr_id(w, pkt->id);
    wr_props(w, pkt);
    if (!codes->count || !codes->p)
        tmq_wr_check(w, codes->count ? TMQ_ERR_ARG : TMQ_ERR_NO_FILTERS);
    for (i = 0; codes->p && i < codes->count; i++) {
        if (!tmq_code_ok(pkt->type, pkt->version, codes->p[i]))
            tmq_wr_check(w, TMQ_ERR_REASON);
        tmq_wr_u8(w, codes->p[i]);
    }
}
#endif

static void wr_body(tmq_wr *w, const tmq_packet *pkt)
{
    switch (pkt->type) {
    case TMQ_CONNECT:
        wr_connect(w, pkt);
        break;
    case TMQ_PUBLISH:
        wr_publish(w, pkt);
        break;
    case TMQ_PUBACK:
    case TMQ_PUBREC:
    case TMQ_PUBREL:
    case TMQ_PUBCOMP:
        wr_id(w, pkt->id);
        wr_reason_tail(w, pkt);
        break;
    case TMQ_SUBSCRIBE:
    case TMQ_UNSUBSCRIBE:
        wr_subs(w, pkt);
        break;
    case TMQ_PINGREQ:
        break;
    case TMQ_DISCONNECT:
    case TMQ_AUTH:
        wr_reason_tail(w, pkt);
        break;
#if TMQ_WITH_SERVER
    case TMQ_CONNACK:
        if (!tmq_code_ok(TMQ_CONNACK, pkt->version, pkt->reason) || (pkt->session_present && pkt->reason))
            tmq_wr_check(w, TMQ_ERR_REASON);
        tmq_wr_u8(w, pkt->session_present ? 1u : 0u);
        tmq_wr_u8(w, pkt->reason);
        wr_props(w, pkt);
        break;
    case TMQ_SUBACK:
        wr_codes(w, pkt);
        break;
    case TMQ_UNSUBACK:
        if (TMQ_IS_V5(pkt->version))
            wr_codes(w, pkt);
        else
            wr_id(w, pkt->id);
        break;
    case TMQ_PINGRESP:
        break;
#endif
    default:
        tmq_wr_check(w, TMQ_ERR_TYPE);
    }
}

/* The fixed header's flag nibble for pkt. */
static uint8_t header_flags(const tmq_packet *pkt)
{
    const tmq_publish *pub = &pkt->u.publish;
    uint8_t flags;
    if (pkt->type != TMQ_PUBLISH)
        return (TMQ_FLAGS2_TYPES >> (pkt->type & 15u)) & 1u ? 2u : 0u;
    flags = (uint8_t)(pub->qos << 1);
    if (pub->dup)
        flags |= 8u;
    if (pub->retain)
        flags |= 1u;
    return flags;
}

int32_t tmq_encode(uint8_t *buf, uint32_t cap, const tmq_packet *pkt)
{
    tmq_wr w = {0, 0, 0, 0};
    uint32_t rl, total;
    uint8_t v = pkt->version, flags, head[5]; /* the fixed header */
    int rc;
    if ((uint8_t)(v - TMQ_V31) > (TMQ_WITH_V5 ? 2u : 1u))
        return TMQ_ERR_VERSION;
    if (pkt->type == TMQ_PUBLISH && pkt->u.publish.qos > 2)
        return TMQ_ERR_QOS;
    flags = header_flags(pkt);
    rc = tmq_header_check(pkt->type, flags, v);
    if (rc)
        return rc;
    wr_body(&w, pkt);
    if (w.err)
        return w.err;
    rl = w.pos;
    rc = tmq_vbi_encode(head + 1, rl);
    if (rc < 0)
        return rc;
    total = 1u + (uint32_t)rc + rl;
    if (!buf)
        return (int32_t)total;
    if (total > cap)
        return TMQ_ERR_BUF_TOO_SMALL;
    w.buf = buf;
    w.cap = cap;
    w.pos = 0;
    head[0] = (uint8_t)((pkt->type << 4) | flags);
    tmq_wr_raw(&w, head, 1u + (uint32_t)rc);
    wr_body(&w, pkt);
    return (int32_t)total;
}
