/* Malformed input for the packet decoder: one case per distinct defect, each
 * asserting the exact error code of error.h, plus truncation of every valid
 * packet and a table-driven case that sets every byte of a dozen valid
 * packets to every value.
 *
 * Inputs are decoded from a heap copy of exactly their size, so a read past
 * the end shows up under valgrind (ctest runs this binary under it too).
 * Unless noted, packets are 3.1.1 (level 4); section numbers refer to OASIS
 * MQTT 3.1.1 ("3.1.1 x.y") or OASIS MQTT 5.0 ("5.0 x.y"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/topic.h"

#define V3 TMQ_V31
#define V4 TMQ_V311
#define V5 TMQ_V5

/* Decodes an exact-size heap copy of b. The decoded views die with the
 * copy: only the result is meant to be looked at. */
static int32_t decode_copy(const uint8_t *b, uint32_t n, uint8_t version)
{
    tmq_packet pkt;
    uint8_t *copy = malloc(n ? n : 1);
    int32_t r;
    if (!copy)
        return -1000;
    if (n)
        memcpy(copy, b, n);
    r = tmq_decode(copy, n, version, &pkt);
    free(copy);
    return r;
}

static int32_t frame_copy(const uint8_t *b, uint32_t n, uint8_t version)
{
    uint8_t *copy = malloc(n ? n : 1);
    int32_t r;
    if (!copy)
        return -1000;
    if (n)
        memcpy(copy, b, n);
    r = tmq_frame(copy, n, version);
    free(copy);
    return r;
}

/* Asserts that the bytes decode (as `version`) to error `err`. */
#define BAD(version, err, ...)                                                 \
    do { static const uint8_t b_[] = { __VA_ARGS__ };                          \
         CHECK_EQ(decode_copy(b_, sizeof b_, (version)), (err)); } while (0)

/* Asserts that the bytes decode successfully to their full length. */
#define GOOD(version, ...)                                                     \
    do { static const uint8_t b_[] = { __VA_ARGS__ };                          \
         CHECK_EQ(decode_copy(b_, sizeof b_, (version)), sizeof b_); } while (0)

/* Pieces of CONNECT variable headers. */
#define MQTT4 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04
#define MQTT5 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05
#define MQISDP3 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03

/* ------------------------------------------------------------ valid inputs */

static const uint8_t ok_v4_connect[] = {
    0x10, 0x23, MQTT4, 0xD4, 0x01, 0x2C,
    0x00, 0x03, 'i', 'd', '1', 0x00, 0x03, 'a', '/', 'b', 0x00, 0x02, 0x00, 0xFF,
    0x00, 0x04, 'u', 's', 'e', 'r', 0x00, 0x03, 0x01, 0x02, 0x03
};
static const uint8_t ok_v3_connect[] = {
    0x10, 0x1F, MQISDP3, 0xEC, 0x00, 0x0A,
    0x00, 0x01, 'c', 0x00, 0x03, 'w', '/', 't', 0x00, 0x03, 'b', 'y', 'e',
    0x00, 0x01, 'u', 0x00, 0x01, 'p'
};
static const uint8_t ok_v5_connect[] = {
    0x10, 0x5A, MQTT5, 0xEE, 0x00, 0x1E,
    0x11, 0x11, 0x00, 0x00, 0x0E, 0x10, 0x21, 0x00, 0x14,
          0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', 0x17, 0x00,
    0x00, 0x03, 'c', 'i', 'd',
    0x23, 0x18, 0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x03, 0x00, 0x04, 't', 'e', 'x', 't',
          0x02, 0x00, 0x00, 0x00, 0x3C, 0x08, 0x00, 0x01, 'r', 0x09, 0x00, 0x02, 0xAA, 0xBB,
          0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b',
    0x00, 0x06, 'w', 'i', 'l', 'l', '/', 't', 0x00, 0x04, 'g', 'o', 'n', 'e',
    0x00, 0x01, 'u', 0x00, 0x02, 'p', 'w'
};
static const uint8_t ok_v5_connack[] = {
    0x20, 0x1B, 0x01, 0x00, 0x18,
    0x12, 0x00, 0x06, 'a', 'u', 't', 'o', '-', '1', 0x13, 0x00, 0x78, 0x24, 0x01,
    0x27, 0x00, 0x01, 0x00, 0x00, 0x1F, 0x00, 0x02, 'o', 'k'
};
static const uint8_t ok_v4_publish[] = { 0x33, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'x', 'y', 'z' };
static const uint8_t ok_v5_publish[] = {
    0x32, 0x3A, 0x00, 0x03, 's', '/', 't', 0x00, 0x01,
    0x30, 0x01, 0x01, 0x02, 0x00, 0x00, 0x01, 0x2C, 0x23, 0x00, 0x07,
          0x08, 0x00, 0x03, 'r', '/', '1', 0x09, 0x00, 0x03, 0x01, 0x02, 0x03,
          0x26, 0x00, 0x01, 'a', 0x00, 0x01, '1', 0x26, 0x00, 0x01, 'a', 0x00, 0x01, '2',
          0x0B, 0x01, 0x0B, 0x80, 0x01, 0x03, 0x00, 0x04, 'j', 's', 'o', 'n',
    '{', '}'
};
static const uint8_t ok_v5_pubrec[] = {
    0x50, 0x12, 0x00, 0x02, 0x80, 0x0E,
    0x1F, 0x00, 0x04, 'f', 'u', 'l', 'l', 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'
};
static const uint8_t ok_v4_subscribe[] = {
    0x82, 0x12, 0x00, 0x0A, 0x00, 0x03, 'a', '/', '+', 0x01,
    0x00, 0x03, 'b', '/', '#', 0x02, 0x00, 0x01, 'c', 0x00
};
static const uint8_t ok_v5_subscribe[] = {
    0x82, 0x24, 0x12, 0x34, 0x0A, 0x0B, 0x96, 0x01, 0x26, 0x00, 0x01, 'u', 0x00, 0x01, 'p',
    0x00, 0x03, 'x', '/', 'y', 0x05, 0x00, 0x01, 'z', 0x1A,
    0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'q', 0x20
};
static const uint8_t ok_v4_suback[] = { 0x90, 0x05, 0x00, 0x0A, 0x01, 0x02, 0x80 };
static const uint8_t ok_v5_suback[] = {
    0x90, 0x0C, 0x12, 0x34, 0x06, 0x1F, 0x00, 0x03, 'y', 'e', 's', 0x01, 0x87, 0xA2
};
static const uint8_t ok_v5_unsubscribe[] = {
    0xA2, 0x12, 0x00, 0x0C, 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
    0x00, 0x03, 'a', '/', '+', 0x00, 0x01, 'c'
};
static const uint8_t ok_v5_unsuback[] = { 0xB0, 0x05, 0x00, 0x0C, 0x00, 0x00, 0x11 };
static const uint8_t ok_v5_disconnect[] = {
    0xE0, 0x14, 0x04, 0x12, 0x11, 0x00, 0x00, 0x00, 0x3C, 0x1F, 0x00, 0x03, 'b', 'y', 'e',
    0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b'
};
static const uint8_t ok_v5_auth[] = {
    0xF0, 0x10, 0x18, 0x0E, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', 0x16, 0x00, 0x03, 0x01, 0x02, 0x03
};

static const struct sample {
    const char *name;
    const uint8_t *b;
    uint32_t n;
    uint8_t version;
} samples[] = {
    { "v4_connect", ok_v4_connect, sizeof ok_v4_connect, V4 },
    { "v3_connect", ok_v3_connect, sizeof ok_v3_connect, V3 },
    { "v5_connect", ok_v5_connect, sizeof ok_v5_connect, V5 },
    { "v5_connack", ok_v5_connack, sizeof ok_v5_connack, V5 },
    { "v4_publish", ok_v4_publish, sizeof ok_v4_publish, V4 },
    { "v5_publish", ok_v5_publish, sizeof ok_v5_publish, V5 },
    { "v5_pubrec", ok_v5_pubrec, sizeof ok_v5_pubrec, V5 },
    { "v4_subscribe", ok_v4_subscribe, sizeof ok_v4_subscribe, V4 },
    { "v5_subscribe", ok_v5_subscribe, sizeof ok_v5_subscribe, V5 },
    { "v4_suback", ok_v4_suback, sizeof ok_v4_suback, V4 },
    { "v5_suback", ok_v5_suback, sizeof ok_v5_suback, V5 },
    { "v5_unsubscribe", ok_v5_unsubscribe, sizeof ok_v5_unsubscribe, V5 },
    { "v5_unsuback", ok_v5_unsuback, sizeof ok_v5_unsuback, V5 },
    { "v5_disconnect", ok_v5_disconnect, sizeof ok_v5_disconnect, V5 },
    { "v5_auth", ok_v5_auth, sizeof ok_v5_auth, V5 },
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

/* The samples themselves are valid (otherwise the cases below prove nothing). */
TEST(samples_are_valid)
{
    unsigned i;
    for (i = 0; i < NSAMPLES; i++) {
        int32_t r = decode_copy(samples[i].b, samples[i].n, samples[i].version);
        if (r != (int32_t)samples[i].n)
            fprintf(stderr, "  sample %s\n", samples[i].name);
        CHECK_EQ(r, samples[i].n);
    }
}

/* ------------------------------------------------------- lengths and framing */

/* The remaining length promises more bytes than the buffer holds. */
TEST(lying_remaining_length)
{
    BAD(V4, TMQ_ERR_INCOMPLETE, 0x30, 0x0A, 0x00, 0x03, 'a', '/', 'b', 'h', 'i');
    BAD(V4, TMQ_ERR_INCOMPLETE, 0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x01, 't');
    BAD(V5, TMQ_ERR_INCOMPLETE, 0x40, 0x04, 0x00, 0x01);
}

/* Every proper prefix of every sample is incomplete: never a crash, never a
 * success, never a different error. */
TEST(every_prefix_is_incomplete)
{
    unsigned i;
    uint32_t k;
    for (i = 0; i < NSAMPLES; i++) {
        for (k = 0; k < samples[i].n; k++) {
            int32_t r = decode_copy(samples[i].b, k, samples[i].version);
            if (r != TMQ_ERR_INCOMPLETE)
                fprintf(stderr, "  sample %s, prefix %u\n", samples[i].name, (unsigned)k);
            CHECK_EQ(r, TMQ_ERR_INCOMPLETE);
        }
    }
}

/* tmq_frame on prefixes: 0 until the remaining length is complete, then the
 * total length. */
TEST(frame_prefixes)
{
    unsigned i;
    uint32_t k, hdr;
    for (i = 0; i < NSAMPLES; i++) {
        hdr = 2;
        while (samples[i].b[hdr - 1] & 0x80)
            hdr++;
        for (k = 0; k <= samples[i].n; k++) {
            int32_t r = frame_copy(samples[i].b, k, samples[i].version);
            CHECK_EQ(r, k < hdr ? 0 : (int32_t)samples[i].n);
        }
    }
}

/* 5.0 1.5.5 / 3.1.1 2.2.3: at most four bytes. */
TEST(remaining_length_five_bytes)
{
    static const uint8_t b[] = { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x01, 't' };
    CHECK_EQ(decode_copy(b, sizeof b, V4), TMQ_ERR_VBI);
    CHECK_EQ(frame_copy(b, sizeof b, V4), TMQ_ERR_VBI);
    BAD(V5, TMQ_ERR_VBI, 0xC0, 0x80, 0x80, 0x80, 0x80, 0x00);
}

/* 5.0 1.5.5 [MQTT-1.5.5-1]: the minimum number of bytes. */
TEST(remaining_length_not_minimal)
{
    static const uint8_t b[] = { 0xC0, 0x80, 0x00 };
    CHECK_EQ(decode_copy(b, sizeof b, V4), TMQ_ERR_VBI);
    CHECK_EQ(frame_copy(b, sizeof b, V4), TMQ_ERR_VBI);
    /* 5 written as 0x85 0x00 */
    BAD(V4, TMQ_ERR_VBI, 0x30, 0x85, 0x00, 0x00, 0x01, 't', 'a', 'b');
}

/* Remaining length too small for the fixed fields of the packet. */
TEST(short_packet)
{
    BAD(V4, TMQ_ERR_SHORT_PACKET, 0x40, 0x01, 0x00);
    BAD(V5, TMQ_ERR_SHORT_PACKET, 0x40, 0x01, 0x00);
    BAD(V4, TMQ_ERR_SHORT_PACKET, 0x20, 0x01, 0x00);
    BAD(V4, TMQ_ERR_SHORT_PACKET, 0x90, 0x01, 0x00);
    BAD(V4, TMQ_ERR_SHORT_PACKET, 0x62, 0x00);
    /* 5.0 3.2.2.3: CONNACK always has a property length */
    BAD(V5, TMQ_ERR_SHORT_PACKET, 0x20, 0x02, 0x00, 0x00);
}

/* A string length prefix runs past the packet. */
TEST(connect_string_length_past_packet)
{
    BAD(V4, TMQ_ERR_FIELD_LENGTH, 0x10, 0x0F, MQTT4, 0x02, 0x00, 0x0A, 0x00, 0x09, 'a', 'b', 'c');
    /* user name, will payload (binary), protocol name */
    BAD(V4, TMQ_ERR_FIELD_LENGTH, 0x10, 0x12, MQTT4, 0x82, 0x00, 0x0A,
        0x00, 0x01, 'a', 0x00, 0x0A, 'u', 's', 'e');
    BAD(V4, TMQ_ERR_FIELD_LENGTH, 0x10, 0x13, MQTT4, 0x06, 0x00, 0x00,
        0x00, 0x01, 'c', 0x00, 0x01, 'w', 0x00, 0x09, 'x');
    BAD(V4, TMQ_ERR_FIELD_LENGTH, 0x10, 0x0A, 0x00, 0x20, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x0A);
}

TEST(filter_length_past_packet)
{
    BAD(V4, TMQ_ERR_FIELD_LENGTH, 0x82, 0x06, 0x00, 0x01, 0x00, 0x05, 't', 0x00);
    BAD(V4, TMQ_ERR_FIELD_LENGTH, 0xA2, 0x05, 0x00, 0x01, 0x00, 0x04, 't');
}

/* The PUBLISH topic length runs past the packet. */
TEST(publish_topic_length_past_packet)
{
    BAD(V4, TMQ_ERR_TOPIC_LENGTH, 0x30, 0x05, 0x00, 0x09, 'a', 'b', 'c');
    BAD(V5, TMQ_ERR_TOPIC_LENGTH, 0x32, 0x05, 0x00, 0x04, 't', 0x00, 0x01);
}

/* Bytes left inside the remaining length after the last field. */
TEST(trailing_bytes_3x)
{
    BAD(V4, TMQ_ERR_TRAILING, 0x40, 0x03, 0x00, 0x01, 0x00);
    BAD(V4, TMQ_ERR_TRAILING, 0xC0, 0x01, 0x00);
    BAD(V4, TMQ_ERR_TRAILING, 0xD0, 0x01, 0x00);
    BAD(V4, TMQ_ERR_TRAILING, 0x20, 0x03, 0x00, 0x00, 0x00);
    BAD(V4, TMQ_ERR_TRAILING, 0xB0, 0x03, 0x00, 0x01, 0x00);
    BAD(V4, TMQ_ERR_TRAILING, 0xE0, 0x01, 0x00);
    BAD(V3, TMQ_ERR_TRAILING, 0x62, 0x03, 0x00, 0x01, 0x00);
}

TEST(trailing_bytes_connect)
{
    BAD(V4, TMQ_ERR_TRAILING, 0x10, 0x10, MQTT4, 0x02, 0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c', 'x');
    BAD(V4, TMQ_ERR_TRAILING, 0x10, 0x15, MQTT4, 0xC2, 0x00, 0x0A,
        0x00, 0x01, 'a', 0x00, 0x01, 'u', 0x00, 0x01, 'p', 0x00, 0x00);
}

/* 5.0: after the property block of a packet without payload. */
TEST(trailing_bytes_v5)
{
    BAD(V5, TMQ_ERR_TRAILING, 0x40, 0x08, 0x00, 0x01, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04);
    BAD(V5, TMQ_ERR_TRAILING, 0x20, 0x04, 0x00, 0x00, 0x00, 0x00);
    BAD(V5, TMQ_ERR_TRAILING, 0xE0, 0x03, 0x00, 0x00, 0x00);
    BAD(V5, TMQ_ERR_TRAILING, 0xF0, 0x03, 0x18, 0x00, 0x00);
}

/* ----------------------------------------------------- fixed header checks */

/* 3.1.1 2.2.2 / 5.0 2.1.3: the flags are fixed for every type but PUBLISH. */
TEST(reserved_flags_every_type)
{
    static const struct { uint8_t version; uint8_t b[4]; uint8_t n; } bad[] = {
        { V4, { 0x20 | 0x08, 0x02, 0x00, 0x00 }, 4 },   /* CONNACK */
        { V4, { 0x40 | 0x02, 0x02, 0x00, 0x01 }, 4 },   /* PUBACK */
        { V4, { 0x50 | 0x01, 0x02, 0x00, 0x01 }, 4 },   /* PUBREC */
        { V4, { 0x60, 0x02, 0x00, 0x01 }, 4 },          /* PUBREL without 0010 */
        { V4, { 0x60 | 0x0A, 0x02, 0x00, 0x01 }, 4 },   /* PUBREL 1010 */
        { V4, { 0x70 | 0x04, 0x02, 0x00, 0x01 }, 4 },   /* PUBCOMP */
        { V4, { 0xB0 | 0x01, 0x02, 0x00, 0x01 }, 4 },   /* UNSUBACK */
        { V4, { 0xC0 | 0x08, 0x00 }, 2 },               /* PINGREQ */
        { V4, { 0xD0 | 0x02, 0x00 }, 2 },               /* PINGRESP */
        { V4, { 0xE0 | 0x01, 0x00 }, 2 },               /* DISCONNECT */
        { V5, { 0xE0 | 0x04, 0x00 }, 2 },               /* DISCONNECT 5.0 */
        { V5, { 0xF0 | 0x01, 0x00 }, 2 },               /* AUTH */
        { V5, { 0x40 | 0x08, 0x02, 0x00, 0x01 }, 4 },   /* PUBACK 5.0 */
    };
    unsigned i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(decode_copy(bad[i].b, bad[i].n, bad[i].version), TMQ_ERR_FLAGS);
        CHECK_EQ(frame_copy(bad[i].b, bad[i].n, bad[i].version), TMQ_ERR_FLAGS);
    }
    /* CONNECT 0001, UNSUBSCRIBE 0000 and 0011, SUBACK 0010 */
    BAD(V4, TMQ_ERR_FLAGS, 0x11, 0x0F, MQTT4, 0x02, 0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c');
    BAD(V4, TMQ_ERR_FLAGS, 0xA0, 0x05, 0x00, 0x01, 0x00, 0x01, 't');
    BAD(V4, TMQ_ERR_FLAGS, 0xA3, 0x05, 0x00, 0x01, 0x00, 0x01, 't');
    BAD(V4, TMQ_ERR_FLAGS, 0x90 | 0x02, 0x03, 0x00, 0x01, 0x00);
}

/* SUBSCRIBE must be 0x82 (3.1.1 3.8.1 [MQTT-3.8.1-1]). */
TEST(subscribe_flags_0x80)
{
    static const uint8_t b[] = { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00 };
    CHECK_EQ(decode_copy(b, sizeof b, V4), TMQ_ERR_FLAGS);
    CHECK_EQ(decode_copy(b, sizeof b, V5), TMQ_ERR_FLAGS);
    CHECK_EQ(frame_copy(b, sizeof b, V4), TMQ_ERR_FLAGS);
}

/* PUBREL must be 0x62 (3.1.1 3.6.1 [MQTT-3.6.1-1]). */
TEST(pubrel_flags_0x60)
{
    static const uint8_t b[] = { 0x60, 0x02, 0x00, 0x01 };
    CHECK_EQ(decode_copy(b, sizeof b, V4), TMQ_ERR_FLAGS);
    CHECK_EQ(decode_copy(b, sizeof b, V5), TMQ_ERR_FLAGS);
    CHECK_EQ(frame_copy(b, sizeof b, V5), TMQ_ERR_FLAGS);
}

/* 3.1.1 3.3.1.2 [MQTT-3.3.1-4]: QoS 3 is malformed. */
TEST(publish_qos3)
{
    BAD(V4, TMQ_ERR_QOS, 0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01);
    BAD(V5, TMQ_ERR_QOS, 0x37, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00);
}

/* 3.1.1 3.3.1.1 [MQTT-3.3.1-2]: DUP must be 0 for QoS 0. */
TEST(publish_qos0_dup)
{
    BAD(V4, TMQ_ERR_DUP, 0x38, 0x03, 0x00, 0x01, 't');
    BAD(V5, TMQ_ERR_DUP, 0x39, 0x04, 0x00, 0x01, 't', 0x00);
}

/* Type 0 is reserved; AUTH (15) exists only in 5.0. */
TEST(reserved_type_0)
{
    static const uint8_t b[] = { 0x00, 0x00 };
    CHECK_EQ(decode_copy(b, 2, V3), TMQ_ERR_TYPE);
    CHECK_EQ(decode_copy(b, 2, V4), TMQ_ERR_TYPE);
    CHECK_EQ(decode_copy(b, 2, V5), TMQ_ERR_TYPE);
    CHECK_EQ(frame_copy(b, 2, V4), TMQ_ERR_TYPE);
}

TEST(auth_before_v5)
{
    static const uint8_t b[] = { 0xF0, 0x00 };
    CHECK_EQ(decode_copy(b, 2, V4), TMQ_ERR_TYPE);
    CHECK_EQ(decode_copy(b, 2, V3), TMQ_ERR_TYPE);
    CHECK_EQ(frame_copy(b, 2, V4), TMQ_ERR_TYPE);
    CHECK_EQ(decode_copy(b, 2, V5), 2);
}

/* The caller's version must be 3, 4 or 5. */
TEST(decode_unknown_version)
{
    static const uint8_t b[] = { 0xC0, 0x00 };
    CHECK_EQ(decode_copy(b, 2, 6), TMQ_ERR_VERSION);
    CHECK_EQ(decode_copy(b, 2, 0), TMQ_ERR_VERSION);
}

/* ------------------------------------------------------------------- UTF-8 */

/* 3.1.1 1.5.3 [MQTT-1.5.3-1], Unicode 6.2 table 3-7: overlong forms. */
TEST(utf8_overlong_topic)
{
    BAD(V4, TMQ_ERR_UTF8, 0x30, 0x04, 0x00, 0x02, 0xC0, 0xAF);
    BAD(V4, TMQ_ERR_UTF8, 0x30, 0x05, 0x00, 0x03, 0xE0, 0x80, 0xAF);
    BAD(V5, TMQ_ERR_UTF8, 0x30, 0x07, 0x00, 0x04, 0xF0, 0x80, 0x80, 0xAF, 0x00);
}

/* [MQTT-1.5.3-1]: U+D800..U+DFFF must not appear. */
TEST(utf8_surrogate_client_id_will_topic)
{
    BAD(V4, TMQ_ERR_UTF8, 0x10, 0x0F, MQTT4, 0x02, 0x00, 0x0A, 0x00, 0x03, 0xED, 0xA0, 0x80);
    BAD(V4, TMQ_ERR_UTF8, 0x10, 0x14, MQTT4, 0x06, 0x00, 0x00,
        0x00, 0x01, 'c', 0x00, 0x03, 0xED, 0xBF, 0xBF, 0x00, 0x00);
}

/* [MQTT-1.5.3-2]: U+0000 must not appear. */
TEST(utf8_nul_in_filter_and_topic)
{
    BAD(V4, TMQ_ERR_UTF8, 0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 'a', 0x00, 'b', 0x00);
    BAD(V4, TMQ_ERR_UTF8, 0x30, 0x05, 0x00, 0x03, 'a', 0x00, 'b');
}

/* A multi-byte sequence cut short by the end of the string or by ASCII. */
TEST(utf8_truncated_sequence)
{
    BAD(V4, TMQ_ERR_UTF8, 0x30, 0x04, 0x00, 0x02, 'a', 0xE2);
    BAD(V4, TMQ_ERR_UTF8, 0x30, 0x05, 0x00, 0x03, 0xE2, 0x82, 'a');
    BAD(V4, TMQ_ERR_UTF8, 0x30, 0x05, 0x00, 0x03, 0xF0, 0x9F, 0x98);
}

/* A continuation byte without a lead byte, in a user name. */
TEST(utf8_lone_continuation_user_name)
{
    BAD(V4, TMQ_ERR_UTF8, 0x10, 0x11, MQTT4, 0x82, 0x00, 0x0A,
        0x00, 0x01, 'a', 0x00, 0x02, 'u', 0x80);
}

/* Above U+10FFFF (F4 90 80 80 = U+110000; F5.. never valid), in a string
 * property (Content Type) and a UNSUBSCRIBE filter. */
TEST(utf8_above_max_string_property)
{
    BAD(V5, TMQ_ERR_UTF8, 0x30, 0x0B, 0x00, 0x01, 't', 0x07, 0x03, 0x00, 0x04, 0xF4, 0x90, 0x80, 0x80);
    BAD(V4, TMQ_ERR_UTF8, 0xA2, 0x08, 0x00, 0x01, 0x00, 0x04, 0xF5, 0x80, 0x80, 0x80);
}

/* User Property names and values are UTF-8 strings too (5.0 1.5.7). */
TEST(utf8_user_property)
{
    BAD(V5, TMQ_ERR_UTF8, 0x40, 0x0B, 0x00, 0x01, 0x00, 0x07, 0x26, 0x00, 0x01, 0xFF, 0x00, 0x01, 'v');
    BAD(V5, TMQ_ERR_UTF8, 0x40, 0x0B, 0x00, 0x01, 0x00, 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 0xC1);
}

/* The encoded but valid extremes pass: U+007F, U+0080, U+07FF, U+0800,
 * U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
TEST(utf8_valid_extremes)
{
    static const uint8_t s[] = {
        0x7F, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF,
        0xEE, 0x80, 0x80, 0xEF, 0xBF, 0xBF, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF
    };
    uint8_t b[64];
    b[0] = 0x30;
    b[1] = (uint8_t)(2 + sizeof s);
    b[2] = 0x00;
    b[3] = (uint8_t)sizeof s;
    memcpy(b + 4, s, sizeof s);
    CHECK_EQ(tmq_utf8_check(s, sizeof s), TMQ_OK);
    CHECK_EQ(decode_copy(b, 4 + sizeof s, V4), 4 + sizeof s);
}

/* ------------------------------------------------------ topics and filters */

/* 3.1.1 4.7.1 [MQTT-4.7.1-1]: no wildcards in a topic name. */
TEST(publish_topic_wildcard)
{
    BAD(V4, TMQ_ERR_TOPIC, 0x30, 0x05, 0x00, 0x03, 'a', '/', '+');
    BAD(V4, TMQ_ERR_TOPIC, 0x30, 0x03, 0x00, 0x01, '#');
    BAD(V5, TMQ_ERR_TOPIC, 0x30, 0x06, 0x00, 0x03, 'a', '#', 'b', 0x00);
}

/* 3.1.1 4.7.3 [MQTT-4.7.3-1]: at least one character; 5.0 3.3.2.3.4: an
 * empty topic needs a Topic Alias. */
TEST(publish_topic_empty)
{
    BAD(V4, TMQ_ERR_TOPIC, 0x30, 0x02, 0x00, 0x00);
    BAD(V5, TMQ_ERR_TOPIC, 0x30, 0x03, 0x00, 0x00, 0x00);
    GOOD(V5, 0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01);
}

/* The will topic is a topic name (3.1.1 3.1.3.2, 4.7.1). */
TEST(will_topic_wildcard)
{
    BAD(V4, TMQ_ERR_TOPIC, 0x10, 0x14, MQTT4, 0x06, 0x00, 0x00,
        0x00, 0x01, 'c', 0x00, 0x03, 'a', '/', '#', 0x00, 0x00);
}

/* 3.1.1 4.7.1.2: '#' last and alone in its level. */
TEST(filter_hash_not_last)
{
    BAD(V4, TMQ_ERR_FILTER, 0x82, 0x0A, 0x00, 0x01, 0x00, 0x05, 'a', '/', '#', '/', 'b', 0x00);
    BAD(V4, TMQ_ERR_FILTER, 0xA2, 0x06, 0x00, 0x01, 0x00, 0x02, 'a', '#');
}

/* 3.1.1 4.7.1.3: '+' alone in its level. */
TEST(filter_plus_not_alone)
{
    BAD(V4, TMQ_ERR_FILTER, 0x82, 0x07, 0x00, 0x01, 0x00, 0x02, 'a', '+', 0x00);
    BAD(V5, TMQ_ERR_FILTER, 0x82, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x04, 'a', '/', '+', 'b', 0x00);
}

TEST(filter_empty)
{
    BAD(V4, TMQ_ERR_FILTER, 0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00);
    BAD(V4, TMQ_ERR_FILTER, 0xA2, 0x04, 0x00, 0x01, 0x00, 0x00);
}

/* 5.0 4.8.2: $share/{ShareName}/{filter}, ShareName without '/', '+', '#',
 * non-empty, followed by a filter. */
TEST(shared_subscription_malformed)
{
    BAD(V5, TMQ_ERR_SHARED, 0x82, 0x0E, 0x00, 0x01, 0x00,
        0x00, 0x08, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', 0x00);
    BAD(V5, TMQ_ERR_SHARED, 0x82, 0x10, 0x00, 0x01, 0x00,
        0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '+', '/', 0x00);
    BAD(V5, TMQ_ERR_SHARED, 0x82, 0x10, 0x00, 0x01, 0x00,
        0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', 'b', 0x00);
}

/* ----------------------------------------------------- SUBSCRIBE / SUBACK */

/* 3.1.1 3.8.3 [MQTT-3.8.3-3], 3.10.3 [MQTT-3.10.3-2]. */
TEST(subscribe_without_filters)
{
    BAD(V4, TMQ_ERR_NO_FILTERS, 0x82, 0x02, 0x00, 0x01);
    BAD(V4, TMQ_ERR_NO_FILTERS, 0xA2, 0x02, 0x00, 0x01);
    BAD(V5, TMQ_ERR_NO_FILTERS, 0x82, 0x03, 0x00, 0x01, 0x00);
    BAD(V5, TMQ_ERR_NO_FILTERS, 0xA2, 0x03, 0x00, 0x01, 0x00);
}

TEST(suback_without_codes)
{
    BAD(V4, TMQ_ERR_NO_FILTERS, 0x90, 0x02, 0x00, 0x01);
    BAD(V5, TMQ_ERR_NO_FILTERS, 0x90, 0x03, 0x00, 0x01, 0x00);
}

/* 3.1.1 3.8.3.1 [MQTT-3-8.3-4]: bits 7-2 of the requested QoS byte are
 * reserved; 5.0 3.8.3.1: bits 7-6 reserved. */
TEST(subscription_options_reserved_bits)
{
    BAD(V4, TMQ_ERR_RESERVED, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x04 | 0x01);
    BAD(V4, TMQ_ERR_RESERVED, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x80);
    BAD(V5, TMQ_ERR_RESERVED, 0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x40 | 0x01);
}

/* 5.0 3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3". */
TEST(subscription_retain_handling_3)
{
    BAD(V5, TMQ_ERR_RESERVED, 0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x30);
}

TEST(subscription_qos3)
{
    BAD(V4, TMQ_ERR_QOS, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x03);
    BAD(V5, TMQ_ERR_QOS, 0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x03);
}

/* A SUBACK must carry one code per requested filter (3.1.1 3.9.3 [MQTT-3.8.4-5]). */
TEST(suback_more_codes_than_filters)
{
    tmq_packet d;
    CHECK_EQ(tmq_decode(ok_v4_suback, sizeof ok_v4_suback, V4, &d), sizeof ok_v4_suback);
    CHECK_EQ(tmq_check_ack_count(&d, 3), TMQ_OK);
    CHECK_EQ(tmq_check_ack_count(&d, 2), TMQ_ERR_SUBACK_COUNT);
    CHECK_EQ(tmq_check_ack_count(&d, 1), TMQ_ERR_SUBACK_COUNT);
    CHECK_EQ(tmq_check_ack_count(&d, 4), TMQ_ERR_SUBACK_COUNT);
    CHECK_EQ(tmq_decode(ok_v5_suback, sizeof ok_v5_suback, V5, &d), sizeof ok_v5_suback);
    CHECK_EQ(tmq_check_ack_count(&d, 2), TMQ_ERR_SUBACK_COUNT);
}

/* 5.0 UNSUBACK: one reason code per filter too (3.11.3). */
TEST(unsuback_code_count)
{
    tmq_packet d;
    CHECK_EQ(tmq_decode(ok_v5_unsuback, sizeof ok_v5_unsuback, V5, &d), sizeof ok_v5_unsuback);
    CHECK_EQ(tmq_check_ack_count(&d, 2), TMQ_OK);
    CHECK_EQ(tmq_check_ack_count(&d, 1), TMQ_ERR_SUBACK_COUNT);
    CHECK_EQ(tmq_check_ack_count(&d, 3), TMQ_ERR_SUBACK_COUNT);
}

/* ------------------------------------------------------ packet identifiers */

/* 3.1.1 2.3.1 [MQTT-2.3.1-1]: non-zero where present. */
TEST(packet_id_zero)
{
    BAD(V4, TMQ_ERR_PACKET_ID, 0x40, 0x02, 0x00, 0x00);
    BAD(V5, TMQ_ERR_PACKET_ID, 0x50, 0x02, 0x00, 0x00);
    BAD(V4, TMQ_ERR_PACKET_ID, 0x62, 0x02, 0x00, 0x00);
    BAD(V4, TMQ_ERR_PACKET_ID, 0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00);
    BAD(V5, TMQ_ERR_PACKET_ID, 0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00);
    BAD(V4, TMQ_ERR_PACKET_ID, 0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 't', 0x00);
    BAD(V4, TMQ_ERR_PACKET_ID, 0x90, 0x03, 0x00, 0x00, 0x00);
    BAD(V4, TMQ_ERR_PACKET_ID, 0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 't');
    BAD(V4, TMQ_ERR_PACKET_ID, 0xB0, 0x02, 0x00, 0x00);
}

/* ----------------------------------------------------------------- CONNECT */

/* 3.1.1 3.1.2.1 [MQTT-3.1.2-1], 3.1.2.2 [MQTT-3.1.2-2]. */
TEST(connect_wrong_protocol_name)
{
    BAD(V4, TMQ_ERR_PROTOCOL, 0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x04, 0x02, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c');
    BAD(V4, TMQ_ERR_PROTOCOL, 0x10, 0x0F, 0x00, 0x04, 'm', 'q', 't', 't', 0x04, 0x02, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c');
}

TEST(connect_level_mismatch)
{
    /* "MQTT" with level 3, "MQIsdp" with level 4 */
    BAD(V4, TMQ_ERR_PROTOCOL, 0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x03, 0x02, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c');
    BAD(V4, TMQ_ERR_PROTOCOL, 0x10, 0x11, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x04, 0x02, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c');
}

/* A level other than 3, 4, 5 in CONNECT is TMQ_ERR_VERSION, distinct from a
 * wrong protocol name (TMQ_ERR_PROTOCOL): a broker answers the first with
 * "unacceptable protocol version" (3.1.1 3.1.2.2 [MQTT-3.1.2-2]) and closes on
 * the second. */
TEST(connect_unknown_level)
{
    BAD(V4, TMQ_ERR_VERSION, 0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c');
    BAD(V4, TMQ_ERR_VERSION, 0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x00, 0x02, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c');
}

/* 3.1.1 3.1.2.3 [MQTT-3.1.2-3], 5.0 3.1.2.3: bit 0 reserved. */
TEST(connect_reserved_flag)
{
    BAD(V4, TMQ_ERR_RESERVED, 0x10, 0x0F, MQTT4, 0x03, 0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c');
    BAD(V5, TMQ_ERR_RESERVED, 0x10, 0x10, MQTT5, 0x03, 0x00, 0x0A, 0x00, 0x00, 0x03, 'a', 'b', 'c');
}

/* 3.1.1 3.1.2.6 [MQTT-3.1.2-13], 3.1.2.7 [MQTT-3.1.2-15]. */
TEST(connect_will_bits_without_will)
{
    BAD(V4, TMQ_ERR_WILL, 0x10, 0x0F, MQTT4, 0x0A, 0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c');
    BAD(V4, TMQ_ERR_WILL, 0x10, 0x0F, MQTT4, 0x12, 0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c');
    BAD(V4, TMQ_ERR_WILL, 0x10, 0x0F, MQTT4, 0x22, 0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c');
    BAD(V5, TMQ_ERR_WILL, 0x10, 0x10, MQTT5, 0x22, 0x00, 0x0A, 0x00, 0x00, 0x03, 'a', 'b', 'c');
}

/* 3.1.1 3.1.2.6 [MQTT-3.1.2-14]: will QoS 3. */
TEST(connect_will_qos3)
{
    BAD(V4, TMQ_ERR_QOS, 0x10, 0x13, MQTT4, 0x1E, 0x00, 0x00,
        0x00, 0x01, 'c', 0x00, 0x01, 'w', 0x00, 0x01, 'x');
}

/* 3.1.1 3.1.2.9 [MQTT-3.1.2-22]. */
TEST(connect_password_without_user)
{
    BAD(V4, TMQ_ERR_PASSWORD, 0x10, 0x12, MQTT4, 0x42, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c', 0x00, 0x01, 'p');
    BAD(V3, TMQ_ERR_PASSWORD, 0x10, 0x14, MQISDP3, 0x42, 0x00, 0x0A,
        0x00, 0x03, 'a', 'b', 'c', 0x00, 0x01, 'p');
}

/* 3.1.1 3.1.3.1 [MQTT-3.1.3-7]: an empty client id needs clean session;
 * MQTT V3.1: client id 1 to 23 characters. */
TEST(connect_client_id_rules)
{
    BAD(V4, TMQ_ERR_CLIENT_ID, 0x10, 0x0C, MQTT4, 0x00, 0x00, 0x0A, 0x00, 0x00);
    BAD(V3, TMQ_ERR_CLIENT_ID, 0x10, 0x26, MQISDP3, 0x02, 0x00, 0x0A,
        0x00, 0x18, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
        'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x');
    /* 23 is fine */
    GOOD(V3, 0x10, 0x25, MQISDP3, 0x02, 0x00, 0x0A,
        0x00, 0x17, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
        'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w');
}

/* ----------------------------------------------------------------- CONNACK */

/* 3.1.1 3.2.2.1: bits 7-1 of the acknowledge flags are reserved; same in 5.0. */
TEST(connack_reserved_flags)
{
    BAD(V4, TMQ_ERR_RESERVED, 0x20, 0x02, 0x02, 0x00);
    BAD(V5, TMQ_ERR_RESERVED, 0x20, 0x03, 0x80, 0x00, 0x00);
}

/* 3.1.1 table 3.1: 6-255 reserved. */
TEST(connack_return_code_6)
{
    BAD(V4, TMQ_ERR_REASON, 0x20, 0x02, 0x00, 0x06);
    BAD(V4, TMQ_ERR_REASON, 0x20, 0x02, 0x00, 0xFF);
}

/* 3.1.1 [MQTT-3.2.2-4], 5.0 [MQTT-3.2.2-6]: a refusal carries session present 0. */
TEST(connack_session_present_with_refusal)
{
    BAD(V4, TMQ_ERR_REASON, 0x20, 0x02, 0x01, 0x05);
    BAD(V5, TMQ_ERR_REASON, 0x20, 0x03, 0x01, 0x87, 0x00);
}

/* 5.0 3.2.2.2: 0x01 is not a CONNACK reason code. */
TEST(v5_connack_bad_reason)
{
    BAD(V5, TMQ_ERR_REASON, 0x20, 0x03, 0x00, 0x01, 0x00);
    BAD(V5, TMQ_ERR_REASON, 0x20, 0x03, 0x00, 0x8B, 0x00);
}

/* ------------------------------------------------------------ reason codes */

/* 5.0 3.4.2.1: PUBACK reasons are 0x00 0x10 0x80 0x83 0x87 0x90 0x91 0x97 0x99. */
TEST(v5_puback_bad_reason)
{
    BAD(V5, TMQ_ERR_REASON, 0x40, 0x03, 0x00, 0x01, 0x01);
    BAD(V5, TMQ_ERR_REASON, 0x40, 0x03, 0x00, 0x01, 0x92);
    BAD(V5, TMQ_ERR_REASON, 0x50, 0x03, 0x00, 0x01, 0x04);
}

/* 5.0 3.6.2.1 / 3.7.2.1: PUBREL and PUBCOMP take only 0x00 and 0x92. */
TEST(v5_pubrel_pubcomp_bad_reason)
{
    BAD(V5, TMQ_ERR_REASON, 0x62, 0x03, 0x00, 0x01, 0x10);
    BAD(V5, TMQ_ERR_REASON, 0x70, 0x03, 0x00, 0x01, 0x80);
}

/* 3.1.1 3.9.3 [MQTT-3.9.3-2] and 5.0 3.9.3. */
TEST(suback_unsuback_bad_code)
{
    BAD(V4, TMQ_ERR_REASON, 0x90, 0x03, 0x00, 0x01, 0x03);
    BAD(V4, TMQ_ERR_REASON, 0x90, 0x03, 0x00, 0x01, 0x81);
    BAD(V5, TMQ_ERR_REASON, 0x90, 0x04, 0x00, 0x01, 0x00, 0x03);
    BAD(V5, TMQ_ERR_REASON, 0xB0, 0x04, 0x00, 0x01, 0x00, 0x02);
}

TEST(v5_disconnect_bad_reason)
{
    BAD(V5, TMQ_ERR_REASON, 0xE0, 0x01, 0x05);
    BAD(V5, TMQ_ERR_REASON, 0xE0, 0x01, 0x84);
}

TEST(v5_auth_bad_reason)
{
    BAD(V5, TMQ_ERR_REASON, 0xF0, 0x02, 0x01, 0x00);
    BAD(V5, TMQ_ERR_REASON, 0xF0, 0x02, 0x87, 0x00);
}

/* -------------------------------------------------------------- properties */

/* 5.0 2.2.2.2: identifiers not in table 2-4. */
TEST(prop_unknown_id)
{
    BAD(V5, TMQ_ERR_PROP_ID, 0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x05, 0x00);
    BAD(V5, TMQ_ERR_PROP_ID, 0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x00, 0x00);
    BAD(V5, TMQ_ERR_PROP_ID, 0x40, 0x06, 0x00, 0x01, 0x10, 0x02, 0x7F, 0x00);
}

/* 5.0 table 2-4: a property used in a packet it does not belong to. */
TEST(prop_wrong_packet)
{
    /* Session Expiry Interval in PUBLISH */
    BAD(V5, TMQ_ERR_PROP_PACKET, 0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x11, 0x00, 0x00, 0x00, 0x0A);
    /* Reason String in PUBLISH */
    BAD(V5, TMQ_ERR_PROP_PACKET, 0x30, 0x08, 0x00, 0x01, 't', 0x04, 0x1F, 0x00, 0x01, 'x');
    /* Topic Alias in CONNECT */
    BAD(V5, TMQ_ERR_PROP_PACKET, 0x10, 0x11, MQTT5, 0x02, 0x00, 0x0A,
        0x03, 0x23, 0x00, 0x01, 0x00, 0x01, 'c');
    /* Subscription Identifier in UNSUBSCRIBE */
    BAD(V5, TMQ_ERR_PROP_PACKET, 0xA2, 0x08, 0x00, 0x01, 0x02, 0x0B, 0x01, 0x00, 0x01, 't');
}

/* Will properties and CONNECT properties are different sets. */
TEST(prop_wrong_packet_will)
{
    /* Will Delay Interval among the CONNECT properties */
    BAD(V5, TMQ_ERR_PROP_PACKET, 0x10, 0x13, MQTT5, 0x02, 0x00, 0x0A,
        0x05, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'c');
    /* Receive Maximum among the will properties */
    BAD(V5, TMQ_ERR_PROP_PACKET, 0x10, 0x17, MQTT5, 0x06, 0x00, 0x0A, 0x00,
        0x00, 0x01, 'c', 0x03, 0x21, 0x00, 0x01, 0x00, 0x01, 'w', 0x00, 0x00);
}

/* 5.0 2.2.2.2 and each property's text: "It is a Protocol Error to include
 * ... more than once". */
TEST(prop_duplicate)
{
    /* Content Type twice in PUBLISH */
    BAD(V5, TMQ_ERR_PROP_DUP, 0x30, 0x0C, 0x00, 0x01, 't',
        0x08, 0x03, 0x00, 0x01, 'a', 0x03, 0x00, 0x01, 'b');
    /* Reason String twice in PUBACK */
    BAD(V5, TMQ_ERR_PROP_DUP, 0x40, 0x0D, 0x00, 0x01, 0x80,
        0x09, 0x1F, 0x00, 0x02, 'a', 'b', 0x1F, 0x00, 0x01, 'c');
    /* Subscription Identifier twice in SUBSCRIBE (allowed only in PUBLISH) */
    BAD(V5, TMQ_ERR_PROP_DUP, 0x82, 0x0B, 0x00, 0x01,
        0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 't', 0x00);
    /* Session Expiry Interval twice in CONNECT */
    BAD(V5, TMQ_ERR_PROP_DUP, 0x10, 0x18, MQTT5, 0x02, 0x00, 0x0A,
        0x0A, 0x11, 0x00, 0x00, 0x00, 0x01, 0x11, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 'c');
}

/* Two User Properties, identical even, are fine. */
TEST(prop_user_property_repeats)
{
    GOOD(V5, 0x40, 0x12, 0x00, 0x01, 0x00,
         0x0E, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v');
}

/* Values out of range. */
TEST(prop_receive_maximum_0)
{
    /* 5.0 3.1.2.11.3 */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x10, 0x11, MQTT5, 0x02, 0x00, 0x0A,
        0x03, 0x21, 0x00, 0x00, 0x00, 0x01, 'c');
    /* 5.0 3.2.2.3.3 */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00);
}

TEST(prop_payload_format_2)
{
    /* 5.0 3.3.2.3.2: 0 or 1 */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x01, 0x02);
}

TEST(prop_other_values_out_of_range)
{
    /* Topic Alias 0 (3.3.2.3.4) */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x30, 0x07, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x00);
    /* Subscription Identifier 0 (3.8.2.1.2) */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x82, 0x09, 0x00, 0x01, 0x02, 0x0B, 0x00, 0x00, 0x01, 't', 0x00);
    /* Maximum QoS 2 (3.2.2.3.4) */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02);
    /* Retain Available 2 (3.2.2.3.5) */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x20, 0x05, 0x00, 0x00, 0x02, 0x25, 0x02);
    /* Maximum Packet Size 0 (3.1.2.11.4) */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x10, 0x13, MQTT5, 0x02, 0x00, 0x0A,
        0x05, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 'c');
    /* Request Problem Information 2 (3.1.2.11.7) */
    BAD(V5, TMQ_ERR_PROP_VALUE, 0x10, 0x10, MQTT5, 0x02, 0x00, 0x0A,
        0x02, 0x17, 0x02, 0x00, 0x01, 'c');
}

/* The property length runs past the packet. */
TEST(prop_length_past_packet)
{
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x30, 0x06, 0x00, 0x01, 't', 0x10, 0x23, 0x00);
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x40, 0x05, 0x00, 0x01, 0x10, 0x05, 0x1F);
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x20, 0x03, 0x00, 0x00, 0x01);
}

/* A value runs past the end of its property block (the packet goes on). */
TEST(prop_value_past_block)
{
    /* Content Type of length 5 in a 3-byte block */
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x30, 0x0C, 0x00, 0x01, 't',
        0x03, 0x03, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e');
    /* four-byte Message Expiry Interval in a 2-byte block */
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x30, 0x08, 0x00, 0x01, 't', 0x02, 0x02, 0x00, 'x', 'y');
    /* User Property value cut by the block */
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x40, 0x0D, 0x00, 0x01, 0x00,
        0x06, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', 0x00, 0x00);
}

/* Will property block longer than the packet. */
TEST(prop_will_length_past_packet)
{
    BAD(V5, TMQ_ERR_PROP_LENGTH, 0x10, 0x11, MQTT5, 0x06, 0x00, 0x0A, 0x00,
        0x00, 0x01, 'c', 0x40, 0x01, 0x01);
}

/* The property length is a variable byte integer: minimal (1.5.5). */
TEST(prop_length_not_minimal)
{
    BAD(V5, TMQ_ERR_VBI, 0x30, 0x05, 0x00, 0x01, 't', 0x80, 0x00);
}

/* Properties sent with a 3.1.1 stream are just payload there, but a 5.0 decoder
 * reading a 3.1.1 PUBACK with an extra byte must not take it for a reason. */
TEST(v4_puback_reason_byte_is_trailing)
{
    BAD(V4, TMQ_ERR_TRAILING, 0x40, 0x03, 0x00, 0x01, 0x10);
    GOOD(V5, 0x40, 0x03, 0x00, 0x01, 0x10);
}

/* ------------------------------------------------- every byte, every value */

/* Views returned on success must lie inside the packet. */
static int inside(tmq_bin b, const uint8_t *base, uint32_t len)
{
    if (b.p == NULL)
        return b.len == 0;
    return b.p >= base && b.p <= base + len && b.len <= (uint32_t)(base + len - b.p);
}

/* Reads every byte of a view so valgrind checks it. */
static unsigned touch(tmq_bin b)
{
    unsigned s = 0;
    uint32_t i;
    for (i = 0; i < b.len; i++)
        s += b.p[i];
    return s;
}

static int walk_props(const tmq_props *props, const uint8_t *base, uint32_t len, unsigned *sum)
{
    tmq_bin cur = props->raw;
    tmq_prop p;
    int guard = 0;
    if (!inside(props->raw, base, len))
        return 0;
    *sum += touch(props->raw);
    while (tmq_prop_next(&cur, &p)) {
        if (++guard > 1000 || !inside(p.str, base, len) || !inside(p.val, base, len))
            return 0;
        *sum += touch(p.str) + touch(p.val);
    }
    return 1;
}

static tmq_bin codes_view(const tmq_packet *d)
{
    tmq_bin b;
    b.p = d->u.codes.p;
    b.len = d->u.codes.count;
    return b;
}

/* Checks a successfully decoded packet: its views stay inside [base, base+len). */
static int decoded_sane(const tmq_packet *d, const uint8_t *base, uint32_t len, unsigned *sum)
{
    tmq_bin cur;
    tmq_sub s;
    uint16_t n = 0;
    if (d->type < TMQ_CONNECT || d->type > TMQ_AUTH)
        return 0;
    if (!walk_props(&d->props, base, len, sum))
        return 0;
    switch (d->type) {
    case TMQ_CONNECT:
        if (!inside(d->u.connect.client_id, base, len) || !inside(d->u.connect.username, base, len) ||
            !inside(d->u.connect.password, base, len) || !inside(d->u.connect.will_topic, base, len) ||
            !inside(d->u.connect.will_payload, base, len) ||
            !walk_props(&d->u.connect.will_props, base, len, sum))
            return 0;
        *sum += touch(d->u.connect.client_id) + touch(d->u.connect.username) +
                touch(d->u.connect.password) + touch(d->u.connect.will_topic) +
                touch(d->u.connect.will_payload);
        return d->u.connect.will_qos <= 2;
    case TMQ_PUBLISH:
        if (!inside(d->u.publish.topic, base, len) || !inside(d->u.publish.payload, base, len))
            return 0;
        *sum += touch(d->u.publish.topic) + touch(d->u.publish.payload);
        return d->u.publish.qos <= 2;
    case TMQ_SUBSCRIBE:
    case TMQ_UNSUBSCRIBE:
        if (!inside(d->u.subs.raw, base, len))
            return 0;
        cur = d->u.subs.raw;
        while (tmq_sub_next(&cur, d->type, &s)) {
            if (++n > d->u.subs.count || !inside(s.filter, base, len))
                return 0;
            *sum += touch(s.filter);
        }
        return n == d->u.subs.count && n > 0;
    case TMQ_SUBACK:
    case TMQ_UNSUBACK:
        if (d->u.codes.count && (!inside(codes_view(d), base, len) || d->u.codes.p == NULL))
            return 0;
        *sum += touch(codes_view(d));
        return 1;
    default:
        return 1;
    }
}

/* Decodes one mutated packet as `version`: the result is a length no greater
 * than the input with sane views, or one of the defined error codes. */
static int mutant_ok(const uint8_t *b, uint32_t n, uint8_t version, unsigned *sum, int32_t *res)
{
    tmq_packet d;
    int32_t r = tmq_decode(b, n, version, &d);
    *res = r;
    if (r > 0)
        return r >= 2 && r <= (int32_t)n && tmq_frame(b, n, version) == r &&
               decoded_sane(&d, b, (uint32_t)r, sum);
    return r >= TMQ_ERR_ARG && r <= TMQ_ERR_BUF_TOO_SMALL;
}

TEST(every_byte_every_value)
{
    unsigned i, v, sum = 0;
    unsigned long ok = 0, rejected = 0;
    uint32_t k;
    int j;
    for (i = 0; i < NSAMPLES; i++) {
        const uint32_t n = samples[i].n;
        const uint8_t versions[2] = { samples[i].version, samples[i].version == V5 ? V4 : V5 };
        uint8_t *b = malloc(n);
        int bad = 0;
        int32_t r = 0;
        CHECK(b != NULL);
        for (k = 0; k < n && !bad; k++) {
            for (v = 0; v < 256 && !bad; v++) {
                memcpy(b, samples[i].b, n);
                b[k] = (uint8_t)v;
                for (j = 0; j < 2 && !bad; j++) {
                    if (!mutant_ok(b, n, versions[j], &sum, &r)) {
                        fprintf(stderr, "  %s: byte %u = 0x%02x as version %u: result %ld\n",
                                samples[i].name, (unsigned)k, v, versions[j], (long)r);
                        bad = 1;
                    } else if (r > 0) {
                        ok++;
                    } else {
                        rejected++;
                    }
                }
            }
        }
        free(b);
        CHECK(!bad);
    }
    /* both outcomes happened: the mutations reached past the fixed header */
    CHECK(ok > 1000);
    CHECK(rejected > 1000);
    CHECK(sum != 1);   /* keeps the touched bytes observable */
}

/* Whatever the decoder accepts, the encoder accepts too and the result decodes
 * to the same packet length class: decode and encode validate alike. Runs over
 * every single-byte mutation of the samples that still decodes. */
TEST(decoder_and_encoder_agree)
{
    static uint8_t out[1024];
    unsigned i, v;
    uint32_t k;
    for (i = 0; i < NSAMPLES; i++) {
        const uint32_t n = samples[i].n;
        uint8_t *b = malloc(n);
        int bad = 0;
        CHECK(b != NULL);
        for (k = 0; k < n && !bad; k++) {
            for (v = 0; v < 256 && !bad; v++) {
                tmq_packet d, e;
                tmq_sub list[32];
                tmq_bin cur;
                int32_t r, w;
                uint16_t c = 0;
                memcpy(b, samples[i].b, n);
                b[k] = (uint8_t)v;
                r = tmq_decode(b, n, samples[i].version, &d);
                if (r <= 0)
                    continue;
                if (d.type == TMQ_SUBSCRIBE || d.type == TMQ_UNSUBSCRIBE) {
                    cur = d.u.subs.raw;
                    while (c < 32 && tmq_sub_next(&cur, d.type, &list[c]))
                        c++;
                    d.u.subs.list = list;
                    d.u.subs.count = c;
                }
                w = tmq_encode(out, sizeof out, &d);
                if (w <= 0 || tmq_decode(out, (uint32_t)w, d.version, &e) != w || e.type != d.type) {
                    fprintf(stderr, "  %s: byte %u = 0x%02x: decoded (%ld) but encode gave %ld\n",
                            samples[i].name, (unsigned)k, v, (long)r, (long)w);
                    bad = 1;
                }
            }
        }
        free(b);
        CHECK(!bad);
    }
}
