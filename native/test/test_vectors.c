/* Byte-exact vectors for the packet codec: every control packet of MQTT 3.1
 * (protocol level 3), 3.1.1 (level 4) and 5.0 (level 5).
 *
 * Every expected byte string below was written by hand from the
 * specifications (MQTT V3.1 section 3; OASIS MQTT 3.1.1 chapter 3; OASIS MQTT
 * 5.0 chapter 3 and 2.2.2 for properties). For each vector, check_vector()
 * asserts that
 *   (a) tmq_encode produces exactly those bytes and writes nothing after them,
 *   (b) tmq_encode(NULL, 0, ..) returns their length, and a buffer one byte
 *       short gives TMQ_ERR_BUF_TOO_SMALL without writing past its end,
 *   (c) tmq_decode of the bytes gives the packet back (the test then checks
 *       every field: strings as bytes, properties walked with tmq_prop_next),
 *   (d) encoding the decoded packet reproduces the bytes,
 * and that tmq_frame sees the same total length. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/topic.h"

/* ------------------------------------------------------------------ helpers */

/* A tmq_bin initializer for a string literal (usable in static tables). */
#define BIN(lit) { (const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1) }
/* The same as an expression. */
#define SB(lit) binn((lit), (uint32_t)(sizeof(lit) - 1))
#define COUNT(a) ((uint16_t)(sizeof(a) / sizeof((a)[0])))

static tmq_bin binn(const void *p, uint32_t len)
{
    tmq_bin b;
    b.p = (const uint8_t *)p;
    b.len = len;
    return b;
}

/* Checks a decoded byte range is present and equal to a literal. */
#define CHECK_BIN(b, lit)                                                      \
    do { CHECK((b).p != NULL);                                                 \
         CHECK_MEM((b).p, (b).len, (lit), sizeof(lit) - 1); } while (0)
/* Checks a decoded field is absent. */
#define CHECK_ABSENT(b) CHECK((b).p == NULL)

/* Checks inside helpers returning int (0 ok, -1 failed). */
#define H_CHECK(c) CHECK_R(c, -1)
#define H_EQ(got, want) CHECK_EQ_R(got, want, -1)
#define H_MEM(got, gl, want, wl) CHECK_MEM_R(got, gl, want, wl, -1)

#define VEC_MAX 512
#define GUARD 0xA5

/* Runs (a)-(d) for one vector; *out receives the decoded packet (views into
 * want, which must outlive it). */
static int check_vector(const tmq_packet *pkt, const uint8_t *want, uint32_t wlen, tmq_packet *out)
{
    static uint8_t buf[VEC_MAX + 16];
    static uint8_t more[VEC_MAX + 16];
    tmq_sub list[16];
    tmq_packet again, tmp;
    tmq_bin cur;
    int32_t n;
    uint32_t i;
    uint16_t k;

    H_CHECK(wlen >= 2 && wlen <= VEC_MAX);

    /* (b) size query */
    H_EQ(tmq_encode(NULL, 0, pkt), wlen);

    /* (a) exact bytes, nothing written after them */
    memset(buf, GUARD, sizeof buf);
    n = tmq_encode(buf, sizeof buf, pkt);
    H_EQ(n, wlen);
    H_MEM(buf, wlen, want, wlen);
    for (i = wlen; i < sizeof buf; i++)
        H_EQ(buf[i], GUARD);

    /* a buffer of exactly the packet's size is enough */
    memset(buf, GUARD, sizeof buf);
    H_EQ(tmq_encode(buf, wlen, pkt), wlen);
    H_MEM(buf, wlen, want, wlen);

    /* (b) one byte short: error, and no write past the capacity */
    memset(buf, GUARD, sizeof buf);
    H_EQ(tmq_encode(buf, wlen - 1, pkt), TMQ_ERR_BUF_TOO_SMALL);
    for (i = wlen - 1; i < sizeof buf; i++)
        H_EQ(buf[i], GUARD);
    H_EQ(tmq_encode(buf, 0, pkt), TMQ_ERR_BUF_TOO_SMALL);

    /* the fixed header alone gives the total length */
    H_EQ(tmq_frame(want, wlen, pkt->version), wlen);
    H_EQ(tmq_frame(want, 1, pkt->version), 0);

    /* (c) decode */
    memset(out, 0, sizeof *out);
    H_EQ(tmq_decode(want, wlen, pkt->version, out), wlen);
    H_EQ(out->type, pkt->type);
    H_EQ(out->version, pkt->version);

    /* bytes after the packet (the start of a PINGREQ) are not consumed */
    memcpy(more, want, wlen);
    memset(more + wlen, 0xC0, 8);
    H_EQ(tmq_decode(more, wlen + 8, pkt->version, &tmp), wlen);

    /* (d) decode -> encode */
    again = *out;
    if (out->type == TMQ_SUBSCRIBE || out->type == TMQ_UNSUBSCRIBE) {
        cur = out->u.subs.raw;
        k = 0;
        while (k < 16 && tmq_sub_next(&cur, out->type, &list[k]))
            k++;
        H_EQ(k, out->u.subs.count);
        again.u.subs.list = list;
        again.u.subs.count = k;
    }
    memset(buf, GUARD, sizeof buf);
    n = tmq_encode(buf, sizeof buf, &again);
    H_EQ(n, wlen);
    H_MEM(buf, wlen, want, wlen);
    return 0;
}

#define VECTOR(pkt, bytes, out) CHECK(check_vector(&(pkt), (bytes), sizeof(bytes), &(out)) == 0)

/* How a property's value is carried (MQTT 5.0, 2.2.2.2). */
enum kind { K_NUM, K_STR, K_PAIR, K_UNKNOWN };

static enum kind prop_kind(uint8_t id)
{
    switch (id) {
    case 0x01: case 0x02: case 0x0B: case 0x11: case 0x13: case 0x17: case 0x18:
    case 0x19: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x27:
    case 0x28: case 0x29: case 0x2A:
        return K_NUM;
    case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A:
    case 0x1C: case 0x1F:
        return K_STR;
    case 0x26:
        return K_PAIR;
    default:
        return K_UNKNOWN;
    }
}

/* Walks a decoded block with tmq_prop_next and compares it to want[n]. */
static int props_match(const tmq_props *got, const tmq_prop *want, int n)
{
    tmq_bin cur = got->raw;
    tmq_prop p;
    int i = 0;

    H_EQ(got->count, 0);
    while (tmq_prop_next(&cur, &p)) {
        H_CHECK(i < n);
        H_EQ(p.id, want[i].id);
        switch (prop_kind(p.id)) {
        case K_NUM:
            H_EQ(p.num, want[i].num);
            break;
        case K_STR:
            H_CHECK(p.str.p != NULL);
            H_MEM(p.str.p, p.str.len, want[i].str.p, want[i].str.len);
            break;
        case K_PAIR:
            H_CHECK(p.str.p != NULL && p.val.p != NULL);
            H_MEM(p.str.p, p.str.len, want[i].str.p, want[i].str.len);
            H_MEM(p.val.p, p.val.len, want[i].val.p, want[i].val.len);
            break;
        default:
            H_CHECK(!"unknown property id");
        }
        i++;
    }
    H_EQ(i, n);
    return 0;
}

#define CHECK_PROPS(got, want) CHECK(props_match(&(got), (want), COUNT(want)) == 0)
#define CHECK_NO_PROPS(got) CHECK(props_match(&(got), NULL, 0) == 0)

/* Checks the idx-th decoded SUBSCRIBE/UNSUBSCRIBE entry. */
static int sub_at(const tmq_packet *d, int idx, const char *filter, uint8_t opts)
{
    tmq_bin cur = d->u.subs.raw;
    tmq_sub s;
    int i;
    for (i = 0; i <= idx; i++)
        H_CHECK(tmq_sub_next(&cur, d->type, &s));
    H_CHECK(s.filter.p != NULL);
    H_MEM(s.filter.p, s.filter.len, filter, strlen(filter));
    if (d->type == TMQ_SUBSCRIBE)
        H_EQ(s.opts, opts);
    return 0;
}

#define CHECK_SUB(d, idx, filter, opts) CHECK(sub_at(&(d), (idx), (filter), (opts)) == 0)

/* ------------------------------------------------------------------ CONNECT */

/* MQTT V3.1 3.1: "MQIsdp", version 3, clean session, keepalive 60. */
static const uint8_t v3_connect[] = {
    0x10, 0x11,
    0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x3C,
    0x00, 0x03, 'c', '3', '1'
};

TEST(v3_connect_minimal)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V31 }, d;
    p.u.connect.client_id = SB("c31");
    p.u.connect.keepalive = 60;
    p.u.connect.clean = 1;
    VECTOR(p, v3_connect, d);
    CHECK_BIN(d.u.connect.client_id, "c31");
    CHECK_EQ(d.u.connect.keepalive, 60);
    CHECK_EQ(d.u.connect.clean, 1);
    CHECK_ABSENT(d.u.connect.will_topic);
    CHECK_ABSENT(d.u.connect.username);
    CHECK_ABSENT(d.u.connect.password);
}

/* 3.1 with will (QoS 1, retain), user name and password, clean session 0:
 * flags 0x80|0x40|0x20|0x08|0x04 = 0xEC. */
static const uint8_t v3_connect_full[] = {
    0x10, 0x1F,
    0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0xEC, 0x00, 0x0A,
    0x00, 0x01, 'c',
    0x00, 0x03, 'w', '/', 't',
    0x00, 0x03, 'b', 'y', 'e',
    0x00, 0x01, 'u',
    0x00, 0x01, 'p'
};

TEST(v3_connect_will_user_password)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V31 }, d;
    p.u.connect.client_id = SB("c");
    p.u.connect.will_topic = SB("w/t");
    p.u.connect.will_payload = SB("bye");
    p.u.connect.will_qos = 1;
    p.u.connect.will_retain = 1;
    p.u.connect.username = SB("u");
    p.u.connect.password = SB("p");
    p.u.connect.keepalive = 10;
    VECTOR(p, v3_connect_full, d);
    CHECK_BIN(d.u.connect.client_id, "c");
    CHECK_BIN(d.u.connect.will_topic, "w/t");
    CHECK_BIN(d.u.connect.will_payload, "bye");
    CHECK_EQ(d.u.connect.will_qos, 1);
    CHECK_EQ(d.u.connect.will_retain, 1);
    CHECK_BIN(d.u.connect.username, "u");
    CHECK_BIN(d.u.connect.password, "p");
    CHECK_EQ(d.u.connect.clean, 0);
    CHECK_EQ(d.u.connect.keepalive, 10);
}

/* 3.1.1 3.1: "MQTT", level 4, clean session, keepalive 10. */
static const uint8_t v4_connect[] = {
    0x10, 0x0F,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x0A,
    0x00, 0x03, 'a', 'b', 'c'
};

TEST(v4_connect_minimal)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V311 }, d;
    p.u.connect.client_id = SB("abc");
    p.u.connect.keepalive = 10;
    p.u.connect.clean = 1;
    VECTOR(p, v4_connect, d);
    CHECK_BIN(d.u.connect.client_id, "abc");
    CHECK_EQ(d.u.connect.keepalive, 10);
    CHECK_EQ(d.u.connect.clean, 1);
    CHECK_EQ(d.u.connect.will_qos, 0);
    CHECK_EQ(d.u.connect.will_retain, 0);
    CHECK_ABSENT(d.u.connect.will_topic);
    CHECK_ABSENT(d.u.connect.username);
    CHECK_ABSENT(d.u.connect.password);
}

/* The decoder takes the version from CONNECT itself (3.1.2.2), whatever the
 * caller passes. */
TEST(v4_connect_version_from_packet)
{
    tmq_packet d;
    CHECK_EQ(tmq_decode(v4_connect, sizeof v4_connect, TMQ_V5, &d), sizeof v4_connect);
    CHECK_EQ(d.version, TMQ_V311);
    CHECK_EQ(tmq_decode(v3_connect, sizeof v3_connect, TMQ_V311, &d), sizeof v3_connect);
    CHECK_EQ(d.version, TMQ_V31);
}

/* Will QoS 2 without retain, binary will payload with a NUL and 0xFF,
 * user name, binary password, clean session 0, keepalive 300:
 * flags 0x80|0x40|0x10|0x04 = 0xD4. */
static const uint8_t v4_connect_will[] = {
    0x10, 0x23,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xD4, 0x01, 0x2C,
    0x00, 0x03, 'i', 'd', '1',
    0x00, 0x03, 'a', '/', 'b',
    0x00, 0x02, 0x00, 0xFF,
    0x00, 0x04, 'u', 's', 'e', 'r',
    0x00, 0x03, 0x01, 0x02, 0x03
};

TEST(v4_connect_will_user_password)
{
    static const uint8_t wp[] = { 0x00, 0xFF }, pw[] = { 1, 2, 3 };
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V311 }, d;
    p.u.connect.client_id = SB("id1");
    p.u.connect.will_topic = SB("a/b");
    p.u.connect.will_payload = binn(wp, 2);
    p.u.connect.will_qos = 2;
    p.u.connect.username = SB("user");
    p.u.connect.password = binn(pw, 3);
    p.u.connect.keepalive = 300;
    VECTOR(p, v4_connect_will, d);
    CHECK_BIN(d.u.connect.client_id, "id1");
    CHECK_BIN(d.u.connect.will_topic, "a/b");
    CHECK_MEM(d.u.connect.will_payload.p, d.u.connect.will_payload.len, wp, 2);
    CHECK_EQ(d.u.connect.will_qos, 2);
    CHECK_EQ(d.u.connect.will_retain, 0);
    CHECK_BIN(d.u.connect.username, "user");
    CHECK_MEM(d.u.connect.password.p, d.u.connect.password.len, pw, 3);
    CHECK_EQ(d.u.connect.clean, 0);
    CHECK_EQ(d.u.connect.keepalive, 300);
}

/* Empty client id (allowed with clean session 1, 3.1.3.1), will with retain
 * at QoS 0 and an empty will message, user name only, keepalive 0:
 * flags 0x80|0x20|0x04|0x02 = 0xA6. */
static const uint8_t v4_connect_empty_id[] = {
    0x10, 0x15,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xA6, 0x00, 0x00,
    0x00, 0x00,
    0x00, 0x01, 't',
    0x00, 0x00,
    0x00, 0x02, 'm', 'e'
};

TEST(v4_connect_empty_client_id_will_retain)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V311 }, d;
    p.u.connect.client_id = SB("");
    p.u.connect.will_topic = SB("t");
    p.u.connect.will_payload = SB("");
    p.u.connect.will_retain = 1;
    p.u.connect.username = SB("me");
    p.u.connect.clean = 1;
    VECTOR(p, v4_connect_empty_id, d);
    CHECK(d.u.connect.client_id.p != NULL);
    CHECK_EQ(d.u.connect.client_id.len, 0);
    CHECK_BIN(d.u.connect.will_topic, "t");
    CHECK_EQ(d.u.connect.will_payload.len, 0);
    CHECK_EQ(d.u.connect.will_retain, 1);
    CHECK_EQ(d.u.connect.will_qos, 0);
    CHECK_BIN(d.u.connect.username, "me");
    CHECK_ABSENT(d.u.connect.password);
    CHECK_EQ(d.u.connect.keepalive, 0);
}

/* 5.0 3.1: level 5, clean start, keepalive 60, property length 0. */
static const uint8_t v5_connect[] = {
    0x10, 0x0F,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C,
    0x00,
    0x00, 0x02, 'v', '5'
};

TEST(v5_connect_minimal)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V5 }, d;
    p.u.connect.client_id = SB("v5");
    p.u.connect.keepalive = 60;
    p.u.connect.clean = 1;
    VECTOR(p, v5_connect, d);
    CHECK_BIN(d.u.connect.client_id, "v5");
    CHECK_EQ(d.u.connect.clean, 1);
    CHECK_EQ(d.u.connect.keepalive, 60);
    CHECK_NO_PROPS(d.props);
    CHECK_ABSENT(d.u.connect.will_topic);
}

static const tmq_prop v5_connect_props[] = {
    { .id = TMQ_PROP_SESSION_EXPIRY, .num = 3600 },
    { .id = TMQ_PROP_RECEIVE_MAXIMUM, .num = 20 },
    { .id = TMQ_PROP_USER, .str = BIN("k"), .val = BIN("v") },
    { .id = TMQ_PROP_REQUEST_PROBLEM_INFO, .num = 0 },
};
static const tmq_prop v5_will_props[] = {
    { .id = TMQ_PROP_WILL_DELAY, .num = 5 },
    { .id = TMQ_PROP_PAYLOAD_FORMAT, .num = 1 },
    { .id = TMQ_PROP_CONTENT_TYPE, .str = BIN("text") },
    { .id = TMQ_PROP_MESSAGE_EXPIRY, .num = 60 },
    { .id = TMQ_PROP_RESPONSE_TOPIC, .str = BIN("r") },
    { .id = TMQ_PROP_CORRELATION_DATA, .str = BIN("\xAA\xBB") },
    { .id = TMQ_PROP_USER, .str = BIN("a"), .val = BIN("b") },
};
/* Flags 0x80|0x40|0x20|0x08|0x04|0x02 = 0xEE; connect properties (17 bytes)
 * after the keepalive, will properties (35 bytes) before the will topic. */
static const uint8_t v5_connect_full[] = {
    0x10, 0x5A,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0xEE, 0x00, 0x1E,
    0x11,
      0x11, 0x00, 0x00, 0x0E, 0x10,
      0x21, 0x00, 0x14,
      0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
      0x17, 0x00,
    0x00, 0x03, 'c', 'i', 'd',
    0x23,
      0x18, 0x00, 0x00, 0x00, 0x05,
      0x01, 0x01,
      0x03, 0x00, 0x04, 't', 'e', 'x', 't',
      0x02, 0x00, 0x00, 0x00, 0x3C,
      0x08, 0x00, 0x01, 'r',
      0x09, 0x00, 0x02, 0xAA, 0xBB,
      0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b',
    0x00, 0x06, 'w', 'i', 'l', 'l', '/', 't',
    0x00, 0x04, 'g', 'o', 'n', 'e',
    0x00, 0x01, 'u',
    0x00, 0x02, 'p', 'w'
};

TEST(v5_connect_props_will_props)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V5 }, d;
    p.props.list = v5_connect_props;
    p.props.count = COUNT(v5_connect_props);
    p.u.connect.client_id = SB("cid");
    p.u.connect.will_props.list = v5_will_props;
    p.u.connect.will_props.count = COUNT(v5_will_props);
    p.u.connect.will_topic = SB("will/t");
    p.u.connect.will_payload = SB("gone");
    p.u.connect.will_qos = 1;
    p.u.connect.will_retain = 1;
    p.u.connect.username = SB("u");
    p.u.connect.password = SB("pw");
    p.u.connect.keepalive = 30;
    p.u.connect.clean = 1;
    VECTOR(p, v5_connect_full, d);
    CHECK_PROPS(d.props, v5_connect_props);
    CHECK_PROPS(d.u.connect.will_props, v5_will_props);
    /* raw blocks are views of the input, without their length prefix */
    CHECK(d.props.raw.p == v5_connect_full + 13);
    CHECK_EQ(d.props.raw.len, 17);
    CHECK(d.u.connect.will_props.raw.p == v5_connect_full + 36);
    CHECK_EQ(d.u.connect.will_props.raw.len, 35);
    CHECK_BIN(d.u.connect.client_id, "cid");
    CHECK_BIN(d.u.connect.will_topic, "will/t");
    CHECK_BIN(d.u.connect.will_payload, "gone");
    CHECK_EQ(d.u.connect.will_qos, 1);
    CHECK_EQ(d.u.connect.will_retain, 1);
    CHECK_BIN(d.u.connect.username, "u");
    CHECK_BIN(d.u.connect.password, "pw");
    CHECK_EQ(d.u.connect.keepalive, 30);
    CHECK_EQ(d.u.connect.clean, 1);
}

/* 5.0 allows a password without a user name (3.1.2.9): flags 0x40|0x02. */
static const uint8_t v5_connect_password_only[] = {
    0x10, 0x11,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x42, 0x00, 0x00,
    0x00,
    0x00, 0x01, 'x',
    0x00, 0x01, 's'
};

TEST(v5_connect_password_without_user)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V5 }, d;
    p.u.connect.client_id = SB("x");
    p.u.connect.password = SB("s");
    p.u.connect.clean = 1;
    VECTOR(p, v5_connect_password_only, d);
    CHECK_ABSENT(d.u.connect.username);
    CHECK_BIN(d.u.connect.password, "s");
    CHECK_BIN(d.u.connect.client_id, "x");
}

/* Enhanced authentication and limits, empty client id with clean start 0
 * (5.0 3.1.3.1 drops 3.1.1's clean-session requirement). */
static const tmq_prop v5_connect_auth_props[] = {
    { .id = TMQ_PROP_AUTH_METHOD, .str = BIN("SCRAM") },
    { .id = TMQ_PROP_AUTH_DATA, .str = BIN("\x01\x02") },
    { .id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM, .num = 10 },
    { .id = TMQ_PROP_MAXIMUM_PACKET_SIZE, .num = 4096 },
    { .id = TMQ_PROP_REQUEST_RESPONSE_INFO, .num = 1 },
};
static const uint8_t v5_connect_auth[] = {
    0x10, 0x24,
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x00, 0x00, 0x00,
    0x17,
      0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M',
      0x16, 0x00, 0x02, 0x01, 0x02,
      0x22, 0x00, 0x0A,
      0x27, 0x00, 0x00, 0x10, 0x00,
      0x19, 0x01,
    0x00, 0x00
};

TEST(v5_connect_auth_method)
{
    tmq_packet p = { .type = TMQ_CONNECT, .version = TMQ_V5 }, d;
    tmq_prop f;
    p.props.list = v5_connect_auth_props;
    p.props.count = COUNT(v5_connect_auth_props);
    p.u.connect.client_id = SB("");
    VECTOR(p, v5_connect_auth, d);
    CHECK_PROPS(d.props, v5_connect_auth_props);
    CHECK(d.u.connect.client_id.p != NULL);
    CHECK_EQ(d.u.connect.client_id.len, 0);
    CHECK_EQ(d.u.connect.clean, 0);
    CHECK_EQ(d.u.connect.keepalive, 0);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_MAXIMUM_PACKET_SIZE, &f) == 1);
    CHECK_EQ(f.num, 4096);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_AUTH_DATA, &f) == 1);
    CHECK_MEM(f.str.p, f.str.len, "\x01\x02", 2);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_RECEIVE_MAXIMUM, &f) == 0);
}

/* ------------------------------------------------------------------ CONNACK */

/* 3.1: byte 1 is reserved (topic name compression), byte 2 the return code. */
static const uint8_t v3_connack[] = { 0x20, 0x02, 0x00, 0x02 };

TEST(v3_connack_identifier_rejected)
{
    tmq_packet p = { .type = TMQ_CONNACK, .version = TMQ_V31, .reason = 2 }, d;
    VECTOR(p, v3_connack, d);
    CHECK_EQ(d.reason, 2);
    CHECK_EQ(d.session_present, 0);
}

static const uint8_t v4_connack_sp[] = { 0x20, 0x02, 0x01, 0x00 };

TEST(v4_connack_session_present)
{
    tmq_packet p = { .type = TMQ_CONNACK, .version = TMQ_V311, .session_present = 1 }, d;
    VECTOR(p, v4_connack_sp, d);
    CHECK_EQ(d.session_present, 1);
    CHECK_EQ(d.reason, 0);
}

/* Return codes 0..5 (3.1.1 table 3.1); session present is 0 with a refusal. */
TEST(v4_connack_every_return_code)
{
    uint8_t want[4] = { 0x20, 0x02, 0x00, 0x00 };
    uint8_t rc;
    for (rc = 0; rc <= 5; rc++) {
        tmq_packet p = { .type = TMQ_CONNACK, .version = TMQ_V311, .reason = rc }, d;
        want[3] = rc;
        CHECK(check_vector(&p, want, 4, &d) == 0);
        CHECK_EQ(d.reason, rc);
        CHECK_EQ(d.session_present, 0);
    }
}

static const uint8_t v5_connack[] = { 0x20, 0x03, 0x00, 0x00, 0x00 };

TEST(v5_connack_minimal)
{
    tmq_packet p = { .type = TMQ_CONNACK, .version = TMQ_V5 }, d;
    VECTOR(p, v5_connack, d);
    CHECK_EQ(d.reason, 0);
    CHECK_EQ(d.session_present, 0);
    CHECK_NO_PROPS(d.props);
}

static const tmq_prop v5_connack_props[] = {
    { .id = TMQ_PROP_ASSIGNED_CLIENT_ID, .str = BIN("auto-1") },
    { .id = TMQ_PROP_SERVER_KEEPALIVE, .num = 120 },
    { .id = TMQ_PROP_RECEIVE_MAXIMUM, .num = 10 },
    { .id = TMQ_PROP_MAXIMUM_QOS, .num = 1 },
    { .id = TMQ_PROP_RETAIN_AVAILABLE, .num = 0 },
    { .id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM, .num = 5 },
    { .id = TMQ_PROP_MAXIMUM_PACKET_SIZE, .num = 65536 },
    { .id = TMQ_PROP_WILDCARD_SUB_AVAILABLE, .num = 1 },
    { .id = TMQ_PROP_SUB_ID_AVAILABLE, .num = 1 },
    { .id = TMQ_PROP_SHARED_SUB_AVAILABLE, .num = 0 },
    { .id = TMQ_PROP_REASON_STRING, .str = BIN("ok") },
    { .id = TMQ_PROP_USER, .str = BIN("x"), .val = BIN("y") },
};
static const uint8_t v5_connack_full[] = {
    0x20, 0x30, 0x01, 0x00,
    0x2D,
      0x12, 0x00, 0x06, 'a', 'u', 't', 'o', '-', '1',
      0x13, 0x00, 0x78,
      0x21, 0x00, 0x0A,
      0x24, 0x01,
      0x25, 0x00,
      0x22, 0x00, 0x05,
      0x27, 0x00, 0x01, 0x00, 0x00,
      0x28, 0x01,
      0x29, 0x01,
      0x2A, 0x00,
      0x1F, 0x00, 0x02, 'o', 'k',
      0x26, 0x00, 0x01, 'x', 0x00, 0x01, 'y'
};

TEST(v5_connack_session_present_props)
{
    tmq_packet p = { .type = TMQ_CONNACK, .version = TMQ_V5, .session_present = 1 }, d;
    tmq_prop f;
    p.props.list = v5_connack_props;
    p.props.count = COUNT(v5_connack_props);
    VECTOR(p, v5_connack_full, d);
    CHECK_EQ(d.session_present, 1);
    CHECK_EQ(d.reason, 0);
    CHECK_PROPS(d.props, v5_connack_props);
    CHECK(d.props.raw.p == v5_connack_full + 5);
    CHECK_EQ(d.props.raw.len, 45);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_SERVER_KEEPALIVE, &f) == 1);
    CHECK_EQ(f.num, 120);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_ASSIGNED_CLIENT_ID, &f) == 1);
    CHECK_MEM(f.str.p, f.str.len, "auto-1", 6);
}

/* Reason 0x9C Use another server, with Server Reference. */
static const tmq_prop v5_connack_redirect_props[] = {
    { .id = TMQ_PROP_SERVER_REFERENCE, .str = BIN("other") },
};
static const uint8_t v5_connack_redirect[] = {
    0x20, 0x0B, 0x00, 0x9C,
    0x08, 0x1C, 0x00, 0x05, 'o', 't', 'h', 'e', 'r'
};

TEST(v5_connack_reason_server_reference)
{
    tmq_packet p = { .type = TMQ_CONNACK, .version = TMQ_V5, .reason = 0x9C }, d;
    p.props.list = v5_connack_redirect_props;
    p.props.count = 1;
    VECTOR(p, v5_connack_redirect, d);
    CHECK_EQ(d.reason, 0x9C);
    CHECK_EQ(d.session_present, 0);
    CHECK_PROPS(d.props, v5_connack_redirect_props);
}

/* ------------------------------------------------------------------ PUBLISH */

static const uint8_t v4_publish_q0[] = { 0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };

TEST(v4_publish_qos0)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 }, d;
    p.u.publish.topic = SB("a/b");
    p.u.publish.payload = SB("hi");
    VECTOR(p, v4_publish_q0, d);
    CHECK_BIN(d.u.publish.topic, "a/b");
    CHECK_BIN(d.u.publish.payload, "hi");
    CHECK_EQ(d.u.publish.qos, 0);
    CHECK_EQ(d.u.publish.retain, 0);
    CHECK_EQ(d.u.publish.dup, 0);
    CHECK_EQ(d.id, 0);
}

/* 0x33: QoS 1 (0x02) and RETAIN (0x01), packet id 10. */
static const uint8_t v4_publish_q1_retain[] = {
    0x33, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'x', 'y', 'z'
};

TEST(v4_publish_qos1_retain)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311, .id = 10 }, d;
    p.u.publish.topic = SB("a/b");
    p.u.publish.payload = SB("xyz");
    p.u.publish.qos = 1;
    p.u.publish.retain = 1;
    VECTOR(p, v4_publish_q1_retain, d);
    CHECK_EQ(d.id, 10);
    CHECK_EQ(d.u.publish.qos, 1);
    CHECK_EQ(d.u.publish.retain, 1);
    CHECK_EQ(d.u.publish.dup, 0);
    CHECK_BIN(d.u.publish.topic, "a/b");
    CHECK_BIN(d.u.publish.payload, "xyz");
}

/* 0x3C: DUP (0x08) and QoS 2 (0x04), packet id 65535, binary payload. */
static const uint8_t v4_publish_q2_dup[] = { 0x3C, 0x07, 0x00, 0x01, 't', 0xFF, 0xFF, 0x00, 0x01 };

TEST(v4_publish_qos2_dup)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311, .id = 0xFFFF }, d;
    p.u.publish.topic = SB("t");
    p.u.publish.payload = SB("\x00\x01");
    p.u.publish.qos = 2;
    p.u.publish.dup = 1;
    VECTOR(p, v4_publish_q2_dup, d);
    CHECK_EQ(d.id, 0xFFFF);
    CHECK_EQ(d.u.publish.qos, 2);
    CHECK_EQ(d.u.publish.dup, 1);
    CHECK_EQ(d.u.publish.retain, 0);
    CHECK_MEM(d.u.publish.payload.p, d.u.publish.payload.len, "\x00\x01", 2);
}

/* A zero-length retained message (3.3.1.3: clears the retained message). */
static const uint8_t v4_publish_empty[] = { 0x31, 0x05, 0x00, 0x03, 'a', '/', 'b' };

TEST(v4_publish_empty_payload_retain)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 }, d;
    p.u.publish.topic = SB("a/b");
    p.u.publish.retain = 1;
    VECTOR(p, v4_publish_empty, d);
    CHECK_EQ(d.u.publish.payload.len, 0);
    CHECK_EQ(d.u.publish.retain, 1);
    CHECK_BIN(d.u.publish.topic, "a/b");
}

static const uint8_t v3_publish_q1[] = {
    0x32, 0x09, 0x00, 0x04, 't', 'e', 's', 't', 0x12, 0x34, 'p'
};

TEST(v3_publish_qos1)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V31, .id = 0x1234 }, d;
    p.u.publish.topic = SB("test");
    p.u.publish.payload = SB("p");
    p.u.publish.qos = 1;
    VECTOR(p, v3_publish_q1, d);
    CHECK_EQ(d.id, 0x1234);
    CHECK_EQ(d.u.publish.qos, 1);
    CHECK_BIN(d.u.publish.topic, "test");
    CHECK_BIN(d.u.publish.payload, "p");
}

static const uint8_t v5_publish_q0[] = { 0x30, 0x08, 0x00, 0x03, 'a', '/', 'b', 0x00, 'h', 'i' };

TEST(v5_publish_qos0)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5 }, d;
    p.u.publish.topic = SB("a/b");
    p.u.publish.payload = SB("hi");
    VECTOR(p, v5_publish_q0, d);
    CHECK_BIN(d.u.publish.topic, "a/b");
    CHECK_BIN(d.u.publish.payload, "hi");
    CHECK_NO_PROPS(d.props);
}

/* Every PUBLISH property; two User Properties with the same name and two
 * Subscription Identifiers (1 and 128, a two-byte VBI), both allowed to repeat
 * (3.3.2.3.4, 3.3.2.3.7). */
static const tmq_prop v5_publish_props[] = {
    { .id = TMQ_PROP_PAYLOAD_FORMAT, .num = 1 },
    { .id = TMQ_PROP_MESSAGE_EXPIRY, .num = 300 },
    { .id = TMQ_PROP_TOPIC_ALIAS, .num = 7 },
    { .id = TMQ_PROP_RESPONSE_TOPIC, .str = BIN("r/1") },
    { .id = TMQ_PROP_CORRELATION_DATA, .str = BIN("\x01\x02\x03") },
    { .id = TMQ_PROP_USER, .str = BIN("a"), .val = BIN("1") },
    { .id = TMQ_PROP_USER, .str = BIN("a"), .val = BIN("2") },
    { .id = TMQ_PROP_SUBSCRIPTION_ID, .num = 1 },
    { .id = TMQ_PROP_SUBSCRIPTION_ID, .num = 128 },
    { .id = TMQ_PROP_CONTENT_TYPE, .str = BIN("json") },
};
static const uint8_t v5_publish_props_bytes[] = {
    0x32, 0x3A,
    0x00, 0x03, 's', '/', 't',
    0x00, 0x01,
    0x30,
      0x01, 0x01,
      0x02, 0x00, 0x00, 0x01, 0x2C,
      0x23, 0x00, 0x07,
      0x08, 0x00, 0x03, 'r', '/', '1',
      0x09, 0x00, 0x03, 0x01, 0x02, 0x03,
      0x26, 0x00, 0x01, 'a', 0x00, 0x01, '1',
      0x26, 0x00, 0x01, 'a', 0x00, 0x01, '2',
      0x0B, 0x01,
      0x0B, 0x80, 0x01,
      0x03, 0x00, 0x04, 'j', 's', 'o', 'n',
    '{', '}'
};

TEST(v5_publish_qos1_props)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5, .id = 1 }, d;
    tmq_prop f;
    p.u.publish.topic = SB("s/t");
    p.u.publish.payload = SB("{}");
    p.u.publish.qos = 1;
    p.props.list = v5_publish_props;
    p.props.count = COUNT(v5_publish_props);
    VECTOR(p, v5_publish_props_bytes, d);
    CHECK_EQ(d.id, 1);
    CHECK_EQ(d.u.publish.qos, 1);
    CHECK_BIN(d.u.publish.topic, "s/t");
    CHECK_BIN(d.u.publish.payload, "{}");
    CHECK_PROPS(d.props, v5_publish_props);
    CHECK(d.props.raw.p == v5_publish_props_bytes + 10);
    CHECK_EQ(d.props.raw.len, 48);
    /* tmq_prop_find returns the first of repeated properties */
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_SUBSCRIPTION_ID, &f) == 1);
    CHECK_EQ(f.num, 1);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_USER, &f) == 1);
    CHECK_MEM(f.val.p, f.val.len, "1", 1);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_TOPIC_ALIAS, &f) == 1);
    CHECK_EQ(f.num, 7);
    CHECK(tmq_prop_find(&d.props, TMQ_PROP_WILL_DELAY, &f) == 0);
}

/* Encoding props.raw (already encoded) followed by props.list: the block is
 * raw then list (packet.h), same bytes as the list-only encoding. */
TEST(v5_publish_props_raw_then_list)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5, .id = 1 };
    uint8_t out[128];
    p.u.publish.topic = SB("s/t");
    p.u.publish.payload = SB("{}");
    p.u.publish.qos = 1;
    p.props.raw = binn(v5_publish_props_bytes + 10, 22);  /* first five properties */
    p.props.list = v5_publish_props + 5;
    p.props.count = 5;
    CHECK_EQ(tmq_encode(NULL, 0, &p), sizeof v5_publish_props_bytes);
    CHECK_EQ(tmq_encode(out, sizeof out, &p), sizeof v5_publish_props_bytes);
    CHECK_MEM(out, sizeof v5_publish_props_bytes, v5_publish_props_bytes, sizeof v5_publish_props_bytes);
}

/* QoS 2 + DUP + RETAIN (0x3D), empty topic with a Topic Alias (3.3.2.1). */
static const tmq_prop v5_alias_props[] = { { .id = TMQ_PROP_TOPIC_ALIAS, .num = 7 } };
static const uint8_t v5_publish_alias[] = {
    0x3D, 0x09, 0x00, 0x00, 0x00, 0x05, 0x03, 0x23, 0x00, 0x07, 'z'
};

TEST(v5_publish_qos2_alias_empty_topic)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5, .id = 5 }, d;
    p.u.publish.topic = SB("");
    p.u.publish.payload = SB("z");
    p.u.publish.qos = 2;
    p.u.publish.dup = 1;
    p.u.publish.retain = 1;
    p.props.list = v5_alias_props;
    p.props.count = 1;
    VECTOR(p, v5_publish_alias, d);
    CHECK_EQ(d.u.publish.topic.len, 0);
    CHECK_EQ(d.u.publish.qos, 2);
    CHECK_EQ(d.u.publish.dup, 1);
    CHECK_EQ(d.u.publish.retain, 1);
    CHECK_EQ(d.id, 5);
    CHECK_PROPS(d.props, v5_alias_props);
    CHECK_BIN(d.u.publish.payload, "z");
}

static const uint8_t v5_publish_empty[] = { 0x30, 0x04, 0x00, 0x01, 't', 0x00 };

TEST(v5_publish_empty_payload)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5 }, d;
    p.u.publish.topic = SB("t");
    VECTOR(p, v5_publish_empty, d);
    CHECK_BIN(d.u.publish.topic, "t");
    CHECK_EQ(d.u.publish.payload.len, 0);
    CHECK_NO_PROPS(d.props);
}

/* ---------------------------------------------- PUBACK PUBREC PUBREL PUBCOMP */

/* 3.x: fixed header (PUBREL with flags 0010), remaining length 2, packet id. */
static int ack_3x(uint8_t version, uint8_t type, uint8_t first, uint16_t id)
{
    uint8_t want[4];
    tmq_packet p, d;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.version = version;
    p.id = id;
    want[0] = first;
    want[1] = 0x02;
    want[2] = (uint8_t)(id >> 8);
    want[3] = (uint8_t)id;
    if (check_vector(&p, want, 4, &d) != 0)
        return -1;
    H_EQ(d.id, id);
    return 0;
}

TEST(v4_pub_acks)
{
    CHECK(ack_3x(TMQ_V311, TMQ_PUBACK, 0x40, 0x0001) == 0);
    CHECK(ack_3x(TMQ_V311, TMQ_PUBREC, 0x50, 0x1234) == 0);
    CHECK(ack_3x(TMQ_V311, TMQ_PUBREL, 0x62, 0xABCD) == 0);
    CHECK(ack_3x(TMQ_V311, TMQ_PUBCOMP, 0x70, 0x00FF) == 0);
}

TEST(v3_pub_acks)
{
    CHECK(ack_3x(TMQ_V31, TMQ_PUBACK, 0x40, 0x0102) == 0);
    CHECK(ack_3x(TMQ_V31, TMQ_PUBREC, 0x50, 0x0304) == 0);
    CHECK(ack_3x(TMQ_V31, TMQ_PUBREL, 0x62, 0x0506) == 0);
    CHECK(ack_3x(TMQ_V31, TMQ_PUBCOMP, 0x70, 0x0708) == 0);
}

/* 5.0 3.4.2.1: Reason Code and Property Length omitted when the reason is
 * 0x00 and there are no properties: the same 2-byte form as 3.x. */
TEST(v5_pub_acks_short_form)
{
    tmq_packet d;
    CHECK(ack_3x(TMQ_V5, TMQ_PUBACK, 0x40, 0x0001) == 0);
    CHECK(ack_3x(TMQ_V5, TMQ_PUBREC, 0x50, 0x0002) == 0);
    CHECK(ack_3x(TMQ_V5, TMQ_PUBREL, 0x62, 0x0003) == 0);
    CHECK(ack_3x(TMQ_V5, TMQ_PUBCOMP, 0x70, 0x0004) == 0);
    {
        static const uint8_t b[] = { 0x40, 0x02, 0x00, 0x01 };
        CHECK_EQ(tmq_decode(b, sizeof b, TMQ_V5, &d), 4);
        CHECK_EQ(d.reason, 0);
        CHECK_NO_PROPS(d.props);
    }
}

/* Reason only (remaining length 3): 0x10 No matching subscribers. */
static const uint8_t v5_puback_reason[] = { 0x40, 0x03, 0x00, 0x01, 0x10 };

TEST(v5_puback_reason_only)
{
    tmq_packet p = { .type = TMQ_PUBACK, .version = TMQ_V5, .id = 1, .reason = 0x10 }, d;
    VECTOR(p, v5_puback_reason, d);
    CHECK_EQ(d.id, 1);
    CHECK_EQ(d.reason, 0x10);
    CHECK_NO_PROPS(d.props);
}

/* Reason 0x80 with Reason String and a User Property. */
static const tmq_prop v5_pubrec_props[] = {
    { .id = TMQ_PROP_REASON_STRING, .str = BIN("full") },
    { .id = TMQ_PROP_USER, .str = BIN("k"), .val = BIN("v") },
};
static const uint8_t v5_pubrec_bytes[] = {
    0x50, 0x12, 0x00, 0x02, 0x80,
    0x0E,
      0x1F, 0x00, 0x04, 'f', 'u', 'l', 'l',
      0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'
};

TEST(v5_pubrec_reason_props)
{
    tmq_packet p = { .type = TMQ_PUBREC, .version = TMQ_V5, .id = 2, .reason = 0x80 }, d;
    p.props.list = v5_pubrec_props;
    p.props.count = COUNT(v5_pubrec_props);
    VECTOR(p, v5_pubrec_bytes, d);
    CHECK_EQ(d.id, 2);
    CHECK_EQ(d.reason, 0x80);
    CHECK_PROPS(d.props, v5_pubrec_props);
}

/* PUBREL 0x92 Packet Identifier not found. */
static const uint8_t v5_pubrel_reason[] = { 0x62, 0x03, 0x00, 0x03, 0x92 };

TEST(v5_pubrel_reason_only)
{
    tmq_packet p = { .type = TMQ_PUBREL, .version = TMQ_V5, .id = 3, .reason = 0x92 }, d;
    VECTOR(p, v5_pubrel_reason, d);
    CHECK_EQ(d.id, 3);
    CHECK_EQ(d.reason, 0x92);
}

/* Reason 0x00 must still be written when properties follow. */
static const tmq_prop v5_pubcomp_props[] = { { .id = TMQ_PROP_REASON_STRING, .str = BIN("ok") } };
static const uint8_t v5_pubcomp_bytes[] = {
    0x70, 0x09, 0x00, 0x04, 0x00, 0x05, 0x1F, 0x00, 0x02, 'o', 'k'
};

TEST(v5_pubcomp_success_with_props)
{
    tmq_packet p = { .type = TMQ_PUBCOMP, .version = TMQ_V5, .id = 4 }, d;
    p.props.list = v5_pubcomp_props;
    p.props.count = 1;
    VECTOR(p, v5_pubcomp_bytes, d);
    CHECK_EQ(d.id, 4);
    CHECK_EQ(d.reason, 0);
    CHECK_PROPS(d.props, v5_pubcomp_props);
}

/* Longer forms that mean the same as the short one decode to the same
 * fields (3.4.2.2: property length absent when remaining length < 4). */
TEST(v5_puback_long_forms_decode)
{
    static const uint8_t rl3[] = { 0x40, 0x03, 0x00, 0x07, 0x00 };
    static const uint8_t rl4[] = { 0x40, 0x04, 0x00, 0x07, 0x00, 0x00 };
    static const uint8_t short_form[] = { 0x40, 0x02, 0x00, 0x07 };
    tmq_packet d;
    uint8_t out[8];
    CHECK_EQ(tmq_decode(rl3, sizeof rl3, TMQ_V5, &d), sizeof rl3);
    CHECK_EQ(d.id, 7);
    CHECK_EQ(d.reason, 0);
    CHECK_EQ(tmq_decode(rl4, sizeof rl4, TMQ_V5, &d), sizeof rl4);
    CHECK_EQ(d.id, 7);
    CHECK_EQ(d.reason, 0);
    CHECK_NO_PROPS(d.props);
    /* and encode to the shortest form */
    CHECK_EQ(tmq_encode(out, sizeof out, &d), sizeof short_form);
    CHECK_MEM(out, sizeof short_form, short_form, sizeof short_form);
}

/* ---------------------------------------------------------------- SUBSCRIBE */

static const tmq_sub v4_subs[] = {
    { BIN("a/+"), 1 }, { BIN("b/#"), 2 }, { BIN("c"), 0 },
};
static const uint8_t v4_subscribe[] = {
    0x82, 0x12, 0x00, 0x0A,
    0x00, 0x03, 'a', '/', '+', 0x01,
    0x00, 0x03, 'b', '/', '#', 0x02,
    0x00, 0x01, 'c', 0x00
};

TEST(v4_subscribe_three_filters)
{
    tmq_packet p = { .type = TMQ_SUBSCRIBE, .version = TMQ_V311, .id = 10 }, d;
    p.u.subs.list = v4_subs;
    p.u.subs.count = COUNT(v4_subs);
    VECTOR(p, v4_subscribe, d);
    CHECK_EQ(d.id, 10);
    CHECK_EQ(d.u.subs.count, 3);
    CHECK(d.u.subs.raw.p == v4_subscribe + 4);
    CHECK_EQ(d.u.subs.raw.len, 16);
    CHECK_SUB(d, 0, "a/+", 1);
    CHECK_SUB(d, 1, "b/#", 2);
    CHECK_SUB(d, 2, "c", 0);
}

static const tmq_sub v3_subs[] = { { BIN("t"), 0 } };
static const uint8_t v3_subscribe[] = { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00 };

TEST(v3_subscribe_one_filter)
{
    tmq_packet p = { .type = TMQ_SUBSCRIBE, .version = TMQ_V31, .id = 1 }, d;
    p.u.subs.list = v3_subs;
    p.u.subs.count = 1;
    VECTOR(p, v3_subscribe, d);
    CHECK_EQ(d.id, 1);
    CHECK_EQ(d.u.subs.count, 1);
    CHECK_SUB(d, 0, "t", 0);
}

/* Options (5.0 3.8.3.1): "x/y" QoS 1 + No Local (0x05); "z" QoS 2 + Retain
 * As Published + Retain Handling 1 (0x1A); a shared subscription QoS 0 +
 * Retain Handling 2 (0x20). Subscription Identifier 150 (VBI 0x96 0x01). */
static const tmq_sub v5_subs[] = {
    { BIN("x/y"), TMQ_SUB_NO_LOCAL | 1 },
    { BIN("z"), TMQ_SUB_RETAIN_AS_PUB | 0x10 | 2 },
    { BIN("$share/g/q"), 0x20 },
};
static const tmq_prop v5_subscribe_props[] = {
    { .id = TMQ_PROP_SUBSCRIPTION_ID, .num = 150 },
    { .id = TMQ_PROP_USER, .str = BIN("u"), .val = BIN("p") },
};
static const uint8_t v5_subscribe[] = {
    0x82, 0x24, 0x12, 0x34,
    0x0A,
      0x0B, 0x96, 0x01,
      0x26, 0x00, 0x01, 'u', 0x00, 0x01, 'p',
    0x00, 0x03, 'x', '/', 'y', 0x05,
    0x00, 0x01, 'z', 0x1A,
    0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'q', 0x20
};

TEST(v5_subscribe_options_and_id)
{
    tmq_packet p = { .type = TMQ_SUBSCRIBE, .version = TMQ_V5, .id = 0x1234 }, d;
    tmq_bin cur;
    tmq_sub s;
    p.u.subs.list = v5_subs;
    p.u.subs.count = COUNT(v5_subs);
    p.props.list = v5_subscribe_props;
    p.props.count = COUNT(v5_subscribe_props);
    VECTOR(p, v5_subscribe, d);
    CHECK_EQ(d.id, 0x1234);
    CHECK_EQ(d.u.subs.count, 3);
    CHECK_PROPS(d.props, v5_subscribe_props);
    CHECK_SUB(d, 0, "x/y", 0x05);
    CHECK_SUB(d, 1, "z", 0x1A);
    CHECK_SUB(d, 2, "$share/g/q", 0x20);
    cur = d.u.subs.raw;
    CHECK(tmq_sub_next(&cur, TMQ_SUBSCRIBE, &s));
    CHECK_EQ(s.opts & TMQ_SUB_QOS_MASK, 1);
    CHECK(s.opts & TMQ_SUB_NO_LOCAL);
    CHECK(!(s.opts & TMQ_SUB_RETAIN_AS_PUB));
    CHECK_EQ(TMQ_SUB_RETAIN_HANDLING(s.opts), 0);
    CHECK(tmq_sub_next(&cur, TMQ_SUBSCRIBE, &s));
    CHECK_EQ(s.opts & TMQ_SUB_QOS_MASK, 2);
    CHECK(!(s.opts & TMQ_SUB_NO_LOCAL));
    CHECK(s.opts & TMQ_SUB_RETAIN_AS_PUB);
    CHECK_EQ(TMQ_SUB_RETAIN_HANDLING(s.opts), 1);
    CHECK(tmq_sub_next(&cur, TMQ_SUBSCRIBE, &s));
    CHECK_EQ(TMQ_SUB_RETAIN_HANDLING(s.opts), 2);
    CHECK(!tmq_sub_next(&cur, TMQ_SUBSCRIBE, &s));
}

/* ------------------------------------------------------------------- SUBACK */

static const uint8_t v4_suback_codes[] = { 0x01, 0x02, 0x80 };
static const uint8_t v4_suback[] = { 0x90, 0x05, 0x00, 0x0A, 0x01, 0x02, 0x80 };

TEST(v4_suback_with_failure)
{
    tmq_packet p = { .type = TMQ_SUBACK, .version = TMQ_V311, .id = 10 }, d;
    p.u.codes.p = v4_suback_codes;
    p.u.codes.count = 3;
    VECTOR(p, v4_suback, d);
    CHECK_EQ(d.id, 10);
    CHECK_EQ(d.u.codes.count, 3);
    CHECK_MEM(d.u.codes.p, d.u.codes.count, v4_suback_codes, 3);
    CHECK_EQ(tmq_check_ack_count(&d, 3), TMQ_OK);
}

static const uint8_t v3_suback_codes[] = { 0x00 };
static const uint8_t v3_suback[] = { 0x90, 0x03, 0x00, 0x01, 0x00 };

TEST(v3_suback_granted)
{
    tmq_packet p = { .type = TMQ_SUBACK, .version = TMQ_V31, .id = 1 }, d;
    p.u.codes.p = v3_suback_codes;
    p.u.codes.count = 1;
    VECTOR(p, v3_suback, d);
    CHECK_EQ(d.id, 1);
    CHECK_EQ(d.u.codes.count, 1);
    CHECK_EQ(d.u.codes.p[0], 0);
}

static const uint8_t v5_suback_codes[] = { 0x01, 0x87, 0xA2 };
static const tmq_prop v5_suback_props[] = { { .id = TMQ_PROP_REASON_STRING, .str = BIN("yes") } };
static const uint8_t v5_suback[] = {
    0x90, 0x0C, 0x12, 0x34,
    0x06, 0x1F, 0x00, 0x03, 'y', 'e', 's',
    0x01, 0x87, 0xA2
};

TEST(v5_suback_reasons_props)
{
    tmq_packet p = { .type = TMQ_SUBACK, .version = TMQ_V5, .id = 0x1234 }, d;
    p.u.codes.p = v5_suback_codes;
    p.u.codes.count = 3;
    p.props.list = v5_suback_props;
    p.props.count = 1;
    VECTOR(p, v5_suback, d);
    CHECK_EQ(d.id, 0x1234);
    CHECK_PROPS(d.props, v5_suback_props);
    CHECK_EQ(d.u.codes.count, 3);
    CHECK_MEM(d.u.codes.p, d.u.codes.count, v5_suback_codes, 3);
    CHECK_EQ(tmq_check_ack_count(&d, 3), TMQ_OK);
}

/* Every SUBACK reason code of 5.0 3.9.3 decodes and encodes. */
TEST(v5_suback_every_reason_code)
{
    static const uint8_t ok[] = { 0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2 };
    uint8_t want[6] = { 0x90, 0x04, 0x00, 0x05, 0x00, 0x00 };
    unsigned i;
    for (i = 0; i < sizeof ok; i++) {
        tmq_packet p = { .type = TMQ_SUBACK, .version = TMQ_V5, .id = 5 }, d;
        p.u.codes.p = &ok[i];
        p.u.codes.count = 1;
        want[5] = ok[i];
        CHECK(check_vector(&p, want, 6, &d) == 0);
        CHECK_EQ(d.u.codes.count, 1);
        CHECK_EQ(d.u.codes.p[0], ok[i]);
    }
}

/* -------------------------------------------------------------- UNSUBSCRIBE */

static const tmq_sub v4_unsubs[] = { { BIN("a/b"), 0 }, { BIN("#"), 0 } };
static const uint8_t v4_unsubscribe[] = {
    0xA2, 0x0A, 0x00, 0x0B,
    0x00, 0x03, 'a', '/', 'b',
    0x00, 0x01, '#'
};

TEST(v4_unsubscribe_two_filters)
{
    tmq_packet p = { .type = TMQ_UNSUBSCRIBE, .version = TMQ_V311, .id = 11 }, d;
    p.u.subs.list = v4_unsubs;
    p.u.subs.count = 2;
    VECTOR(p, v4_unsubscribe, d);
    CHECK_EQ(d.id, 11);
    CHECK_EQ(d.u.subs.count, 2);
    CHECK_SUB(d, 0, "a/b", 0);
    CHECK_SUB(d, 1, "#", 0);
}

static const tmq_sub v3_unsubs[] = { { BIN("t"), 0 } };
static const uint8_t v3_unsubscribe[] = { 0xA2, 0x05, 0x00, 0x02, 0x00, 0x01, 't' };

TEST(v3_unsubscribe_one_filter)
{
    tmq_packet p = { .type = TMQ_UNSUBSCRIBE, .version = TMQ_V31, .id = 2 }, d;
    p.u.subs.list = v3_unsubs;
    p.u.subs.count = 1;
    VECTOR(p, v3_unsubscribe, d);
    CHECK_EQ(d.id, 2);
    CHECK_EQ(d.u.subs.count, 1);
    CHECK_SUB(d, 0, "t", 0);
}

static const tmq_sub v5_unsubs[] = { { BIN("a/+"), 0 }, { BIN("c"), 0 } };
static const tmq_prop v5_unsub_props[] = { { .id = TMQ_PROP_USER, .str = BIN("k"), .val = BIN("v") } };
static const uint8_t v5_unsubscribe[] = {
    0xA2, 0x12, 0x00, 0x0C,
    0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
    0x00, 0x03, 'a', '/', '+',
    0x00, 0x01, 'c'
};

TEST(v5_unsubscribe_props)
{
    tmq_packet p = { .type = TMQ_UNSUBSCRIBE, .version = TMQ_V5, .id = 12 }, d;
    p.u.subs.list = v5_unsubs;
    p.u.subs.count = 2;
    p.props.list = v5_unsub_props;
    p.props.count = 1;
    VECTOR(p, v5_unsubscribe, d);
    CHECK_EQ(d.id, 12);
    CHECK_PROPS(d.props, v5_unsub_props);
    CHECK_EQ(d.u.subs.count, 2);
    CHECK_SUB(d, 0, "a/+", 0);
    CHECK_SUB(d, 1, "c", 0);
}

/* ----------------------------------------------------------------- UNSUBACK */

static const uint8_t v4_unsuback[] = { 0xB0, 0x02, 0x00, 0x0B };

TEST(v3_v4_unsuback_no_payload)
{
    tmq_packet p = { .type = TMQ_UNSUBACK, .version = TMQ_V311, .id = 11 }, d;
    VECTOR(p, v4_unsuback, d);
    CHECK_EQ(d.id, 11);
    CHECK_EQ(d.u.codes.count, 0);
    /* 3.x UNSUBACK carries no codes: always matches */
    CHECK_EQ(tmq_check_ack_count(&d, 2), TMQ_OK);
    /* the same bytes in 3.1 */
    p.version = TMQ_V31;
    VECTOR(p, v4_unsuback, d);
    CHECK_EQ(d.id, 11);
    CHECK_EQ(d.u.codes.count, 0);
}

/* 0x00 Success, 0x11 No subscription existed. */
static const uint8_t v5_unsuback_codes[] = { 0x00, 0x11 };
static const uint8_t v5_unsuback[] = { 0xB0, 0x05, 0x00, 0x0C, 0x00, 0x00, 0x11 };

TEST(v5_unsuback_reason_codes)
{
    tmq_packet p = { .type = TMQ_UNSUBACK, .version = TMQ_V5, .id = 12 }, d;
    p.u.codes.p = v5_unsuback_codes;
    p.u.codes.count = 2;
    VECTOR(p, v5_unsuback, d);
    CHECK_EQ(d.id, 12);
    CHECK_EQ(d.u.codes.count, 2);
    CHECK_MEM(d.u.codes.p, 2, v5_unsuback_codes, 2);
    CHECK_NO_PROPS(d.props);
    CHECK_EQ(tmq_check_ack_count(&d, 2), TMQ_OK);
}

static const uint8_t v5_unsuback_props_codes[] = { 0x80 };
static const tmq_prop v5_unsuback_props[] = { { .id = TMQ_PROP_REASON_STRING, .str = BIN("no") } };
static const uint8_t v5_unsuback_with_props[] = {
    0xB0, 0x09, 0x00, 0x0D, 0x05, 0x1F, 0x00, 0x02, 'n', 'o', 0x80
};

TEST(v5_unsuback_reason_string)
{
    tmq_packet p = { .type = TMQ_UNSUBACK, .version = TMQ_V5, .id = 13 }, d;
    p.u.codes.p = v5_unsuback_props_codes;
    p.u.codes.count = 1;
    p.props.list = v5_unsuback_props;
    p.props.count = 1;
    VECTOR(p, v5_unsuback_with_props, d);
    CHECK_EQ(d.id, 13);
    CHECK_PROPS(d.props, v5_unsuback_props);
    CHECK_EQ(d.u.codes.count, 1);
    CHECK_EQ(d.u.codes.p[0], 0x80);
}

/* ---------------------------------------------------------- PINGREQ/PINGRESP */

static const uint8_t pingreq[] = { 0xC0, 0x00 };
static const uint8_t pingresp[] = { 0xD0, 0x00 };

TEST(ping_every_version)
{
    static const uint8_t versions[] = { TMQ_V31, TMQ_V311, TMQ_V5 };
    unsigned i;
    for (i = 0; i < sizeof versions; i++) {
        tmq_packet q = { .type = TMQ_PINGREQ, .version = versions[i] };
        tmq_packet r = { .type = TMQ_PINGRESP, .version = versions[i] };
        tmq_packet d;
        CHECK(check_vector(&q, pingreq, 2, &d) == 0);
        CHECK(check_vector(&r, pingresp, 2, &d) == 0);
    }
}

/* --------------------------------------------------------------- DISCONNECT */

static const uint8_t disconnect_empty[] = { 0xE0, 0x00 };

TEST(v3_v4_disconnect)
{
    tmq_packet p3 = { .type = TMQ_DISCONNECT, .version = TMQ_V31 }, d;
    tmq_packet p4 = { .type = TMQ_DISCONNECT, .version = TMQ_V311 };
    CHECK(check_vector(&p3, disconnect_empty, 2, &d) == 0);
    CHECK(check_vector(&p4, disconnect_empty, 2, &d) == 0);
}

/* 5.0 3.14.2.1: remaining length 0 means reason 0x00, no properties. */
TEST(v5_disconnect_rl0)
{
    tmq_packet p = { .type = TMQ_DISCONNECT, .version = TMQ_V5 }, d;
    VECTOR(p, disconnect_empty, d);
    CHECK_EQ(d.reason, 0);
    CHECK_NO_PROPS(d.props);
}

/* 0x04 Disconnect with Will Message, reason only. */
static const uint8_t v5_disconnect_reason[] = { 0xE0, 0x01, 0x04 };

TEST(v5_disconnect_reason_only)
{
    tmq_packet p = { .type = TMQ_DISCONNECT, .version = TMQ_V5, .reason = 0x04 }, d;
    VECTOR(p, v5_disconnect_reason, d);
    CHECK_EQ(d.reason, 0x04);
    CHECK_NO_PROPS(d.props);
}

static const tmq_prop v5_disconnect_props[] = {
    { .id = TMQ_PROP_SESSION_EXPIRY, .num = 60 },
    { .id = TMQ_PROP_REASON_STRING, .str = BIN("bye") },
    { .id = TMQ_PROP_USER, .str = BIN("a"), .val = BIN("b") },
};
static const uint8_t v5_disconnect_with_props[] = {
    0xE0, 0x14, 0x04,
    0x12,
      0x11, 0x00, 0x00, 0x00, 0x3C,
      0x1F, 0x00, 0x03, 'b', 'y', 'e',
      0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b'
};

TEST(v5_disconnect_reason_props)
{
    tmq_packet p = { .type = TMQ_DISCONNECT, .version = TMQ_V5, .reason = 0x04 }, d;
    p.props.list = v5_disconnect_props;
    p.props.count = COUNT(v5_disconnect_props);
    VECTOR(p, v5_disconnect_with_props, d);
    CHECK_EQ(d.reason, 0x04);
    CHECK_PROPS(d.props, v5_disconnect_props);
}

/* Server side: 0x9C Use another server with Server Reference. */
static const tmq_prop v5_disconnect_server_props[] = {
    { .id = TMQ_PROP_SERVER_REFERENCE, .str = BIN("host2") },
};
static const uint8_t v5_disconnect_server[] = {
    0xE0, 0x0A, 0x9C, 0x08, 0x1C, 0x00, 0x05, 'h', 'o', 's', 't', '2'
};

TEST(v5_disconnect_server_reference)
{
    tmq_packet p = { .type = TMQ_DISCONNECT, .version = TMQ_V5, .reason = 0x9C }, d;
    p.props.list = v5_disconnect_server_props;
    p.props.count = 1;
    VECTOR(p, v5_disconnect_server, d);
    CHECK_EQ(d.reason, 0x9C);
    CHECK_PROPS(d.props, v5_disconnect_server_props);
}

/* 3.14.2.2.1: property length absent when remaining length < 2. */
TEST(v5_disconnect_long_forms_decode)
{
    static const uint8_t rl1[] = { 0xE0, 0x01, 0x00 };
    static const uint8_t rl2[] = { 0xE0, 0x02, 0x00, 0x00 };
    tmq_packet d;
    uint8_t out[4];
    CHECK_EQ(tmq_decode(rl1, sizeof rl1, TMQ_V5, &d), 3);
    CHECK_EQ(d.reason, 0);
    CHECK_EQ(tmq_decode(rl2, sizeof rl2, TMQ_V5, &d), 4);
    CHECK_EQ(d.reason, 0);
    CHECK_NO_PROPS(d.props);
    CHECK_EQ(tmq_encode(out, sizeof out, &d), 2);
    CHECK_MEM(out, 2, disconnect_empty, 2);
}

/* --------------------------------------------------------------------- AUTH */

static const uint8_t auth_empty[] = { 0xF0, 0x00 };

TEST(v5_auth_rl0)
{
    tmq_packet p = { .type = TMQ_AUTH, .version = TMQ_V5 }, d;
    VECTOR(p, auth_empty, d);
    CHECK_EQ(d.reason, 0);
    CHECK_NO_PROPS(d.props);
}

/* 0x18 Continue authentication, method and data. */
static const tmq_prop v5_auth_props[] = {
    { .id = TMQ_PROP_AUTH_METHOD, .str = BIN("SCRAM") },
    { .id = TMQ_PROP_AUTH_DATA, .str = BIN("\x01\x02\x03") },
};
static const uint8_t v5_auth_continue[] = {
    0xF0, 0x10, 0x18,
    0x0E,
      0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M',
      0x16, 0x00, 0x03, 0x01, 0x02, 0x03
};

TEST(v5_auth_continue_method_data)
{
    tmq_packet p = { .type = TMQ_AUTH, .version = TMQ_V5, .reason = 0x18 }, d;
    p.props.list = v5_auth_props;
    p.props.count = COUNT(v5_auth_props);
    VECTOR(p, v5_auth_continue, d);
    CHECK_EQ(d.reason, 0x18);
    CHECK_PROPS(d.props, v5_auth_props);
}

/* 0x19 Re-authenticate with the method only. */
static const tmq_prop v5_auth_method_only[] = { { .id = TMQ_PROP_AUTH_METHOD, .str = BIN("SCRAM") } };
static const uint8_t v5_auth_reauth[] = {
    0xF0, 0x0A, 0x19, 0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'
};

TEST(v5_auth_reauthenticate)
{
    tmq_packet p = { .type = TMQ_AUTH, .version = TMQ_V5, .reason = 0x19 }, d;
    p.props.list = v5_auth_method_only;
    p.props.count = 1;
    VECTOR(p, v5_auth_reauth, d);
    CHECK_EQ(d.reason, 0x19);
    CHECK_PROPS(d.props, v5_auth_method_only);
}

/* 3.15.2.1 lets only "reason 0x00 and no properties" drop the property
 * length; a non-zero reason without properties keeps it (0x00). */
static const uint8_t v5_auth_reason_no_props[] = { 0xF0, 0x02, 0x19, 0x00 };

TEST(v5_auth_reason_without_props)
{
    tmq_packet p = { .type = TMQ_AUTH, .version = TMQ_V5, .reason = 0x19 }, d;
    VECTOR(p, v5_auth_reason_no_props, d);
    CHECK_EQ(d.reason, 0x19);
    CHECK_NO_PROPS(d.props);
}

/* ------------------------------------------------- remaining length limits */

#define BIG (2097152u + 16u)
static uint8_t big_payload[BIG];
static uint8_t big_out[BIG + 16];

/* A QoS 0 PUBLISH to "t" whose remaining length is exactly rl. */
static int publish_of_rl(uint32_t rl, const uint8_t *hdr, int hlen)
{
    tmq_packet p, d;
    uint32_t total = 1 + (uint32_t)hlen + rl;
    int32_t n;
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.version = TMQ_V311;
    p.u.publish.topic = SB("t");
    p.u.publish.payload = binn(big_payload, rl - 3);
    H_EQ(tmq_encode(NULL, 0, &p), total);
    n = tmq_encode(big_out, sizeof big_out, &p);
    H_EQ(n, total);
    H_EQ(big_out[0], 0x30);
    H_MEM(big_out + 1, hlen, hdr, hlen);
    H_MEM(big_out + 1 + hlen, 3, "\x00\x01t", 3);
    H_MEM(big_out + 4 + hlen, rl - 3, big_payload, rl - 3);
    H_EQ(tmq_encode(big_out, total - 1, &p), TMQ_ERR_BUF_TOO_SMALL);
    H_EQ(tmq_frame(big_out, 1 + (uint32_t)hlen, TMQ_V311), total);
    H_EQ(tmq_frame(big_out, (uint32_t)hlen, TMQ_V311), 0);
    H_EQ(tmq_decode(big_out, total, TMQ_V311, &d), total);
    H_EQ(d.u.publish.payload.len, rl - 3);
    H_CHECK(d.u.publish.payload.p == big_out + 4 + hlen);
    H_EQ(tmq_decode(big_out, total - 1, TMQ_V311, &d), TMQ_ERR_INCOMPLETE);
    return 0;
}

TEST(remaining_length_127_128)
{
    uint32_t i;
    for (i = 0; i < BIG; i++)
        big_payload[i] = (uint8_t)(i * 7u + 1u);
    CHECK(publish_of_rl(127, (const uint8_t *)"\x7F", 1) == 0);
    CHECK(publish_of_rl(128, (const uint8_t *)"\x80\x01", 2) == 0);
}

TEST(remaining_length_16383_16384)
{
    uint32_t i;
    for (i = 0; i < BIG; i++)
        big_payload[i] = (uint8_t)(i * 13u + 5u);
    CHECK(publish_of_rl(16383, (const uint8_t *)"\xFF\x7F", 2) == 0);
    CHECK(publish_of_rl(16384, (const uint8_t *)"\x80\x80\x01", 3) == 0);
}

TEST(remaining_length_2097151_2097152)
{
    uint32_t i;
    for (i = 0; i < BIG; i++)
        big_payload[i] = (uint8_t)(i >> 3);
    CHECK(publish_of_rl(2097151, (const uint8_t *)"\xFF\xFF\x7F", 3) == 0);
    CHECK(publish_of_rl(2097152, (const uint8_t *)"\x80\x80\x80\x01", 4) == 0);
}

/* A packet above 268,435,455 bytes of remaining length cannot be encoded
 * (1.5.5); the size query must say so without touching the payload. */
TEST(remaining_length_too_large)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 };
    p.u.publish.topic = SB("t");
    p.u.publish.payload = binn(big_payload, TMQ_MAX_REMAINING - 2);
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_TOO_LARGE);
    p.u.publish.payload.len = TMQ_MAX_REMAINING - 3;
    CHECK_EQ(tmq_encode(NULL, 0, &p), 1 + 4 + TMQ_MAX_REMAINING);
}

/* --------------------------------------------------- variable byte integer */

/* 3.1.1 2.2.3 / 5.0 1.5.5 table: the boundaries of 1..4 byte encodings. */
static const struct { uint32_t v; uint8_t n; uint8_t b[4]; } vbi_table[] = {
    { 0, 1, { 0x00 } },
    { 127, 1, { 0x7F } },
    { 128, 2, { 0x80, 0x01 } },
    { 16383, 2, { 0xFF, 0x7F } },
    { 16384, 3, { 0x80, 0x80, 0x01 } },
    { 2097151, 3, { 0xFF, 0xFF, 0x7F } },
    { 2097152, 4, { 0x80, 0x80, 0x80, 0x01 } },
    { 268435455, 4, { 0xFF, 0xFF, 0xFF, 0x7F } },
    { 150, 2, { 0x96, 0x01 } },
    { 321, 2, { 0xC1, 0x02 } },
};

TEST(vbi_encode_boundaries)
{
    unsigned i;
    uint8_t out[8];
    for (i = 0; i < sizeof vbi_table / sizeof vbi_table[0]; i++) {
        memset(out, GUARD, sizeof out);
        CHECK_EQ(tmq_vbi_encode(out, vbi_table[i].v), vbi_table[i].n);
        CHECK_MEM(out, vbi_table[i].n, vbi_table[i].b, vbi_table[i].n);
        CHECK_EQ(out[vbi_table[i].n], GUARD);
    }
    CHECK_EQ(tmq_vbi_encode(out, 268435456u), TMQ_ERR_TOO_LARGE);
    CHECK_EQ(tmq_vbi_encode(out, 0xFFFFFFFFu), TMQ_ERR_TOO_LARGE);
}

TEST(vbi_decode_boundaries)
{
    unsigned i;
    uint32_t v;
    uint8_t in[8];
    for (i = 0; i < sizeof vbi_table / sizeof vbi_table[0]; i++) {
        /* exact length, then with a following byte that must be ignored */
        v = 0xDEADBEEF;
        CHECK_EQ(tmq_vbi_decode(vbi_table[i].b, vbi_table[i].n, &v), vbi_table[i].n);
        CHECK_EQ(v, vbi_table[i].v);
        memcpy(in, vbi_table[i].b, vbi_table[i].n);
        in[vbi_table[i].n] = 0x7F;
        CHECK_EQ(tmq_vbi_decode(in, vbi_table[i].n + 1u, &v), vbi_table[i].n);
        CHECK_EQ(v, vbi_table[i].v);
        /* every proper prefix needs more bytes */
        if (vbi_table[i].n > 1)
            CHECK_EQ(tmq_vbi_decode(vbi_table[i].b, vbi_table[i].n - 1u, &v), 0);
    }
    CHECK_EQ(tmq_vbi_decode(in, 0, &v), 0);
}

TEST(vbi_decode_errors)
{
    static const uint8_t five[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
    static const uint8_t five_zero[] = { 0x80, 0x80, 0x80, 0x80, 0x00 };
    static const uint8_t nm2[] = { 0x80, 0x00 };              /* 0 in two bytes */
    static const uint8_t nm3[] = { 0xFF, 0x80, 0x00 };        /* 127 in three bytes */
    static const uint8_t nm4[] = { 0x80, 0x80, 0x80, 0x00 };  /* 0 in four bytes */
    uint32_t v;
    CHECK_EQ(tmq_vbi_decode(five, sizeof five, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(five_zero, sizeof five_zero, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(nm2, sizeof nm2, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(nm3, sizeof nm3, &v), TMQ_ERR_VBI);
    CHECK_EQ(tmq_vbi_decode(nm4, sizeof nm4, &v), TMQ_ERR_VBI);
}

/* --------------------------------------------------------------- streams */

/* Several packets back to back decode one after another by returned length. */
TEST(stream_of_packets)
{
    static uint8_t s[256];
    static const uint8_t types[] = { TMQ_CONNACK, TMQ_PUBLISH, TMQ_PUBACK, TMQ_SUBACK, TMQ_PINGRESP };
    uint32_t len = 0, off = 0;
    unsigned i = 0;
    tmq_packet d;
    int32_t n;
    memcpy(s + len, v4_connack_sp, sizeof v4_connack_sp); len += sizeof v4_connack_sp;
    memcpy(s + len, v4_publish_q1_retain, sizeof v4_publish_q1_retain); len += sizeof v4_publish_q1_retain;
    memcpy(s + len, "\x40\x02\x00\x0A", 4); len += 4;
    memcpy(s + len, v4_suback, sizeof v4_suback); len += sizeof v4_suback;
    memcpy(s + len, pingresp, 2); len += 2;
    while (off < len) {
        CHECK_EQ(tmq_frame(s + off, len - off, TMQ_V311) > 0, 1);
        n = tmq_decode(s + off, len - off, TMQ_V311, &d);
        CHECK(n > 0);
        CHECK_EQ(n, tmq_frame(s + off, len - off, TMQ_V311));
        CHECK(i < sizeof types);
        CHECK_EQ(d.type, types[i]);
        off += (uint32_t)n;
        i++;
    }
    CHECK_EQ(i, sizeof types);
    CHECK_EQ(off, len);
}

/* ------------------------------------------------ encoder-side validation */

TEST(encode_rejects_wildcard_topic)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 };
    uint8_t out[32];
    p.u.publish.topic = SB("a/+");
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_TOPIC);
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_TOPIC);
    p.u.publish.topic = SB("a/#");
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_TOPIC);
    p.u.publish.topic = SB("");   /* empty topic without alias (4.7.3) */
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_TOPIC);
    p.version = TMQ_V5;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_TOPIC);
}

TEST(encode_rejects_qos3)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311, .id = 1 }, c;
    uint8_t out[64];
    p.u.publish.topic = SB("t");
    p.u.publish.qos = 3;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_QOS);
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_QOS);
    /* will QoS 3 */
    memset(&c, 0, sizeof c);
    c.type = TMQ_CONNECT;
    c.version = TMQ_V311;
    c.u.connect.client_id = SB("c");
    c.u.connect.will_topic = SB("w");
    c.u.connect.will_payload = SB("x");
    c.u.connect.will_qos = 3;
    CHECK_EQ(tmq_encode(out, sizeof out, &c), TMQ_ERR_QOS);
}

TEST(encode_rejects_packet_id_0)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 };
    tmq_packet a = { .type = TMQ_PUBACK, .version = TMQ_V5 };
    tmq_packet s = { .type = TMQ_SUBSCRIBE, .version = TMQ_V311 };
    uint8_t out[32];
    p.u.publish.topic = SB("t");
    p.u.publish.qos = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_PACKET_ID);
    p.u.publish.qos = 2;
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_PACKET_ID);
    CHECK_EQ(tmq_encode(out, sizeof out, &a), TMQ_ERR_PACKET_ID);
    s.u.subs.list = v3_subs;
    s.u.subs.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &s), TMQ_ERR_PACKET_ID);
}

/* Properties exist only in 5.0. */
TEST(encode_rejects_props_before_v5)
{
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 };
    tmq_packet w = { .type = TMQ_CONNECT, .version = TMQ_V311 };
    uint8_t out[64];
    p.u.publish.topic = SB("t");
    p.props.list = v5_alias_props;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_VERSION);
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_VERSION);
    p.props.list = NULL;
    p.props.count = 0;
    p.props.raw = SB("\x23\x00\x07");
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_VERSION);
    w.u.connect.client_id = SB("c");
    w.u.connect.will_topic = SB("w");
    w.u.connect.will_payload = SB("x");
    w.u.connect.will_props.list = v5_will_props;
    w.u.connect.will_props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &w), TMQ_ERR_VERSION);
}

TEST(encode_rejects_bad_version)
{
    tmq_packet p = { .type = TMQ_PINGREQ, .version = 6 };
    uint8_t out[8];
    int32_t r;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_VERSION);
    p.version = 2;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_VERSION);
    /* AUTH does not exist before 5.0 (error.h allows either code) */
    p.type = TMQ_AUTH;
    p.version = TMQ_V311;
    r = tmq_encode(out, sizeof out, &p);
    CHECK(r == TMQ_ERR_TYPE || r == TMQ_ERR_VERSION);
}

/* 5.0 table 2-4: Topic Alias belongs to PUBLISH, Will Delay to the will,
 * Session Expiry not to PUBLISH. */
TEST(encode_rejects_prop_of_other_packet)
{
    static const tmq_prop alias[] = { { .id = TMQ_PROP_TOPIC_ALIAS, .num = 1 } };
    static const tmq_prop delay[] = { { .id = TMQ_PROP_WILL_DELAY, .num = 1 } };
    static const tmq_prop rmax[] = { { .id = TMQ_PROP_RECEIVE_MAXIMUM, .num = 1 } };
    tmq_packet c = { .type = TMQ_CONNECT, .version = TMQ_V5 };
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5 };
    uint8_t out[64];
    c.u.connect.client_id = SB("c");
    c.props.list = alias;
    c.props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &c), TMQ_ERR_PROP_PACKET);
    CHECK_EQ(tmq_encode(NULL, 0, &c), TMQ_ERR_PROP_PACKET);
    c.props.list = delay;  /* a will property, not a CONNECT one */
    CHECK_EQ(tmq_encode(out, sizeof out, &c), TMQ_ERR_PROP_PACKET);
    c.props.count = 0;
    c.u.connect.will_topic = SB("w");
    c.u.connect.will_payload = SB("x");
    c.u.connect.will_props.list = rmax;
    c.u.connect.will_props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &c), TMQ_ERR_PROP_PACKET);
    p.u.publish.topic = SB("t");
    p.props.list = delay;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_PROP_PACKET);
}

/* 5.0 2.2.2.2: only User Property (and Subscription Identifier in PUBLISH)
 * may repeat. */
TEST(encode_rejects_duplicate_prop)
{
    static const tmq_prop two_ct[] = {
        { .id = TMQ_PROP_CONTENT_TYPE, .str = BIN("a") },
        { .id = TMQ_PROP_CONTENT_TYPE, .str = BIN("b") },
    };
    static const tmq_prop two_subid[] = {
        { .id = TMQ_PROP_SUBSCRIPTION_ID, .num = 1 },
        { .id = TMQ_PROP_SUBSCRIPTION_ID, .num = 2 },
    };
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5 };
    tmq_packet s = { .type = TMQ_SUBSCRIBE, .version = TMQ_V5, .id = 1 };
    uint8_t out[64];
    p.u.publish.topic = SB("t");
    p.props.list = two_ct;
    p.props.count = 2;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_PROP_DUP);
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_PROP_DUP);
    /* a duplicate split across raw and list is still a duplicate */
    p.props.raw = SB("\x03\x00\x01" "a");
    p.props.list = two_ct + 1;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_PROP_DUP);
    s.u.subs.list = v3_subs;
    s.u.subs.count = 1;
    s.props.list = two_subid;
    s.props.count = 2;
    CHECK_EQ(tmq_encode(out, sizeof out, &s), TMQ_ERR_PROP_DUP);
}

TEST(encode_rejects_prop_value)
{
    static const tmq_prop rmax0[] = { { .id = TMQ_PROP_RECEIVE_MAXIMUM, .num = 0 } };
    static const tmq_prop pfi2[] = { { .id = TMQ_PROP_PAYLOAD_FORMAT, .num = 2 } };
    tmq_packet c = { .type = TMQ_CONNECT, .version = TMQ_V5 };
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V5 };
    uint8_t out[64];
    c.u.connect.client_id = SB("c");
    c.props.list = rmax0;
    c.props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &c), TMQ_ERR_PROP_VALUE);
    p.u.publish.topic = SB("t");
    p.props.list = pfi2;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_PROP_VALUE);
}

TEST(encode_rejects_bad_strings_and_filters)
{
    static const tmq_sub bad_filter[] = { { BIN("a/#/b"), 0 } };
    static const tmq_sub no_filters[] = { { BIN("a"), 0 } };
    tmq_packet p = { .type = TMQ_PUBLISH, .version = TMQ_V311 };
    tmq_packet s = { .type = TMQ_SUBSCRIBE, .version = TMQ_V311, .id = 1 };
    tmq_packet c = { .type = TMQ_CONNECT, .version = TMQ_V311 };
    uint8_t out[64];
    p.u.publish.topic = SB("a\xC0\xAF");   /* overlong '/' */
    CHECK_EQ(tmq_encode(out, sizeof out, &p), TMQ_ERR_UTF8);
    s.u.subs.list = bad_filter;
    s.u.subs.count = 1;
    CHECK_EQ(tmq_encode(out, sizeof out, &s), TMQ_ERR_FILTER);
    s.u.subs.list = no_filters;
    s.u.subs.count = 0;
    CHECK_EQ(tmq_encode(out, sizeof out, &s), TMQ_ERR_NO_FILTERS);
    c.u.connect.client_id = SB("c");
    c.u.connect.password = SB("p");   /* 3.1.1 3.1.2.9: password needs a user name */
    CHECK_EQ(tmq_encode(out, sizeof out, &c), TMQ_ERR_PASSWORD);
}
