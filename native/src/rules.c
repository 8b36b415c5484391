/* Field rules shared by the encoder and the decoder, so both sides of the
 * codec enforce exactly the same specification. */
#include "wire.h"

#include "tinymqtt/topic.h"

#if TMQ_WITH_V5
#define B(t) (1u << TMQ_##t)
#define ACKS (B(PUBACK) | B(PUBREC))
#define SUBS (B(SUBACK) | B(UNSUBACK))
/* Codes used by both CONNACK and DISCONNECT, and the usual error set. */
#define CD (B(CONNACK) | B(DISCONNECT))
#define COMMON (CD | ACKS | SUBS)

/* 5.0 reason codes with the packets they are valid in (MQTT 5.0, 2.4). */
static const struct { uint8_t code; uint16_t packets; } reasons[] = {
    {0x00, COMMON | B(PUBREL) | B(PUBCOMP) | B(AUTH)},
    {0x01, B(SUBACK)}, {0x02, B(SUBACK)}, {0x04, B(DISCONNECT)},
    {0x10, ACKS}, {0x11, B(UNSUBACK)}, {0x18, B(AUTH)}, {0x19, B(AUTH)},
    {0x80, COMMON}, {0x81, CD}, {0x82, CD}, {0x83, COMMON},
    {0x84, B(CONNACK)}, {0x85, B(CONNACK)}, {0x86, B(CONNACK)}, {0x87, COMMON},
    {0x88, B(CONNACK)}, {0x89, CD}, {0x8A, B(CONNACK)}, {0x8B, B(DISCONNECT)},
    {0x8C, CD}, {0x8D, B(DISCONNECT)}, {0x8E, B(DISCONNECT)}, {0x8F, SUBS | B(DISCONNECT)},
    {0x90, CD | ACKS}, {0x91, ACKS | SUBS}, {0x92, B(PUBREL) | B(PUBCOMP)}, {0x93, B(DISCONNECT)},
    {0x94, B(DISCONNECT)}, {0x95, CD}, {0x96, B(DISCONNECT)}, {0x97, COMMON},
    {0x98, B(DISCONNECT)}, {0x99, CD | ACKS}, {0x9A, CD}, {0x9B, CD},
    {0x9C, CD}, {0x9D, CD}, {0x9E, B(SUBACK) | B(DISCONNECT)}, {0x9F, CD},
    {0xA0, B(DISCONNECT)}, {0xA1, B(SUBACK) | B(DISCONNECT)}, {0xA2, B(SUBACK) | B(DISCONNECT)},
};
#endif

int tmq_code_ok(uint8_t type, uint8_t version, uint8_t code)
{
#if TMQ_WITH_V5
    if (version == TMQ_V5) {
        unsigned i;
        for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
            if (reasons[i].code == code)
                return (reasons[i].packets >> type) & 1u;
        return 0;
    }
#else
    (void)version;
#endif
    if (type == TMQ_CONNACK)
        return code <= 5;
    return code <= 2 || code == 0x80; /* SUBACK */
}

int tmq_header_check(uint8_t type, uint8_t flags, uint8_t version)
{
    if (type == 0 || type > TMQ_AUTH ||
        (type == TMQ_AUTH && (!TMQ_WITH_V5 || version == TMQ_V31 || version == TMQ_V311)))
        return TMQ_ERR_TYPE;
    if (type == TMQ_PUBLISH) {
        uint8_t qos = (uint8_t)((flags >> 1) & 3u);
        if (qos == 3)
            return TMQ_ERR_QOS;
        return (flags & 8u) && !qos ? TMQ_ERR_DUP : TMQ_OK;
    }
    if ((TMQ_FLAGS2_TYPES >> type) & 1u) {
        if (version == TMQ_V31)
            flags &= 7u; /* 3.1 sets DUP on resent PUBREL, SUBSCRIBE, UNSUBSCRIBE */
        return flags == 2u ? TMQ_OK : TMQ_ERR_FLAGS;
    }
    return flags ? TMQ_ERR_FLAGS : TMQ_OK;
}

int tmq_connect_check(uint8_t version, uint8_t flags, uint32_t id_len)
{
    if (flags & 1u)
        return TMQ_ERR_RESERVED;
    if ((flags & 0x18u) == 0x18u)
        return TMQ_ERR_QOS;
    if (!(flags & 4u) && (flags & 0x38u))
        return TMQ_ERR_WILL;
    if (!TMQ_IS_V5(version) && (flags & 0xC0u) == 0x40u)
        return TMQ_ERR_PASSWORD;
    if (version == TMQ_V31 ? !id_len || id_len > 23 : !id_len && !(flags & 2u) && !TMQ_IS_V5(version))
        return TMQ_ERR_CLIENT_ID;
    return TMQ_OK;
}

int tmq_sub_opts_check(uint8_t version, uint8_t opts, tmq_bin filter)
{
    if ((opts & 3u) == 3u)
        return TMQ_ERR_QOS;
#if TMQ_WITH_V5
    if (version == TMQ_V5) {
        if ((opts & 0xC0u) || TMQ_SUB_RETAIN_HANDLING(opts) == 3u)
            return TMQ_ERR_RESERVED;
        if ((opts & TMQ_SUB_NO_LOCAL) && tmq_share_split(filter.p, filter.len, 0, 0, 0, 0))
            return TMQ_ERR_SHARED;
        return TMQ_OK;
    }
#else
    (void)version;
    (void)filter;
#endif
    return opts & 0xFCu ? TMQ_ERR_RESERVED : TMQ_OK;
}
