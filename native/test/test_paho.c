/* Tests for the Paho Embedded C compatible API (MQTTPacket.h).
 *
 * Byte vectors are written from the MQTT 3.1.1 (OASIS, 2014) and MQTT 3.1
 * (IBM, 2010) specifications. Besides the normal cases, the hostile ones
 * prove that inputs on which Paho's own MQTTPacket reads or writes out of
 * bounds, or accepts garbage, fail here with Paho's failure convention. */
#include "MQTTPacket.h"
#include "harness.h"

#include <string.h>

/* ---- helpers ---- */

/* 1 if b[from..to) still holds the fill byte 0xAA. */
static int untouched(const unsigned char *b, int from, int to)
{
    int i;
    for (i = from; i < to; i++)
        if (b[i] != 0xAA)
            return 0;
    return 1;
}

/* Serializes with `call` (which uses the buffer SB and its length SL) into a
 * buffer one byte too short, then into one of the exact size: the first must
 * fail with MQTTPACKET_BUFFER_TOO_SHORT without writing past SL, the second
 * must produce exactly `want` and nothing past it. */
#define CHECK_SERIALIZED(want, call)                                              \
    do {                                                                          \
        unsigned char SB[600];                                                    \
        int SL, r_;                                                               \
        memset(SB, 0xAA, sizeof SB);                                              \
        SL = (int)sizeof(want) - 1;                                               \
        r_ = (call);                                                              \
        CHECK_EQ(r_, MQTTPACKET_BUFFER_TOO_SHORT);                                \
        CHECK(untouched(SB, SL, (int)sizeof SB));                                 \
        memset(SB, 0xAA, sizeof SB);                                              \
        SL = (int)sizeof(want);                                                   \
        r_ = (call);                                                              \
        CHECK_EQ(r_, (int)sizeof(want));                                          \
        CHECK_MEM(SB, r_, want, sizeof(want));                                    \
        CHECK(untouched(SB, SL, (int)sizeof SB));                                 \
    } while (0)

/* Copies a const vector into a writable buffer (Paho's deserializers take
 * unsigned char *). */
#define LOAD(dst, src) memcpy((dst), (src), sizeof(src))

static MQTTString cstr(const char *s)
{
    MQTTString m = MQTTString_initializer;
    m.cstring = (char *)s;
    return m;
}

static MQTTString lstr(const char *s, int len)
{
    MQTTString m = MQTTString_initializer;
    m.lenstring.data = (char *)s;
    m.lenstring.len = len;
    return m;
}

/* A blocking byte source for MQTTPacket_read / MQTTPacket_decode: hands out
 * at most `chunk` bytes per call; returns 0 at the end of the data. */
static struct {
    const unsigned char *data;
    int len, pos, chunk, calls;
} src;

static void src_set(const unsigned char *data, int len, int chunk)
{
    src.data = data;
    src.len = len;
    src.pos = 0;
    src.chunk = chunk;
    src.calls = 0;
}

static int src_get(unsigned char *dst, int count)
{
    int n = count < src.chunk ? count : src.chunk;
    src.calls++;
    if (n > src.len - src.pos)
        n = src.len - src.pos;
    if (n <= 0)
        return 0;
    memcpy(dst, src.data + src.pos, (size_t)n);
    src.pos += n;
    return n;
}

/* A non-blocking byte source for MQTTPacket_readnb: every other call would
 * block (returns 0), the others hand out one byte; fail_at makes the call
 * that would read byte fail_at return -1. */
struct nb_src {
    const unsigned char *data;
    int len, pos, tick, blocked, fail_at;
};

static int nb_get(void *sck, unsigned char *dst, int count)
{
    struct nb_src *s = (struct nb_src *)sck;
    if (count < 1)
        return -1;
    if ((s->tick++ & 1) == 0) {
        s->blocked++;
        return 0;
    }
    if (s->pos == s->fail_at)
        return -1;
    if (s->pos >= s->len)
        return 0;
    dst[0] = s->data[s->pos++];
    return 1;
}

/* Paho code marks its own functions with DLLExport after including
 * MQTTPacket.h; it must expand to nothing here. */
DLLExport int paho_marker(void);
DLLExport int paho_marker(void)
{
    return 7;
}

/* ---- structs, unions and initializers ---- */

TEST(initializers_match_paho)
{
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    MQTTPacket_willOptions w = MQTTPacket_willOptions_initializer;
    MQTTString s = MQTTString_initializer;

    CHECK_MEM(d.struct_id, 4, "MQTC", 4);
    CHECK_EQ(d.struct_version, 0);
    CHECK_EQ(d.MQTTVersion, 4);
    CHECK(d.clientID.cstring == NULL && d.clientID.lenstring.data == NULL);
    CHECK_EQ(d.clientID.lenstring.len, 0);
    CHECK_EQ(d.keepAliveInterval, 60);
    CHECK_EQ(d.cleansession, 1);
    CHECK_EQ(d.willFlag, 0);
    CHECK_MEM(d.will.struct_id, 4, "MQTW", 4);
    CHECK(d.username.cstring == NULL && d.password.cstring == NULL);
    CHECK(d.username.lenstring.data == NULL && d.password.lenstring.data == NULL);
    CHECK_MEM(w.struct_id, 4, "MQTW", 4);
    CHECK_EQ(w.struct_version, 0);
    CHECK(w.topicName.cstring == NULL && w.message.cstring == NULL);
    CHECK_EQ(w.retained, 0);
    CHECK_EQ(w.qos, 0);
    CHECK(s.cstring == NULL && s.lenstring.data == NULL && s.lenstring.len == 0);
}

TEST(enums_match_paho)
{
    CHECK_EQ(MQTTPACKET_BUFFER_TOO_SHORT, -2);
    CHECK_EQ(MQTTPACKET_READ_ERROR, -1);
    CHECK_EQ(MQTTPACKET_READ_COMPLETE, 0);
    CHECK_EQ(CONNECT, 1);
    CHECK_EQ(CONNACK, 2);
    CHECK_EQ(PUBLISH, 3);
    CHECK_EQ(PUBACK, 4);
    CHECK_EQ(PUBREC, 5);
    CHECK_EQ(PUBREL, 6);
    CHECK_EQ(PUBCOMP, 7);
    CHECK_EQ(SUBSCRIBE, 8);
    CHECK_EQ(SUBACK, 9);
    CHECK_EQ(UNSUBSCRIBE, 10);
    CHECK_EQ(UNSUBACK, 11);
    CHECK_EQ(PINGREQ, 12);
    CHECK_EQ(PINGRESP, 13);
    CHECK_EQ(DISCONNECT, 14);
    CHECK_EQ(MQTTCONNACK_CONNECTION_ACCEPTED, 0);
    CHECK_EQ(MQTTCONNACK_NOT_AUTHORIZED, 5);
    CHECK_EQ(paho_marker(), 7);
}

TEST(header_bitfields)
{
    MQTTHeader h;
    h.byte = 0x3D;  /* PUBLISH, DUP, QoS 2, RETAIN */
    CHECK_EQ(h.bits.type, PUBLISH);
    CHECK_EQ(h.bits.dup, 1);
    CHECK_EQ(h.bits.qos, 2);
    CHECK_EQ(h.bits.retain, 1);
    h.byte = 0;
    h.bits.type = SUBSCRIBE;
    h.bits.qos = 1;
    CHECK_EQ(h.byte, 0x82);
}

TEST(connect_and_connack_flag_bitfields)
{
    MQTTConnectFlags f;
    MQTTConnackFlags a;
    f.all = 0xD4;   /* user, password, will QoS 2, will, not clean */
    CHECK_EQ(f.bits.username, 1);
    CHECK_EQ(f.bits.password, 1);
    CHECK_EQ(f.bits.willRetain, 0);
    CHECK_EQ(f.bits.willQoS, 2);
    CHECK_EQ(f.bits.will, 1);
    CHECK_EQ(f.bits.cleansession, 0);
    f.all = 0;
    f.bits.cleansession = 1;
    f.bits.willRetain = 1;
    CHECK_EQ(f.all, 0x22);
    a.all = 0x01;
    CHECK_EQ(a.bits.sessionpresent, 1);
    CHECK_EQ(a.bits.reserved, 0);
}

/* ---- CONNECT ---- */

TEST(connect_v311_minimal)
{
    static const unsigned char want[] = {
        0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x14,
        0x00, 0x02, 'm', 'e'
    };
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    d.clientID.cstring = "me";
    d.keepAliveInterval = 20;
    CHECK_SERIALIZED(want, MQTTSerialize_connect(SB, SL, &d));
}

TEST(connect_v311_will_user_password)
{
    static const unsigned char want[] = {
        0x10, 0x20, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xD4, 0x01, 0x2C,
        0x00, 0x02, 'i', 'd',
        0x00, 0x01, 't',
        0x00, 0x01, 'm',
        0x00, 0x04, 'u', 's', 'e', 'r',
        0x00, 0x04, 'p', 'a', 's', 's'
    };
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    d.clientID.cstring = "id";
    d.keepAliveInterval = 300;
    d.cleansession = 0;
    d.willFlag = 1;
    d.will.topicName.cstring = "t";
    d.will.message.cstring = "m";
    d.will.qos = 2;
    d.username.cstring = "user";
    d.password.cstring = "pass";
    CHECK_SERIALIZED(want, MQTTSerialize_connect(SB, SL, &d));
}

TEST(connect_v31_minimal)
{
    static const unsigned char want[] = {
        0x10, 0x10, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x0A,
        0x00, 0x02, 'c', '1'
    };
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    d.MQTTVersion = 3;
    d.clientID.cstring = "c1";
    d.keepAliveInterval = 10;
    CHECK_SERIALIZED(want, MQTTSerialize_connect(SB, SL, &d));
}

TEST(connect_v31_will_user_password)
{
    static const unsigned char want[] = {
        0x10, 0x21, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0xEE, 0x00, 0x3C,
        0x00, 0x02, 'c', '1',
        0x00, 0x03, 'w', '/', 't',
        0x00, 0x03, 'b', 'y', 'e',
        0x00, 0x01, 'u',
        0x00, 0x02, 'p', 'w'
    };
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    d.MQTTVersion = 3;
    d.clientID.cstring = "c1";
    d.willFlag = 1;
    d.will.topicName.cstring = "w/t";
    d.will.message.cstring = "bye";
    d.will.qos = 1;
    d.will.retained = 1;
    d.username.cstring = "u";
    d.password.cstring = "pw";
    CHECK_SERIALIZED(want, MQTTSerialize_connect(SB, SL, &d));
}

TEST(connect_lenstring_fields_and_binary_password)
{
    /* lenstrings need no NUL; the password is binary data and may hold 0x00 */
    static const char id[] = { 'i', 'd', 'X' };
    static const char pw[] = { 0x00, (char)0xFF };
    static const unsigned char want[] = {
        0x10, 0x14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xC2, 0x00, 0x3C,
        0x00, 0x02, 'i', 'd',
        0x00, 0x00,
        0x00, 0x02, 0x00, 0xFF
    };
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    d.clientID = lstr(id, 2);
    d.username = lstr("", 0);   /* present (data != NULL) but empty */
    d.password = lstr(pw, 2);
    CHECK_SERIALIZED(want, MQTTSerialize_connect(SB, SL, &d));
}

TEST(connect_rejects_invalid_options)
{
    unsigned char buf[128];
    MQTTPacket_connectData good = MQTTPacket_connectData_initializer, d;
    good.clientID.cstring = "me";
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &good), 16);

    d = good; d.MQTTVersion = 5;                    /* no 5.0 in this API */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.MQTTVersion = 2;
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.willFlag = 1; d.will.topicName.cstring = "t"; d.will.qos = 3;
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.willFlag = 1; d.will.topicName.cstring = "t"; d.will.qos = -1;
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.willFlag = 1; d.will.topicName.cstring = "a/+";   /* will topic is a topic name */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.willFlag = 1;                                      /* will without a topic */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.password.cstring = "secret";                       /* password without user name */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.clientID.cstring = ""; d.cleansession = 0;         /* 3.1.1: empty id needs clean session */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.clientID.cstring = "\xC0\x80";                     /* overlong NUL: not UTF-8 */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.clientID.cstring = NULL; d.clientID.lenstring.len = -1;
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.clientID.cstring = NULL; d.clientID.lenstring.len = 4;   /* length without data */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    d = good; d.MQTTVersion = 3; d.clientID.cstring = "abcdefghijklmnopqrstuvwx"; /* 24 > 23 in 3.1 */
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, &d), 0);
    CHECK_EQ(MQTTSerialize_connect(NULL, 100, &good), 0);
    CHECK_EQ(MQTTSerialize_connect(buf, sizeof buf, NULL), 0);
    CHECK_EQ(MQTTSerialize_connect(buf, -5, &good), MQTTPACKET_BUFFER_TOO_SHORT);
}

TEST(connect_deserialize_v311)
{
    static const unsigned char in[] = {
        0x10, 0x20, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xD4, 0x01, 0x2C,
        0x00, 0x02, 'i', 'd',
        0x00, 0x01, 't',
        0x00, 0x01, 'm',
        0x00, 0x04, 'u', 's', 'e', 'r',
        0x00, 0x04, 'p', 'a', 's', 's'
    };
    unsigned char buf[sizeof in];
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof buf), 1);
    CHECK_EQ(d.MQTTVersion, 4);
    CHECK_EQ(d.keepAliveInterval, 300);
    CHECK_EQ(d.cleansession, 0);
    CHECK_EQ(d.willFlag, 1);
    CHECK_EQ(d.will.qos, 2);
    CHECK_EQ(d.will.retained, 0);
    CHECK(d.clientID.cstring == NULL);
    CHECK(d.clientID.lenstring.data == (char *)buf + 14);   /* a view into buf */
    CHECK(MQTTPacket_equals(&d.clientID, "id"));
    CHECK(MQTTPacket_equals(&d.will.topicName, "t"));
    CHECK(MQTTPacket_equals(&d.will.message, "m"));
    CHECK(MQTTPacket_equals(&d.username, "user"));
    CHECK(MQTTPacket_equals(&d.password, "pass"));
}

TEST(connect_deserialize_v31_without_optional_fields)
{
    static const unsigned char in[] = {
        0x10, 0x10, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x0A,
        0x00, 0x02, 'c', '1'
    };
    unsigned char buf[sizeof in];
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;
    d.username.cstring = "stale";   /* absent fields are reset */
    d.willFlag = 1;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof buf), 1);
    CHECK_EQ(d.MQTTVersion, 3);
    CHECK_EQ(d.keepAliveInterval, 10);
    CHECK_EQ(d.cleansession, 1);
    CHECK_EQ(d.willFlag, 0);
    CHECK(MQTTPacket_equals(&d.clientID, "c1"));
    CHECK(d.username.cstring == NULL && d.username.lenstring.data == NULL);
    CHECK(d.password.cstring == NULL && d.password.lenstring.data == NULL);
    CHECK(d.will.topicName.lenstring.data == NULL);
}

TEST(connect_deserialize_rejects_v5_and_lies)
{
    /* a valid 5.0 CONNECT: this struct has no room for properties */
    static const unsigned char v5[] = {
        0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x00,
        0x00, 0x01, 'x'
    };
    /* client id length 0x20 runs past the packet */
    static const unsigned char lying_id[] = {
        0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x14,
        0x00, 0x20, 'm', 'e'
    };
    /* password flag without user name flag (forbidden in 3.1.1) */
    static const unsigned char pw_only[] = {
        0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x42, 0x00, 0x14,
        0x00, 0x02, 'm', 'e', 0x00, 0x02, 'p', 'w'
    };
    /* will QoS without the will flag */
    static const unsigned char will_qos[] = {
        0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x0A, 0x00, 0x14,
        0x00, 0x02, 'm', 'e'
    };
    /* reserved flag bit 0 set */
    static const unsigned char reserved[] = {
        0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x14,
        0x00, 0x02, 'm', 'e'
    };
    /* protocol name "MQTT" with level 3 */
    static const unsigned char mismatch[] = {
        0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x03, 0x02, 0x00, 0x14,
        0x00, 0x02, 'm', 'e'
    };
    unsigned char buf[32];
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;

    LOAD(buf, v5);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof v5), 0);
    LOAD(buf, lying_id);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof lying_id), 0);
    LOAD(buf, pw_only);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof pw_only), 0);
    LOAD(buf, will_qos);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof will_qos), 0);
    LOAD(buf, reserved);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof reserved), 0);
    LOAD(buf, mismatch);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof mismatch), 0);
    /* the outputs were never touched */
    CHECK_EQ(d.MQTTVersion, 4);
    CHECK_EQ(d.keepAliveInterval, 60);
    CHECK(d.clientID.lenstring.data == NULL);
}

/* ---- CONNACK, DISCONNECT, PINGREQ ---- */

TEST(connack_serialize)
{
    static const unsigned char accepted_sp[] = { 0x20, 0x02, 0x01, 0x00 };
    static const unsigned char not_authorized[] = { 0x20, 0x02, 0x00, 0x05 };
    unsigned char buf[8];
    CHECK_SERIALIZED(accepted_sp, MQTTSerialize_connack(SB, SL, 0, 1));
    CHECK_SERIALIZED(not_authorized, MQTTSerialize_connack(SB, SL, MQTTCONNACK_NOT_AUTHORIZED, 0));
    CHECK_EQ(MQTTSerialize_connack(buf, sizeof buf, 6, 0), 0);      /* no return code 6 in 3.x */
}

TEST(connack_deserialize)
{
    static const unsigned char sp[] = { 0x20, 0x02, 0x01, 0x00 };
    static const unsigned char refused[] = { 0x20, 0x02, 0x00, 0x04 };
    unsigned char buf[8];
    unsigned char present = 9, rc = 9;

    LOAD(buf, sp);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof sp), 1);
    CHECK_EQ(present, 1);
    CHECK_EQ(rc, 0);
    LOAD(buf, refused);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof buf), 1);  /* buflen past the packet is fine */
    CHECK_EQ(present, 0);
    CHECK_EQ(rc, MQTTCONNACK_BAD_USERNAME_OR_PASSWORD);
}

TEST(connack_deserialize_rejects)
{
    static const unsigned char reserved_bits[] = { 0x20, 0x02, 0x02, 0x00 };
    static const unsigned char bad_rc[] = { 0x20, 0x02, 0x00, 0x06 };
    static const unsigned char trailing[] = { 0x20, 0x03, 0x00, 0x00, 0x00 };
    static const unsigned char truncated[] = { 0x20, 0x02, 0x00 };
    static const unsigned char flags[] = { 0x21, 0x02, 0x00, 0x00 };
    static const unsigned char suback[] = { 0x90, 0x03, 0x00, 0x01, 0x00 };
    unsigned char buf[8];
    unsigned char present = 7, rc = 7;

    LOAD(buf, reserved_bits);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof reserved_bits), 0);
    LOAD(buf, bad_rc);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof bad_rc), 0);
    LOAD(buf, trailing);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof trailing), 0);
    LOAD(buf, truncated);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof truncated), 0);
    LOAD(buf, flags);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof flags), 0);
    LOAD(buf, suback);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, buf, sizeof suback), 0);
    CHECK_EQ(MQTTDeserialize_connack(&present, &rc, NULL, 4), 0);
    CHECK_EQ(present, 7);
    CHECK_EQ(rc, 7);
}

TEST(disconnect_and_pingreq)
{
    static const unsigned char disconnect[] = { 0xE0, 0x00 };
    static const unsigned char pingreq[] = { 0xC0, 0x00 };
    static const unsigned char not_disconnect[] = { 0xC0, 0x00 };
    static const unsigned char bad_flags[] = { 0xE1, 0x00 };
    static const unsigned char with_body[] = { 0xE0, 0x01, 0x00 };
    unsigned char buf[4];

    CHECK_SERIALIZED(disconnect, MQTTSerialize_disconnect(SB, SL));
    CHECK_SERIALIZED(pingreq, MQTTSerialize_pingreq(SB, SL));
    LOAD(buf, disconnect);
    CHECK_EQ(MQTTDeserialize_disconnect(buf, 2), 1);
    LOAD(buf, not_disconnect);
    CHECK_EQ(MQTTDeserialize_disconnect(buf, 2), 0);
    LOAD(buf, bad_flags);
    CHECK_EQ(MQTTDeserialize_disconnect(buf, 2), 0);
    LOAD(buf, with_body);
    CHECK_EQ(MQTTDeserialize_disconnect(buf, 3), 0);
    LOAD(buf, disconnect);
    CHECK_EQ(MQTTDeserialize_disconnect(buf, 1), 0);
}

/* ---- PUBLISH ---- */

TEST(publish_qos0)
{
    static const unsigned char want[] = { 0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };
    unsigned char payload[] = "hi";
    CHECK_SERIALIZED(want, MQTTSerialize_publish(SB, SL, 0, 0, 0, 0, cstr("a/b"), payload, 2));
    /* Paho ignores the packet id at QoS 0; so do we */
    CHECK_SERIALIZED(want, MQTTSerialize_publish(SB, SL, 0, 0, 0, 77, cstr("a/b"), payload, 2));
}

TEST(publish_qos1_retained)
{
    static const unsigned char want[] = {
        0x33, 0x0C, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'e', 'l', 'l', 'o'
    };
    unsigned char payload[] = "hello";
    CHECK_SERIALIZED(want, MQTTSerialize_publish(SB, SL, 0, 1, 1, 10, cstr("a/b"), payload, 5));
}

TEST(publish_qos2_dup_empty_payload)
{
    static const unsigned char want[] = { 0x3C, 0x05, 0x00, 0x01, 't', 0x12, 0x34 };
    CHECK_SERIALIZED(want, MQTTSerialize_publish(SB, SL, 1, 2, 0, 0x1234, cstr("t"), NULL, 0));
}

TEST(publish_two_byte_remaining_length)
{
    /* 200-byte payload: remaining length 2 + 1 + 200 = 203 = 0xCB 0x01 */
    unsigned char payload[200];
    unsigned char want[206];
    memset(payload, 'x', sizeof payload);
    want[0] = 0x30; want[1] = 0xCB; want[2] = 0x01; want[3] = 0x00; want[4] = 0x01; want[5] = 'q';
    memcpy(want + 6, payload, sizeof payload);
    CHECK_SERIALIZED(want, MQTTSerialize_publish(SB, SL, 0, 0, 0, 0, cstr("q"), payload, 200));
}

TEST(publish_serialize_rejects)
{
    unsigned char buf[64];
    unsigned char p[] = "x";
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr("a/b"), p, 1), 8);
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 3, 0, 1, cstr("a/b"), p, 1), 0);   /* QoS 3 */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, -1, 0, 1, cstr("a/b"), p, 1), 0);
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 259, 0, 1, cstr("a/b"), p, 1), 0);  /* not truncated to 3 or 1 */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 1, 0, 0, 0, cstr("a/b"), p, 1), 0);   /* DUP at QoS 0 */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 1, 0, 0, cstr("a/b"), p, 1), 0);   /* id 0 */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr("a/+"), p, 1), 0);   /* wildcards */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr("a/#"), p, 1), 0);
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr(""), p, 1), 0);      /* empty topic */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr("a\xFF"), p, 1), 0); /* not UTF-8 */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, lstr("a\0b", 3), p, 1), 0); /* U+0000 */
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr("a/b"), p, -1), 0);
    CHECK_EQ(MQTTSerialize_publish(buf, sizeof buf, 0, 0, 0, 0, cstr("a/b"), NULL, 1), 0);
    CHECK_EQ(MQTTSerialize_publish(NULL, 64, 0, 0, 0, 0, cstr("a/b"), p, 1), 0);
}

TEST(publish_deserialize_qos0)
{
    static const unsigned char in[] = { 0x31, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };
    unsigned char buf[sizeof in];
    unsigned char dup = 9, retained = 9, *payload = NULL;
    int qos = 9, payloadlen = -1;
    unsigned short id = 99;
    MQTTString topic = MQTTString_initializer;

    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &retained, &id, &topic, &payload, &payloadlen,
                                     buf, sizeof buf), 1);
    CHECK_EQ(dup, 0);
    CHECK_EQ(qos, 0);
    CHECK_EQ(retained, 1);
    CHECK_EQ(id, 0);
    CHECK(topic.cstring == NULL);
    CHECK(topic.lenstring.data == (char *)buf + 4);
    CHECK_EQ(topic.lenstring.len, 3);
    CHECK(payload == buf + 7);
    CHECK_EQ(payloadlen, 2);
    CHECK_MEM(payload, payloadlen, "hi", 2);
}

TEST(publish_deserialize_qos1_qos2)
{
    static const unsigned char q1[] = {
        0x33, 0x0C, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'e', 'l', 'l', 'o'
    };
    static const unsigned char q2[] = { 0x3C, 0x05, 0x00, 0x01, 't', 0x12, 0x34 };
    unsigned char buf[32];
    unsigned char dup, retained, *payload;
    int qos, payloadlen;
    unsigned short id;
    MQTTString topic;

    LOAD(buf, q1);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &retained, &id, &topic, &payload, &payloadlen,
                                     buf, sizeof q1), 1);
    CHECK_EQ(qos, 1);
    CHECK_EQ(retained, 1);
    CHECK_EQ(dup, 0);
    CHECK_EQ(id, 10);
    CHECK(MQTTPacket_equals(&topic, "a/b"));
    CHECK_MEM(payload, payloadlen, "hello", 5);

    LOAD(buf, q2);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &retained, &id, &topic, &payload, &payloadlen,
                                     buf, sizeof q2), 1);
    CHECK_EQ(qos, 2);
    CHECK_EQ(dup, 1);
    CHECK_EQ(retained, 0);
    CHECK_EQ(id, 0x1234);
    CHECK(MQTTPacket_equals(&topic, "t"));
    CHECK_EQ(payloadlen, 0);
    CHECK(payload == buf + sizeof q2);    /* an empty payload points just past the packet */
}

/* ---- acknowledgements ---- */

TEST(acks_serialize)
{
    static const unsigned char puback[] = { 0x40, 0x02, 0x00, 0x0A };
    static const unsigned char pubrec[] = { 0x50, 0x02, 0x12, 0x34 };
    static const unsigned char pubrel[] = { 0x62, 0x02, 0x12, 0x34 };
    static const unsigned char pubcomp[] = { 0x70, 0x02, 0xFF, 0xFF };
    static const unsigned char unsuback[] = { 0xB0, 0x02, 0x00, 0x02 };
    CHECK_SERIALIZED(puback, MQTTSerialize_puback(SB, SL, 10));
    CHECK_SERIALIZED(puback, MQTTSerialize_ack(SB, SL, PUBACK, 0, 10));
    CHECK_SERIALIZED(pubrec, MQTTSerialize_ack(SB, SL, PUBREC, 0, 0x1234));
    CHECK_SERIALIZED(pubrel, MQTTSerialize_pubrel(SB, SL, 0, 0x1234));
    CHECK_SERIALIZED(pubrel, MQTTSerialize_ack(SB, SL, PUBREL, 0, 0x1234));
    CHECK_SERIALIZED(pubcomp, MQTTSerialize_pubcomp(SB, SL, 0xFFFF));
    CHECK_SERIALIZED(unsuback, MQTTSerialize_unsuback(SB, SL, 2));
}

TEST(acks_serialize_rejects)
{
    unsigned char buf[8];
    CHECK_EQ(MQTTSerialize_puback(buf, sizeof buf, 0), 0);              /* packet id 0 */
    CHECK_EQ(MQTTSerialize_pubrel(buf, sizeof buf, 1, 5), 0);            /* DUP is reserved in 3.1.1 */
    CHECK_EQ(MQTTSerialize_ack(buf, sizeof buf, PUBACK, 1, 5), 0);
    CHECK_EQ(MQTTSerialize_ack(buf, sizeof buf, SUBACK, 0, 5), 0);       /* not an id-only packet */
    CHECK_EQ(MQTTSerialize_ack(buf, sizeof buf, PUBLISH, 0, 5), 0);
    CHECK_EQ(MQTTSerialize_ack(buf, sizeof buf, 0, 0, 5), 0);
    CHECK_EQ(MQTTSerialize_ack(buf, sizeof buf, 15, 0, 5), 0);
    CHECK_EQ(MQTTSerialize_unsuback(buf, sizeof buf, 0), 0);
}

TEST(acks_deserialize)
{
    static const unsigned char in[][4] = {
        { 0x40, 0x02, 0x00, 0x0A }, { 0x50, 0x02, 0x12, 0x34 }, { 0x62, 0x02, 0x00, 0x01 },
        { 0x70, 0x02, 0xFF, 0xFF }, { 0xB0, 0x02, 0x00, 0x02 }
    };
    static const unsigned char types[] = { PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK };
    static const unsigned short ids[] = { 10, 0x1234, 1, 0xFFFF, 2 };
    unsigned i;
    for (i = 0; i < sizeof types; i++) {
        unsigned char buf[4], type = 0, dup = 9;
        unsigned short id = 0;
        LOAD(buf, in[i]);
        CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, 4), 1);
        CHECK_EQ(type, types[i]);
        CHECK_EQ(dup, 0);
        CHECK_EQ(id, ids[i]);
    }
}

TEST(acks_deserialize_rejects)
{
    static const unsigned char pubrel_flags[] = { 0x60, 0x02, 0x00, 0x01 };   /* PUBREL needs 0x62 */
    static const unsigned char puback_flags[] = { 0x42, 0x02, 0x00, 0x01 };
    static const unsigned char extra[] = { 0x40, 0x03, 0x00, 0x0A, 0x00 };     /* a 5.0 reason code */
    static const unsigned char short_id[] = { 0x40, 0x01, 0x00 };
    static const unsigned char id0[] = { 0x40, 0x02, 0x00, 0x00 };
    static const unsigned char truncated[] = { 0x40, 0x02, 0x00 };
    static const unsigned char suback[] = { 0x90, 0x03, 0x00, 0x01, 0x00 };
    static const unsigned char pingresp[] = { 0xD0, 0x00 };
    unsigned char buf[8], type = 42, dup = 42;
    unsigned short id = 42;

    LOAD(buf, pubrel_flags);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof pubrel_flags), 0);
    LOAD(buf, puback_flags);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof puback_flags), 0);
    LOAD(buf, extra);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof extra), 0);
    LOAD(buf, short_id);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof short_id), 0);
    LOAD(buf, id0);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof id0), 0);
    LOAD(buf, truncated);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof truncated), 0);
    LOAD(buf, suback);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof suback), 0);
    LOAD(buf, pingresp);
    CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, sizeof pingresp), 0);
    CHECK_EQ(type, 42);
    CHECK_EQ(dup, 42);
    CHECK_EQ(id, 42);
}

/* ---- SUBSCRIBE, SUBACK ---- */

TEST(subscribe_serialize)
{
    static const unsigned char want[] = {
        0x82, 0x0C, 0x00, 0x01, 0x00, 0x03, 'a', '/', '+', 0x01, 0x00, 0x01, '#', 0x00
    };
    MQTTString filters[2];
    int qos[2] = { 1, 0 };
    filters[0] = cstr("a/+");
    filters[1] = lstr("#", 1);
    CHECK_SERIALIZED(want, MQTTSerialize_subscribe(SB, SL, 0, 1, 2, filters, qos));
}

TEST(subscribe_serialize_rejects)
{
    unsigned char buf[600];
    MQTTString f[MQTTPACKET_MAX_FILTERS + 1];
    int qos[MQTTPACKET_MAX_FILTERS + 1];
    int i;
    for (i = 0; i <= MQTTPACKET_MAX_FILTERS; i++) {
        f[i] = cstr("x");
        qos[i] = 0;
    }
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, MQTTPACKET_MAX_FILTERS, f, qos),
             2 + 2 + 4 * MQTTPACKET_MAX_FILTERS);
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, MQTTPACKET_MAX_FILTERS + 1, f, qos), 0);
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 0, f, qos), 0);      /* no filters */
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, -1, f, qos), 0);
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 0, 1, f, qos), 0);      /* packet id 0 */
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 1, 1, 1, f, qos), 0);      /* DUP reserved */
    qos[0] = 3;
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, f, qos), 0);
    qos[0] = 4;     /* would be the 5.0 no-local bit */
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, f, qos), 0);
    qos[0] = 256;   /* must not wrap to 0 */
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, f, qos), 0);
    qos[0] = 0;
    f[0] = cstr("a/#/b");
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, f, qos), 0);
    f[0] = cstr("a+");
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, f, qos), 0);
    f[0] = cstr("");
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, f, qos), 0);
    CHECK_EQ(MQTTSerialize_subscribe(buf, sizeof buf, 0, 1, 1, NULL, qos), 0);
}

TEST(suback_deserialize)
{
    static const unsigned char in[] = { 0x90, 0x05, 0x00, 0x07, 0x01, 0x80, 0x02 };
    unsigned char buf[sizeof in];
    int granted[4] = { -1, -1, -1, -1 }, count = -1;
    unsigned short id = 0;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_suback(&id, 4, &count, granted, buf, sizeof buf), 1);
    CHECK_EQ(id, 7);
    CHECK_EQ(count, 3);
    CHECK_EQ(granted[0], 1);
    CHECK_EQ(granted[1], 0x80);
    CHECK_EQ(granted[2], 2);
    CHECK_EQ(granted[3], -1);
}

TEST(suback_deserialize_rejects)
{
    static const unsigned char bad_code[] = { 0x90, 0x03, 0x00, 0x01, 0x03 };
    static const unsigned char no_codes[] = { 0x90, 0x02, 0x00, 0x01 };
    static const unsigned char flags[] = { 0x92, 0x03, 0x00, 0x01, 0x00 };
    static const unsigned char id0[] = { 0x90, 0x03, 0x00, 0x00, 0x00 };
    static const unsigned char puback[] = { 0x40, 0x02, 0x00, 0x01 };
    unsigned char buf[8];
    int granted[2] = { -1, -1 }, count = -1;
    unsigned short id = 99;

    LOAD(buf, bad_code);
    CHECK_EQ(MQTTDeserialize_suback(&id, 2, &count, granted, buf, sizeof bad_code), 0);
    LOAD(buf, no_codes);
    CHECK_EQ(MQTTDeserialize_suback(&id, 2, &count, granted, buf, sizeof no_codes), 0);
    LOAD(buf, flags);
    CHECK_EQ(MQTTDeserialize_suback(&id, 2, &count, granted, buf, sizeof flags), 0);
    LOAD(buf, id0);
    CHECK_EQ(MQTTDeserialize_suback(&id, 2, &count, granted, buf, sizeof id0), 0);
    LOAD(buf, puback);
    CHECK_EQ(MQTTDeserialize_suback(&id, 2, &count, granted, buf, sizeof puback), 0);
    CHECK_EQ(id, 99);
    CHECK_EQ(count, -1);
    CHECK_EQ(granted[0], -1);
}

TEST(suback_serialize)
{
    static const unsigned char want[] = { 0x90, 0x05, 0x00, 0x07, 0x01, 0x80, 0x02 };
    unsigned char buf[16];
    int granted[3] = { 1, 0x80, 2 };
    int bad[1] = { 3 };
    int wraps[1] = { 256 + 1 };
    CHECK_SERIALIZED(want, MQTTSerialize_suback(SB, SL, 7, 3, granted));
    CHECK_EQ(MQTTSerialize_suback(buf, sizeof buf, 7, 1, bad), 0);
    CHECK_EQ(MQTTSerialize_suback(buf, sizeof buf, 7, 1, wraps), 0);
    CHECK_EQ(MQTTSerialize_suback(buf, sizeof buf, 7, 0, granted), 0);
    CHECK_EQ(MQTTSerialize_suback(buf, sizeof buf, 0, 1, granted), 0);
}

TEST(subscribe_deserialize)
{
    static const unsigned char in[] = {
        0x82, 0x0C, 0x00, 0x01, 0x00, 0x03, 'a', '/', '+', 0x01, 0x00, 0x01, '#', 0x02
    };
    unsigned char buf[sizeof in];
    unsigned char dup = 9;
    unsigned short id = 0;
    int count = -1, qos[3] = { -1, -1, -1 };
    MQTTString f[3];

    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 3, &count, f, qos, buf, sizeof buf), 1);
    CHECK_EQ(dup, 0);
    CHECK_EQ(id, 1);
    CHECK_EQ(count, 2);
    CHECK(MQTTPacket_equals(&f[0], "a/+"));
    CHECK(f[0].lenstring.data == (char *)buf + 6);
    CHECK(MQTTPacket_equals(&f[1], "#"));
    CHECK_EQ(qos[0], 1);
    CHECK_EQ(qos[1], 2);
    CHECK_EQ(qos[2], -1);
}

TEST(subscribe_deserialize_rejects)
{
    static const unsigned char two[] = {
        0x82, 0x0C, 0x00, 0x01, 0x00, 0x03, 'a', '/', '+', 0x01, 0x00, 0x01, '#', 0x02
    };
    static const unsigned char qos3[] = { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x03 };
    static const unsigned char reserved[] = { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x41 };
    static const unsigned char flags0[] = { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00 };
    static const unsigned char no_qos[] = { 0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a' };
    static const unsigned char bad_filter[] = { 0x82, 0x07, 0x00, 0x01, 0x00, 0x02, '#', 'a', 0x00 };
    static const unsigned char empty[] = { 0x82, 0x02, 0x00, 0x01 };
    unsigned char buf[16];
    unsigned char dup = 9;
    unsigned short id = 9;
    int count = -1, qos[2] = { -1, -1 };
    MQTTString f[2];
    memset(f, 0xAA, sizeof f);

    LOAD(buf, two);     /* two filters, room for one */
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 1, &count, f, qos, buf, sizeof two), 0);
    CHECK_EQ(qos[0], -1);
    LOAD(buf, qos3);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 2, &count, f, qos, buf, sizeof qos3), 0);
    LOAD(buf, reserved);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 2, &count, f, qos, buf, sizeof reserved), 0);
    LOAD(buf, flags0);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 2, &count, f, qos, buf, sizeof flags0), 0);
    LOAD(buf, no_qos);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 2, &count, f, qos, buf, sizeof no_qos), 0);
    LOAD(buf, bad_filter);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 2, &count, f, qos, buf, sizeof bad_filter), 0);
    LOAD(buf, empty);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 2, &count, f, qos, buf, sizeof empty), 0);
    CHECK_EQ(count, -1);
    CHECK_EQ(id, 9);
    CHECK_EQ(qos[0], -1);
    CHECK_EQ(qos[1], -1);
}

/* ---- UNSUBSCRIBE, UNSUBACK ---- */

TEST(unsubscribe_serialize)
{
    static const unsigned char want[] = {
        0xA2, 0x0A, 0x00, 0x02, 0x00, 0x03, 'a', '/', '+', 0x00, 0x01, '#'
    };
    unsigned char buf[32];
    MQTTString f[2];
    f[0] = cstr("a/+");
    f[1] = cstr("#");
    CHECK_SERIALIZED(want, MQTTSerialize_unsubscribe(SB, SL, 0, 2, 2, f));
    CHECK_EQ(MQTTSerialize_unsubscribe(buf, sizeof buf, 0, 2, 0, f), 0);
    CHECK_EQ(MQTTSerialize_unsubscribe(buf, sizeof buf, 0, 0, 2, f), 0);
    CHECK_EQ(MQTTSerialize_unsubscribe(buf, sizeof buf, 1, 2, 2, f), 0);
    f[1] = cstr("#/a");
    CHECK_EQ(MQTTSerialize_unsubscribe(buf, sizeof buf, 0, 2, 2, f), 0);
}

TEST(unsubscribe_deserialize)
{
    static const unsigned char in[] = {
        0xA2, 0x0A, 0x00, 0x02, 0x00, 0x03, 'a', '/', '+', 0x00, 0x01, '#'
    };
    static const unsigned char lying[] = { 0xA2, 0x06, 0x00, 0x02, 0x00, 0x09, 'a', '/' };
    static const unsigned char flags0[] = { 0xA0, 0x05, 0x00, 0x02, 0x00, 0x01, '#' };
    unsigned char buf[sizeof in];
    unsigned char dup = 9;
    unsigned short id = 0;
    int count = -1;
    MQTTString f[2];

    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_unsubscribe(&dup, &id, 1, &count, f, buf, sizeof buf), 0);  /* room for 1 */
    CHECK_EQ(count, -1);
    CHECK_EQ(MQTTDeserialize_unsubscribe(&dup, &id, 2, &count, f, buf, sizeof buf), 1);
    CHECK_EQ(dup, 0);
    CHECK_EQ(id, 2);
    CHECK_EQ(count, 2);
    CHECK(MQTTPacket_equals(&f[0], "a/+"));
    CHECK(MQTTPacket_equals(&f[1], "#"));
    count = -1;
    LOAD(buf, lying);
    CHECK_EQ(MQTTDeserialize_unsubscribe(&dup, &id, 2, &count, f, buf, sizeof lying), 0);
    LOAD(buf, flags0);
    CHECK_EQ(MQTTDeserialize_unsubscribe(&dup, &id, 2, &count, f, buf, sizeof flags0), 0);
    CHECK_EQ(count, -1);
}

TEST(unsuback_deserialize)
{
    static const unsigned char in[] = { 0xB0, 0x02, 0x00, 0x05 };
    static const unsigned char puback[] = { 0x40, 0x02, 0x00, 0x05 };
    static const unsigned char v5ish[] = { 0xB0, 0x03, 0x00, 0x05, 0x00 };
    unsigned char buf[8];
    unsigned short id = 0;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_unsuback(&id, buf, sizeof in), 1);
    CHECK_EQ(id, 5);
    id = 0;
    LOAD(buf, puback);
    CHECK_EQ(MQTTDeserialize_unsuback(&id, buf, sizeof puback), 0);
    LOAD(buf, v5ish);
    CHECK_EQ(MQTTDeserialize_unsuback(&id, buf, sizeof v5ish), 0);
    CHECK_EQ(id, 0);
}

/* ---- round trips, client side <-> broker side ---- */

TEST(roundtrip_connect_v311_and_v31)
{
    unsigned version;
    for (version = 3; version <= 4; version++) {
        unsigned char a[128], b[128];
        int la, lb;
        MQTTPacket_connectData out = MQTTPacket_connectData_initializer;
        MQTTPacket_connectData in = MQTTPacket_connectData_initializer;
        out.MQTTVersion = (unsigned char)version;
        out.clientID.cstring = "device-7";
        out.keepAliveInterval = 0xABCD;
        out.cleansession = 0;
        out.willFlag = 1;
        out.will.topicName.cstring = "dev/7/status";
        out.will.message.cstring = "offline";
        out.will.qos = 1;
        out.will.retained = 1;
        out.username.cstring = "alice";
        out.password.cstring = "s3cret";
        la = MQTTSerialize_connect(a, sizeof a, &out);
        CHECK(la > 0);
        CHECK_EQ(MQTTDeserialize_connect(&in, a, la), 1);
        CHECK_EQ(in.MQTTVersion, version);
        CHECK(MQTTPacket_equals(&in.clientID, "device-7"));
        CHECK_EQ(in.keepAliveInterval, 0xABCD);
        CHECK_EQ(in.cleansession, 0);
        CHECK_EQ(in.willFlag, 1);
        CHECK(MQTTPacket_equals(&in.will.topicName, "dev/7/status"));
        CHECK(MQTTPacket_equals(&in.will.message, "offline"));
        CHECK_EQ(in.will.qos, 1);
        CHECK_EQ(in.will.retained, 1);
        CHECK(MQTTPacket_equals(&in.username, "alice"));
        CHECK(MQTTPacket_equals(&in.password, "s3cret"));
        /* the decoded lenstrings serialize back to the same bytes */
        lb = MQTTSerialize_connect(b, sizeof b, &in);
        CHECK_MEM(b, lb, a, la);
    }
}

TEST(roundtrip_subscribe_suback)
{
    unsigned char buf[128], back[128];
    MQTTString out[3], in[3];
    int qos_out[3] = { 0, 1, 2 }, qos_in[3], granted[3] = { 0, 1, 0x80 }, got[3];
    int len, count, n;
    unsigned char dup;
    unsigned short id;

    out[0] = cstr("sensors/+/temp");
    out[1] = cstr("$SYS/#");
    out[2] = cstr("caf\xC3\xA9/x");    /* UTF-8 "café/x" */
    len = MQTTSerialize_subscribe(buf, sizeof buf, 0, 0x4242, 3, out, qos_out);
    CHECK(len > 0);
    CHECK_EQ(MQTTDeserialize_subscribe(&dup, &id, 3, &count, in, qos_in, buf, len), 1);
    CHECK_EQ(id, 0x4242);
    CHECK_EQ(count, 3);
    CHECK(MQTTPacket_equals(&in[0], "sensors/+/temp"));
    CHECK(MQTTPacket_equals(&in[1], "$SYS/#"));
    CHECK(MQTTPacket_equals(&in[2], "caf\xC3\xA9/x"));
    CHECK_EQ(qos_in[0], 0);
    CHECK_EQ(qos_in[1], 1);
    CHECK_EQ(qos_in[2], 2);
    n = MQTTSerialize_subscribe(back, sizeof back, 0, id, count, in, qos_in);
    CHECK_MEM(back, n, buf, len);

    len = MQTTSerialize_suback(buf, sizeof buf, id, count, granted);
    CHECK_EQ(len, 7);
    CHECK_EQ(MQTTDeserialize_suback(&id, 3, &count, got, buf, len), 1);
    CHECK_EQ(id, 0x4242);
    CHECK_EQ(count, 3);
    CHECK_EQ(got[0], 0);
    CHECK_EQ(got[1], 1);
    CHECK_EQ(got[2], 0x80);
}

TEST(roundtrip_unsubscribe_unsuback)
{
    unsigned char buf[64];
    MQTTString out[2], in[2];
    int len, count;
    unsigned char dup;
    unsigned short id;

    out[0] = cstr("a/b");
    out[1] = cstr("+/+");
    len = MQTTSerialize_unsubscribe(buf, sizeof buf, 0, 300, 2, out);
    CHECK_EQ(len, 2 + 2 + 5 + 5);
    CHECK_EQ(MQTTDeserialize_unsubscribe(&dup, &id, 2, &count, in, buf, len), 1);
    CHECK_EQ(id, 300);
    CHECK_EQ(count, 2);
    CHECK(MQTTPacket_equals(&in[0], "a/b"));
    CHECK(MQTTPacket_equals(&in[1], "+/+"));
    len = MQTTSerialize_unsuback(buf, sizeof buf, id);
    CHECK_EQ(len, 4);
    id = 0;
    CHECK_EQ(MQTTDeserialize_unsuback(&id, buf, len), 1);
    CHECK_EQ(id, 300);
}

TEST(roundtrip_publish_qos_flows)
{
    int qos;
    for (qos = 0; qos <= 2; qos++) {
        unsigned char buf[64], payload[] = { 0x00, 0x01, 0xFF }, dup, retained, *p, type;
        int q, plen, len;
        unsigned short id;
        MQTTString topic;

        len = MQTTSerialize_publish(buf, sizeof buf, 0, qos, 1, 500, cstr("x/y"), payload, 3);
        CHECK_EQ(len, 2 + 5 + (qos ? 2 : 0) + 3);
        CHECK_EQ(MQTTDeserialize_publish(&dup, &q, &retained, &id, &topic, &p, &plen, buf, len), 1);
        CHECK_EQ(q, qos);
        CHECK_EQ(retained, 1);
        CHECK_EQ(dup, 0);
        CHECK_EQ(id, qos ? 500 : 0);
        CHECK(MQTTPacket_equals(&topic, "x/y"));
        CHECK_MEM(p, plen, payload, 3);
        if (qos == 1) {
            len = MQTTSerialize_puback(buf, sizeof buf, id);
            CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, len), 1);
            CHECK_EQ(type, PUBACK);
            CHECK_EQ(id, 500);
        }
        if (qos == 2) {
            static const unsigned char flow[] = { PUBREC, PUBREL, PUBCOMP };
            unsigned i;
            for (i = 0; i < sizeof flow; i++) {
                len = MQTTSerialize_ack(buf, sizeof buf, flow[i], 0, 500);
                CHECK_EQ(len, 4);
                CHECK_EQ(MQTTDeserialize_ack(&type, &dup, &id, buf, len), 1);
                CHECK_EQ(type, flow[i]);
                CHECK_EQ(id, 500);
            }
        }
    }
}

/* ---- hostile input: where Paho reads out of bounds or accepts garbage ---- */

TEST(hostile_remaining_length_lies)
{
    /* each declares more bytes than the caller's buffer holds */
    static const unsigned char publish[] = { 0x30, 0x0A, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };
    static const unsigned char connack[] = { 0x20, 0x02, 0x00 };
    static const unsigned char suback[] = { 0x90, 0x7F, 0x00, 0x01, 0x00 };
    static const unsigned char connect[] = { 0x10, 0x7F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02 };
    unsigned char buf[16], dup, ret, *p, sp, rc;
    int qos, plen, count, granted[4];
    unsigned short id;
    MQTTString topic;
    MQTTPacket_connectData d = MQTTPacket_connectData_initializer;

    memset(buf, 0, sizeof buf);
    LOAD(buf, publish);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof publish), 0);
    LOAD(buf, connack);
    CHECK_EQ(MQTTDeserialize_connack(&sp, &rc, buf, sizeof connack), 0);
    LOAD(buf, suback);
    CHECK_EQ(MQTTDeserialize_suback(&id, 4, &count, granted, buf, sizeof suback), 0);
    LOAD(buf, connect);
    CHECK_EQ(MQTTDeserialize_connect(&d, buf, sizeof connect), 0);
    /* remaining length shorter than the fields: PUBLISH with no room for its packet id */
    {
        static const unsigned char short_pub[] = { 0x32, 0x05, 0x00, 0x03, 'a', '/', 'b' };
        LOAD(buf, short_pub);
        CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof buf), 0);
    }
}

TEST(hostile_five_byte_remaining_length)
{
    static const unsigned char in[] = { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x01, 'a' };
    unsigned char buf[sizeof in], dup, ret, *p, rbuf[64];
    int qos, plen, value = 77;
    unsigned short id;
    MQTTString topic;

    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof buf), 0);
    CHECK_EQ(MQTTPacket_decodeBuf(buf + 1, &value), MQTTPACKET_READ_ERROR);
    CHECK_EQ(value, 0);
    /* the reader stops after the fourth length byte: it never asks for a fifth */
    src_set(in, sizeof in, 1);
    CHECK_EQ(MQTTPacket_read(rbuf, sizeof rbuf, src_get), MQTTPACKET_READ_ERROR);
    CHECK_EQ(src.pos, 5);
}

TEST(hostile_publish_qos3)
{
    static const unsigned char in[] = { 0x36, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x01 };
    unsigned char buf[sizeof in], dup = 5, ret = 5, *p = NULL;
    int qos = 5, plen = 5;
    unsigned short id = 5;
    MQTTString topic = MQTTString_initializer;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof buf), 0);
    CHECK_EQ(qos, 5);   /* outputs untouched */
    CHECK_EQ(dup, 5);
    CHECK(p == NULL);
    src_set(in, sizeof in, 1);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), MQTTPACKET_READ_ERROR);
}

TEST(hostile_topic_length_past_packet)
{
    /* topic length 0x10 inside a 4-byte remaining length, then more bytes in the buffer */
    static const unsigned char in[] = {
        0x30, 0x04, 0x00, 0x10, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'
    };
    unsigned char buf[sizeof in], dup, ret, *p;
    int qos, plen;
    unsigned short id;
    MQTTString topic = MQTTString_initializer;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof buf), 0);
    CHECK(topic.lenstring.data == NULL);
}

TEST(hostile_more_suback_codes_than_maxcount)
{
    /* four codes; the caller has room for two (Paho writes past that) */
    static const unsigned char in[] = { 0x90, 0x06, 0x00, 0x01, 0x00, 0x01, 0x02, 0x80 };
    unsigned char buf[sizeof in];
    int granted[4] = { -1, -1, 0x5A5A, 0x5A5A }, count = -1;
    unsigned short id = 0;
    LOAD(buf, in);
    CHECK_EQ(MQTTDeserialize_suback(&id, 2, &count, granted, buf, sizeof buf), 0);
    CHECK_EQ(granted[0], -1);
    CHECK_EQ(granted[2], 0x5A5A);   /* nothing written past maxcount */
    CHECK_EQ(granted[3], 0x5A5A);
    CHECK_EQ(count, -1);
    CHECK_EQ(id, 0);
    CHECK_EQ(MQTTDeserialize_suback(&id, 0, &count, granted, buf, sizeof buf), 0);
    CHECK_EQ(MQTTDeserialize_suback(&id, -1, &count, granted, buf, sizeof buf), 0);
    /* with room for exactly four it succeeds */
    CHECK_EQ(MQTTDeserialize_suback(&id, 4, &count, granted, buf, sizeof buf), 1);
    CHECK_EQ(count, 4);
    CHECK_EQ(id, 1);
    CHECK_EQ(granted[0], 0);
    CHECK_EQ(granted[3], 0x80);
}

TEST(hostile_publish_deserialize_of_other_types)
{
    static const unsigned char puback[] = { 0x40, 0x02, 0x00, 0x01 };
    static const unsigned char connack[] = { 0x20, 0x02, 0x00, 0x00 };
    static const unsigned char reserved0[] = { 0x00, 0x02, 0x00, 0x01 };
    static const unsigned char auth[] = { 0xF0, 0x00 };
    unsigned char buf[8], dup = 3, ret = 3, *p = NULL;
    int qos = 3, plen = 3;
    unsigned short id = 3;
    MQTTString topic = MQTTString_initializer;

    LOAD(buf, puback);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof puback), 0);
    LOAD(buf, connack);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof connack), 0);
    LOAD(buf, reserved0);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof reserved0), 0);
    LOAD(buf, auth);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof auth), 0);
    CHECK_EQ(qos, 3);
    CHECK_EQ(id, 3);
    CHECK(p == NULL);
}

TEST(hostile_publish_garbage_fields)
{
    static const unsigned char wildcard[] = { 0x30, 0x05, 0x00, 0x03, 'a', '/', '#' };
    static const unsigned char bad_utf8[] = { 0x30, 0x05, 0x00, 0x03, 'a', 0xC0, 0x80 };
    static const unsigned char empty_topic[] = { 0x30, 0x03, 0x00, 0x00, 'x' };
    static const unsigned char dup_qos0[] = { 0x38, 0x04, 0x00, 0x01, 't', 'x' };
    static const unsigned char id0[] = { 0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00 };
    unsigned char buf[8], dup, ret, *p;
    int qos, plen;
    unsigned short id;
    MQTTString topic;

    LOAD(buf, wildcard);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof wildcard), 0);
    LOAD(buf, bad_utf8);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof bad_utf8), 0);
    LOAD(buf, empty_topic);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof empty_topic), 0);
    LOAD(buf, dup_qos0);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof dup_qos0), 0);
    LOAD(buf, id0);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, sizeof id0), 0);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, 0), 0);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, buf, -1), 0);
    CHECK_EQ(MQTTDeserialize_publish(&dup, &qos, &ret, &id, &topic, &p, &plen, NULL, 8), 0);
}

/* ---- remaining length helpers ---- */

TEST(remaining_length_encode)
{
    static const struct { int v; unsigned char b[4]; int n; } cases[] = {
        { 0, { 0x00 }, 1 }, { 127, { 0x7F }, 1 }, { 128, { 0x80, 0x01 }, 2 },
        { 16383, { 0xFF, 0x7F }, 2 }, { 16384, { 0x80, 0x80, 0x01 }, 3 },
        { 2097151, { 0xFF, 0xFF, 0x7F }, 3 }, { 2097152, { 0x80, 0x80, 0x80, 0x01 }, 4 },
        { 268435455, { 0xFF, 0xFF, 0xFF, 0x7F }, 4 }
    };
    unsigned i;
    unsigned char buf[8];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(buf, 0xAA, sizeof buf);
        CHECK_EQ(MQTTPacket_encode(buf, cases[i].v), cases[i].n);
        CHECK_MEM(buf, cases[i].n, cases[i].b, cases[i].n);
        CHECK(untouched(buf, cases[i].n, (int)sizeof buf));
    }
    memset(buf, 0xAA, sizeof buf);
    CHECK_EQ(MQTTPacket_encode(buf, 268435456), 0);
    CHECK_EQ(MQTTPacket_encode(buf, -1), 0);
    CHECK(untouched(buf, 0, (int)sizeof buf));
}

TEST(remaining_length_decode_buf)
{
    unsigned char one[] = { 0x7F, 0xEE }, two[] = { 0x80, 0x01 }, four[] = { 0xFF, 0xFF, 0xFF, 0x7F };
    unsigned char overlong[] = { 0x80, 0x00 };
    int value = -1;
    CHECK_EQ(MQTTPacket_decodeBuf(one, &value), 1);
    CHECK_EQ(value, 127);
    CHECK_EQ(MQTTPacket_decodeBuf(two, &value), 2);
    CHECK_EQ(value, 128);
    CHECK_EQ(MQTTPacket_decodeBuf(four, &value), 4);
    CHECK_EQ(value, 268435455);
    CHECK_EQ(MQTTPacket_decodeBuf(overlong, &value), MQTTPACKET_READ_ERROR);  /* not minimal */
    CHECK_EQ(value, 0);
}

TEST(remaining_length_decode_getchar)
{
    static const unsigned char three[] = { 0x80, 0x80, 0x01, 0x42 };
    static const unsigned char five[] = { 0x80, 0x80, 0x80, 0x80, 0x01 };
    static const unsigned char cut[] = { 0x80, 0x80 };
    int value = -1;
    src_set(three, sizeof three, 1);
    CHECK_EQ(MQTTPacket_decode(src_get, &value), 3);
    CHECK_EQ(value, 16384);
    CHECK_EQ(src.pos, 3);       /* stops at the last length byte */
    src_set(five, sizeof five, 1);
    CHECK_EQ(MQTTPacket_decode(src_get, &value), MQTTPACKET_READ_ERROR);
    CHECK_EQ(src.pos, 4);       /* never reads a fifth byte */
    CHECK_EQ(value, 0);
    src_set(cut, sizeof cut, 1);
    CHECK_EQ(MQTTPacket_decode(src_get, &value), MQTTPACKET_READ_ERROR);
}

TEST(packet_len)
{
    CHECK_EQ(MQTTPacket_len(0), 2);
    CHECK_EQ(MQTTPacket_len(2), 4);
    CHECK_EQ(MQTTPacket_len(126), 128);
    CHECK_EQ(MQTTPacket_len(127), 129);     /* Paho's own gives 130 here */
    CHECK_EQ(MQTTPacket_len(128), 131);
    CHECK_EQ(MQTTPacket_len(16383), 16386);
    CHECK_EQ(MQTTPacket_len(16384), 16388);
    CHECK_EQ(MQTTPacket_len(268435455), 268435460);
    CHECK_EQ(MQTTPacket_len(268435456), MQTTPACKET_READ_ERROR);
    CHECK_EQ(MQTTPacket_len(-1), MQTTPACKET_READ_ERROR);
}

/* ---- MQTTPacket_read / MQTTPacket_readnb ---- */

TEST(read_one_byte_per_call)
{
    static const unsigned char stream[] = {
        0x20, 0x02, 0x00, 0x00,                                     /* CONNACK */
        0x90, 0x03, 0x00, 0x01, 0x01,                               /* SUBACK */
        0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i',            /* PUBLISH */
        0xD0, 0x00                                                  /* PINGRESP */
    };
    unsigned char buf[32];
    src_set(stream, sizeof stream, 1);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), CONNACK);
    CHECK_MEM(buf, 4, stream, 4);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), SUBACK);
    CHECK_MEM(buf, 5, stream + 4, 5);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), PUBLISH);
    CHECK_MEM(buf, 9, stream + 9, 9);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), PINGRESP);
    CHECK_MEM(buf, 2, stream + 18, 2);
    CHECK_EQ(src.pos, (int)sizeof stream);
    CHECK_EQ(src.calls, (int)sizeof stream);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), MQTTPACKET_READ_ERROR);  /* end of stream */
}

TEST(read_whole_chunks_and_exact_buffer)
{
    static const unsigned char pub[] = { 0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };
    unsigned char buf[16];
    memset(buf, 0xAA, sizeof buf);
    src_set(pub, sizeof pub, 64);
    CHECK_EQ(MQTTPacket_read(buf, sizeof pub, src_get), PUBLISH);       /* buflen == packet */
    CHECK_MEM(buf, sizeof pub, pub, sizeof pub);
    CHECK(untouched(buf, (int)sizeof pub, (int)sizeof buf));
    memset(buf, 0xAA, sizeof buf);
    src_set(pub, sizeof pub, 64);
    CHECK_EQ(MQTTPacket_read(buf, sizeof pub - 1, src_get), MQTTPACKET_READ_ERROR);
    CHECK(untouched(buf, (int)sizeof pub - 1, (int)sizeof buf));
    CHECK_EQ(src.pos, 2);   /* the body was never read */
}

TEST(read_rejects_bad_headers)
{
    static const unsigned char type0[] = { 0x00, 0x00 };
    static const unsigned char auth[] = { 0xF0, 0x00 };
    static const unsigned char pubrel0[] = { 0x60, 0x02, 0x00, 0x01 };
    static const unsigned char cut[] = { 0x30, 0x07, 0x00, 0x03, 'a' };
    unsigned char buf[16];
    src_set(type0, sizeof type0, 1);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), MQTTPACKET_READ_ERROR);
    src_set(auth, sizeof auth, 1);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), MQTTPACKET_READ_ERROR);
    src_set(pubrel0, sizeof pubrel0, 1);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), MQTTPACKET_READ_ERROR);
    src_set(cut, sizeof cut, 1);
    CHECK_EQ(MQTTPacket_read(buf, sizeof buf, src_get), MQTTPACKET_READ_ERROR);
    CHECK_EQ(MQTTPacket_read(buf, 1, src_get), MQTTPACKET_READ_ERROR);
    CHECK_EQ(MQTTPacket_read(NULL, 16, src_get), MQTTPACKET_READ_ERROR);
}

TEST(readnb_one_byte_with_would_block)
{
    static const unsigned char stream[] = {
        0x32, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x05, 'x', 'y', 'z',   /* PUBLISH QoS 1 */
        0x40, 0x02, 0x00, 0x05                                              /* PUBACK */
    };
    unsigned char buf[32];
    struct nb_src s;
    MQTTTransport t;
    int rc, zeros = 0, guard;

    memset(&s, 0, sizeof s);
    s.data = stream;
    s.len = sizeof stream;
    s.fail_at = -1;
    t.getfn = nb_get;
    t.sck = &s;
    t.state = 0;    /* as Paho's examples do: only state is initialised */
    t.len = 12345;
    t.rem_len = -7;
    t.multiplier = 99;

    for (guard = 0; guard < 100; guard++) {
        rc = MQTTPacket_readnb(buf, sizeof buf, &t);
        if (rc != 0)
            break;
        zeros++;
    }
    CHECK_EQ(rc, PUBLISH);
    CHECK_EQ(zeros, 12);        /* one would-block per byte */
    CHECK_MEM(buf, 12, stream, 12);
    for (guard = 0; guard < 100; guard++) {
        rc = MQTTPacket_readnb(buf, sizeof buf, &t);
        if (rc != 0)
            break;
    }
    CHECK_EQ(rc, PUBACK);
    CHECK_MEM(buf, 4, stream + 12, 4);
    CHECK_EQ(s.pos, (int)sizeof stream);
}

TEST(readnb_errors_and_restart)
{
    static const unsigned char too_big[] = { 0x30, 0x20 };
    static const unsigned char five[] = { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
    static const unsigned char ok[] = { 0xD0, 0x00 };
    unsigned char buf[16];
    struct nb_src s;
    MQTTTransport t;
    int rc = 0, guard;

    memset(&s, 0, sizeof s);
    memset(&t, 0, sizeof t);
    t.getfn = nb_get;
    t.sck = &s;

    /* a packet larger than buf: an error once its length is known */
    s.data = too_big; s.len = sizeof too_big; s.fail_at = -1;
    for (guard = 0; guard < 20 && rc == 0; guard++)
        rc = MQTTPacket_readnb(buf, sizeof buf, &t);
    CHECK_EQ(rc, MQTTPACKET_READ_ERROR);
    CHECK_EQ(s.pos, 2);

    /* a 5-byte remaining length: an error before the fifth byte is read */
    s.data = five; s.len = sizeof five; s.pos = 0; rc = 0;
    for (guard = 0; guard < 20 && rc == 0; guard++)
        rc = MQTTPacket_readnb(buf, sizeof buf, &t);
    CHECK_EQ(rc, MQTTPACKET_READ_ERROR);
    CHECK_EQ(s.pos, 5);

    /* getfn failing mid-packet */
    s.data = ok; s.len = sizeof ok; s.pos = 0; s.fail_at = 1; rc = 0;
    for (guard = 0; guard < 20 && rc == 0; guard++)
        rc = MQTTPacket_readnb(buf, sizeof buf, &t);
    CHECK_EQ(rc, MQTTPACKET_READ_ERROR);

    /* after each error the next call starts a fresh packet */
    s.pos = 0; s.fail_at = -1; rc = 0;
    for (guard = 0; guard < 20 && rc == 0; guard++)
        rc = MQTTPacket_readnb(buf, sizeof buf, &t);
    CHECK_EQ(rc, PINGRESP);
    CHECK_MEM(buf, 2, ok, 2);
    CHECK_EQ(MQTTPacket_readnb(buf, sizeof buf, NULL), MQTTPACKET_READ_ERROR);
}

/* ---- byte helpers and strings ---- */

TEST(byte_helpers)
{
    static const unsigned char want[] = {
        0x12, 0x34, 0xAB, 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x02, 'x', 'y', 0x00, 0x00, 0x00, 0x01, 'q'
    };
    unsigned char buf[32], *p = buf;
    char q = 'q';

    writeInt(&p, 0x1234);
    writeChar(&p, (char)0xAB);
    writeCString(&p, "abc");
    writeMQTTString(&p, lstr("xyz", 2));
    writeMQTTString(&p, lstr(NULL, 0));
    writeMQTTString(&p, lstr(&q, 1));
    CHECK_EQ(p - buf, (long)sizeof want);
    CHECK_MEM(buf, p - buf, want, sizeof want);

    p = buf;
    CHECK_EQ(readInt(&p), 0x1234);
    CHECK_EQ((unsigned char)readChar(&p), 0xAB);
    CHECK_EQ(readInt(&p), 3);
    CHECK(p == buf + 5);
    p = buf;
    writeInt(&p, 0xFFFF);
    p = buf;
    CHECK_EQ(readInt(&p), 65535);
}

TEST(read_len_string_bounds)
{
    unsigned char buf[] = { 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x05, 'd', 'e' };
    unsigned char *p = buf;
    MQTTString s = MQTTString_initializer;

    CHECK_EQ(readMQTTLenString(&s, &p, buf + sizeof buf), 1);
    CHECK(p == buf + 5);
    CHECK(s.cstring == NULL && s.lenstring.data == (char *)buf + 2);
    CHECK_EQ(s.lenstring.len, 3);
    /* second string claims 5 bytes, only 2 remain: fails without moving */
    CHECK_EQ(readMQTTLenString(&s, &p, buf + sizeof buf), 0);
    CHECK(p == buf + 5);
    CHECK_EQ(s.lenstring.len, 3);
    /* a single byte cannot hold the length prefix */
    p = buf + 8;
    CHECK_EQ(readMQTTLenString(&s, &p, buf + sizeof buf), 0);
    /* exactly fitting */
    p = buf;
    CHECK_EQ(readMQTTLenString(&s, &p, buf + 5), 1);
    p = buf;
    CHECK_EQ(readMQTTLenString(&s, &p, buf + 4), 0);
    {
        /* both length bytes count: 0x0102 = 258 */
        unsigned char big[2 + 258];
        memset(big, 'z', sizeof big);
        big[0] = 0x01;
        big[1] = 0x02;
        p = big;
        CHECK_EQ(readMQTTLenString(&s, &p, big + sizeof big), 1);
        CHECK_EQ(s.lenstring.len, 258);
        CHECK(p == big + sizeof big);
        big[1] = 0x00;      /* 256 claimed, 10 present */
        p = big;
        CHECK_EQ(readMQTTLenString(&s, &p, big + 12), 0);
        CHECK(p == big);
    }
}

TEST(strlen_and_equals)
{
    MQTTString a = cstr("hello"), b = lstr("hello world", 5), e = MQTTString_initializer, bad = lstr(NULL, 3);
    MQTTString both = cstr("abc");
    both.lenstring.data = "zz";
    both.lenstring.len = 2;     /* cstring wins everywhere, as in MQTTstrlen */
    CHECK_EQ(MQTTstrlen(a), 5);
    CHECK_EQ(MQTTstrlen(b), 5);
    CHECK_EQ(MQTTstrlen(e), 0);
    CHECK_EQ(MQTTstrlen(lstr("x", -4)), 0);
    CHECK_EQ(MQTTstrlen(both), 3);
    CHECK_EQ(MQTTPacket_equals(&a, "hello"), 1);
    CHECK_EQ(MQTTPacket_equals(&b, "hello"), 1);
    CHECK_EQ(MQTTPacket_equals(&b, "hello world"), 0);
    CHECK_EQ(MQTTPacket_equals(&b, "hell"), 0);
    CHECK_EQ(MQTTPacket_equals(&e, ""), 1);
    CHECK_EQ(MQTTPacket_equals(&bad, "abc"), 0);
    CHECK_EQ(MQTTPacket_equals(&both, "abc"), 1);
    CHECK_EQ(MQTTPacket_equals(&a, NULL), 0);
    {
        unsigned char buf[8], *p = buf;
        writeMQTTString(&p, both);
        CHECK_MEM(buf, p - buf, "\x00\x03" "abc", 5);
    }
}

/* ---- a Paho-style client program over an in-memory connection ---- */

static struct {
    unsigned char sent[512];
    int sent_len;
} conn;

static int transport_sendPacketBuffer(int sock, unsigned char *buf, int buflen)
{
    (void)sock;
    if (buflen <= 0 || conn.sent_len + buflen > (int)sizeof conn.sent)
        return -1;
    memcpy(conn.sent + conn.sent_len, buf, (size_t)buflen);
    conn.sent_len += buflen;
    return buflen;
}

static int transport_getdata(unsigned char *buf, int count)
{
    return src_get(buf, count);
}

TEST(paho_style_client_program)
{
    static const unsigned char from_broker[] = {
        0x20, 0x02, 0x00, 0x00,
        0x90, 0x03, 0x00, 0x01, 0x00,
        0x30, 0x0D, 0x00, 0x09, 's', 'u', 'b', 's', 't', 'o', 'p', 'i', 'c', 'h', 'i'
    };
    static const unsigned char want_sent[] = {
        0x10, 0x26, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xC2, 0x00, 0x14,
        0x00, 0x02, 'm', 'e',
        0x00, 0x08, 't', 'e', 's', 't', 'u', 's', 'e', 'r',
        0x00, 0x0C, 't', 'e', 's', 't', 'p', 'a', 's', 's', 'w', 'o', 'r', 'd',
        0x82, 0x0E, 0x00, 0x01, 0x00, 0x09, 's', 'u', 'b', 's', 't', 'o', 'p', 'i', 'c', 0x00,
        0x30, 0x13, 0x00, 0x08, 'p', 'u', 'b', 't', 'o', 'p', 'i', 'c',
        'm', 'y', 'p', 'a', 'y', 'l', 'o', 'a', 'd',
        0xE0, 0x00
    };

    /* ---- the program, as it would be written for Paho ---- */
    MQTTPacket_connectData data = MQTTPacket_connectData_initializer;
    int rc = 0;
    int mysock = 3;
    unsigned char buf[200];
    int buflen = sizeof(buf);
    int msgid = 1;
    MQTTString topicString = MQTTString_initializer;
    int req_qos = 0;
    char *payload = "mypayload";
    int payloadlen = strlen(payload);
    int len = 0;
    int received = 0;

    conn.sent_len = 0;
    src_set(from_broker, sizeof from_broker, 1000);

    data.clientID.cstring = "me";
    data.keepAliveInterval = 20;
    data.cleansession = 1;
    data.username.cstring = "testuser";
    data.password.cstring = "testpassword";

    len = MQTTSerialize_connect(buf, buflen, &data);
    rc = transport_sendPacketBuffer(mysock, buf, len);
    CHECK_EQ(rc, len);

    if (MQTTPacket_read(buf, buflen, transport_getdata) == CONNACK) {
        unsigned char sessionPresent, connack_rc;
        if (MQTTDeserialize_connack(&sessionPresent, &connack_rc, buf, buflen) != 1 || connack_rc != 0)
            goto exit;
    } else
        goto exit;

    topicString.cstring = "substopic";
    len = MQTTSerialize_subscribe(buf, buflen, 0, msgid, 1, &topicString, &req_qos);
    rc = transport_sendPacketBuffer(mysock, buf, len);
    if (MQTTPacket_read(buf, buflen, transport_getdata) == SUBACK) {
        unsigned short submsgid;
        int subcount;
        int granted_qos;
        rc = MQTTDeserialize_suback(&submsgid, 1, &subcount, &granted_qos, buf, buflen);
        if (granted_qos != 0)
            goto exit;
    } else
        goto exit;

    if (MQTTPacket_read(buf, buflen, transport_getdata) == PUBLISH) {
        unsigned char dup;
        int qos;
        unsigned char retained;
        unsigned short msgid_in;
        int payloadlen_in;
        unsigned char *payload_in;
        MQTTString receivedTopic;
        rc = MQTTDeserialize_publish(&dup, &qos, &retained, &msgid_in, &receivedTopic,
                                     &payload_in, &payloadlen_in, buf, buflen);
        if (rc == 1 && MQTTPacket_equals(&receivedTopic, "substopic") &&
            payloadlen_in == 2 && memcmp(payload_in, "hi", 2) == 0)
            received = 1;
    }

    topicString.cstring = "pubtopic";
    len = MQTTSerialize_publish(buf, buflen, 0, 0, 0, 0, topicString, (unsigned char *)payload, payloadlen);
    rc = transport_sendPacketBuffer(mysock, buf, len);

exit:
    len = MQTTSerialize_disconnect(buf, buflen);
    rc = transport_sendPacketBuffer(mysock, buf, len);
    /* ---- end of the program ---- */

    CHECK_EQ(rc, 2);
    CHECK_EQ(received, 1);
    CHECK_MEM(conn.sent, conn.sent_len, want_sent, sizeof want_sent);
    CHECK_EQ(src.pos, (int)sizeof from_broker);
}
