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
        CHECK_EQ(connect_sent(), 0);
        broker_send(TMQ_CONNACK, 0, cases[i].code);
        CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.disconnect_err, cases[i].err);
    }
}

/* A server that does not speak 5.0 answers a 5.0 CONNECT with a 3.1.1
 * CONNACK refusing the version: that is the version refusal, not a
 * malformed packet. */
TEST(v5_connect_refused_with_a_311_connack_is_a_version_refusal)
{
    /* return code 1 is the version refusal; any other 3.1.1 code stays what
     * it is in 5.0, an invalid reason code */
    static const struct { uint8_t connack[4]; int err; } cases[] = {
        {{0x20, 0x02, 0x00, 0x01}, TMQ_ERR_CONNACK_VERSION}, {{0x20, 0x02, 0x00, 0x04}, TMQ_ERR_REASON},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(setup(TMQ_V5), TMQ_OK);
        CHECK_EQ(connect_sent(), 0);
        pipe_push(&F.pipe, cases[i].connack, sizeof cases[i].connack);
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

/* Answers the CONNECT with a successful CONNACK carrying these properties,
 * and polls; 0 when READY. */
static int answer_connack(const tmq_prop *list, uint16_t count)
{
    broker_connack_props(list, count);
    return poll_at(F.now) == TMQ_STATE_READY ? 0 : -2;
}

/* Answers the CONNECT with a CONNACK announcing Maximum Packet Size max. */
static int answer_with_max_packet(uint32_t max)
{
    tmq_prop p;
    memset(&p, 0, sizeof p);
    p.id = TMQ_PROP_MAXIMUM_PACKET_SIZE;
    p.num = max;
    return answer_connack(&p, 1);
}

TEST(v5_connack_limits_are_honoured)
{
    tmq_prop props[3];
    int32_t id;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    memset(props, 0, sizeof props);
    props[0].id = TMQ_PROP_RECEIVE_MAXIMUM, props[0].num = 1;
    props[1].id = TMQ_PROP_MAXIMUM_QOS, props[1].num = 1;
    props[2].id = TMQ_PROP_SERVER_KEEPALIVE, props[2].num = 5;
    CHECK_EQ(answer_connack(props, 3), 0);
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


/* The server sends DISCONNECT with its reason and closes while the client
 * has bytes to write: the reason is reported, not the failed write. */
TEST(v5_server_disconnect_before_a_failed_write_is_reported)
{
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_blocked = 1;
    CHECK_EQ(publish("t", "x", 0, 0), TMQ_OK);
    broker_send(TMQ_DISCONNECT, 0, 0x97); /* Quota exceeded */
    F.pipe.peer_closed = 1;
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnects, 1);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_SERVER_DISCONNECT);
    CHECK_EQ(F.disconnect_reason, 0x97);
}

/* The broker sends a PUBLISH with a Topic Alias (topic may be empty). */
static void broker_publish_alias(const char *topic, uint16_t alias, const char *payload)
{
    tmq_prop a;
    tmq_packet p;
    memset(&a, 0, sizeof a);
    a.id = TMQ_PROP_TOPIC_ALIAS;
    a.num = alias;
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.u.publish.topic.p = (const uint8_t *)topic;
    p.u.publish.topic.len = (uint32_t)strlen(topic);
    p.u.publish.payload.p = (const uint8_t *)payload;
    p.u.publish.payload.len = (uint32_t)strlen(payload);
    p.props.list = &a;
    p.props.count = 1;
    pipe_push_packet(&F.pipe, &p, TMQ_V5);
}

TEST(v5_incoming_topic_aliases_resolve)
{
    static uint8_t aliases[2 * 34];
    tmq_prop p;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.mem.aliases = aliases;
    F.mem.alias_max = 2;
    F.mem.alias_len = 34;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    CHECK_EQ(tmq_prop_find(&F.pkt.props, TMQ_PROP_TOPIC_ALIAS_MAXIMUM, &p), 1);
    CHECK_EQ(p.num, 2);
    broker_send(TMQ_CONNACK, 0, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    broker_publish_alias("sensors/kitchen/temp", 1, "21");
    broker_publish_alias("", 1, "22");           /* the alias stands for the topic */
    broker_publish_alias("sensors/hall", 1, "5"); /* an alias may be remapped */
    broker_publish_alias("", 1, "6");
    poll_at(F.now);
    CHECK_EQ(F.messages, 4);
    CHECK(!strcmp(F.topic, "sensors/hall"));
    CHECK(!strcmp(F.payload, "6"));
    broker_publish_alias("", 2, "never set");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, 0x94);
}

TEST(v5_aliases_beyond_the_maximum_or_unannounced_are_refused)
{
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0); /* no alias memory: Topic Alias Maximum 0 */
    broker_publish_alias("t", 1, "x");
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
    CHECK_EQ(F.messages, 0);
}

TEST(v5_assigned_client_id_used_on_reconnect)
{
    static uint8_t assigned[32];
    tmq_prop id;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.cfg.connect.client_id = BIN("");
    F.cfg.connect.clean = 0;
    F.mem.assigned_id = assigned;
    F.mem.assigned_cap = sizeof assigned;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    CHECK_EQ(F.pkt.u.connect.client_id.len, 0);
    memset(&id, 0, sizeof id);
    id.id = TMQ_PROP_ASSIGNED_CLIENT_ID;
    id.str = BIN("auto-7f3a");
    CHECK_EQ(answer_connack(&id, 1), 0);
    F.pipe.peer_closed = 1;
    poll_at(F.now);
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    CHECK_MEM(F.pkt.u.connect.client_id.p, F.pkt.u.connect.client_id.len, "auto-7f3a", 9);
}

/* [MQTT-3.2.2-15]: no packet larger than the server's Maximum Packet Size
 * goes out, SUBSCRIBE and UNSUBSCRIBE (properties counted) as PUBLISH:
 * refused when submitted once the limit is known, and for what was queued
 * before the CONNACK, with an error event instead of sending it. */
TEST(v5_requests_over_the_server_maximum_are_refused_unsent)
{
    /* SUBSCRIBE: header 2, id 2, property length 1, filter 2 + 20, options 1:
     * 28 bytes; the UNSUBSCRIBE of the same filter 27 */
    static const tmq_sub sub = {{(const uint8_t *)"aaaaaaaaaaaaaaaaaaaa", 20}, 1};
    tmq_prop user;
    tmq_props props;
    one_user_property(&user, &props);
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    CHECK_EQ(answer_with_max_packet(27), 0);
    CHECK_EQ(then_poll(tmq_client_subscribe(&F.c, &sub, 1, 0, 0)), TMQ_ERR_TOO_LARGE);
    CHECK_EQ(then_poll(tmq_client_unsubscribe(&F.c, &sub, 1, &props, 0)), TMQ_ERR_TOO_LARGE);
    CHECK(then_poll(tmq_client_unsubscribe(&F.c, &sub, 1, 0, 0)) > 0);
    CHECK_EQ(broker_pop(), TMQ_UNSUBSCRIBE);
    CHECK_EQ(broker_pop(), 0);

    /* submitted while connecting, before the limit was known */
    F.pipe.peer_closed = 1;
    poll_at(F.now);
    CHECK_EQ(connect_sent(), 0);
    CHECK(tmq_client_subscribe(&F.c, &sub, 1, 0, (void *)&sub) > 0);
    F.errors = 0;
    CHECK_EQ(answer_with_max_packet(27), 0);
    CHECK_EQ(F.errors, 1);
    CHECK_EQ(F.error_err, TMQ_ERR_TOO_LARGE);
    CHECK(F.error_user == (void *)&sub);
    CHECK_EQ(broker_pop(), TMQ_UNSUBSCRIBE); /* unanswered before: sent again */
    CHECK_EQ(broker_pop(), 0);
}

/* [MQTT-3.2.2-4]: a CONNACK with Session Present 1 answering Clean Start 1
 * ends the connection as a protocol error of its own. */
TEST(v5_session_present_after_clean_start_is_a_protocol_error)
{
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_answered(1, 0), 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_SESSION_PRESENT);
    CHECK_EQ(F.connacks, 0);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, 0x82);
    /* with Clean Start 0 the same CONNACK resumes the session */
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.cfg.connect.clean = 0;
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(F.session_present, 1);
}

/* Publishes at QoS 2 until the PUBREL is with the broker; returns the
 * packet id, or -1. */
static int32_t publish_until_pubrel(const char *payload)
{
    int32_t id = publish("t", payload, 2, 0);
    if (broker_pop() != TMQ_PUBLISH)
        return -1;
    broker_send(TMQ_PUBREC, (uint16_t)id, 0);
    poll_at(F.now);
    return broker_pop() == TMQ_PUBREL ? id : -1;
}

/* A PUBREL resent after a reconnect answered with PUBCOMP 0x92 (Packet
 * Identifier not found): the server completed the message before the
 * connection was lost, so it is delivered. A PUBCOMP 0x92 to a PUBREL of the
 * same connection is still the server's refusal. */
TEST(v5_pubcomp_not_found_for_a_resent_pubrel_completes)
{
    int32_t id;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.cfg.connect.clean = 0;
    CHECK_EQ(connect_ready(0), 0);
    id = publish_until_pubrel("1");
    CHECK(id > 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    broker_send(TMQ_PUBCOMP, (uint16_t)id, 0x92);
    poll_at(F.now);
    CHECK_EQ(F.sents, 1);
    CHECK_EQ(F.sent_reason, 0);

    id = publish_until_pubrel("2");
    CHECK(id > 0);
    broker_send(TMQ_PUBCOMP, (uint16_t)id, 0x92);
    poll_at(F.now);
    CHECK_EQ(F.sents, 2);
    CHECK_EQ(F.sent_reason, 0x92);
}
