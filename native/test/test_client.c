/* The client against a scripted fake broker over a memory pipe, MQTT 3.1
 * and 3.1.1: exact packets, acknowledgement flows, the in-flight window,
 * keepalive timing, session resume, and hostile or broken brokers. Time is
 * simulated. Runs against the full library and the 5.0-less one. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"

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
        {TMQ_V311, 5, TMQ_ERR_CONNACK_NOT_AUTHORIZED}, {TMQ_V31, 4, TMQ_ERR_CONNACK_AUTH},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(setup(cases[i].version), TMQ_OK);
        CHECK_EQ(connect_answered(0, cases[i].code), 0);
        CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED);
        CHECK_EQ(F.disconnect_err, cases[i].err);
        CHECK_EQ(F.pipe.closes, 1);
    }
}

/* With automatic reconnect on, a refusal that the same CONNECT would get
 * again stops reconnecting; "server unavailable" is worth another try. */
TEST(connack_refusals_for_good_stop_reconnecting)
{
    static const struct { uint8_t code, state; } cases[] = {
        {1, TMQ_STATE_DISCONNECTED}, {2, TMQ_STATE_DISCONNECTED}, {3, TMQ_STATE_WAITING_RECONNECT},
        {4, TMQ_STATE_DISCONNECTED}, {5, TMQ_STATE_DISCONNECTED},
    };
    unsigned i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ(setup(TMQ_V311), TMQ_OK);
        F.cfg.reconnect_delay_ms = 1000;
        CHECK_EQ(connect_answered(0, cases[i].code), 0);
        CHECK_EQ(poll_at(F.now + 1), cases[i].state);
        CHECK_EQ(poll_at(F.now + 5000), cases[i].state == TMQ_STATE_DISCONNECTED ? TMQ_STATE_DISCONNECTED
                                                                                  : TMQ_STATE_MQTT_CONNECTING);
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

TEST(more_unreleased_qos2_than_slots_ends_the_connection)
{
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    for (i = 1; i <= 5; i++)
        broker_publish("q", "x", 2, (uint16_t)i, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.messages, 4);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_QUEUE_FULL);
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
    CHECK_EQ(poll_at(F.now + 4999), TMQ_STATE_READY);
    CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_DISCONNECTED); /* half a keepalive later */
    CHECK_EQ(F.disconnect_err, TMQ_ERR_KEEPALIVE);
}

/* A client that keeps sending never owes the server a PINGREQ, but it still
 * needs to hear from it: a keepalive with nothing received sends one, and a
 * silent link is dead 1.5 keepalives after the last packet received. */
TEST(keepalive_finds_a_silent_link_while_the_client_keeps_sending)
{
    uint32_t heard;
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.keepalive = 10;
    CHECK_EQ(connect_ready(0), 0);
    heard = F.now;
    for (i = 1; i <= 9; i++) { /* a QoS 0 publish every second, nothing comes back */
        F.now = heard + 1000u * (uint32_t)i;
        CHECK_EQ(then_poll(publish("t", "x", 0, 0)), 0);
        CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    }
    CHECK_EQ(poll_at(heard + 9999), TMQ_STATE_READY);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(poll_at(heard + 10000), TMQ_STATE_READY);
    CHECK_EQ(broker_pop(), TMQ_PINGREQ); /* a keepalive without hearing from the server */
    CHECK_EQ(poll_at(heard + 14999), TMQ_STATE_READY);
    CHECK_EQ(poll_at(heard + 15000), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_KEEPALIVE);
}

/* Any packet from the server shows the link lives: no PINGREQ is due while
 * messages keep arriving and the client keeps sending. */
TEST(keepalive_stays_quiet_while_both_directions_carry_packets)
{
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.keepalive = 10;
    CHECK_EQ(connect_ready(0), 0);
    for (i = 0; i < 30; i++) {
        F.now += 1000;
        broker_publish("in", "x", 0, 0, 0);
        CHECK_EQ(then_poll(publish("t", "x", 0, 0)), 0);
        poll_at(F.now);
        CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    }
    CHECK_EQ(broker_pop(), 0); /* no PINGREQ in 30 keepalive seconds */
    CHECK_EQ(F.messages, 30);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_READY);
}

TEST(ping_on_request_sends_one_pingreq_until_its_pingresp)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(tmq_client_ping(&F.c, F.now), TMQ_ERR_STATE); /* not connected */
    F.cfg.connect.keepalive = 10;
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(tmq_client_ping(&F.c, F.now), TMQ_OK);
    CHECK(tmq_client_wants_write(&F.c));
    CHECK_EQ(tmq_client_ping(&F.c, F.now), TMQ_OK); /* one already waits: not a second */
    poll_at(F.now + 1);
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    CHECK_EQ(broker_pop(), 0);
    broker_send(TMQ_PINGRESP, 0, 0);
    poll_at(F.now + 1);
    CHECK_EQ(F.pongs, 1);
    CHECK_EQ(tmq_client_ping(&F.c, F.now), TMQ_OK); /* answered: the next one goes out */
    poll_at(F.now + 1);
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    CHECK_EQ(poll_at(F.now + 5000), TMQ_STATE_DISCONNECTED); /* never answered: dead link */
    CHECK_EQ(F.disconnect_err, TMQ_ERR_KEEPALIVE);
}

/* A PINGRESP queued behind a long packet arrives late, but the bytes of
 * that packet show the link lives: a link still carrying bytes is not
 * declared dead half a keepalive after the PINGREQ. */
TEST(keepalive_counts_the_bytes_of_a_packet_still_arriving)
{
    static const uint8_t head[] = {0x30, 0x20, 0x00, 0x01, 't'}; /* QoS 0 PUBLISH, 32 bytes after the header */
    static const uint8_t body[29] = "0123456789abcdefghijklmnopqrs"; /* the payload: the 29 bytes after the topic */
    static const uint32_t at[] = {0, 9, 19, 29};
    uint32_t pinged;
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.keepalive = 10;
    CHECK_EQ(connect_ready(0), 0);
    poll_at(F.now + 10000);
    CHECK_EQ(broker_pop(), TMQ_PINGREQ);
    pinged = F.now;
    pipe_push(&F.pipe, head, sizeof head);
    for (i = 0; i < 3; i++) { /* 9-10 bytes every 4 s: 12 s for the packet, more than the 5 s ping timeout */
        CHECK_EQ(poll_at(pinged + 4000u * (uint32_t)(i + 1)), TMQ_STATE_READY);
        pipe_push(&F.pipe, body + at[i], at[i + 1] - at[i]);
    }
    broker_send(TMQ_PINGRESP, 0, 0);
    CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_READY);
    CHECK_EQ(F.messages, 1);
    CHECK_EQ(F.pongs, 1);
    CHECK_EQ(poll_at(F.now + 4999), TMQ_STATE_READY);
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
    id2 = publish("t", "2", 2, 0);
    id1 = publish("t", "1", 1, 0);
    broker_pop();
    broker_pop();
    broker_send(TMQ_PUBREC, (uint16_t)id2, 0);
    poll_at(F.now);
    broker_pop();
    F.pipe.peer_closed = 1;
    poll_at(F.now);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(F.sents, 1); /* the QoS 2 message had its PUBREC: delivered */
    /* completing the oldest slot moved the ring's head: the next one still goes out */
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

/* The server acknowledged, sent a message and closed while the client still
 * had bytes to write: the failed write does not lose what had arrived. */
TEST(packets_before_a_failed_write_are_read)
{
    int a = 1, b = 2;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK(publish("t", "acked", 1, &a) > 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    F.pipe.write_blocked = 1;
    CHECK_EQ(publish("t", "unsent", 0, &b), TMQ_OK);
    CHECK(F.c.tx_len > F.c.tx_off); /* waits in the send buffer */
    broker_send(TMQ_PUBACK, F.pkt.id, 0);
    broker_publish("in", "hello", 0, 0, 0);
    F.pipe.peer_closed = 1; /* the next write fails */
    F.pipe.write_blocked = 0;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.sents, 1); /* the PUBACK was read */
    CHECK(F.sent_user == &a);
    CHECK_EQ(F.messages, 1);
    CHECK(strcmp(F.payload, "hello") == 0);
    CHECK_EQ(F.disconnects, 1);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CLOSED);
    CHECK_EQ(F.c.live, 1); /* the unsent one waits for the next connection */
}

/* A write fails while the transport still reads (nothing more has come):
 * the poll reads once more, then reports the write's error. */
TEST(a_failed_write_ends_the_connection_once_nothing_is_left_to_read)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.send_error = TMQ_ERR_IO;
    CHECK_EQ(publish("t", "x", 1, 0) > 0, 1);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnects, 1);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_IO);
    CHECK_EQ(F.c.tx_err, 0);
    CHECK_EQ(F.c.live, 1); /* kept for the next connection */
}

/* The broker sends 200 QoS 1 PUBLISHes while the client cannot write: it
 * stops reading once its 512-byte send buffer is full of PUBACKs. 0 when so. */
static int acks_back_up(void)
{
    int i;
    CHECK_EQ_R(setup(TMQ_V311), TMQ_OK, 1);
    CHECK_EQ_R(connect_ready(0), 0, 1);
    F.pipe.write_blocked = 1;
    for (i = 1; i <= 200; i++)
        broker_publish("t", "x", 1, (uint16_t)i, 0);
    poll_at(F.now);
    CHECK_R(F.messages < 200, 1);
    CHECK_R(F.c.tx_len - F.c.tx_off <= sizeof F.tx, 1);
    return 0;
}

/* Acknowledgements fill the send buffer, then the write fails: the rest of
 * what the server sent is still delivered before the disconnect. */
TEST(a_failed_acknowledgement_write_still_reads_on)
{
    CHECK_EQ(acks_back_up(), 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.messages, 200);
    CHECK_EQ(F.disconnects, 1);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CLOSED);
}

TEST(reads_pause_while_acks_cannot_be_written)
{
    int i;
    CHECK_EQ(acks_back_up(), 0);
    F.pipe.write_blocked = 0;
    for (i = 0; i < 50 && F.messages < 200; i++)
        poll_at(F.now);
    CHECK_EQ(F.messages, 200);
    for (i = 1; i <= 200; i++) {
        CHECK_EQ(broker_pop(), TMQ_PUBACK);
        CHECK_EQ(F.pkt.id, i);
    }
}

TEST(written_send_buffer_starts_over_at_its_front)
{
    int i;
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(F.c.tx_len, 0u);
    /* ten times the 512-byte send buffer, every packet written at its front */
    for (i = 0; i < 400; i++) {
        CHECK_EQ(publish("topic", "payload", 0, 0), TMQ_OK);
        CHECK_EQ(F.c.tx_off, 0u);
        CHECK_EQ(F.c.tx_len, 0u);
        CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    }
    CHECK_EQ(F.sents, 400);
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

TEST(init_refuses_what_it_cannot_send)
{
    CHECK_EQ(setup(9), TMQ_ERR_VERSION);
    CHECK_EQ(setup(TMQ_V31), TMQ_OK);
    F.cfg.connect.client_id = BIN("a-client-id-longer-than-23-bytes");
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_CLIENT_ID);
    F.cfg.connect.client_id = BIN("ok");
    F.mem.tx_cap = 8;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    F.mem.tx_cap = sizeof F.tx;
    F.mem.qos2_cap = 0;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
}

TEST(v31_keeps_the_session_it_asked_for)
{
    int32_t id;
    CHECK_EQ(setup(TMQ_V31), TMQ_OK);
    F.cfg.connect.clean = 0;
    CHECK_EQ(connect_ready(0), 0); /* 3.1 CONNACK: no session present flag */
    id = publish("t", "1", 1, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    F.pipe.peer_closed = 1;
    poll_at(F.now);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id);
    CHECK_EQ(F.pkt.u.publish.dup, 1); /* resent into the kept session */
}
