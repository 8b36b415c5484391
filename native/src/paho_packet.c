/* tinymqtt: Paho Embedded C compatible MQTTPacket API over the tinymqtt codec.
 *
 * Every serializer fills a tmq_packet and calls tmq_encode; every
 * deserializer calls tmq_decode and copies the fields out. So the checks are
 * the codec's, and this file only maps conventions:
 *   tmq_encode  >= 0 -> length, TMQ_ERR_BUF_TOO_SMALL -> MQTTPACKET_BUFFER_TOO_SHORT,
 *               any other error -> 0;
 *   tmq_decode  >= 0 and the expected type -> 1, anything else -> 0.
 * Packets that do not carry their own version are handled as MQTT 3.1.1. */
#include "MQTTPacket.h"

#include <stdint.h>
#include <string.h>

#include "tinymqtt/packet.h"

/* The longest fixed header: type byte plus a 4-byte remaining length. */
#define PAHO_MAX_HEADER 5u

/* Where a present but empty string or payload points. */
static const uint8_t paho_empty[1] = { 0 };

/* ---- internal helpers ---- */

/* Resolves an MQTTString (cstring first, else lenstring) into *out. out->p is
 * NULL when the string is absent (no cstring, no lenstring data). Returns 1,
 * or 0 for a lenstring that cannot be read (negative length, or a positive
 * length with no data). */
static int paho_view(const MQTTString *s, tmq_bin *out)
{
    if (s->cstring != NULL) {
        size_t n = strlen(s->cstring);
        if (n > TMQ_MAX_REMAINING)
            return 0;
        out->p = (const uint8_t *)s->cstring;
        out->len = (uint32_t)n;
        return 1;
    }
    if (s->lenstring.len < 0 || (s->lenstring.data == NULL && s->lenstring.len > 0))
        return 0;
    out->p = (const uint8_t *)s->lenstring.data;
    out->len = (uint32_t)s->lenstring.len;
    return 1;
}

/* Like paho_view, for a field that is always present (an absent string
 * becomes the empty string). */
static int paho_view_present(const MQTTString *s, tmq_bin *out)
{
    if (!paho_view(s, out))
        return 0;
    if (out->p == NULL)
        out->p = paho_empty;
    return 1;
}

/* Turns a view into buf back into a writable pointer into buf (the decoder
 * hands out const views of the caller's own, writable, buffer). */
static unsigned char *paho_in_buf(unsigned char *buf, const uint8_t *p)
{
    return buf + (p - buf);
}

/* Stores a decoded string as a lenstring view into buf; an absent string
 * (p == NULL) becomes the empty MQTTString. */
static void paho_set_string(MQTTString *out, unsigned char *buf, tmq_bin b)
{
    out->cstring = NULL;
    out->lenstring.len = (int)b.len;
    out->lenstring.data = b.p != NULL ? (char *)paho_in_buf(buf, b.p) : NULL;
}

/* Zeroes pkt and sets its type for MQTT 3.1.1. */
static void paho_init(tmq_packet *pkt, uint8_t type)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->type = type;
    pkt->version = TMQ_V311;
}

/* Encodes pkt into buf and maps the result to Paho's serializer convention. */
static int paho_encode(unsigned char *buf, int buflen, const tmq_packet *pkt)
{
    int32_t rc;
    if (buf == NULL)
        return 0;   /* tmq_encode would only measure */
    rc = tmq_encode(buf, buflen > 0 ? (uint32_t)buflen : 0u, pkt);
    if (rc > 0)
        return (int)rc;
    return rc == TMQ_ERR_BUF_TOO_SMALL ? MQTTPACKET_BUFFER_TOO_SHORT : 0;
}

/* Decodes the packet at the start of buf (len bytes) as 3.1.1. Returns its
 * total length if it is valid and of type `type`, else 0. */
static int32_t paho_decode(unsigned char *buf, int len, uint8_t type, tmq_packet *pkt)
{
    int32_t rc;
    if (buf == NULL || len <= 0)
        return 0;
    rc = tmq_decode(buf, (uint32_t)len, TMQ_V311, pkt);
    if (rc <= 0 || pkt->type != type)
        return 0;
    return rc;
}

/* Nonzero for the packet types that carry just a packet id in 3.x. */
static int paho_is_ack(unsigned type)
{
    return type == PUBACK || type == PUBREC || type == PUBREL || type == PUBCOMP || type == UNSUBACK;
}

/* Fills list[0..count) from Paho's filter (and QoS) arrays. Returns 1, or 0
 * for a count out of range or an argument that cannot be read. */
static int paho_filters(tmq_sub *list, int count, MQTTString *filters, const int *qoss)
{
    int i;
    if (count < 1 || count > MQTTPACKET_MAX_FILTERS || filters == NULL)
        return 0;
    for (i = 0; i < count; i++) {
        if (!paho_view_present(&filters[i], &list[i].filter))
            return 0;
        list[i].opts = 0;
        if (qoss != NULL) {
            if (qoss[i] < 0 || qoss[i] > 255)
                return 0;
            list[i].opts = (uint8_t)qoss[i];    /* the codec rejects QoS 3 and reserved bits */
        }
    }
    return 1;
}

/* ---- strings ---- */

/* Length of an MQTTString (see MQTTPacket.h). */
int MQTTstrlen(MQTTString mqttstring)
{
    if (mqttstring.cstring != NULL)
        return (int)strlen(mqttstring.cstring);
    return mqttstring.lenstring.len > 0 ? mqttstring.lenstring.len : 0;
}

/* Compares an MQTTString with a C string. */
int MQTTPacket_equals(MQTTString *a, char *b)
{
    tmq_bin v;
    size_t n;
    if (a == NULL || b == NULL || !paho_view(a, &v))
        return 0;
    n = strlen(b);
    return v.len == n && (n == 0 || memcmp(v.p, b, n) == 0);
}

/* ---- CONNECT, CONNACK, DISCONNECT, PINGREQ ---- */

/* Serializes a CONNECT from Paho connect options. */
int MQTTSerialize_connect(unsigned char *buf, int buflen, MQTTPacket_connectData *options)
{
    tmq_packet pkt;
    tmq_connect *c = &pkt.u.connect;

    if (options == NULL || (options->MQTTVersion != TMQ_V31 && options->MQTTVersion != TMQ_V311))
        return 0;
    paho_init(&pkt, TMQ_CONNECT);
    pkt.version = options->MQTTVersion;
    if (!paho_view_present(&options->clientID, &c->client_id) ||
        !paho_view(&options->username, &c->username) ||
        !paho_view(&options->password, &c->password))
        return 0;
    if (options->willFlag) {
        if ((signed char)options->will.qos < 0 ||
            !paho_view_present(&options->will.topicName, &c->will_topic) ||
            !paho_view_present(&options->will.message, &c->will_payload))
            return 0;
        c->will_qos = (uint8_t)options->will.qos;   /* QoS 3 and above: rejected by the codec */
        c->will_retain = options->will.retained != 0;
    }
    c->keepalive = options->keepAliveInterval;
    c->clean = options->cleansession != 0;
    return paho_encode(buf, buflen, &pkt);
}

/* Deserializes a 3.1 or 3.1.1 CONNECT into Paho connect data. */
int MQTTDeserialize_connect(MQTTPacket_connectData *data, unsigned char *buf, int len)
{
    tmq_packet pkt;
    const tmq_connect *c = &pkt.u.connect;
    static const tmq_bin absent = { NULL, 0 };

    if (data == NULL || !paho_decode(buf, len, TMQ_CONNECT, &pkt))
        return 0;
    if (pkt.version != TMQ_V31 && pkt.version != TMQ_V311)
        return 0;   /* a 5.0 CONNECT has properties this struct cannot hold */
    data->MQTTVersion = pkt.version;
    paho_set_string(&data->clientID, buf, c->client_id);
    data->keepAliveInterval = c->keepalive;
    data->cleansession = c->clean;
    data->willFlag = c->will_topic.p != NULL;
    paho_set_string(&data->will.topicName, buf, data->willFlag ? c->will_topic : absent);
    paho_set_string(&data->will.message, buf, data->willFlag ? c->will_payload : absent);
    data->will.qos = (char)(data->willFlag ? c->will_qos : 0);
    data->will.retained = data->willFlag ? c->will_retain : 0;
    paho_set_string(&data->username, buf, c->username);
    paho_set_string(&data->password, buf, c->password);
    return 1;
}

/* Serializes a 3.1.1 CONNACK. */
int MQTTSerialize_connack(unsigned char *buf, int buflen, unsigned char connack_rc,
                          unsigned char sessionPresent)
{
    tmq_packet pkt;
    paho_init(&pkt, TMQ_CONNACK);
    pkt.reason = connack_rc;
    pkt.session_present = sessionPresent != 0;
    return paho_encode(buf, buflen, &pkt);
}

/* Deserializes a CONNACK. */
int MQTTDeserialize_connack(unsigned char *sessionPresent, unsigned char *connack_rc,
                            unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    if (sessionPresent == NULL || connack_rc == NULL || !paho_decode(buf, buflen, TMQ_CONNACK, &pkt))
        return 0;
    *sessionPresent = pkt.session_present;
    *connack_rc = pkt.reason;
    return 1;
}

/* Serializes a DISCONNECT. */
int MQTTSerialize_disconnect(unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    paho_init(&pkt, TMQ_DISCONNECT);
    return paho_encode(buf, buflen, &pkt);
}

/* Checks for a DISCONNECT. */
int MQTTDeserialize_disconnect(unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    return paho_decode(buf, buflen, TMQ_DISCONNECT, &pkt) > 0;
}

/* Serializes a PINGREQ. */
int MQTTSerialize_pingreq(unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    paho_init(&pkt, TMQ_PINGREQ);
    return paho_encode(buf, buflen, &pkt);
}

/* ---- PUBLISH and its acknowledgements ---- */

/* Serializes a PUBLISH. */
int MQTTSerialize_publish(unsigned char *buf, int buflen, unsigned char dup, int qos,
                          unsigned char retained, unsigned short packetid, MQTTString topicName,
                          unsigned char *payload, int payloadlen)
{
    tmq_packet pkt;
    tmq_publish *pub = &pkt.u.publish;

    if (qos < 0 || qos > 255 || payloadlen < 0 || (payload == NULL && payloadlen > 0))
        return 0;
    paho_init(&pkt, TMQ_PUBLISH);
    if (!paho_view_present(&topicName, &pub->topic))
        return 0;
    pub->payload.p = payload != NULL ? payload : paho_empty;
    pub->payload.len = (uint32_t)payloadlen;
    pub->qos = (uint8_t)qos;                    /* QoS 3: rejected by the codec */
    pub->retain = retained != 0;
    pub->dup = dup != 0;                        /* DUP on QoS 0: rejected by the codec */
    pkt.id = qos > 0 ? packetid : 0;
    return paho_encode(buf, buflen, &pkt);
}

/* Deserializes a PUBLISH. */
int MQTTDeserialize_publish(unsigned char *dup, int *qos, unsigned char *retained,
                            unsigned short *packetid, MQTTString *topicName,
                            unsigned char **payload, int *payloadlen, unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    const tmq_publish *pub = &pkt.u.publish;
    int32_t total;

    if (dup == NULL || qos == NULL || retained == NULL || packetid == NULL || topicName == NULL ||
        payload == NULL || payloadlen == NULL)
        return 0;
    total = paho_decode(buf, buflen, TMQ_PUBLISH, &pkt);
    if (total == 0)
        return 0;
    *dup = pub->dup;
    *qos = pub->qos;
    *retained = pub->retain;
    *packetid = pub->qos > 0 ? pkt.id : 0;
    paho_set_string(topicName, buf, pub->topic);
    /* an empty payload points just past the packet, as a non-empty one would end */
    *payload = pub->payload.p != NULL ? paho_in_buf(buf, pub->payload.p) : buf + total;
    *payloadlen = (int)pub->payload.len;
    return 1;
}

/* Serializes a packet-id-only acknowledgement. */
int MQTTSerialize_ack(unsigned char *buf, int buflen, unsigned char packettype,
                      unsigned char dup, unsigned short packetid)
{
    tmq_packet pkt;
    if (dup != 0 || !paho_is_ack(packettype))
        return 0;
    paho_init(&pkt, packettype);
    pkt.id = packetid;                          /* id 0: rejected by the codec */
    return paho_encode(buf, buflen, &pkt);
}

/* Deserializes a packet-id-only acknowledgement. */
int MQTTDeserialize_ack(unsigned char *packettype, unsigned char *dup, unsigned short *packetid,
                        unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    int32_t rc;
    if (packettype == NULL || dup == NULL || packetid == NULL || buf == NULL || buflen <= 0)
        return 0;
    rc = tmq_decode(buf, (uint32_t)buflen, TMQ_V311, &pkt);
    if (rc <= 0 || !paho_is_ack(pkt.type))
        return 0;
    *packettype = pkt.type;
    *dup = 0;                                   /* reserved (zero) in every valid acknowledgement */
    *packetid = pkt.id;
    return 1;
}

/* Serializes a PUBACK. */
int MQTTSerialize_puback(unsigned char *buf, int buflen, unsigned short packetid)
{
    return MQTTSerialize_ack(buf, buflen, PUBACK, 0, packetid);
}

/* Serializes a PUBREL. */
int MQTTSerialize_pubrel(unsigned char *buf, int buflen, unsigned char dup, unsigned short packetid)
{
    return MQTTSerialize_ack(buf, buflen, PUBREL, dup, packetid);
}

/* Serializes a PUBCOMP. */
int MQTTSerialize_pubcomp(unsigned char *buf, int buflen, unsigned short packetid)
{
    return MQTTSerialize_ack(buf, buflen, PUBCOMP, 0, packetid);
}

/* ---- SUBSCRIBE, SUBACK ---- */

/* Serializes a SUBSCRIBE or (qoss == NULL) UNSUBSCRIBE of count filters. */
static int paho_serialize_filters(uint8_t type, unsigned char *buf, int buflen, unsigned char dup,
                                  unsigned short packetid, int count, MQTTString *filters, const int *qoss)
{
    tmq_packet pkt;
    tmq_sub list[MQTTPACKET_MAX_FILTERS];

    if (dup != 0 || !paho_filters(list, count, filters, qoss))
        return 0;
    paho_init(&pkt, type);
    pkt.id = packetid;
    pkt.u.subs.list = list;
    pkt.u.subs.count = (uint16_t)count;
    return paho_encode(buf, buflen, &pkt);
}

/* Serializes a SUBSCRIBE. */
int MQTTSerialize_subscribe(unsigned char *buf, int buflen, unsigned char dup, unsigned short packetid,
                            int count, MQTTString topicFilters[], int requestedQoSs[])
{
    if (requestedQoSs == NULL)
        return 0;
    return paho_serialize_filters(TMQ_SUBSCRIBE, buf, buflen, dup, packetid, count, topicFilters, requestedQoSs);
}

/* Deserializes a SUBSCRIBE or UNSUBSCRIBE into Paho's arrays (qoss may be
 * NULL for UNSUBSCRIBE). */
static int paho_read_filters(uint8_t type, unsigned char *dup, unsigned short *packetid, int maxcount,
                             int *count, MQTTString *filters, int *qoss, unsigned char *buf, int len)
{
    tmq_packet pkt;
    tmq_bin cursor;
    tmq_sub s;
    int n = 0;

    if (dup == NULL || packetid == NULL || count == NULL || filters == NULL ||
        (type == TMQ_SUBSCRIBE && qoss == NULL) || !paho_decode(buf, len, type, &pkt))
        return 0;
    if ((int)pkt.u.subs.count > maxcount)
        return 0;
    cursor = pkt.u.subs.raw;
    while (n < (int)pkt.u.subs.count && tmq_sub_next(&cursor, type, &s)) {
        paho_set_string(&filters[n], buf, s.filter);
        if (qoss != NULL)
            qoss[n] = s.opts & TMQ_SUB_QOS_MASK;
        n++;
    }
    if (n != (int)pkt.u.subs.count)
        return 0;
    *dup = 0;                                   /* reserved (zero) in a valid 3.1.1 packet */
    *packetid = pkt.id;
    *count = n;
    return 1;
}

/* Deserializes a SUBSCRIBE (broker side). */
int MQTTDeserialize_subscribe(unsigned char *dup, unsigned short *packetid, int maxcount, int *count,
                              MQTTString topicFilters[], int requestedQoSs[],
                              unsigned char *buf, int len)
{
    return paho_read_filters(TMQ_SUBSCRIBE, dup, packetid, maxcount, count, topicFilters,
                             requestedQoSs, buf, len);
}

/* Serializes a SUBACK (broker side). */
int MQTTSerialize_suback(unsigned char *buf, int buflen, unsigned short packetid, int count,
                         int *grantedQoSs)
{
    tmq_packet pkt;
    uint8_t codes[MQTTPACKET_MAX_FILTERS];
    int i;

    if (count < 1 || count > MQTTPACKET_MAX_FILTERS || grantedQoSs == NULL)
        return 0;
    for (i = 0; i < count; i++) {
        if (grantedQoSs[i] < 0 || grantedQoSs[i] > 255)
            return 0;
        codes[i] = (uint8_t)grantedQoSs[i];     /* the codec accepts 0, 1, 2 and 0x80 */
    }
    paho_init(&pkt, TMQ_SUBACK);
    pkt.id = packetid;
    pkt.u.codes.p = codes;
    pkt.u.codes.count = (uint16_t)count;
    return paho_encode(buf, buflen, &pkt);
}

/* Deserializes a SUBACK. */
int MQTTDeserialize_suback(unsigned short *packetid, int maxcount, int *count, int grantedQoSs[],
                           unsigned char *buf, int buflen)
{
    tmq_packet pkt;
    int i;

    if (packetid == NULL || count == NULL || grantedQoSs == NULL ||
        !paho_decode(buf, buflen, TMQ_SUBACK, &pkt))
        return 0;
    if ((int)pkt.u.codes.count > maxcount)
        return 0;
    for (i = 0; i < (int)pkt.u.codes.count; i++)
        grantedQoSs[i] = pkt.u.codes.p[i];
    *count = i;
    *packetid = pkt.id;
    return 1;
}

/* ---- UNSUBSCRIBE, UNSUBACK ---- */

/* Serializes an UNSUBSCRIBE. */
int MQTTSerialize_unsubscribe(unsigned char *buf, int buflen, unsigned char dup, unsigned short packetid,
                              int count, MQTTString topicFilters[])
{
    return paho_serialize_filters(TMQ_UNSUBSCRIBE, buf, buflen, dup, packetid, count, topicFilters, NULL);
}

/* Deserializes an UNSUBSCRIBE (broker side). */
int MQTTDeserialize_unsubscribe(unsigned char *dup, unsigned short *packetid, int max_count, int *count,
                                MQTTString topicFilters[], unsigned char *buf, int len)
{
    return paho_read_filters(TMQ_UNSUBSCRIBE, dup, packetid, max_count, count, topicFilters,
                             NULL, buf, len);
}

/* Serializes an UNSUBACK (broker side). */
int MQTTSerialize_unsuback(unsigned char *buf, int buflen, unsigned short packetid)
{
    return MQTTSerialize_ack(buf, buflen, UNSUBACK, 0, packetid);
}

/* Deserializes an UNSUBACK. */
int MQTTDeserialize_unsuback(unsigned short *packetid, unsigned char *buf, int len)
{
    tmq_packet pkt;
    if (packetid == NULL || !paho_decode(buf, len, TMQ_UNSUBACK, &pkt))
        return 0;
    *packetid = pkt.id;
    return 1;
}

/* ---- remaining length and framing ---- */

/* Encodes a remaining length. */
int MQTTPacket_encode(unsigned char *buf, int length)
{
    int rc;
    if (buf == NULL || length < 0)
        return 0;
    rc = tmq_vbi_encode(buf, (uint32_t)length);
    return rc > 0 ? rc : 0;
}

/* Decodes a remaining length byte by byte through getcharfn. */
int MQTTPacket_decode(int (*getcharfn)(unsigned char *, int), int *value)
{
    uint8_t bytes[4];
    uint32_t n = 0, v = 0;

    if (value == NULL)
        return MQTTPACKET_READ_ERROR;
    *value = 0;
    if (getcharfn == NULL)
        return MQTTPACKET_READ_ERROR;
    while (n < sizeof bytes) {
        unsigned char c;
        int rc;
        if (getcharfn(&c, 1) != 1)
            return MQTTPACKET_READ_ERROR;
        bytes[n++] = c;
        rc = tmq_vbi_decode(bytes, n, &v);
        if (rc > 0) {
            *value = (int)v;
            return rc;
        }
        if (rc < 0)
            return MQTTPACKET_READ_ERROR;
    }
    return MQTTPACKET_READ_ERROR;   /* a fifth byte would be needed */
}

/* Decodes a remaining length held in memory. */
int MQTTPacket_decodeBuf(unsigned char *buf, int *value)
{
    uint32_t v = 0;
    int rc;
    if (value == NULL)
        return MQTTPACKET_READ_ERROR;
    *value = 0;
    if (buf == NULL)
        return MQTTPACKET_READ_ERROR;
    rc = tmq_vbi_decode(buf, 4, &v);
    if (rc <= 0)
        return MQTTPACKET_READ_ERROR;
    *value = (int)v;
    return rc;
}

/* Total packet length for a remaining length. */
int MQTTPacket_len(int rem_len)
{
    uint8_t tmp[4];
    int n;
    if (rem_len < 0)
        return MQTTPACKET_READ_ERROR;
    n = tmq_vbi_encode(tmp, (uint32_t)rem_len);
    if (n <= 0)
        return MQTTPACKET_READ_ERROR;
    return 1 + n + rem_len;
}

/* Calls getfn until exactly n bytes are in dst. Returns 1, or 0 if getfn
 * fails, ends early or claims more than it was asked for. */
static int paho_get_all(int (*getfn)(unsigned char *, int), unsigned char *dst, uint32_t n)
{
    while (n > 0) {
        int rc = getfn(dst, (int)n);
        if (rc <= 0 || (uint32_t)rc > n)
            return 0;
        dst += rc;
        n -= (uint32_t)rc;
    }
    return 1;
}

/* Reads one whole packet through a blocking getfn. */
int MQTTPacket_read(unsigned char *buf, int buflen, int (*getfn)(unsigned char *, int))
{
    uint32_t have = 0;
    int32_t total = 0;

    if (buf == NULL || getfn == NULL || buflen < 2)
        return MQTTPACKET_READ_ERROR;
    while (total == 0) {
        if (have == PAHO_MAX_HEADER || have == (uint32_t)buflen || !paho_get_all(getfn, buf + have, 1))
            return MQTTPACKET_READ_ERROR;
        have++;
        total = tmq_frame(buf, have, TMQ_V311);
        if (total < 0)
            return MQTTPACKET_READ_ERROR;
    }
    if (total > buflen || !paho_get_all(getfn, buf + have, (uint32_t)total - have))
        return MQTTPACKET_READ_ERROR;
    return buf[0] >> 4;
}

/* Ends a non-blocking read with an error; the next call starts afresh. */
static int paho_nb_fail(MQTTTransport *trp)
{
    trp->state = 0;
    return MQTTPACKET_READ_ERROR;
}

/* Reads a packet through a non-blocking getfn. State kept in *trp: state 1
 * while the fixed header is incomplete, 2 while the body is; len counts the
 * bytes in buf; rem_len holds the packet's total length once known. */
int MQTTPacket_readnb(unsigned char *buf, int buflen, MQTTTransport *trp)
{
    if (trp == NULL)
        return MQTTPACKET_READ_ERROR;
    if (buf == NULL || trp->getfn == NULL || buflen < 2)
        return paho_nb_fail(trp);
    if (trp->state != 1 && trp->state != 2) {
        trp->state = 1;
        trp->len = 0;
        trp->rem_len = 0;
        trp->multiplier = 0;
    }
    while (trp->state == 1) {
        int rc;
        int32_t total;
        if (trp->len < 0 || trp->len >= (int)PAHO_MAX_HEADER || trp->len >= buflen)
            return paho_nb_fail(trp);
        rc = trp->getfn(trp->sck, buf + trp->len, 1);
        if (rc == 0)
            return 0;
        if (rc != 1)
            return paho_nb_fail(trp);
        trp->len++;
        total = tmq_frame(buf, (uint32_t)trp->len, TMQ_V311);
        if (total < 0 || total > buflen)
            return paho_nb_fail(trp);
        if (total > 0) {
            trp->rem_len = (int)total;
            trp->state = 2;
        }
    }
    if (trp->rem_len > buflen || trp->len < 0 || trp->len > trp->rem_len)
        return paho_nb_fail(trp);
    while (trp->len < trp->rem_len) {
        int want = trp->rem_len - trp->len;
        int rc = trp->getfn(trp->sck, buf + trp->len, want);
        if (rc == 0)
            return 0;
        if (rc < 0 || rc > want)
            return paho_nb_fail(trp);
        trp->len += rc;
    }
    trp->state = 0;
    return buf[0] >> 4;
}

/* ---- byte helpers ---- */

/* Reads a big-endian 16-bit integer. */
int readInt(unsigned char **pptr)
{
    unsigned char *p = *pptr;
    *pptr = p + 2;
    return (p[0] << 8) | p[1];
}

/* Reads one byte. */
char readChar(unsigned char **pptr)
{
    char c = (char)**pptr;
    (*pptr)++;
    return c;
}

/* Writes one byte. */
void writeChar(unsigned char **pptr, char c)
{
    **pptr = (unsigned char)c;
    (*pptr)++;
}

/* Writes a big-endian 16-bit integer. */
void writeInt(unsigned char **pptr, int anInt)
{
    unsigned v = (unsigned)anInt;
    (*pptr)[0] = (unsigned char)((v >> 8) & 0xFFu);
    (*pptr)[1] = (unsigned char)(v & 0xFFu);
    *pptr += 2;
}

/* Reads a length-prefixed string bounded by enddata. */
int readMQTTLenString(MQTTString *mqttstring, unsigned char **pptr, unsigned char *enddata)
{
    unsigned char *p;
    size_t left, n;

    if (mqttstring == NULL || pptr == NULL || *pptr == NULL || enddata == NULL || *pptr > enddata)
        return 0;
    p = *pptr;
    left = (size_t)(enddata - p);
    if (left < 2)
        return 0;
    n = ((size_t)p[0] << 8) | p[1];
    if (n > left - 2)
        return 0;
    mqttstring->cstring = NULL;
    mqttstring->lenstring.len = (int)n;
    mqttstring->lenstring.data = (char *)(p + 2);
    *pptr = p + 2 + n;
    return 1;
}

/* Writes a length prefix and n bytes (an empty string if n is too long). */
static void paho_write_bytes(unsigned char **pptr, const uint8_t *p, uint32_t n)
{
    if (n > 0xFFFFu)
        n = 0;
    writeInt(pptr, (int)n);
    if (n > 0)
        memcpy(*pptr, p, n);
    *pptr += n;
}

/* Writes a C string length-prefixed. */
void writeCString(unsigned char **pptr, const char *string)
{
    size_t n = strlen(string);
    paho_write_bytes(pptr, (const uint8_t *)string, n > 0xFFFFu ? 0x10000u : (uint32_t)n);
}

/* Writes an MQTTString length-prefixed. */
void writeMQTTString(unsigned char **pptr, MQTTString mqttstring)
{
    tmq_bin v;
    v.p = NULL;
    v.len = 0;
    if (!paho_view(&mqttstring, &v))
        v.len = 0;
    paho_write_bytes(pptr, v.p, v.len);
}
