/* The client against a scripted fake broker over a memory pipe: exact
 * packets, acknowledgement flows, the in-flight window, keepalive timing,
 * session resume, and hostile or broken brokers. Time is simulated. */
#include <string.h>
#include "harness.h"
#include "pipe.h"
#include "tinymqtt/client.h"

#define BIN(lit) ((tmq_bin){(const uint8_t *)(lit), (uint32_t)(sizeof(lit) - 1)})

typedef struct fixture {
    tmq_client c;
    tmq_client_config cfg;
    tmq_client_events ev;
    tmq_client_mem mem;
    tmq_pipe pipe;
    uint8_t tx[512], rx[256];
    tmq_msg msgs[8];
    uint16_t qos2[4];
    uint32_t now;
    /* what the events reported */
    int connacks, messages, sents, subacks, pongs, disconnects, errors, states;
    int disconnect_err, error_err;
    uint8_t sent_reason, session_present;
    void *sent_user, *error_user;
    char topic[64], payload[64];
    uint8_t codes[8];
    uint32_t ncodes;
    /* the broker side's last packet */
    uint8_t raw[PIPE_CAP];
    tmq_packet pkt;
} fixture;

static fixture F;

static void on_connack(tmq_client *c, const tmq_packet *p)
{
    (void)c;
    F.connacks++;
    F.session_present = p->session_present;
}

static void on_message(tmq_client *c, const tmq_packet *p)
{
    (void)c;
    F.messages++;
    memcpy(F.topic, p->u.publish.topic.p, p->u.publish.topic.len);
    F.topic[p->u.publish.topic.len] = 0;
    memcpy(F.payload, p->u.publish.payload.p, p->u.publish.payload.len);
    F.payload[p->u.publish.payload.len] = 0;
}

static void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason)
{
    (void)c;
    F.sents++;
    F.sent_reason = reason;
    F.sent_user = m->user;
}

static void on_suback(tmq_client *c, const tmq_msg *m, const tmq_packet *p)
{
    (void)c;
    (void)m;
    F.subacks++;
    F.ncodes = p->u.codes.count;
    if (p->u.codes.count && p->u.codes.count <= sizeof F.codes)
        memcpy(F.codes, p->u.codes.p, p->u.codes.count);
}

static void on_unsuback(tmq_client *c, const tmq_msg *m, const tmq_packet *p)
{
    on_suback(c, m, p);
}

static void on_pong(tmq_client *c)
{
    (void)c;
    F.pongs++;
}

static void on_disconnect(tmq_client *c, int err, const tmq_packet *p)
{
    (void)c;
    (void)p;
    F.disconnects++;
    F.disconnect_err = err;
}

static void on_error(tmq_client *c, int err, const tmq_msg *m)
{
    (void)c;
    F.errors++;
    F.error_err = err;
    F.error_user = m ? m->user : 0;
}

static void on_state(tmq_client *c, tmq_state s)
{
    (void)c;
    (void)s;
    F.states++;
}

/* A fresh client for protocol `version` (not connected). */
static int setup(uint8_t version)
{
    memset(&F, 0, sizeof F);
    pipe_init(&F.pipe);
    F.cfg.host = "broker.test";
    F.cfg.port = 1883;
    F.cfg.version = version;
    F.cfg.connect.clean = 1;
    F.cfg.connect.client_id = BIN("t1");
    F.ev.connack = on_connack;
    F.ev.message = on_message;
    F.ev.sent = on_sent;
    F.ev.suback = on_suback;
    F.ev.unsuback = on_unsuback;
    F.ev.pong = on_pong;
    F.ev.disconnect = on_disconnect;
    F.ev.error = on_error;
    F.ev.state = on_state;
    F.mem.tx = F.tx;
    F.mem.tx_cap = sizeof F.tx;
    F.mem.rx = F.rx;
    F.mem.rx_cap = sizeof F.rx;
    F.mem.msgs = F.msgs;
    F.mem.msg_cap = 8;
    F.mem.qos2 = F.qos2;
    F.mem.qos2_cap = 4;
    F.now = 1000;
    return tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base);
}

static tmq_state poll_at(uint32_t now)
{
    F.now = now;
    return tmq_client_poll(&F.c, now);
}

/* The broker takes the client's next packet; returns its type or 0. */
static int broker_pop(void)
{
    int32_t n = pipe_pop_packet(&F.pipe, F.c.version, &F.pkt, F.raw);
    return n > 0 ? F.pkt.type : (int)n;
}

static void broker_send(uint8_t type, uint16_t id, uint8_t reason)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.id = id;
    p.reason = reason;
    pipe_push_packet(&F.pipe, &p, F.c.version);
}

static void broker_publish(const char *topic, const char *payload, uint8_t qos, uint16_t id, uint8_t dup)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.id = id;
    p.u.publish.topic.p = (const uint8_t *)topic;
    p.u.publish.topic.len = (uint32_t)strlen(topic);
    p.u.publish.payload.p = (const uint8_t *)payload;
    p.u.publish.payload.len = (uint32_t)strlen(payload);
    p.u.publish.qos = qos;
    p.u.publish.dup = dup;
    pipe_push_packet(&F.pipe, &p, F.c.version);
}

/* Connects and completes the CONNECT/CONNACK exchange. */
static int connect_ready(uint8_t session_present)
{
    tmq_packet ack;
    if (tmq_client_connect(&F.c, F.now) != TMQ_OK)
        return -1;
    poll_at(F.now);
    if (broker_pop() != TMQ_CONNECT)
        return -2;
    memset(&ack, 0, sizeof ack);
    ack.type = TMQ_CONNACK;
    ack.session_present = session_present;
    pipe_push_packet(&F.pipe, &ack, F.c.version);
    return poll_at(F.now) == TMQ_STATE_READY ? 0 : -3;
}

/* What an event loop does after a submission: poll if there is something to send. */
static int32_t then_poll(int32_t rc)
{
    if (tmq_client_wants_write(&F.c))
        poll_at(F.now);
    return rc;
}

static int32_t publish(const char *topic, const char *payload, uint8_t qos, void *user)
{
    tmq_bin t, p;
    t.p = (const uint8_t *)topic;
    t.len = (uint32_t)strlen(topic);
    p.p = (const uint8_t *)payload;
    p.len = (uint32_t)strlen(payload);
    return then_poll(tmq_client_publish(&F.c, t, p, qos, 0, 0, user));
}

TEST(connect_sends_exact_connect_and_becomes_ready)
{
    static const uint8_t want[] = {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C,
                                   0x00, 0x02, 't', '1'};
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.keepalive = 60;
    F.pipe.connect_steps = 2;
    F.pipe.handshake_steps = 1;
    CHECK_EQ(tmq_client_connect(&F.c, 1000), TMQ_OK);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_TCP_CONNECTING);
    CHECK_EQ(poll_at(1001), TMQ_STATE_TCP_CONNECTING);
    CHECK_EQ(poll_at(1002), TMQ_STATE_TLS_HANDSHAKING);
    CHECK_EQ(poll_at(1003), TMQ_STATE_MQTT_CONNECTING);
    CHECK_MEM(F.pipe.out, F.pipe.out_len, want, sizeof want);
    CHECK_EQ(tmq_client_connect(&F.c, 1003), TMQ_ERR_STATE);
    F.pipe.out_len = 0;
    broker_send(TMQ_CONNACK, 0, 0);
    CHECK_EQ(poll_at(1004), TMQ_STATE_READY);
    CHECK_EQ(F.connacks, 1);
}

TEST(connack_refusals_become_distinct_errors)
{
    static const struct { uint8_t version, code; int err; } cases[] = {
        {TMQ_V311, 1, TMQ_ERR_CONNACK_VERSION},  {TMQ_V311, 2, TMQ_ERR_CONNACK_ID},
        {TMQ_V311, 3, TMQ_ERR_CONNACK_UNAVAILABLE}, {TMQ_V311, 4, TMQ_ERR_CONNACK_AUTH},
        {TMQ_V311, 5, TMQ_ERR_CONNACK_NOT_AUTHORIZED}, {TMQ_V5, 0x86, TMQ_ERR_CONNACK_AUTH},
        {TMQ_V5, 0x87, TMQ_ERR_CONNACK_NOT_AUTHORIZED}, {TMQ_V5, 0x84, TMQ_ERR_CONNACK_VERSION},
        {TMQ_V5, 0x8A, TMQ_ERR_CONNACK_REFUSED},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tmq_packet ack;
        CHECK_EQ(setup(cases[i].version), TMQ_OK);
        CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
        poll_at(F.now);
        CHECK_EQ(broker_pop(), TMQ_CONNECT);
        memset(&ack, 0, sizeof ack);
        ack.type = TMQ_CONNACK;
        ack.reason = cases[i].code;
        pipe_push_packet(&F.pipe, &ack, cases[i].version);
        CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.disconnect_err, cases[i].err);
        CHECK_EQ(F.pipe.closes, 1);
    }
}

TEST(connect_timeout_without_connack)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect_timeout_ms = 5000;
    CHECK_EQ(tmq_client_connect(&F.c, 1000), TMQ_OK);
    CHECK_EQ(poll_at(1000), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(tmq_client_timeout(&F.c, 2000), 4000);
    CHECK_EQ(poll_at(5999), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(poll_at(6000), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CONNECT_TIMEOUT);
}

TEST(transport_errors_reach_disconnect)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.pipe.connect_error = TMQ_ERR_REFUSED;
    CHECK_EQ(tmq_client_connect(&F.c, 1000), TMQ_OK);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_REFUSED);
}

TEST(qos0_publish_written_then_sent)
{
    static const uint8_t want[] = {0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'};
    int user = 7;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_limit = 3; /* the packet needs three writes */
    CHECK_EQ(publish("a/b", "hi", 0, &user), 0);
    poll_at(F.now);
    poll_at(F.now);
    CHECK_MEM(F.pipe.out, F.pipe.out_len, want, sizeof want);
    CHECK_EQ(F.sents, 1);
    CHECK(F.sent_user == &user);
}

TEST(qos1_publish_completes_on_puback)
{
    int user = 1;
    int32_t id;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    id = publish("t", "x", 1, &user);
    CHECK(id > 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id);
    CHECK_EQ(F.pkt.u.publish.qos, 1);
    CHECK_EQ(F.sents, 0);
    broker_send(TMQ_PUBACK, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 1);
    CHECK(F.sent_user == &user);
    CHECK_EQ(F.c.inflight, 0);
}

TEST(qos2_publish_full_handshake)
{
    int32_t id;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    id = publish("t", "x", 2, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    broker_send(TMQ_PUBREC, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    CHECK_EQ(F.pkt.id, id);
    CHECK_EQ(F.sents, 0);
    broker_send(TMQ_PUBCOMP, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 1);
    CHECK_EQ(F.c.inflight, 0);
}

TEST(inflight_window_holds_the_rest_in_order)
{
    int32_t ids[5];
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.max_inflight = 2;
    CHECK_EQ(connect_ready(0), 0);
    for (i = 0; i < 5; i++)
        ids[i] = publish("t", "x", 1, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, ids[0]);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, ids[1]);
    CHECK_EQ(broker_pop(), 0); /* the window is full */
    broker_send(TMQ_PUBACK, (uint16_t)ids[0], 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, ids[2]);
    CHECK_EQ(broker_pop(), 0);
}

TEST(packet_ids_never_collide_with_ones_in_flight)
{
    int32_t a, b;
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.c.next_id = 0xFFFE;
    a = publish("t", "x", 1, 0); /* 0xFFFF */
    b = publish("t", "x", 1, 0); /* wraps to 1, skipping 0 */
    CHECK_EQ(a, 0xFFFF);
    CHECK_EQ(b, 1);
    F.c.next_id = 0xFFFE; /* the next two candidates are in use */
    CHECK_EQ(publish("t", "x", 1, 0), 2);
    for (i = 0; i < 5; i++)
        CHECK(publish("t", "x", 1, 0) > 2);
    CHECK_EQ(publish("t", "x", 1, 0), TMQ_ERR_QUEUE_FULL);
}

TEST(incoming_qos1_and_qos2_delivered_once)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    broker_publish("in/1", "one", 1, 5, 0);
    poll_at(F.now);
    CHECK_EQ(F.messages, 1);
    CHECK(!strcmp(F.topic, "in/1") && !strcmp(F.payload, "one"));
    CHECK_EQ(broker_pop(), TMQ_PUBACK);
    CHECK_EQ(F.pkt.id, 5);

    broker_publish("in/2", "two", 2, 7, 0);
    broker_publish("in/2", "two", 2, 7, 1); /* the broker resends before seeing PUBREC */
    poll_at(F.now);
    CHECK_EQ(F.messages, 2);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    broker_send(TMQ_PUBREL, 7, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBCOMP);
    CHECK_EQ(F.pkt.id, 7);
    broker_publish("in/2", "again", 2, 7, 0); /* id 7 released: a new message */
    poll_at(F.now);
    CHECK_EQ(F.messages, 3);
}

TEST(more_unreleased_qos2_than_slots_is_a_violation)
{
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    for (i = 1; i <= 5; i++)
        broker_publish("q", "x", 2, (uint16_t)i, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.messages, 4);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_PROTOCOL_VIOLATION);
}

TEST(subscribe_reports_per_filter_results)
{
    static const tmq_sub subs[] = {{{(const uint8_t *)"a/+", 3}, 1}, {{(const uint8_t *)"secret/#", 8}, 2}};
    static const uint8_t want[] = {0x82, 0x13, 0x00, 0x01, 0x00, 0x03, 'a', '/', '+', 0x01, 0x00, 0x08,
                                   's', 'e', 'c', 'r', 'e', 't', '/', '#', 0x02};
    static const uint8_t suback[] = {0x90, 0x04, 0x00, 0x01, 0x01, 0x80};
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(then_poll(tmq_client_subscribe(&F.c, subs, 2, 0, 0)), 1);
    CHECK_MEM(F.pipe.out, F.pipe.out_len, want, sizeof want);
    pipe_push(&F.pipe, suback, sizeof suback);
    poll_at(F.now);
    CHECK_EQ(F.subacks, 1);
    CHECK_EQ(F.ncodes, 2);
    CHECK_EQ(F.codes[0], 1);
    CHECK_EQ(F.codes[1], 0x80);
}

TEST(suback_with_wrong_count_fails_the_request)
{
    static const tmq_sub subs[] = {{{(const uint8_t *)"a", 1}, 0}};
    static const uint8_t suback[] = {0x90, 0x04, 0x00, 0x01, 0x00, 0x00};
    int user = 3;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(then_poll(tmq_client_subscribe(&F.c, subs, 1, 0, &user)), 1);
    pipe_push(&F.pipe, suback, sizeof suback);
    poll_at(F.now);
    CHECK_EQ(F.subacks, 0);
    CHECK_EQ(F.errors, 1);
    CHECK_EQ(F.error_err, TMQ_ERR_SUBACK_COUNT);
    CHECK(F.error_user == &user);
}

TEST(unsubscribe_round_trip)
{
    static const tmq_sub subs[] = {{{(const uint8_t *)"a/b", 3}, 0}};
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(then_poll(tmq_client_unsubscribe(&F.c, subs, 1, 0, 0)), 1);
    CHECK_EQ(broker_pop(), TMQ_UNSUBSCRIBE);
    broker_send(TMQ_UNSUBACK, 1, 0);
    poll_at(F.now);
    CHECK_EQ(F.subacks, 1);
    CHECK_EQ(F.c.live, 0);
}

TEST(keepalive_pings_after_idle_and_detects_dead_link)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.keepalive = 10;
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 10000);
    poll_at(F.now + 9999);
    CHECK_EQ(broker_pop(), 0);
    poll_at(1000 + 10000);
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    broker_send(TMQ_PINGRESP, 0, 0);
    poll_at(F.now + 5);
    CHECK_EQ(F.pongs, 1);
    poll_at(F.now + 10000); /* idle again: a second PINGREQ, never answered */
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    CHECK_EQ(poll_at(F.now + 9999), TMQ_STATE_READY);
    CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_KEEPALIVE);
}

TEST(broker_closing_mid_packet_keeps_messages_for_the_session)
{
    static const uint8_t half[] = {0x30, 0x10, 0x00, 0x03, 'a'};
    int32_t id1, id2;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.clean = 0;
    CHECK_EQ(connect_ready(0), 0);
    id1 = publish("t", "1", 1, 0);
    id2 = publish("t", "2", 2, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    broker_send(TMQ_PUBREC, (uint16_t)id2, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    pipe_push(&F.pipe, half, sizeof half);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CLOSED);
    CHECK_EQ(F.sents, 0);
    /* reconnect to a session the broker kept: PUBLISH again with DUP, PUBREL again */
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id1);
    CHECK_EQ(F.pkt.u.publish.dup, 1);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    CHECK_EQ(F.pkt.id, id2);
    broker_send(TMQ_PUBACK, (uint16_t)id1, 0);
    broker_send(TMQ_PUBCOMP, (uint16_t)id2, 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 2);
    CHECK_EQ(F.c.live, 0);
}

TEST(reconnect_without_session_resends_as_new)
{
    int32_t id1, id2;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    id1 = publish("t", "1", 1, 0);
    id2 = publish("t", "2", 2, 0);
    broker_pop();
    broker_pop();
    broker_send(TMQ_PUBREC, (uint16_t)id2, 0);
    poll_at(F.now);
    broker_pop();
    F.pipe.peer_closed = 1;
    poll_at(F.now);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(F.sents, 1); /* the QoS 2 message had its PUBREC: delivered */
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id1);
    CHECK_EQ(F.pkt.u.publish.dup, 0);
}

TEST(publishes_while_offline_go_out_after_connack)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK(publish("t", "queued", 1, 0) > 0);
    CHECK_EQ(publish("t", "q0", 0, 0), 0);
    CHECK_EQ(F.pipe.out_len, 0);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.u.publish.qos, 1);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.u.publish.qos, 0);
}

TEST(malformed_packets_from_broker_disconnect_cleanly)
{
    static const uint8_t liar[] = {0x30, 0x05, 0x00, 0x40, 'a', '/', 'b'};
    static const uint8_t qos3[] = {0x36, 0x02, 0x00, 0x00};
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    pipe_push(&F.pipe, liar, sizeof liar);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_TOPIC_LENGTH);
    CHECK_EQ(F.messages, 0);
    CHECK_EQ(connect_ready(0), 0);
    pipe_push(&F.pipe, qos3, sizeof qos3);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_QOS);
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

TEST(disconnect_flushes_then_closes)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_blocked = 1;
    publish("t", "last", 0, 0);
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_READY); /* still flushing */
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_DISCONNECT);
    CHECK_EQ(F.disconnect_err, TMQ_OK);
    CHECK_EQ(F.sents, 1);
}

TEST(reads_pause_while_acks_cannot_be_written)
{
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.write_blocked = 1;
    for (i = 1; i <= 200; i++)
        broker_publish("t", "x", 1, (uint16_t)i, 0);
    poll_at(F.now);
    CHECK(F.messages < 200); /* stopped: 512-byte send buffer full of PUBACKs */
    CHECK(F.c.tx_len - F.c.tx_off <= sizeof F.tx);
    F.pipe.write_blocked = 0;
    for (i = 0; i < 50 && F.messages < 200; i++)
        poll_at(F.now);
    CHECK_EQ(F.messages, 200);
    for (i = 1; i <= 200; i++) {
        CHECK_EQ(broker_pop(), TMQ_PUBACK);
        CHECK_EQ(F.pkt.id, i);
    }
}

TEST(abandon_fails_everything_pending)
{
    int a = 1, b = 2;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    publish("t", "x", 1, &a);
    publish("t", "y", 0, &b);
    tmq_client_abandon(&F.c);
    CHECK_EQ(F.errors, 2);
    CHECK_EQ(F.error_err, TMQ_ERR_CLOSED);
    CHECK_EQ(F.c.live, 0);
}

TEST(invalid_publishes_refused_before_queueing)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(publish("a/+", "x", 0, 0), TMQ_ERR_TOPIC);
    CHECK_EQ(publish("", "x", 0, 0), TMQ_ERR_TOPIC);
    CHECK_EQ(publish("t", "x", 3, 0), TMQ_ERR_QOS);
    CHECK_EQ(F.c.live, 0);
    CHECK_EQ(broker_pop(), 0);
}

TEST(automatic_reconnect_after_delay)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.reconnect_delay_ms = 2000;
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now + 500), 1500);
    CHECK_EQ(poll_at(F.now + 1999), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    CHECK_EQ(F.pipe.connects, 2);
}

static int republish_left;

static void on_sent_republish(tmq_client *c, const tmq_msg *m, uint8_t reason)
{
    on_sent(c, m, reason);
    if (republish_left > 0) {
        republish_left--;
        publish("t", "again", 0, 0);
    }
}

TEST(callbacks_may_publish_without_completing_twice)
{
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.ev.sent = on_sent_republish;
    republish_left = 20;
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(publish("t", "first", 0, 0), 0);
    for (i = 0; i < 10; i++)
        poll_at(F.now);
    CHECK_EQ(republish_left, 0);
    CHECK_EQ(F.sents, 21); /* each message completed exactly once */
    for (i = 0; i < 21; i++)
        CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(F.c.live, 0);
}

TEST(qos0_completes_while_an_older_qos1_waits)
{
    int32_t id;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    id = publish("t", "slow", 1, 0);
    CHECK_EQ(publish("t", "fast", 0, 0), 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 1); /* the QoS 0 one, on the wire */
    broker_send(TMQ_PUBACK, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 2);
    CHECK_EQ(F.c.live, 0);
}

TEST(submitting_never_calls_back_or_writes)
{
    static const tmq_sub sub = {{(const uint8_t *)"a", 1}, 0};
    tmq_bin t = {(const uint8_t *)"t", 1}, p = {(const uint8_t *)"x", 1};
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(tmq_client_wants_write(&F.c), 0);
    CHECK_EQ(tmq_client_publish(&F.c, t, p, 0, 0, 0, 0), 0);
    CHECK(tmq_client_subscribe(&F.c, &sub, 1, 0, 0) > 0);
    CHECK_EQ(F.sents, 0);
    CHECK_EQ(F.pipe.out_len, 0);
    CHECK_EQ(tmq_client_wants_write(&F.c), 1);
    poll_at(F.now);
    CHECK_EQ(F.sents, 1);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_SUBSCRIBE);
    CHECK_EQ(tmq_client_wants_write(&F.c), 0);
}

TEST(wants_write_stays_quiet_while_the_window_is_full)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.max_inflight = 1;
    CHECK_EQ(connect_ready(0), 0);
    publish("t", "1", 1, 0);
    publish("t", "2", 1, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(tmq_client_wants_write(&F.c), 0); /* no busy loop on a blocked window */
}
