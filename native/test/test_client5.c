/* The client's MQTT 5.0 behaviour against the scripted fake broker:
 * announced limits, CONNACK properties honoured, reasoned disconnects. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"

TEST(v5_connack_refusals_become_distinct_errors)
{
    static const struct { uint8_t code; int err; } cases[] = {
        {0x86, TMQ_ERR_CONNACK_AUTH}, {0x87, TMQ_ERR_CONNACK_NOT_AUTHORIZED},
        {0x84, TMQ_ERR_CONNACK_VERSION}, {0x85, TMQ_ERR_CONNACK_ID},
        {0x88, TMQ_ERR_CONNACK_UNAVAILABLE}, {0x8A, TMQ_ERR_CONNACK_REFUSED},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(setup(TMQ_V5), TMQ_OK);
        CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
        poll_at(F.now);
        CHECK_EQ(broker_pop(), TMQ_CONNECT);
        broker_send(TMQ_CONNACK, 0, cases[i].code);
        CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.disconnect_err, cases[i].err);
    }
}

TEST(v5_malformed_and_oversized_get_a_reasoned_disconnect)
{
    static const uint8_t big[] = {0x30, 0xFF, 0x7F};
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    pipe_push(&F.pipe, big, sizeof big); /* 16 KB PUBLISH into a 256-byte buffer */
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_TOO_LARGE);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, 0x95);
}

TEST(v5_connect_announces_what_memory_can_hold)
{
    tmq_prop p;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_RECEIVE_MAXIMUM, &p), 1);
    CHECK_EQ(p.num, 4);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_MAXIMUM_PACKET_SIZE, &p), 1);
    CHECK_EQ(p.num, 256);
}

TEST(v5_connack_limits_are_honoured)
{
    tmq_prop props[3];
    tmq_packet ack;
    int32_t id;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    memset(props, 0, sizeof props);
    props[0].id = TMQ_PROP_RECEIVE_MAXIMUM, props[0].num = 1;
    props[1].id = TMQ_PROP_MAXIMUM_QOS, props[1].num = 1;
    props[2].id = TMQ_PROP_SERVER_KEEPALIVE, props[2].num = 5;
    memset(&ack, 0, sizeof ack);
    ack.type = TMQ_CONNACK;
    ack.props.list = props;
    ack.props.count = 3;
    pipe_push_packet(&F.pipe, &ack, TMQ_V5);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(publish("t", "x", 2, 0), TMQ_ERR_QOS_NOT_SUPPORTED);
    id = publish("t", "a", 1, 0);
    publish("t", "b", 1, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), 0); /* Receive Maximum 1 */
    broker_send(TMQ_PUBACK, (uint16_t)id, 0x10);
    poll_at(F.now);
    CHECK_EQ(F.sent_reason, 0x10);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 5000); /* Server Keep Alive */
}

TEST(v5_server_disconnect_is_reported)
{
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    broker_send(TMQ_DISCONNECT, 0, 0x8B);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_SERVER_DISCONNECT);
}

