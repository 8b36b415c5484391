/* tinymqtt: encode and decode MQTT 3.1, 3.1.1 and 5.0 control packets.
 *
 * No heap, no stdio. The encoder writes into a caller buffer; the decoder
 * fills a tmq_packet whose strings, payloads and property blocks are views
 * into the caller's input buffer (nothing is copied), valid while that
 * buffer is. Every read is bounded by the buffer and by the packet's
 * remaining length.
 *
 * Build options (compile definitions, both default to 1):
 *   TMQ_WITH_V5      MQTT 5.0 (properties, reason codes, AUTH)
 *   TMQ_WITH_SERVER  the broker side: decode CONNECT, SUBSCRIBE, UNSUBSCRIBE,
 *                    PINGREQ; encode CONNACK, SUBACK, UNSUBACK, PINGRESP
 * Without them the codec is smaller and those packets return TMQ_ERR_TYPE
 * (TMQ_ERR_VERSION for a 5.0 packet). */
#ifndef TINYMQTT_PACKET_H
#define TINYMQTT_PACKET_H

#include <stdint.h>
#include "tinymqtt/error.h"

#ifndef TMQ_WITH_V5
#define TMQ_WITH_V5 1
#endif
#ifndef TMQ_WITH_SERVER
#define TMQ_WITH_SERVER 1
#endif

/* Protocol levels as they appear in CONNECT. */
enum tmq_version { TMQ_V31 = 3, TMQ_V311 = 4, TMQ_V5 = 5 };

/* Control packet types (the high nibble of the first byte). */
enum tmq_type {
    TMQ_CONNECT = 1, TMQ_CONNACK, TMQ_PUBLISH, TMQ_PUBACK, TMQ_PUBREC, TMQ_PUBREL,
    TMQ_PUBCOMP, TMQ_SUBSCRIBE, TMQ_SUBACK, TMQ_UNSUBSCRIBE, TMQ_UNSUBACK,
    TMQ_PINGREQ, TMQ_PINGRESP, TMQ_DISCONNECT, TMQ_AUTH
};

/* Largest remaining length MQTT can express (4-byte variable byte integer). */
#define TMQ_MAX_REMAINING 268435455u
/* Largest packet MQTT can express: that remaining length, its 4-byte
 * encoding and the first byte. */
#define TMQ_MAX_PACKET (TMQ_MAX_REMAINING + 5u)

/* The 5.0 reason codes the client sends or acts on (MQTT 5.0, 2.4). Below
 * TMQ_RC_FAILURE a code reports success; from it on, a failure. 3.x CONNACK
 * return codes are 1-5 instead. */
enum tmq_reason {
    TMQ_RC_SUCCESS = 0x00,
    TMQ_RC_CONTINUE_AUTH = 0x18,        /* AUTH: the exchange goes on */
    TMQ_RC_REAUTHENTICATE = 0x19,       /* AUTH: the client starts a re-authentication */
    TMQ_RC_FAILURE = 0x80,              /* also: Unspecified error */
    TMQ_RC_MALFORMED_PACKET = 0x81,
    TMQ_RC_PROTOCOL_ERROR = 0x82,
    TMQ_RC_UNSUPPORTED_VERSION = 0x84,
    TMQ_RC_CLIENT_ID_NOT_VALID = 0x85,
    TMQ_RC_BAD_AUTH = 0x86,             /* Bad User Name or Password */
    TMQ_RC_NOT_AUTHORIZED = 0x87,
    TMQ_RC_SERVER_UNAVAILABLE = 0x88,
    TMQ_RC_SERVER_BUSY = 0x89,
    TMQ_RC_PACKET_ID_NOT_FOUND = 0x92,
    TMQ_RC_RECEIVE_MAX_EXCEEDED = 0x93,
    TMQ_RC_TOPIC_ALIAS_INVALID = 0x94,
    TMQ_RC_PACKET_TOO_LARGE = 0x95
};

/* Subscription option bits (SUBSCRIBE payload; 3.x uses only the QoS bits). */
#define TMQ_SUB_QOS_MASK        0x03u
#define TMQ_SUB_NO_LOCAL        0x04u
#define TMQ_SUB_RETAIN_AS_PUB   0x08u
#define TMQ_SUB_RETAIN_HANDLING(opts) (((opts) >> 4) & 0x03u)

/* A byte range: a string, binary data or payload. p == NULL means absent
 * (an empty but present string has p != NULL and len == 0). */
typedef struct tmq_bin {
    const uint8_t *p;
    uint32_t len;
} tmq_bin;

/* 5.0 property identifiers. */
enum tmq_prop_id {
    TMQ_PROP_PAYLOAD_FORMAT = 0x01, TMQ_PROP_MESSAGE_EXPIRY = 0x02, TMQ_PROP_CONTENT_TYPE = 0x03,
    TMQ_PROP_RESPONSE_TOPIC = 0x08, TMQ_PROP_CORRELATION_DATA = 0x09, TMQ_PROP_SUBSCRIPTION_ID = 0x0B,
    TMQ_PROP_SESSION_EXPIRY = 0x11, TMQ_PROP_ASSIGNED_CLIENT_ID = 0x12, TMQ_PROP_SERVER_KEEPALIVE = 0x13,
    TMQ_PROP_AUTH_METHOD = 0x15, TMQ_PROP_AUTH_DATA = 0x16, TMQ_PROP_REQUEST_PROBLEM_INFO = 0x17,
    TMQ_PROP_WILL_DELAY = 0x18, TMQ_PROP_REQUEST_RESPONSE_INFO = 0x19, TMQ_PROP_RESPONSE_INFO = 0x1A,
    TMQ_PROP_SERVER_REFERENCE = 0x1C, TMQ_PROP_REASON_STRING = 0x1F, TMQ_PROP_RECEIVE_MAXIMUM = 0x21,
    TMQ_PROP_TOPIC_ALIAS_MAXIMUM = 0x22, TMQ_PROP_TOPIC_ALIAS = 0x23, TMQ_PROP_MAXIMUM_QOS = 0x24,
    TMQ_PROP_RETAIN_AVAILABLE = 0x25, TMQ_PROP_USER = 0x26, TMQ_PROP_MAXIMUM_PACKET_SIZE = 0x27,
    TMQ_PROP_WILDCARD_SUB_AVAILABLE = 0x28, TMQ_PROP_SUB_ID_AVAILABLE = 0x29,
    TMQ_PROP_SHARED_SUB_AVAILABLE = 0x2A
};

/* One property. Numeric properties (byte, two-byte, four-byte, variable
 * byte integer) use num; UTF-8 string and binary properties use str; a user
 * property has its name in str and its value in val. */
typedef struct tmq_prop {
    uint8_t id;
    uint32_t num;
    tmq_bin str;
    tmq_bin val;
} tmq_prop;

/* The properties of a packet (or of a will).
 * Encoding: raw (an already encoded property block, without its length
 * prefix) is written first, then the count entries of list; both are
 * validated. Decoding: raw is set to the validated block inside the input
 * buffer and list/count are zero; walk it with tmq_prop_next(). */
typedef struct tmq_props {
    tmq_bin raw;
    const tmq_prop *list;
    uint16_t count;
} tmq_props;

/* CONNECT fields. will_topic.p == NULL means no will; username.p or
 * password.p == NULL means the field is absent. */
typedef struct tmq_connect {
    tmq_bin client_id, username, password, will_topic, will_payload;
    tmq_props will_props;   /* 5.0 only */
    uint16_t keepalive;     /* seconds */
    uint8_t clean;          /* clean session (3.x) / clean start (5.0) */
    uint8_t will_qos, will_retain;
} tmq_connect;

/* PUBLISH fields. topic may be empty (len 0) only in 5.0 with a Topic Alias. */
typedef struct tmq_publish {
    tmq_bin topic, payload;
    uint8_t qos, retain, dup;
} tmq_publish;

/* One SUBSCRIBE entry (opts: QoS and 5.0 option bits) or UNSUBSCRIBE entry
 * (opts unused). */
typedef struct tmq_sub {
    tmq_bin filter;
    uint8_t opts;
} tmq_sub;

/* SUBSCRIBE/UNSUBSCRIBE entries. Encoding reads list/count. Decoding sets
 * count and raw (the validated entries inside the input buffer); walk raw
 * with tmq_sub_next(). */
typedef struct tmq_subs {
    const tmq_sub *list;
    uint16_t count;
    tmq_bin raw;
} tmq_subs;

/* SUBACK return codes / UNSUBACK 5.0 reason codes, one byte per filter. */
typedef struct tmq_codes {
    const uint8_t *p;
    uint32_t count;
} tmq_codes;

/* A control packet of any type. Which fields matter depends on type:
 *   id              PUBLISH (QoS > 0), PUBACK..PUBCOMP, SUBSCRIBE..UNSUBACK
 *   reason          CONNACK return (3.x) / reason (5.0) code; 5.0 PUBACK..PUBCOMP,
 *                   DISCONNECT and AUTH reason code
 *   session_present CONNACK
 *   props           5.0 only, every type that has properties
 *   u.connect, u.publish, u.subs (SUBSCRIBE, UNSUBSCRIBE), u.codes (SUBACK, UNSUBACK) */
typedef struct tmq_packet {
    uint8_t type;
    uint8_t version;        /* 3, 4 or 5; the decoder takes it from CONNECT itself */
    uint8_t reason;
    uint8_t session_present;
    uint16_t id;
    union {
        tmq_connect connect;
        tmq_publish publish;
        tmq_subs subs;
        tmq_codes codes;
    } u;
    tmq_props props;
} tmq_packet;

/* Encodes pkt into buf (cap bytes). Validates everything first: version,
 * QoS, packet id, topic names and filters, UTF-8, properties, lengths.
 * Returns the packet length written, or with buf == NULL the length the
 * packet needs, or a negative tmq_err (TMQ_ERR_BUF_TOO_SMALL if cap is too
 * small; nothing useful is left in buf then). The caller owns buf. */
int32_t tmq_encode(uint8_t *buf, uint32_t cap, const tmq_packet *pkt);

/* Decodes one packet from buf (len bytes, which may hold more after it) as
 * protocol version `version` (ignored for CONNECT, which carries its own).
 * Fills *pkt with views into buf. Returns the packet's total length, or a
 * negative tmq_err naming the first defect found. */
int32_t tmq_decode(const uint8_t *buf, uint32_t len, uint8_t version, tmq_packet *pkt);

/* Checks a decoded SUBACK or UNSUBACK against the number of filters its
 * request carried. Returns TMQ_OK or TMQ_ERR_SUBACK_COUNT. A 3.x UNSUBACK
 * carries no codes and always passes. */
int tmq_check_ack_count(const tmq_packet *pkt, uint32_t filters);

/* Walks decoded SUBSCRIBE/UNSUBSCRIBE entries: cursor starts as a copy of
 * pkt->u.subs.raw and is advanced. type is TMQ_SUBSCRIBE or TMQ_UNSUBSCRIBE.
 * Returns 1 with *out filled, or 0 at the end. */
int tmq_sub_next(tmq_bin *cursor, uint8_t type, tmq_sub *out);

/* The three property functions below exist with TMQ_WITH_V5 only. */

/* Walks a decoded property block: cursor starts as a copy of props->raw.
 * Returns 1 with *out filled, or 0 at the end (or on a malformed block). */
int tmq_prop_next(tmq_bin *cursor, tmq_prop *out);

/* Finds the first property `id` in a decoded block. Returns 1 with *out
 * filled, or 0 if absent. */
int tmq_prop_find(const tmq_props *props, uint8_t id, tmq_prop *out);

/* Finds property `id` in props, its list first, then its raw block (for
 * properties being built as well as decoded ones). Returns 1 with *out
 * filled, or 0 if absent. */
int tmq_props_get(const tmq_props *props, uint8_t id, tmq_prop *out);

/* Writes v as a variable byte integer into out (room for 4 bytes). Returns
 * the bytes written (1-4) or TMQ_ERR_TOO_LARGE if v > TMQ_MAX_REMAINING. */
int tmq_vbi_encode(uint8_t *out, uint32_t v);

/* Reads a variable byte integer from buf (len bytes). Returns the bytes it
 * used (1-4) with *v set, 0 if buf ends before the integer does, or
 * TMQ_ERR_VBI for a fifth byte or a non-minimal encoding. */
int tmq_vbi_decode(const uint8_t *buf, uint32_t len, uint32_t *v);

/* Looks at the fixed header at the start of buf (len bytes). Returns the
 * packet's total length (header included) once the header is complete, 0 if
 * more bytes are needed to know it, or a negative tmq_err for a reserved
 * type, wrong flag bits or a bad remaining length. Does not need the body. */
int32_t tmq_frame(const uint8_t *buf, uint32_t len, uint8_t version);

#endif
