/* The codec's refusals of inconsistent input that the vectors do not reach:
 * a length without its data, counts without their lists, reasons a packet
 * may not carry, fields over 65,535 bytes; the matching rules for '$'
 * topics and a trailing level; the backoff policy given zeros. */
#include <string.h>
#include "harness.h"
#include "tinymqtt/backoff.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/topic.h"

#define BIN(lit) ((tmq_bin){(const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1)})

/* A packet of `type` for `version` with id 1, everything else zero. */
static tmq_packet packet(uint8_t type, uint8_t version)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.version = version;
    p.id = 1;
    return p;
}

/* The encoder's answer for p, asked for the length and asked to write. */
static int32_t encoded(const tmq_packet *p)
{
    uint8_t buf[64];
    int32_t need = tmq_encode(NULL, 0, p), wrote = tmq_encode(buf, sizeof buf, p);
    return need == wrote ? wrote : -1000;
}

TEST(subscribe_and_unsubscribe_need_a_list_of_filters)
{
    static const uint8_t versions[] = {TMQ_V311, TMQ_V5};
    static const uint8_t types[] = {TMQ_SUBSCRIBE, TMQ_UNSUBSCRIBE};
    static const tmq_sub sub = {{(const uint8_t *)"a", 1}, 0};
    unsigned v, t;
    for (v = 0; v < 2; v++)
        for (t = 0; t < 2; t++) {
            tmq_packet p = packet(types[t], versions[v]);
            CHECK_EQ(encoded(&p), TMQ_ERR_NO_FILTERS);
            p.u.subs.count = 1; /* a count without its list */
            CHECK_EQ(encoded(&p), TMQ_ERR_ARG);
            p.u.subs.list = &sub;
            CHECK(encoded(&p) > 0);
        }
}

TEST(suback_and_5_0_unsuback_need_their_codes)
{
    static const uint8_t code = 0;
    static const struct { uint8_t type, version; } cases[] = {
        {TMQ_SUBACK, TMQ_V311}, {TMQ_SUBACK, TMQ_V5}, {TMQ_UNSUBACK, TMQ_V5},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tmq_packet p = packet(cases[i].type, cases[i].version);
        CHECK_EQ(encoded(&p), TMQ_ERR_NO_FILTERS);
        p.u.codes.count = 1; /* a count without its codes */
        CHECK_EQ(encoded(&p), TMQ_ERR_ARG);
        p.u.codes.p = &code;
        CHECK(encoded(&p) > 0);
    }
}

TEST(reason_codes_a_packet_may_not_carry_are_refused)
{
    tmq_packet p = packet(TMQ_PUBACK, TMQ_V5);
    p.reason = 0x01; /* not a PUBACK reason */
    CHECK_EQ(encoded(&p), TMQ_ERR_REASON);
    p.reason = 0x10; /* No matching subscribers */
    CHECK_EQ(encoded(&p), 5);
    p = packet(TMQ_DISCONNECT, TMQ_V5);
    p.reason = 0x01;
    CHECK_EQ(encoded(&p), TMQ_ERR_REASON);
    /* CONNACK: a refusal never has a session present [MQTT-3.2.2-4, -6] */
    p = packet(TMQ_CONNACK, TMQ_V311);
    p.session_present = 1;
    CHECK_EQ(encoded(&p), 4);
    p.reason = 5;
    CHECK_EQ(encoded(&p), TMQ_ERR_REASON);
    p.session_present = 0;
    CHECK_EQ(encoded(&p), 4);
    p.reason = 6; /* 3.1.1 has return codes 0-5 */
    CHECK_EQ(encoded(&p), TMQ_ERR_REASON);
}

TEST(packet_types_without_a_body_and_reserved_types)
{
    static const uint8_t pingresp[] = {0xD0, 0x00};
    uint8_t buf[4];
    tmq_packet p = packet(TMQ_PINGRESP, TMQ_V311);
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), 2);
    CHECK_MEM(buf, 2, pingresp, sizeof pingresp);
    p.type = 0;
    CHECK_EQ(encoded(&p), TMQ_ERR_TYPE);
    p.type = TMQ_AUTH; /* 5.0 only */
    CHECK_EQ(encoded(&p), TMQ_ERR_TYPE);
}

/* A PUBLISH's topic may be empty only in 5.0 and only with a Topic Alias. */
TEST(an_empty_topic_needs_a_5_0_topic_alias)
{
    static const uint8_t want[] = {0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01};
    uint8_t buf[16];
    tmq_prop alias;
    tmq_packet p = packet(TMQ_PUBLISH, TMQ_V5);
    CHECK_EQ(encoded(&p), TMQ_ERR_TOPIC);
    memset(&alias, 0, sizeof alias);
    alias.id = TMQ_PROP_TOPIC_ALIAS;
    alias.num = 1;
    p.props.list = &alias;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), (int32_t)sizeof want);
    CHECK_MEM(buf, sizeof want, want, sizeof want);
    p.version = TMQ_V311;
    CHECK_EQ(encoded(&p), TMQ_ERR_TOPIC);
}

/* A length without data, a property list count without a list, a user
 * property without its value, and a binary field over 65,535 bytes. */
TEST(lengths_and_counts_without_their_data_are_refused)
{
    static uint8_t big[70000];
    static const uint8_t want[] = {0x30, 0x0B, 0x00, 0x01, 't', 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
    uint8_t buf[16];
    tmq_prop user;
    tmq_packet p = packet(TMQ_PUBLISH, TMQ_V5);
    p.u.publish.topic = BIN("t");
    p.u.publish.payload.len = 3; /* payload.p NULL */
    CHECK_EQ(encoded(&p), TMQ_ERR_ARG);
    p.u.publish.payload.len = 0;
    p.props.raw.len = 2; /* raw.p NULL */
    CHECK_EQ(encoded(&p), TMQ_ERR_ARG);
    p.props.raw.len = 0;
    p.props.count = 1; /* list NULL */
    CHECK_EQ(encoded(&p), TMQ_ERR_ARG);
    memset(&user, 0, sizeof user);
    user.id = TMQ_PROP_USER;
    user.str = BIN("k");
    p.props.list = &user;
    CHECK_EQ(encoded(&p), TMQ_ERR_ARG);
    user.val = BIN("v");
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), (int32_t)sizeof want);
    CHECK_MEM(buf, sizeof want, want, sizeof want);

    p = packet(TMQ_CONNECT, TMQ_V311);
    p.u.connect.client_id = BIN("c");
    p.u.connect.username = BIN("u");
    p.u.connect.password.p = big;
    p.u.connect.password.len = sizeof big;
    CHECK_EQ(tmq_encode(NULL, 0, &p), TMQ_ERR_TOO_LARGE);
    p.u.connect.password.len = 0xFFFF;
    CHECK(tmq_encode(NULL, 0, &p) > 0xFFFF);
}

/* Walking a property block stops at its end, at a malformed property, and
 * on a cursor without data. */
TEST(prop_next_stops_at_a_malformed_property)
{
    static const uint8_t block[] = {0x23, 0x00, 0x05, 0x26, 0x00};
    tmq_bin cursor = {block, sizeof block};
    tmq_prop p;
    CHECK_EQ(tmq_prop_next(&cursor, &p), 1);
    CHECK_EQ(p.id, TMQ_PROP_TOPIC_ALIAS);
    CHECK_EQ(p.num, 5);
    CHECK_EQ(tmq_prop_next(&cursor, &p), 0); /* a user property cut short */
    CHECK_EQ(cursor.len, 0);
    cursor.p = NULL;
    cursor.len = 4;
    CHECK_EQ(tmq_prop_next(&cursor, &p), 0);
}

#define MATCH(f, t) tmq_topic_match((const uint8_t *)(f), sizeof(f) - 1, (const uint8_t *)(t), sizeof(t) - 1)

/* [MQTT-4.7.2-1]: a filter starting with a wildcard matches no topic
 * starting with '$'; "sport/tennis/+" does not match "sport/tennis" while
 * "sport/tennis/#" does (4.7.1.2, 4.7.1.3). */
TEST(wildcards_and_dollar_topics_and_the_parent_level)
{
    CHECK_EQ(MATCH("#", "$SYS/uptime"), 0);
    CHECK_EQ(MATCH("+/uptime", "$SYS/uptime"), 0);
    CHECK_EQ(MATCH("$SYS/#", "$SYS/uptime"), 1);
    CHECK_EQ(MATCH("sport/tennis/#", "sport/tennis"), 1);
    CHECK_EQ(MATCH("sport/tennis/+", "sport/tennis"), 0);
    CHECK_EQ(MATCH("sport/tennis/x", "sport/tennis"), 0);
    CHECK_EQ(MATCH("$share/g/sport/#", "sport"), 1);
}

/* Zeros where the policy asks for a nonzero seed and a factor of at least
 * 1: the jitter still varies and the ceiling holds instead of collapsing. */
TEST(backoff_given_a_zero_seed_and_factor)
{
    tmq_backoff b;
    uint32_t d, distinct = 0, last = 0;
    unsigned i;
    memset(&b, 0, sizeof b);
    b.base_ms = 1000;
    b.max_ms = 8000;
    for (i = 0; i < 8; i++) {
        d = tmq_backoff_next(&b);
        CHECK(d <= 1000);
        CHECK_EQ(b.ceiling_ms, 1000);
        distinct += i == 0 || d != last;
        last = d;
    }
    CHECK(distinct > 4);
}
