/* The client's less travelled paths against the scripted fake broker: the
 * memory and options tmq_client_init refuses, a client without callbacks,
 * a transport that answers 0, a full send buffer, a requested disconnect
 * that has to wait, 5.0 limits announced after messages were queued, and a
 * broker that answers out of turn. Time is simulated. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"
#include "tinymqtt/store.h"

/* ---- what init refuses -------------------------------------------------- */

TEST(init_refuses_missing_or_too_small_memory)
{
    tmq_client_mem good;
    unsigned i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    good = F.mem;
    CHECK_EQ(tmq_client_init(&F.c, NULL, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, NULL, &F.pipe.base), TMQ_ERR_ARG);
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, NULL), TMQ_ERR_ARG);
    for (i = 0; i < 11; i++) {
        F.mem = good;
        switch (i) {
        case 0: F.mem.tx = NULL; break;
        case 1: F.mem.rx = NULL; break;
        case 2: F.mem.msgs = NULL; break;
        case 3: F.mem.msg_cap = 0; break;
        case 4: F.mem.msg_cap = 0xFFFF; break; /* the ring counts slots in 16 bits */
        case 5: F.mem.qos2 = NULL; break;
        case 6: F.mem.qos2_cap = 0; break;
        case 7: F.mem.tx_cap = 31; break;
        case 8: F.mem.rx_cap = 15; break;
        case 9: F.mem.tx_cap = 32; break;  /* the smallest accepted */
        default: F.mem.rx_cap = 16; break;
        }
        CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), i < 9 ? TMQ_ERR_ARG : TMQ_OK);
    }
}

/* 5.0 CONNECT properties may not ask for more than the memory holds. */
TEST(v5_init_refuses_connect_properties_memory_cannot_honour)
{
    static uint8_t aliases[2 * 8];
    tmq_prop props[TMQ_CONNECT_PROPS_MAX + 1];
    unsigned i;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    memset(props, 0, sizeof props);
    for (i = 0; i <= TMQ_CONNECT_PROPS_MAX; i++) {
        props[i].id = TMQ_PROP_USER;
        props[i].str = BIN("k");
        props[i].val = BIN("v");
    }
    F.cfg.connect_props.list = props;
    F.cfg.connect_props.count = TMQ_CONNECT_PROPS_MAX + 1;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    F.cfg.connect_props.count = TMQ_CONNECT_PROPS_MAX;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);

    /* Receive Maximum: up to the incoming QoS 2 table (4 ids) */
    memset(props, 0, sizeof props);
    props[0].id = TMQ_PROP_RECEIVE_MAXIMUM;
    props[0].num = 5;
    F.cfg.connect_props.count = 1;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    props[0].num = 4;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    /* Maximum Packet Size: up to the receive buffer (256 bytes) */
    props[0].id = TMQ_PROP_MAXIMUM_PACKET_SIZE;
    props[0].num = 257;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    props[0].num = 256;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    /* Topic Alias Maximum: up to mem.alias_max, whose slots must exist and hold a topic */
    props[0].id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM;
    props[0].num = 1;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    F.mem.alias_max = 2;
    F.mem.alias_len = 8;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG); /* no slots */
    F.mem.aliases = aliases;
    F.mem.alias_len = 2; /* the length prefix alone */
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    F.mem.alias_len = 8;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    props[0].num = 3;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
}

/* What the caller set in the 5.0 CONNECT is sent as set, not doubled by the
 * defaults the client adds. */
TEST(v5_connect_keeps_the_callers_limits)
{
    static uint8_t aliases[2 * 8];
    static const uint8_t want_props[] = {0x21, 0x00, 0x02, 0x27, 0x00, 0x00, 0x00, 0x80, 0x22, 0x00, 0x01};
    tmq_prop props[3];
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    memset(props, 0, sizeof props);
    props[0].id = TMQ_PROP_RECEIVE_MAXIMUM, props[0].num = 2;
    props[1].id = TMQ_PROP_MAXIMUM_PACKET_SIZE, props[1].num = 128;
    props[2].id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM, props[2].num = 1;
    F.cfg.connect_props.list = props;
    F.cfg.connect_props.count = 3;
    F.mem.aliases = aliases;
    F.mem.alias_max = 2;
    F.mem.alias_len = 8;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    CHECK_MEM(F.pkt.props.raw.p, F.pkt.props.raw.len, want_props, sizeof want_props);
}

/* ---- a client without callbacks ---------------------------------------- */

/* Every callback is optional: a client given none still runs its session. */
TEST(a_client_without_callbacks_runs_a_whole_session)
{
    static const tmq_sub sub = {{(const uint8_t *)"s/#", 3}, 1};
    uint8_t suback[] = {0x90, 0x03, 0, 0, 0x01};
    int32_t id;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.version = 0; /* 3.1.1 */
    F.cfg.connect.keepalive = 10;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, NULL, &F.mem, &F.pipe.base), TMQ_OK);
    CHECK_EQ(connect_sent(), 0);
    CHECK_EQ(F.pkt.version, TMQ_V311);
    broker_send(TMQ_CONNACK, 0, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    id = tmq_client_subscribe(&F.c, &sub, 1, NULL, NULL);
    CHECK(id > 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_SUBSCRIBE);
    suback[3] = (uint8_t)id;
    pipe_push(&F.pipe, suback, sizeof suback);
    id = publish("s/a", "x", 1, NULL);
    CHECK(id > 0);
    CHECK_EQ(publish("s/b", "y", 0, NULL), 0);
    broker_publish("s/in", "m", 1, 9, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_PUBACK); /* the incoming message was acknowledged */
    CHECK_EQ(F.pkt.id, 9);
    broker_send(TMQ_PUBACK, (uint16_t)id, 0);
    broker_send(TMQ_PUBACK, 77, 0);      /* unknown id: a protocol violation, reported to nobody */
    poll_at(F.now);
    CHECK_EQ(F.c.live, 0);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_READY);
    poll_at(F.now + 10000); /* keepalive */
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    broker_send(TMQ_PINGRESP, 0, 0);
    poll_at(F.now);
    CHECK_EQ(F.c.ping_out, 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.states, 0); /* the fixture's callbacks were not given */
}

/* ---- 5.0 limits and the server breaking the protocol -------------------- */


/* Messages queued while offline meet the server's limits only when its
 * CONNACK arrives: each one over a limit fails with its own error, the
 * rest go out in order. */
TEST(v5_limits_announced_in_connack_fail_the_messages_queued_before_it)
{
    static const tmq_sub sub = {{(const uint8_t *)"f", 1}, 1};
    static int over_size, over_qos, with_retain, fine;
    tmq_prop props[3];
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK(tmq_client_subscribe(&F.c, &sub, 1, NULL, NULL) > 0);
    CHECK(tmq_client_publish(&F.c, BIN("t"), BIN("0123456789012345678901234567890123456789"), 1, 0, NULL,
                             &over_size) > 0);
    CHECK(tmq_client_publish(&F.c, BIN("t"), BIN("x"), 2, 0, NULL, &over_qos) > 0);
    CHECK_EQ(tmq_client_publish(&F.c, BIN("t"), BIN("y"), 0, 1, NULL, &with_retain), 0);
    CHECK(tmq_client_publish(&F.c, BIN("t"), BIN("z"), 1, 0, NULL, &fine) > 0);
    CHECK_EQ(connect_sent(), 0);
    memset(props, 0, sizeof props);
    props[0].id = TMQ_PROP_MAXIMUM_PACKET_SIZE, props[0].num = 40;
    props[1].id = TMQ_PROP_MAXIMUM_QOS, props[1].num = 1;
    props[2].id = TMQ_PROP_RETAIN_AVAILABLE, props[2].num = 0;
    broker_connack_props(props, 3);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(F.errors, 3);
    CHECK_EQ(broker_pop(), TMQ_SUBSCRIBE);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_MEM(F.pkt.u.publish.payload.p, F.pkt.u.publish.payload.len, "z", 1);
    CHECK_EQ(broker_pop(), 0);
    CHECK(F.error_user == &with_retain); /* the last to fail */
    /* once READY the same limits refuse at once */
    CHECK_EQ(tmq_client_publish(&F.c, BIN("t"), BIN("y"), 0, 1, NULL, NULL), TMQ_ERR_RETAIN_NOT_SUPPORTED);
    CHECK_EQ(tmq_client_publish(&F.c, BIN("t"), BIN("y"), 2, 0, NULL, NULL), TMQ_ERR_QOS_NOT_SUPPORTED);
}

/* An empty topic without an alias is malformed (DISCONNECT 0x81); a topic
 * longer than an alias slot is refused with DISCONNECT 0x94 (Topic Alias
 * invalid). */
TEST(v5_bad_topic_aliases_end_the_connection)
{
    static uint8_t aliases[2 * 6];
    /* QoS 0 PUBLISHes with payload "p": topic "abcd" with alias 2 (fits a
     * slot exactly), an empty topic without properties (the encoder refuses
     * to make one), topic "abcde" with alias 1 */
    static const uint8_t fits[] = {0x30, 0x0B, 0x00, 0x04, 'a', 'b', 'c', 'd', 0x03, 0x23, 0x00, 0x02, 'p'};
    static const uint8_t no_topic[] = {0x30, 0x04, 0x00, 0x00, 0x00, 'p'};
    static const uint8_t too_long[] = {0x30, 0x0C, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0x03, 0x23, 0x00, 0x01, 'p'};
    static const struct { const uint8_t *bytes; uint32_t len; int err; uint8_t reason; } cases[] = {
        {no_topic, sizeof no_topic, TMQ_ERR_TOPIC, 0x81}, {too_long, sizeof too_long, TMQ_ERR_TOO_LARGE, 0x94},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(setup(TMQ_V5), TMQ_OK);
        F.mem.aliases = aliases;
        F.mem.alias_max = 2;
        F.mem.alias_len = 6; /* topics of up to 4 bytes */
        CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
        CHECK_EQ(connect_ready(0), 0);
        pipe_push(&F.pipe, fits, sizeof fits);
        pipe_push(&F.pipe, cases[i].bytes, cases[i].len);
        CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.messages, 1);
        CHECK_EQ(F.disconnect_err, cases[i].err);
        CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
        CHECK_EQ(F.pkt.reason, cases[i].reason);
    }
}

/* Packets a server may not send when it sends them: a second CONNACK, a
 * PUBLISH before the CONNACK, and packets only a client sends. Each ends
 * the connection as a protocol violation (5.0: DISCONNECT 0x82). */
TEST(packets_out_of_turn_are_protocol_violations)
{
    static const uint8_t pingreq[] = {0xC0, 0x00}, subscribe[] = {0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x00};
    unsigned i;
    for (i = 0; i < 4; i++) {
        CHECK_EQ(setup(TMQ_V5), TMQ_OK);
        if (i == 0) {
            CHECK_EQ(connect_sent(), 0);
            broker_publish("t", "early", 0, 0, 0);
        } else {
            CHECK_EQ(connect_ready(0), 0);
            if (i == 1)
                broker_send(TMQ_CONNACK, 0, 0);
            else
                pipe_push(&F.pipe, i == 2 ? pingreq : subscribe, i == 2 ? sizeof pingreq : sizeof subscribe);
        }
        CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.messages, 0);
        CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
        CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
        CHECK_EQ(F.pkt.reason, 0x82);
    }
}

/* A packet that does not decode as 5.0 is Malformed (DISCONNECT 0x81),
 * even one a 3.1.1 decoder would take, unless it is the 3.1.1 CONNACK
 * refusing the version while connecting. */
TEST(v5_malformed_packets_get_disconnect_0x81)
{
    static const uint8_t suback311[] = {0x90, 0x03, 0x00, 0x01, 0x00}; /* no properties: 5.0 reads 0 as their length */
    static const uint8_t junk[] = {0x20, 0x01, 0x00};               /* a CONNACK too short for any version */
    static const struct { const uint8_t *bytes; uint32_t len; int ready; } cases[] = {
        {junk, sizeof junk, 0}, {suback311, sizeof suback311, 0}, {junk, sizeof junk, 1},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(setup(TMQ_V5), TMQ_OK);
        CHECK_EQ(cases[i].ready ? connect_ready(0) : connect_sent(), 0);
        pipe_push(&F.pipe, cases[i].bytes, cases[i].len);
        CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
        CHECK(F.disconnect_err != TMQ_ERR_CONNACK_VERSION);
        CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
        CHECK_EQ(F.pkt.reason, 0x81);
    }
}

/* PUBREL for an id the client does not hold: PUBCOMP 0x92 (Packet
 * Identifier not found); the ids it holds are not touched. */
TEST(v5_pubrel_for_an_unknown_id_gets_pubcomp_0x92)
{
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    broker_publish("t", "q2", 2, 5, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    broker_send(TMQ_PUBREL, 6, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBCOMP);
    CHECK_EQ(F.pkt.id, 6);
    CHECK_EQ(F.pkt.reason, 0x92);
    broker_publish("t", "q2", 2, 5, 1); /* still held: not delivered again */
    broker_send(TMQ_PUBREL, 5, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    CHECK_EQ(broker_pop(), TMQ_PUBCOMP);
    CHECK_EQ(F.pkt.reason, 0);
    CHECK_EQ(F.messages, 1);
}

/* An acknowledgement that does not fit the message under its id (another
 * QoS, another kind, another step) completes nothing: PUBREC gets PUBREL
 * 0x92, the others are reported as protocol violations. */
TEST(acks_of_the_wrong_kind_qos_or_step_complete_nothing)
{
    static const tmq_sub sub = {{(const uint8_t *)"f", 1}, 0};
    uint8_t suback[] = {0x90, 0x04, 0x00, 0x00, 0x00, 0x00}, unsuback[] = {0xB0, 0x04, 0x00, 0x00, 0x00, 0x00};
    int32_t q1, q2, s;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    q1 = publish("t", "one", 1, NULL);
    q2 = publish("t", "two", 2, NULL);
    s = then_poll(tmq_client_subscribe(&F.c, &sub, 1, NULL, NULL));
    CHECK(q1 > 0 && q2 > 0 && s > 0);
    while (broker_pop() > 0)
        ;
    broker_send(TMQ_PUBREC, (uint16_t)q1, 0);  /* QoS 1 has no PUBREC */
    broker_send(TMQ_PUBACK, (uint16_t)q2, 0);  /* QoS 2 has no PUBACK */
    broker_send(TMQ_PUBCOMP, (uint16_t)q2, 0); /* before its PUBREC */
    unsuback[3] = (uint8_t)s;                  /* a SUBSCRIBE's id */
    suback[3] = (uint8_t)q1;                   /* a PUBLISH's id */
    pipe_push(&F.pipe, unsuback, sizeof unsuback);
    pipe_push(&F.pipe, suback, sizeof suback);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    CHECK_EQ(F.pkt.id, q1);
    CHECK_EQ(F.pkt.reason, 0x92);
    CHECK_EQ(F.errors, 4);
    CHECK_EQ(F.error_err, TMQ_ERR_PROTOCOL_VIOLATION);
    CHECK_EQ(F.sents + F.subacks, 0);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_READY);
    broker_send(TMQ_PUBACK, (uint16_t)q1, 0);
    broker_send(TMQ_PUBREC, (uint16_t)q2, 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 1);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    CHECK_EQ(F.pkt.id, q2);
}

/* ---- the transport, the send buffer, and a requested disconnect -------- */

/* A transport over the fixture's pipe whose send and recv may answer 0. */
static struct {
    tmq_transport base;
    int send_zero, recv_zero;
} zero;

static int zero_connect(tmq_transport *t, const char *host, uint16_t port)
{
    (void)t;
    return F.pipe.base.ops->connect(&F.pipe.base, host, port);
}

static int32_t zero_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    (void)t;
    return zero.send_zero ? 0 : F.pipe.base.ops->send(&F.pipe.base, buf, len);
}

static int32_t zero_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    (void)t;
    return zero.recv_zero ? 0 : F.pipe.base.ops->recv(&F.pipe.base, buf, len);
}

static void zero_close(tmq_transport *t)
{
    (void)t;
    F.pipe.base.ops->close(&F.pipe.base);
}

static const tmq_transport_ops zero_ops = {zero_connect, zero_send, zero_recv, zero_close};

/* send answering 0 wrote nothing (try again later); recv answering 0 is
 * the peer closing, as sockets mean it. */
TEST(a_transport_answering_0_has_written_nothing_or_was_closed)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    memset(&zero, 0, sizeof zero);
    zero.base.ops = &zero_ops;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &zero.base), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    zero.send_zero = 1;
    CHECK_EQ(publish("t", "later", 0, NULL), 0);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(tmq_client_wants_write(&F.c), 1);
    CHECK_EQ(F.sents, 0);
    zero.send_zero = 0;
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.sents, 1);
    zero.recv_zero = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CLOSED);
}

/* Publishes a QoS 0 message whose PUBLISH is `len` bytes long (topic "t"). */
static int32_t publish_sized(uint32_t len)
{
    static const uint8_t zeros[PIPE_CAP];
    tmq_bin payload;
    payload.p = zeros;
    payload.len = len - 6; /* type, 2-byte remaining length, topic length and "t" */
    return then_poll(tmq_client_publish(&F.c, BIN("t"), payload, 0, 0, NULL, NULL));
}

/* A requested disconnect behind a full, blocked send buffer: DISCONNECT
 * waits for room, then for the wire, and only then is the link closed;
 * PINGREQ is refused while there is no room for it. */
TEST(a_requested_disconnect_waits_for_room_and_for_the_wire)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_blocked = 1;
    CHECK_EQ(publish_sized(sizeof F.tx - 1), 0); /* one byte left: DISCONNECT needs two */
    CHECK_EQ(tmq_client_ping(&F.c, F.now), TMQ_ERR_WOULD_BLOCK);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(tmq_client_wants_write(&F.c), 1);
    CHECK_EQ(publish("t", "refused", 0, NULL), 0); /* taken, but not sent while closing */
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(F.disconnect_err, TMQ_OK);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_ERR_STATE);

    /* room for DISCONNECT at once, but the wire is blocked: still READY */
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_blocked = 1;
    CHECK_EQ(publish("t", "first", 0, NULL), 0);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(F.pipe.closes, 0);
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.sents, 1);
}

/* A disconnect while still connecting closes at once and, unlike a lost
 * connection, does not reconnect. */
TEST(a_disconnect_while_connecting_closes_at_once_for_good)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.reconnect_delay_ms = 100;
    CHECK_EQ(connect_sent(), 0);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.pipe.closes, 1);
    CHECK_EQ(F.disconnect_err, TMQ_OK);
    CHECK_EQ(poll_at(F.now + 1000), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(broker_pop(), 0);
}

/* ping_timeout_ms, when set, is the wait for PINGRESP (not half the keepalive). */
TEST(ping_timeout_ms_bounds_the_wait_for_pingresp)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.keepalive = 10;
    F.cfg.ping_timeout_ms = 2000;
    CHECK_EQ(connect_ready(0), 0);
    poll_at(F.now + 10000);
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 2000);
    CHECK_EQ(poll_at(F.now + 1999), TMQ_STATE_READY);
    CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_KEEPALIVE);
}

/* ---- the window, the ring and what a lost connection leaves ------------ */

/* The window is the smaller of max_inflight and the server's Receive
 * Maximum; wants_write says nothing is to be sent while it is full. */
TEST(the_window_is_the_smaller_of_max_inflight_and_receive_maximum)
{
    tmq_prop rm;
    int32_t first;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.cfg.max_inflight = 5;
    CHECK_EQ(connect_sent(), 0);
    memset(&rm, 0, sizeof rm);
    rm.id = TMQ_PROP_RECEIVE_MAXIMUM;
    rm.num = 2;
    broker_connack_props(&rm, 1);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    first = publish("t", "1", 1, NULL);
    publish("t", "2", 2, NULL);
    publish("t", "3", 1, NULL);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(tmq_client_wants_write(&F.c), 0);
    broker_send(TMQ_PUBACK, (uint16_t)first, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_MEM(F.pkt.u.publish.payload.p, F.pkt.u.publish.payload.len, "3", 1);
}

/* The message ring wraps around its end, acknowledgements may come out of
 * order, and every message completes once, in the order of its answers. */
TEST(the_message_ring_wraps_and_takes_acks_out_of_order)
{
    int32_t ids[8];
    unsigned i, round;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 6; i++) {
            ids[i] = publish("t", "m", 1, NULL);
            CHECK(ids[i] > 0);
        }
        while (broker_pop() == TMQ_PUBLISH)
            ;
        /* the newest first, then from the oldest */
        broker_send(TMQ_PUBACK, (uint16_t)ids[5], 0);
        for (i = 0; i < 5; i++)
            broker_send(TMQ_PUBACK, (uint16_t)ids[i], 0);
        poll_at(F.now);
        CHECK_EQ(F.sents, (int)(6 * (round + 1)));
        CHECK_EQ(F.c.live, 0);
    }
}

/* What the lost connection left in the send buffer or unanswered goes out
 * again after the reconnect with the session: the QoS 0 message that was
 * only in the buffer once, the SUBSCRIBE again. */
TEST(what_a_lost_connection_left_unwritten_or_unanswered_goes_out_again)
{
    static const tmq_sub sub = {{(const uint8_t *)"f", 1}, 1};
    int32_t s;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.clean = 0;
    F.cfg.reconnect_delay_ms = 100;
    CHECK_EQ(connect_ready(0), 0);
    s = then_poll(tmq_client_subscribe(&F.c, &sub, 1, NULL, NULL));
    CHECK(s > 0);
    CHECK_EQ(broker_pop(), TMQ_SUBSCRIBE);
    F.pipe.write_blocked = 1;
    CHECK_EQ(publish("t", "once", 0, NULL), 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(F.sents, 0);
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now + 100), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    broker_send(TMQ_CONNACK, 0, 0);
    F.pipe.in[2] = 1; /* session present */
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(broker_pop(), TMQ_SUBSCRIBE);
    CHECK_EQ(F.pkt.id, s);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_MEM(F.pkt.u.publish.payload.p, F.pkt.u.publish.payload.len, "once", 4);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(F.sents, 1);
}

#if TMQ_WITH_STORE
/* Restored incoming QoS 2 ids fill the same table as live ones: one more
 * than it holds is refused; a restored id is released by its PUBREL. */
TEST(restored_incoming_ids_fill_the_table_and_are_released_by_pubrel)
{
    uint16_t id;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(tmq_client_restore_incoming(&F.c, 0), TMQ_ERR_ARG);
    for (id = 1; id <= 4; id++)
        CHECK_EQ(tmq_client_restore_incoming(&F.c, id), TMQ_OK);
    CHECK_EQ(tmq_client_restore_incoming(&F.c, 5), TMQ_ERR_QUEUE_FULL);
    F.cfg.connect.clean = 0;
    CHECK_EQ(connect_ready(1), 0);
    broker_publish("t", "dup", 2, 3, 1); /* held: acknowledged, not delivered */
    broker_send(TMQ_PUBREL, 3, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    CHECK_EQ(broker_pop(), TMQ_PUBCOMP);
    CHECK_EQ(F.messages, 0);
    CHECK_EQ(tmq_client_restore_incoming(&F.c, 5), TMQ_OK);
}
#endif

/* ---- 5.0 answers and properties ----------------------------------------- */

/* A PUBREC with a failure reason ends the QoS 2 exchange: the message
 * completes with that reason and no PUBREL follows. */
TEST(v5_pubrec_with_a_failure_reason_completes_without_pubrel)
{
    int32_t id;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    id = publish("t", "x", 2, NULL);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    broker_send(TMQ_PUBREC, (uint16_t)id, 0x87); /* Not authorized */
    poll_at(F.now);
    CHECK_EQ(F.sents, 1);
    CHECK_EQ(F.sent_reason, 0x87);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(F.c.inflight, 0);
}

/* 5.0: more incoming QoS 2 messages at once than the client's Receive
 * Maximum is the server's protocol violation (DISCONNECT 0x93). */
TEST(v5_more_incoming_qos2_than_receive_maximum_is_a_violation)
{
    uint16_t id;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    for (id = 1; id <= 5; id++)
        broker_publish("t", "q2", 2, id, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.messages, 4);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
    while (broker_pop() == TMQ_PUBREC)
        ;
    CHECK_EQ(F.pkt.type, TMQ_DISCONNECT);
    CHECK_EQ(F.pkt.reason, 0x93);
}

/* A publish's 5.0 properties go out with it, byte for byte; a retained
 * message is taken while the server has retain available. */
TEST(v5_publish_properties_go_out_as_given)
{
    static const uint8_t want[] = {0x31, 0x0D, 0x00, 0x01, 't', 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', 'h', 'i'};
    tmq_prop user;
    tmq_props props;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    one_user_property(&user, &props);
    CHECK_EQ(then_poll(tmq_client_publish(&F.c, BIN("t"), BIN("hi"), 0, 1, &props, NULL)), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_MEM(F.raw, sizeof want, want, sizeof want);
}

/* The Assigned Client Identifier of a 5.0 CONNACK is kept (when it fits
 * mem.assigned_id) and sent in the CONNECTs that follow. */
TEST(v5_an_assigned_client_id_is_used_when_reconnecting)
{
    static uint8_t assigned[8];
    static const char *const ids[] = {"much-too-long", "srv-7"};
    tmq_prop id;
    unsigned i;
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.cfg.connect.client_id.len = 0;
    F.mem.assigned_id = assigned;
    F.mem.assigned_cap = sizeof assigned;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(connect_sent(), 0);
        CHECK_EQ(F.pkt.u.connect.client_id.len, 0);
        memset(&id, 0, sizeof id);
        id.id = TMQ_PROP_ASSIGNED_CLIENT_ID;
        id.str.p = (const uint8_t *)ids[i];
        id.str.len = (uint32_t)strlen(ids[i]);
        broker_connack_props(&id, 1);
        CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
        CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
        CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    }
    CHECK_EQ(connect_sent(), 0);
    CHECK_MEM(F.pkt.u.connect.client_id.p, F.pkt.u.connect.client_id.len, "srv-7", 5);
}

/* Messages that do not fit the send buffer together wait for room and go
 * out in order once the transport takes bytes again. */
TEST(messages_beyond_the_send_buffer_wait_for_room_in_order)
{
    static const char *const payloads[] = {"first", "second", "third"};
    unsigned i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_blocked = 1;
    CHECK_EQ(publish_sized(sizeof F.tx - 20), 0);
    for (i = 0; i < 3; i++)
        CHECK(publish("t", payloads[i], 1, NULL) > 0);
    CHECK_EQ(F.c.inflight, 1); /* one fitted behind the big one */
    F.pipe.write_blocked = 0;
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(broker_pop(), TMQ_PUBLISH);
        CHECK_MEM(F.pkt.u.publish.payload.p, F.pkt.u.publish.payload.len, payloads[i], strlen(payloads[i]));
    }
}

#if TMQ_WITH_PACKET_HOOK
/* What the packet event saw: direction and type, in order. */
static char seen[16][2];
static unsigned nseen;

static void on_packet(tmq_client *c, int out, const tmq_packet *pkt, uint32_t len)
{
    (void)c;
    (void)len;
    if (nseen < 16) {
        seen[nseen][0] = (char)(out ? 'o' : 'i');
        seen[nseen++][1] = (char)pkt->type;
    }
}

/* The packet event reports every packet of a connection both ways, and not
 * the CONNECT tmq_client_init encodes only to check it. */
TEST(packet_event_sees_every_packet_in_and_out)
{
    static const char want[][2] = {
        {'o', TMQ_CONNECT}, {'i', TMQ_CONNACK}, {'o', TMQ_PUBLISH}, {'i', TMQ_PUBACK},
        {'i', TMQ_PUBLISH}, {'o', TMQ_PUBACK}, {'o', TMQ_DISCONNECT},
    };
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.ev.packet = on_packet;
    nseen = 0;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_OK);
    CHECK_EQ(nseen, 0);
    CHECK_EQ(connect_ready(0), 0);
    CHECK(publish("t", "x", 1, NULL) > 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    broker_send(TMQ_PUBACK, F.pkt.id, 0);
    broker_publish("u", "y", 1, 9, 0);
    poll_at(F.now);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    CHECK_EQ(nseen, sizeof want / sizeof want[0]);
    CHECK(!memcmp(seen, want, sizeof want));
}
#endif
