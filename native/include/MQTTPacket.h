/* tinymqtt: a Paho Embedded C compatible MQTTPacket API.
 *
 * Code written against Paho's MQTTPacket library (MQTTSerialize_connect,
 * MQTTDeserialize_publish, MQTTPacket_read, ...) builds against this one
 * header unchanged: the names, structs, initializers, enum values and return
 * conventions are Paho's (3.1 and 3.1.1; MQTTVersion 3 is 3.1, 4 is 3.1.1).
 * Every function is a thin wrapper over the tinymqtt codec (tinymqtt/packet.h),
 * so every packet is validated and every read and write is bounded:
 *
 *   serializers    return the packet length, MQTTPACKET_BUFFER_TOO_SHORT when
 *                  buflen is too small, or 0 when the arguments cannot make a
 *                  valid packet (QoS 3, a wildcard in a topic name, invalid
 *                  UTF-8, packet id 0, password without user name, ...).
 *   deserializers  return 1 on success, 0 when the bytes are not a valid packet
 *                  of the expected type (a length that runs past buflen or past
 *                  the packet, a 5-byte remaining length, QoS 3, more SUBACK
 *                  codes than maxcount, ...). On failure the outputs are left
 *                  untouched.
 *
 * Strings: an MQTTString is its cstring when cstring != NULL, otherwise its
 * lenstring. A lenstring with data == NULL and len == 0 is the empty (or, for
 * an optional CONNECT field, absent) string. Deserializers return strings and
 * payloads as lenstring views into the caller's buffer (cstring = NULL): they
 * are not NUL-terminated and stay valid while that buffer does. Nothing here
 * allocates memory; every buffer belongs to the caller.
 *
 * Decoding assumes MQTT 3.1.1 rules for packets that do not carry their own
 * version (everything but CONNECT); 3.1 packets from a conforming peer decode
 * the same way. */
#ifndef MQTTPACKET_H_
#define MQTTPACKET_H_

#include <stddef.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* Paho's export markers: some code written for Paho (its MQTTClient.h among
 * others) uses them after including this header. Spelled so that a later
 * definition by such a header is an identical one. */
#if !defined(DLLExport)
#if defined(WIN32_DLL) || defined(WIN64_DLL)
#define DLLExport __declspec(dllexport)
#elif defined(LINUX_SO)
#define DLLExport __attribute__ ((visibility ("default")))
#else
#define DLLExport
#endif
#endif
#if !defined(DLLImport)
#if defined(WIN32_DLL) || defined(WIN64_DLL)
#define DLLImport __declspec(dllimport)
#elif defined(LINUX_SO)
#define DLLImport extern
#else
#define DLLImport
#endif
#endif

/* Bit-field order follows byte order on the targets we build for. */
#if !defined(REVERSED) && defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__)
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define REVERSED 1
#endif
#endif

/* Largest number of topic filters (or SUBACK codes) MQTTSerialize_subscribe,
 * MQTTSerialize_unsubscribe and MQTTSerialize_suback accept in one call: they
 * convert the arrays on the stack, with no heap. Define it when building
 * paho_packet.c to change it. The deserializers have no such limit. */
#ifndef MQTTPACKET_MAX_FILTERS
#define MQTTPACKET_MAX_FILTERS 16
#endif

enum errors {
    MQTTPACKET_BUFFER_TOO_SHORT = -2,
    MQTTPACKET_READ_ERROR = -1,
    MQTTPACKET_READ_COMPLETE
};

enum msgTypes {
    CONNECT = 1, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP,
    SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT
};

enum MQTTConnackReturnCodes {
    MQTTCONNACK_CONNECTION_ACCEPTED = 0,
    MQTTCONNACK_UNNACCEPTABLE_PROTOCOL = 1,
    MQTTCONNACK_CLIENTID_REJECTED = 2,
    MQTTCONNACK_SERVER_UNAVAILABLE = 3,
    MQTTCONNACK_BAD_USERNAME_OR_PASSWORD = 4,
    MQTTCONNACK_NOT_AUTHORIZED = 5
};

/* The first byte of a packet, whole or as bit-fields. */
typedef union {
    unsigned char byte;
#if defined(REVERSED)
    struct {
        unsigned int type : 4;
        unsigned int dup : 1;
        unsigned int qos : 2;
        unsigned int retain : 1;
    } bits;
#else
    struct {
        unsigned int retain : 1;
        unsigned int qos : 2;
        unsigned int dup : 1;
        unsigned int type : 4;
    } bits;
#endif
} MQTTHeader;

/* A string given by length (not NUL-terminated). */
typedef struct {
    int len;
    char *data;
} MQTTLenString;

/* A string given either as a C string or by length (see the top of the file). */
typedef struct {
    char *cstring;
    MQTTLenString lenstring;
} MQTTString;

#define MQTTString_initializer { NULL, { 0, NULL } }

/* The CONNECT flags byte. */
typedef union {
    unsigned char all;
#if defined(REVERSED)
    struct {
        unsigned int username : 1;
        unsigned int password : 1;
        unsigned int willRetain : 1;
        unsigned int willQoS : 2;
        unsigned int will : 1;
        unsigned int cleansession : 1;
        unsigned int : 1;
    } bits;
#else
    struct {
        unsigned int : 1;
        unsigned int cleansession : 1;
        unsigned int will : 1;
        unsigned int willQoS : 2;
        unsigned int willRetain : 1;
        unsigned int password : 1;
        unsigned int username : 1;
    } bits;
#endif
} MQTTConnectFlags;

/* The CONNACK acknowledge flags byte. */
typedef union {
    unsigned char all;
#if defined(REVERSED)
    struct {
        unsigned int reserved : 7;
        unsigned int sessionpresent : 1;
    } bits;
#else
    struct {
        unsigned int sessionpresent : 1;
        unsigned int reserved : 7;
    } bits;
#endif
} MQTTConnackFlags;

/* The will of a CONNECT (used when MQTTPacket_connectData.willFlag is set). */
typedef struct {
    char struct_id[4];          /* "MQTW" */
    int struct_version;         /* 0 */
    MQTTString topicName;
    MQTTString message;
    unsigned char retained;     /* nonzero: retained */
    char qos;                   /* 0, 1 or 2 */
} MQTTPacket_willOptions;

#define MQTTPacket_willOptions_initializer \
    { { 'M', 'Q', 'T', 'W' }, 0, MQTTString_initializer, MQTTString_initializer, 0, 0 }

/* Everything a CONNECT carries. A user name or password is present when its
 * cstring or lenstring.data is non-NULL. */
typedef struct {
    char struct_id[4];          /* "MQTC" */
    int struct_version;         /* 0 */
    unsigned char MQTTVersion;  /* 3 = MQTT 3.1, 4 = MQTT 3.1.1 */
    MQTTString clientID;
    unsigned short keepAliveInterval;   /* seconds */
    unsigned char cleansession;
    unsigned char willFlag;
    MQTTPacket_willOptions will;
    MQTTString username;
    MQTTString password;
} MQTTPacket_connectData;

#define MQTTPacket_connectData_initializer \
    { { 'M', 'Q', 'T', 'C' }, 0, 4, MQTTString_initializer, 60, 1, 0, \
      MQTTPacket_willOptions_initializer, MQTTString_initializer, MQTTString_initializer }

/* Transport state for MQTTPacket_readnb. Set getfn and sck and zero state
 * before the first call; the other fields belong to MQTTPacket_readnb.
 * getfn(sck, buf, count) returns the bytes it read (1..count), 0 when none
 * are available yet (call again later), or -1 on error. */
typedef struct {
    int (*getfn)(void *, unsigned char *, int);
    void *sck;
    int multiplier;
    int rem_len;
    int len;
    char state;
} MQTTTransport;

/* ---- strings ---- */

/* Returns the length of s: strlen(cstring), or lenstring.len (0 if negative). */
int MQTTstrlen(MQTTString mqttstring);

/* Returns 1 if the MQTTString a holds exactly the C string b, else 0
 * (0 also when either is NULL or a's lenstring is invalid). */
int MQTTPacket_equals(MQTTString *a, char *b);

/* ---- CONNECT, CONNACK, DISCONNECT, PINGREQ ---- */

/* Writes a CONNECT for options (MQTTVersion 3 or 4) into buf (buflen bytes).
 * Returns the packet length, MQTTPACKET_BUFFER_TOO_SHORT, or 0 for invalid
 * options. The caller owns buf and options. */
int MQTTSerialize_connect(unsigned char *buf, int buflen, MQTTPacket_connectData *options);

/* Broker side: reads a 3.1 or 3.1.1 CONNECT from buf (buflen bytes) into
 * *data (MQTTVersion, clientID, keepAliveInterval, cleansession, willFlag,
 * will, username, password; absent strings become empty). Returns 1 or 0.
 * The strings in *data point into buf. */
int MQTTDeserialize_connect(MQTTPacket_connectData *data, unsigned char *buf, int len);

/* Broker side: writes a CONNACK with return code connack_rc (0-5) and the
 * session present flag (nonzero: set; only with code 0). Returns the packet
 * length (4), MQTTPACKET_BUFFER_TOO_SHORT or 0. The caller owns buf. */
int MQTTSerialize_connack(unsigned char *buf, int buflen, unsigned char connack_rc,
                          unsigned char sessionPresent);

/* Reads a CONNACK from buf (buflen bytes): *sessionPresent gets 0 or 1 and
 * *connack_rc the return code. Returns 1 or 0. */
int MQTTDeserialize_connack(unsigned char *sessionPresent, unsigned char *connack_rc,
                            unsigned char *buf, int buflen);

/* Writes a DISCONNECT. Returns 2, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_disconnect(unsigned char *buf, int buflen);

/* Broker side: returns 1 if buf (buflen bytes) starts with a valid
 * DISCONNECT, else 0. */
int MQTTDeserialize_disconnect(unsigned char *buf, int buflen);

/* Writes a PINGREQ. Returns 2, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_pingreq(unsigned char *buf, int buflen);

/* ---- PUBLISH and its acknowledgements ---- */

/* Writes a PUBLISH: qos 0-2, dup only with qos > 0, packetid nonzero when
 * qos > 0 (ignored for qos 0), a topic name without wildcards, payloadlen
 * bytes of payload (payload may be NULL when payloadlen is 0). Returns the
 * packet length, MQTTPACKET_BUFFER_TOO_SHORT or 0. The caller owns every
 * buffer. */
int MQTTSerialize_publish(unsigned char *buf, int buflen, unsigned char dup, int qos,
                          unsigned char retained, unsigned short packetid, MQTTString topicName,
                          unsigned char *payload, int payloadlen);

/* Reads a PUBLISH from buf (buflen bytes). *packetid is 0 for QoS 0.
 * *topicName and *payload point into buf. Returns 1, or 0 (also for any
 * packet that is not a PUBLISH). */
int MQTTDeserialize_publish(unsigned char *dup, int *qos, unsigned char *retained,
                            unsigned short *packetid, MQTTString *topicName,
                            unsigned char **payload, int *payloadlen, unsigned char *buf, int buflen);

/* Writes a PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK for packetid (nonzero).
 * dup must be 0: 3.1.1 reserves that bit in every acknowledgement. Returns 4,
 * MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_ack(unsigned char *buf, int buflen, unsigned char packettype,
                      unsigned char dup, unsigned short packetid);

/* Reads a PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK from buf (buflen bytes)
 * into *packettype, *dup (always 0 in a valid packet) and *packetid.
 * Returns 1 or 0. */
int MQTTDeserialize_ack(unsigned char *packettype, unsigned char *dup, unsigned short *packetid,
                        unsigned char *buf, int buflen);

/* Writes a PUBACK. Returns 4, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_puback(unsigned char *buf, int buflen, unsigned short packetid);

/* Writes a PUBREL (dup must be 0). Returns 4, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_pubrel(unsigned char *buf, int buflen, unsigned char dup, unsigned short packetid);

/* Writes a PUBCOMP. Returns 4, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_pubcomp(unsigned char *buf, int buflen, unsigned short packetid);

/* ---- SUBSCRIBE, SUBACK ---- */

/* Writes a SUBSCRIBE of count (1..MQTTPACKET_MAX_FILTERS) topic filters with
 * their requested QoS (0-2). dup must be 0. Returns the packet length,
 * MQTTPACKET_BUFFER_TOO_SHORT or 0. The caller owns every buffer. */
int MQTTSerialize_subscribe(unsigned char *buf, int buflen, unsigned char dup, unsigned short packetid,
                            int count, MQTTString topicFilters[], int requestedQoSs[]);

/* Broker side: reads a SUBSCRIBE from buf (buflen bytes). Fills at most
 * maxcount entries of topicFilters (views into buf) and requestedQoSs and
 * sets *count. Returns 1, or 0 (also when it carries more than maxcount
 * filters). */
int MQTTDeserialize_subscribe(unsigned char *dup, unsigned short *packetid, int maxcount, int *count,
                              MQTTString topicFilters[], int requestedQoSs[],
                              unsigned char *buf, int len);

/* Broker side: writes a SUBACK with count (1..MQTTPACKET_MAX_FILTERS) return
 * codes, each 0, 1, 2 or 0x80. Returns the packet length,
 * MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_suback(unsigned char *buf, int buflen, unsigned short packetid, int count,
                         int *grantedQoSs);

/* Reads a SUBACK from buf (buflen bytes): *packetid, *count and the first
 * *count entries of grantedQoSs (0, 1, 2 or 0x80). Returns 1, or 0 (also when
 * it carries more than maxcount codes; nothing is written past maxcount). */
int MQTTDeserialize_suback(unsigned short *packetid, int maxcount, int *count, int grantedQoSs[],
                           unsigned char *buf, int buflen);

/* ---- UNSUBSCRIBE, UNSUBACK ---- */

/* Writes an UNSUBSCRIBE of count (1..MQTTPACKET_MAX_FILTERS) topic filters.
 * dup must be 0. Returns the packet length, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_unsubscribe(unsigned char *buf, int buflen, unsigned char dup, unsigned short packetid,
                              int count, MQTTString topicFilters[]);

/* Broker side: reads an UNSUBSCRIBE from buf (len bytes), filling at most
 * max_count entries of topicFilters (views into buf) and *count. Returns 1
 * or 0 (also when it carries more than max_count filters). */
int MQTTDeserialize_unsubscribe(unsigned char *dup, unsigned short *packetid, int max_count, int *count,
                                MQTTString topicFilters[], unsigned char *buf, int len);

/* Broker side: writes an UNSUBACK. Returns 4, MQTTPACKET_BUFFER_TOO_SHORT or 0. */
int MQTTSerialize_unsuback(unsigned char *buf, int buflen, unsigned short packetid);

/* Reads an UNSUBACK from buf (len bytes) into *packetid. Returns 1 or 0. */
int MQTTDeserialize_unsuback(unsigned short *packetid, unsigned char *buf, int len);

/* ---- remaining length and framing ---- */

/* Writes length (0..268,435,455) as a remaining-length field into buf, which
 * must have room for 4 bytes. Returns the bytes written (1-4), or 0 without
 * writing when length is out of range. */
int MQTTPacket_encode(unsigned char *buf, int length);

/* Reads a remaining-length field one byte at a time through
 * getcharfn(&c, 1) (which returns 1 per byte read). Returns the bytes used
 * (1-4) with *value set, or MQTTPACKET_READ_ERROR (*value = 0) if getcharfn
 * fails or the field is longer than 4 bytes or not minimal. */
int MQTTPacket_decode(int (*getcharfn)(unsigned char *, int), int *value);

/* Reads a remaining-length field from buf, which must hold the whole field
 * (at most 4 bytes are read). Returns as MQTTPacket_decode. */
int MQTTPacket_decodeBuf(unsigned char *buf, int *value);

/* Returns the total length of a packet whose remaining length is rem_len
 * (fixed header included), or MQTTPACKET_READ_ERROR if rem_len is out of
 * range. */
int MQTTPacket_len(int rem_len);

/* Reads one whole packet into buf (buflen bytes) through getfn(dst, count),
 * which returns the bytes it read (1..count; anything else ends the read).
 * The fixed header is checked before the body is read. Returns the packet
 * type, or MQTTPACKET_READ_ERROR (also for a packet larger than buflen). */
int MQTTPacket_read(unsigned char *buf, int buflen, int (*getfn)(unsigned char *, int));

/* Non-blocking MQTTPacket_read: reads what trp->getfn has and returns 0 until
 * the packet in buf (buflen bytes) is complete, then its type; or
 * MQTTPACKET_READ_ERROR. The partial packet and its state live in buf and
 * *trp between calls; after a result other than 0 the next call starts a new
 * packet. */
int MQTTPacket_readnb(unsigned char *buf, int buflen, MQTTTransport *trp);

/* ---- byte helpers (unchecked by signature: the caller guarantees room) ---- */

/* Reads a big-endian 16-bit integer at *pptr and advances it by 2. */
int readInt(unsigned char **pptr);

/* Reads one byte at *pptr and advances it by 1. */
char readChar(unsigned char **pptr);

/* Writes c at *pptr and advances it by 1. */
void writeChar(unsigned char **pptr, char c);

/* Writes the low 16 bits of anInt big-endian at *pptr and advances it by 2. */
void writeInt(unsigned char **pptr, int anInt);

/* Reads a length-prefixed string at *pptr that must end by enddata into
 * mqttstring (a lenstring view into the buffer, cstring = NULL) and advances
 * *pptr past it. Returns 1, or 0 with *pptr unchanged if it does not fit.
 * Does not check UTF-8 (the deserializers do). */
int readMQTTLenString(MQTTString *mqttstring, unsigned char **pptr, unsigned char *enddata);

/* Writes string (NUL-terminated) length-prefixed at *pptr (2 + strlen bytes)
 * and advances it. A string longer than 65,535 bytes cannot be framed and is
 * written as the empty string (2 bytes). */
void writeCString(unsigned char **pptr, const char *string);

/* Writes mqttstring length-prefixed at *pptr (2 + MQTTstrlen bytes) and
 * advances it. A string longer than 65,535 bytes (or an unreadable lenstring)
 * is written as the empty string (2 bytes). */
void writeMQTTString(unsigned char **pptr, MQTTString mqttstring);

#if defined(__cplusplus)
}
#endif

#endif
