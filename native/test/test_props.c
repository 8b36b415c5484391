/* MQTT 5.0 properties through the public API: building, walking, finding,
 * and the rules on where and how often each may appear. */
#include <string.h>
#include "harness.h"
#include "tinymqtt/packet.h"

#define BIN(lit) {(const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1)}

static tmq_packet publish5(const tmq_prop *props, uint16_t count)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.version = TMQ_V5;
    p.id = 7;
    p.u.publish.qos = 1;
    p.u.publish.topic.p = (const uint8_t *)"t";
    p.u.publish.topic.len = 1;
    p.props.list = props;
    p.props.count = count;
    return p;
}

TEST(props_written_in_order_and_walked_back)
{
    tmq_prop in[4];
    tmq_packet p, d;
    tmq_prop out;
    tmq_bin cur;
    uint8_t buf[64];
    int32_t n;
    static const uint8_t want_props[] = {
        0x0E,                         /* property length 14 */
        0x01, 0x01,                   /* payload format: UTF-8 */
        0x02, 0x00, 0x00, 0x00, 0x3C, /* message expiry 60 */
        0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
    memset(in, 0, sizeof in);
    in[0].id = TMQ_PROP_PAYLOAD_FORMAT, in[0].num = 1;
    in[1].id = TMQ_PROP_MESSAGE_EXPIRY, in[1].num = 60;
    in[2].id = TMQ_PROP_USER, in[2].str.p = (const uint8_t *)"k", in[2].str.len = 1,
    in[2].val.p = (const uint8_t *)"v", in[2].val.len = 1;
    p = publish5(in, 3);
    n = tmq_encode(buf, sizeof buf, &p);
    CHECK_EQ(n, 2 + 3 + 2 + 15);
    CHECK_MEM(buf + 7, 15, want_props, sizeof want_props);
    CHECK_EQ(tmq_decode(buf, (uint32_t)n, TMQ_V5, &d), n);
    CHECK_EQ(d.props.raw.len, 14);
    cur = d.props.raw;
    CHECK_EQ(tmq_prop_next(&cur, &out), 1);
    CHECK_EQ(out.id, TMQ_PROP_PAYLOAD_FORMAT);
    CHECK_EQ(out.num, 1);
    CHECK_EQ(tmq_prop_next(&cur, &out), 1);
    CHECK_EQ(out.num, 60);
    CHECK_EQ(tmq_prop_next(&cur, &out), 1);
    CHECK_MEM(out.str.p, out.str.len, "k", 1);
    CHECK_MEM(out.val.p, out.val.len, "v", 1);
    CHECK_EQ(tmq_prop_next(&cur, &out), 0);
}

TEST(prop_find_returns_first_or_nothing)
{
    tmq_prop in[2];
    tmq_packet p, d;
    tmq_prop out;
    uint8_t buf[64];
    int32_t n;
    memset(in, 0, sizeof in);
    in[0].id = TMQ_PROP_SUBSCRIPTION_ID, in[0].num = 300;
    in[1].id = TMQ_PROP_SUBSCRIPTION_ID, in[1].num = 5;
    p = publish5(in, 2);
    n = tmq_encode(buf, sizeof buf, &p);
    CHECK(n > 0);
    CHECK_EQ(tmq_decode(buf, (uint32_t)n, TMQ_V5, &d), n);
    CHECK_EQ(tmq_prop_find(&d.props, TMQ_PROP_SUBSCRIPTION_ID, &out), 1);
    CHECK_EQ(out.num, 300);
    CHECK_EQ(tmq_prop_find(&d.props, TMQ_PROP_CONTENT_TYPE, &out), 0);
}

TEST(raw_block_is_validated_and_combined_with_list)
{
    static const uint8_t raw[] = {0x23, 0x00, 0x05}; /* topic alias 5 */
    tmq_prop extra, out;
    tmq_packet p, d;
    uint8_t buf[64];
    int32_t n;
    memset(&extra, 0, sizeof extra);
    extra.id = TMQ_PROP_TOPIC_ALIAS, extra.num = 6;
    p = publish5(0, 0);
    p.props.raw.p = raw;
    p.props.raw.len = sizeof raw;
    n = tmq_encode(buf, sizeof buf, &p);
    CHECK(n > 0);
    CHECK_EQ(tmq_decode(buf, (uint32_t)n, TMQ_V5, &d), n);
    CHECK_EQ(tmq_prop_find(&d.props, TMQ_PROP_TOPIC_ALIAS, &out), 1);
    CHECK_EQ(out.num, 5);
    p.props.list = &extra;
    p.props.count = 1;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_DUP); /* alias twice */
}

TEST(subscription_id_repeats_only_in_publish)
{
    static const tmq_sub sub = {{(const uint8_t *)"a/#", 3}, 1};
    tmq_prop ids[2];
    tmq_packet p;
    uint8_t buf[64];
    memset(ids, 0, sizeof ids);
    ids[0].id = ids[1].id = TMQ_PROP_SUBSCRIPTION_ID;
    ids[0].num = 1, ids[1].num = 2;
    memset(&p, 0, sizeof p);
    p.type = TMQ_SUBSCRIBE;
    p.version = TMQ_V5;
    p.id = 1;
    p.u.subs.list = &sub;
    p.u.subs.count = 1;
    p.props.list = ids;
    p.props.count = 1;
    CHECK(tmq_encode(buf, sizeof buf, &p) > 0);
    p.props.count = 2;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_DUP);
}

TEST(property_values_out_of_range)
{
    tmq_prop pr;
    tmq_packet p;
    uint8_t buf[64];
    memset(&pr, 0, sizeof pr);
    p = publish5(&pr, 1);
    pr.id = TMQ_PROP_PAYLOAD_FORMAT, pr.num = 2;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_VALUE);
    pr.id = TMQ_PROP_TOPIC_ALIAS, pr.num = 0;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_VALUE);
    pr.id = TMQ_PROP_TOPIC_ALIAS, pr.num = 65536;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_VALUE);
    pr.id = TMQ_PROP_SUBSCRIPTION_ID, pr.num = 268435456u;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_VALUE);
    pr.id = TMQ_PROP_RESPONSE_TOPIC, pr.num = 0;
    pr.str.p = (const uint8_t *)"a/+", pr.str.len = 3;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_TOPIC);
    pr.id = TMQ_PROP_CONTENT_TYPE, pr.str.p = 0, pr.str.len = 0;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_ARG);
    pr.id = 0x7F;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_ID);
}

TEST(will_properties_have_their_own_table)
{
    tmq_prop delay;
    tmq_packet p, d;
    tmq_prop out;
    uint8_t buf[96];
    int32_t n;
    memset(&delay, 0, sizeof delay);
    delay.id = TMQ_PROP_WILL_DELAY, delay.num = 30;
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.version = TMQ_V5;
    p.u.connect.clean = 1;
    p.u.connect.client_id = (tmq_bin)BIN("c");
    p.u.connect.will_topic = (tmq_bin)BIN("w");
    p.u.connect.will_payload = (tmq_bin)BIN("bye");
    p.u.connect.will_props.list = &delay;
    p.u.connect.will_props.count = 1;
    n = tmq_encode(buf, sizeof buf, &p);
    CHECK(n > 0);
    CHECK_EQ(tmq_decode(buf, (uint32_t)n, 0, &d), n);
    CHECK_EQ(tmq_prop_find(&d.u.connect.will_props, TMQ_PROP_WILL_DELAY, &out), 1);
    CHECK_EQ(out.num, 30);
    p.props.list = &delay; /* Will Delay Interval is not a CONNECT property */
    p.props.count = 1;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_PROP_PACKET);
}

TEST(props_rejected_before_5)
{
    tmq_prop pr;
    tmq_packet p;
    uint8_t buf[64];
    memset(&pr, 0, sizeof pr);
    pr.id = TMQ_PROP_PAYLOAD_FORMAT;
    p = publish5(&pr, 1);
    p.version = TMQ_V311;
    CHECK_EQ(tmq_encode(buf, sizeof buf, &p), TMQ_ERR_VERSION);
}
