/* The smallest configuration, TMQ_WITH_V5=0 and TMQ_WITH_SERVER=0: the
 * 3.1.1 (and 3.1) client side that the size budget measures. It must work
 * on its own and refuse what it leaves out, never half-handle it. */
#include <string.h>
#include "harness.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/reader.h"
#include "tinymqtt/topic.h"

#define BIN(lit) ((tmq_bin){(const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1)})

TEST(built_without_5_and_broker_side)
{
    CHECK_EQ(TMQ_WITH_V5, 0);
    CHECK_EQ(TMQ_WITH_SERVER, 0);
}

TEST(connect_311_with_will_user_password)
{
    static const uint8_t want[] = {
        0x10, 0x20, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xEE, 0x00, 0x3C, /* will QoS 1, retain, user, pass, clean */
        0x00, 0x02, 'i', 'd', 0x00, 0x01, 'w', 0x00, 0x03, 'b', 'y', 'e',
        0x00, 0x04, 'u', 's', 'e', 'r', 0x00, 0x02, 'p', 'w'};
    uint8_t buf[64];
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.version = TMQ_V311;
    p.u.connect.clean = 1;
    p.u.connect.keepalive = 60;
    p.u.connect.client_id = BIN("id");
    p.u.connect.will_topic = BIN("w");
    p.u.connect.will_payload = BIN("bye");
    p.u.connect.will_qos = 1;
    p.u.connect.will_retain = 1;
    p.u.connect.username = BIN("user");
    p.u.connect.password = BIN("pw");
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), sizeof want);
    CHECK_MEM(buf, sizeof want, want, sizeof want);
}

TEST(connect_31_uses_mqisdp)
{
    static const uint8_t want[] = {0x10, 0x10, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02,
                                   0x00, 0x0A, 0x00, 0x02, 'i', 'd'};
    uint8_t buf[32];
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.version = TMQ_V31;
    p.u.connect.clean = 1;
    p.u.connect.keepalive = 10;
    p.u.connect.client_id = BIN("id");
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), sizeof want);
    CHECK_MEM(buf, sizeof want, want, sizeof want);
}

TEST(client_packets_round_trip_through_bytes)
{
    static const tmq_sub subs[] = {{{(const uint8_t *)"a/+", 3}, 1}, {{(const uint8_t *)"b/#", 3}, 2}};
    static const uint8_t want_sub[] = {0x82, 0x0E, 0x00, 0x05, 0x00, 0x03, 'a', '/', '+', 0x01,
                                       0x00, 0x03, 'b', '/', '#', 0x02};
    static const uint8_t want_pub[] = {0x3B, 0x07, 0x00, 0x01, 't', 0x00, 0x09, 'h', 'i'};
    static const uint8_t want_rel[] = {0x62, 0x02, 0x00, 0x09};
    uint8_t buf[32];
    tmq_packet p, d;
    memset(&p, 0, sizeof p);
    p.type = TMQ_SUBSCRIBE;
    p.version = TMQ_V311;
    p.id = 5;
    p.u.subs.list = subs;
    p.u.subs.count = 2;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), sizeof want_sub);
    CHECK_MEM(buf, sizeof want_sub, want_sub, sizeof want_sub);

    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.version = TMQ_V311;
    p.id = 9;
    p.u.publish.qos = 1;
    p.u.publish.dup = 1;
    p.u.publish.retain = 1;
    p.u.publish.topic = BIN("t");
    p.u.publish.payload = BIN("hi");
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), sizeof want_pub);
    CHECK_MEM(buf, sizeof want_pub, want_pub, sizeof want_pub);
    CHECK_EQ(tmq_decode(buf, sizeof want_pub, TMQ_V311, &d), sizeof want_pub);
    CHECK_EQ(d.id, 9);
    CHECK_EQ(d.u.publish.dup, 1);
    CHECK_MEM(d.u.publish.payload.p, d.u.publish.payload.len, "hi", 2);

    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBREL;
    p.version = TMQ_V311;
    p.id = 9;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), 4);
    CHECK_MEM(buf, 4, want_rel, 4);
}

TEST(server_packets_decode)
{
    static const uint8_t connack[] = {0x20, 0x02, 0x01, 0x00};
    static const uint8_t suback[] = {0x90, 0x04, 0x00, 0x05, 0x01, 0x80};
    static const uint8_t unsuback[] = {0xB0, 0x02, 0x00, 0x06};
    static const uint8_t pingresp[] = {0xD0, 0x00};
    tmq_packet d;
    CHECK_EQ(tmq_decode(connack, sizeof connack, TMQ_V311, &d), 4);
    CHECK_EQ(d.session_present, 1);
    CHECK_EQ(tmq_decode(suback, sizeof suback, TMQ_V311, &d), 6);
    CHECK_EQ(d.u.codes.count, 2);
    CHECK_EQ(d.u.codes.p[1], 0x80);
    CHECK_EQ(tmq_check_ack_count(&d, 2), TMQ_OK);
    CHECK_EQ(tmq_check_ack_count(&d, 1), TMQ_ERR_SUBACK_COUNT);
    CHECK_EQ(tmq_decode(unsuback, sizeof unsuback, TMQ_V311, &d), 4);
    CHECK_EQ(d.id, 6);
    CHECK_EQ(tmq_decode(pingresp, sizeof pingresp, TMQ_V311, &d), 2);
    CHECK_EQ(d.type, TMQ_PINGRESP);
}

TEST(refuses_5_and_properties)
{
    static const uint8_t puback5[] = {0x40, 0x03, 0x00, 0x01, 0x10};
    static const uint8_t auth[] = {0xF0, 0x00};
    static const tmq_prop alias = {TMQ_PROP_TOPIC_ALIAS, 1, {0, 0}, {0, 0}};
    uint8_t buf[32];
    tmq_packet p, d;
    memset(&p, 0, sizeof p);
    p.type = TMQ_PINGREQ;
    p.version = TMQ_V5;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_VERSION);
    CHECK_EQ(tmq_decode(puback5, sizeof puback5, TMQ_V5, &d), TMQ_ERR_VERSION);
    CHECK_EQ(tmq_decode(auth, sizeof auth, TMQ_V311, &d), TMQ_ERR_TYPE);
    p.type = TMQ_PUBLISH;
    p.version = TMQ_V311;
    p.u.publish.topic = BIN("t");
    p.props.list = &alias;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_VERSION);
}

TEST(refuses_broker_side_packets)
{
    static const uint8_t connect[] = {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                      0x00, 0x0A, 0x00, 0x02, 'i', 'd'};
    static const uint8_t subscribe[] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00};
    static const uint8_t pingreq[] = {0xC0, 0x00};
    uint8_t buf[16], code = 0;
    tmq_packet p, d;
    CHECK_EQ(tmq_decode(connect, sizeof connect, TMQ_V311, &d), TMQ_ERR_TYPE);
    CHECK_EQ(tmq_decode(subscribe, sizeof subscribe, TMQ_V311, &d), TMQ_ERR_TYPE);
    CHECK_EQ(tmq_decode(pingreq, sizeof pingreq, TMQ_V311, &d), TMQ_ERR_TYPE);
    memset(&p, 0, sizeof p);
    p.version = TMQ_V311;
    p.type = TMQ_CONNACK;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_TYPE);
    p.type = TMQ_SUBACK;
    p.id = 1;
    p.u.codes.p = &code;
    p.u.codes.count = 1;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_TYPE);
    p.type = TMQ_PINGRESP;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_TYPE);
}

TEST(malformed_input_still_refused)
{
    static const uint8_t liar[] = {0x30, 0x05, 0x00, 0x40, 'a', '/', 'b'};
    static const uint8_t qos3[] = {0x36, 0x00};
    static const uint8_t bad_utf8[] = {0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80};
    static const uint8_t trailing[] = {0x40, 0x03, 0x00, 0x01, 0x00};
    tmq_packet d;
    CHECK_EQ(tmq_decode(liar, sizeof liar, TMQ_V311, &d), TMQ_ERR_TOPIC_LENGTH);
    CHECK_EQ(tmq_decode(qos3, sizeof qos3, TMQ_V311, &d), TMQ_ERR_QOS);
    CHECK_EQ(tmq_decode(bad_utf8, sizeof bad_utf8, TMQ_V311, &d), TMQ_ERR_UTF8);
    CHECK_EQ(tmq_decode(trailing, sizeof trailing, TMQ_V311, &d), TMQ_ERR_TRAILING);
}

TEST(reader_and_matching_work_here_too)
{
    static const uint8_t stream[] = {0x20, 0x02, 0x00, 0x00, 0xD0, 0x00};
    uint8_t buf[8];
    const uint8_t *pkt;
    uint32_t len, i;
    int got = 0;
    tmq_reader r;
    tmq_reader_init(&r, buf, sizeof buf, TMQ_V311);
    for (i = 0; i < sizeof stream; i++) {
        CHECK_EQ(tmq_reader_feed(&r, stream + i, 1), 1);
        while (tmq_reader_next(&r, &pkt, &len) == 1)
            got++;
    }
    CHECK_EQ(got, 2);
    CHECK(tmq_topic_match((const uint8_t *)"a/+/c", 5, (const uint8_t *)"a/b/c", 5));
    CHECK(!tmq_topic_match((const uint8_t *)"#", 1, (const uint8_t *)"$SYS/x", 6));
    CHECK_EQ(tmq_filter_check((const uint8_t *)"a/#/b", 5), TMQ_ERR_FILTER);
}
