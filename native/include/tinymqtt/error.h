/* tinymqtt: error codes shared by every engine module. */
#ifndef TINYMQTT_ERROR_H
#define TINYMQTT_ERROR_H

/* Every engine function that can fail returns one of these (negative) or a
 * non-negative result. Each malformed-input case has its own code so a test,
 * a log line or a binding can say exactly what was wrong. The numbers are
 * stable: bindings map them to string codes. */
enum tmq_err {
    TMQ_OK = 0,
    TMQ_ERR_BUF_TOO_SMALL = -1,   /* encoder: the output buffer cannot hold the packet */
    TMQ_ERR_INCOMPLETE = -2,      /* decoder: fewer bytes than the remaining length declares */
    TMQ_ERR_VBI = -3,             /* variable byte integer longer than 4 bytes, or not minimal */
    TMQ_ERR_SHORT_PACKET = -4,    /* remaining length too small for the packet's fixed fields */
    TMQ_ERR_FIELD_LENGTH = -5,    /* a string or binary length prefix runs past the packet (lying length) */
    TMQ_ERR_TOPIC_LENGTH = -6,    /* the PUBLISH topic length runs past the packet */
    TMQ_ERR_TRAILING = -7,        /* bytes left over inside the packet after its last field */
    TMQ_ERR_TYPE = -8,            /* reserved packet type, AUTH before 5.0, or a type this build omits */
    TMQ_ERR_FLAGS = -9,           /* reserved fixed-header flag bits set wrongly */
    TMQ_ERR_QOS = -10,            /* QoS 3 (PUBLISH, will, subscription options) */
    TMQ_ERR_DUP = -11,            /* DUP set on a QoS 0 PUBLISH */
    TMQ_ERR_UTF8 = -12,           /* ill-formed UTF-8, U+0000 or a surrogate */
    TMQ_ERR_TOPIC = -13,          /* invalid topic name: empty, wildcard, too long */
    TMQ_ERR_FILTER = -14,         /* invalid topic filter: misplaced '+' or '#', empty */
    TMQ_ERR_SHARED = -15,         /* invalid $share/group/filter */
    TMQ_ERR_SUBACK_COUNT = -16,   /* SUBACK/UNSUBACK reason codes do not match the filters requested */
    TMQ_ERR_NO_FILTERS = -17,     /* SUBSCRIBE/UNSUBSCRIBE without filters, SUBACK without codes */
    TMQ_ERR_PACKET_ID = -18,      /* packet identifier 0 where one is required */
    TMQ_ERR_PROTOCOL = -19,       /* CONNECT protocol name unknown, or not the one its level uses */
    TMQ_ERR_RESERVED = -20,       /* a reserved bit set in CONNECT, CONNACK or subscription options */
    TMQ_ERR_WILL = -21,           /* will QoS or retain without the will flag */
    TMQ_ERR_PASSWORD = -22,       /* password without user name (3.1, 3.1.1) */
    TMQ_ERR_CLIENT_ID = -23,      /* empty client id with a persistent session, or too long for 3.1 */
    TMQ_ERR_REASON = -24,         /* return or reason code not valid for this packet */
    TMQ_ERR_PROP_ID = -25,        /* unknown property identifier */
    TMQ_ERR_PROP_PACKET = -26,    /* property not allowed in this packet */
    TMQ_ERR_PROP_DUP = -27,       /* property repeated where the specification forbids it */
    TMQ_ERR_PROP_VALUE = -28,     /* property value out of range (e.g. Receive Maximum 0) */
    TMQ_ERR_PROP_LENGTH = -29,    /* property block or value runs past its bounds */
    TMQ_ERR_TOO_LARGE = -30,      /* packet larger than the buffer, the limit or 268,435,455 bytes */
    TMQ_ERR_VERSION = -31,        /* protocol level not 3, 4 or 5 (5 needs TMQ_WITH_V5), or a 5.0 feature before 5.0 */
    TMQ_ERR_ARG = -32,            /* invalid argument (NULL where data is required, bad option) */

    /* client and transports */
    TMQ_ERR_WOULD_BLOCK = -33,    /* no room in the send buffer now; retry after the next poll */
    TMQ_ERR_QUEUE_FULL = -34,     /* every message slot is taken */
    TMQ_ERR_STATE = -35,          /* not possible in the client's current state */
    TMQ_ERR_CONNECT_TIMEOUT = -36,/* no CONNACK (or no transport) within the connect timeout */
    TMQ_ERR_KEEPALIVE = -37,      /* no PINGRESP or no traffic in time: the link is dead */
    TMQ_ERR_CLOSED = -38,         /* the peer closed the connection */
    TMQ_ERR_IO = -39,             /* the transport failed (socket error) */
    TMQ_ERR_DNS = -40,            /* the host name did not resolve */
    TMQ_ERR_REFUSED = -41,        /* no resolved address accepted the TCP connection */
    TMQ_ERR_TLS = -42,            /* TLS handshake or record failure */
    TMQ_ERR_TLS_VERIFY = -43,     /* the server certificate or host name failed verification */
    /* the five below are in the order of the 3.x CONNACK return codes 1-5 */
    TMQ_ERR_CONNACK_VERSION = -44,/* CONNACK: unacceptable protocol version (3.x 1, 5.0 0x84) */
    TMQ_ERR_CONNACK_ID = -45,     /* CONNACK: client identifier rejected (3.x 2, 5.0 0x85) */
    TMQ_ERR_CONNACK_UNAVAILABLE = -46, /* CONNACK: server unavailable or busy (3.x 3, 5.0 0x88 0x89) */
    TMQ_ERR_CONNACK_AUTH = -47,   /* CONNACK: bad user name or password (3.x 4, 5.0 0x86) */
    TMQ_ERR_CONNACK_NOT_AUTHORIZED = -48, /* CONNACK: not authorized (3.x 5, 5.0 0x87) */
    TMQ_ERR_CONNACK_REFUSED = -49,/* CONNACK: another 5.0 refusal (the reason code says which) */
    TMQ_ERR_SERVER_DISCONNECT = -50, /* the server sent DISCONNECT (5.0 reason code with it) */
    TMQ_ERR_PROTOCOL_VIOLATION = -51, /* the server broke the protocol (ack for an unknown id, ...) */
    TMQ_ERR_QOS_NOT_SUPPORTED = -52,  /* QoS above the server's Maximum QoS */
    TMQ_ERR_RETAIN_NOT_SUPPORTED = -53, /* retain while the server has Retain Available 0 */
    TMQ_ERR_STORE = -54,          /* the persistence store could not read or write (tinymqtt/store.h) */
    TMQ_ERR_SESSION_PRESENT = -55,/* 5.0 CONNACK: Session Present 1 in answer to Clean Start 1 */
    /* the WebSocket transport (tinymqtt/ws.h) */
    TMQ_ERR_WS_HANDSHAKE = -56,   /* the server answered the upgrade with an HTTP status other than 101 (tmq_ws_http_status) */
    TMQ_ERR_WS_RESPONSE = -57,    /* upgrade response malformed, over the buffer, without Upgrade/Connection, or with another subprotocol or an extension */
    TMQ_ERR_WS_ACCEPT = -58,      /* Sec-WebSocket-Accept missing or not the one the key gives */
    TMQ_ERR_WS_MASKED = -59,      /* a masked frame from the server */
    TMQ_ERR_WS_FRAME_SIZE = -60,  /* a frame length over the limit, or a 64-bit length past 32 bits */
    TMQ_ERR_WS_TEXT = -61,        /* a text frame (MQTT travels in binary frames) */
    TMQ_ERR_WS_CLOSE_MID_PACKET = -62, /* a close frame with an MQTT packet or a fragmented message incomplete */
    TMQ_ERR_WS_OPCODE = -63,      /* a reserved opcode */
    TMQ_ERR_WS_FRAME = -64,       /* reserved bits, a length not in its shortest form, a fragmented or over-long
                                   * control frame, a continuation with no message, a message inside a message */
    TMQ_ERR_TOPIC_ALIAS = -65     /* 5.0 PUBLISH: Topic Alias above the server's Topic Alias Maximum */
};

/* Returns the constant name of an error code ("TMQ_ERR_UTF8"), or "TMQ_ERR_UNKNOWN".
 * The strings are static. Built only with TMQ_WITH_ERRSTR (on by default for
 * host builds) because the table costs flash. */
const char *tmq_strerror(int err);

#endif
