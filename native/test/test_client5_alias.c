/* The client's outgoing MQTT 5.0 topic aliases against the scripted fake
 * broker: the caller's Topic Alias, the client's own assignment within the
 * server's Topic Alias Maximum, and a new connection starting over. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"

static uint8_t slots[2 * 18];

/* A 5.0 client with two outgoing alias slots of 16-byte topics, READY
 * after a CONNACK announcing Topic Alias Maximum server_max. */
static int ready_with_aliases(uint16_t server_max, uint8_t auto_alias)
{
    tmq_prop max;
    int rc = setup(TMQ_V5);
    if (rc)
        return rc;
    F.mem.out_aliases = slots;
    F.mem.out_alias_max = 2;
    F.mem.out_alias_len = 18;
    F.cfg.auto_alias = auto_alias;
    rc = tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base);
    if (rc || connect_sent())
        return -1;
    memset(&max, 0, sizeof max);
    max.id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM;
    max.num = server_max;
    broker_connack_props(&max, server_max ? 1 : 0);
    return poll_at(F.now) == TMQ_STATE_READY ? 0 : -2;
}

/* Publishes QoS 0 to topic with props, polls, and has the broker take the
 * PUBLISH; returns the alias it carries (0: none), F.pkt holding it. */
static uint32_t sent_alias(const char *topic, const tmq_props *props)
{
    tmq_bin t = {(const uint8_t *)topic, (uint32_t)strlen(topic)};
    tmq_prop p;
    then_poll(tmq_client_publish(&F.c, t, BIN("x"), 0, 0, props, 0));
    if (broker_pop() != TMQ_PUBLISH)
        return 0xFFFFFFFFu;
    return tmq_prop_find(&F.pkt.props, TMQ_PROP_TOPIC_ALIAS, &p) ? p.num : 0;
}

/* Whether the broker's last PUBLISH carried topic (empty: the alias alone). */
static int topic_is(const char *topic)
{
    return F.pkt.u.publish.topic.len == strlen(topic) && !memcmp(F.pkt.u.publish.topic.p, topic, strlen(topic));
}

TEST(v5_caller_alias_sends_the_topic_once_per_connection)
{
    tmq_prop a;
    tmq_props props = one_number_property(&a, TMQ_PROP_TOPIC_ALIAS, 2);
    CHECK_EQ(ready_with_aliases(5, 0), 0);
    CHECK_EQ(sent_alias("sensors/a", &props), 2);
    CHECK(topic_is("sensors/a"));
    CHECK_EQ(sent_alias("sensors/a", &props), 2);
    CHECK(topic_is(""));
    CHECK_EQ(sent_alias("sensors/b", &props), 2); /* remapped: the topic again */
    CHECK(topic_is("sensors/b"));
    CHECK_EQ(sent_alias("sensors/b", &props), 2);
    CHECK(topic_is(""));
    /* a topic longer than the slot goes out whole every time */
    CHECK_EQ(sent_alias("a/topic/longer/than/16", &props), 2);
    CHECK(topic_is("a/topic/longer/than/16"));
    CHECK_EQ(sent_alias("a/topic/longer/than/16", &props), 2);
    CHECK(topic_is("a/topic/longer/than/16"));
    /* an alias beyond the client's memory but within the server's: always with the topic */
    a.num = 4;
    CHECK_EQ(sent_alias("sensors/c", &props), 4);
    CHECK(topic_is("sensors/c"));
    CHECK_EQ(sent_alias("sensors/c", &props), 4);
    CHECK(topic_is("sensors/c"));
    /* aliases live for one connection */
    broker_send(TMQ_DISCONNECT, 0, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(connect_sent(), 0);
    a.num = 5; /* the same Topic Alias Maximum again, announced in a property like the alias */
    a.id = TMQ_PROP_TOPIC_ALIAS_MAXIMUM;
    broker_connack_props(&a, 1);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    a.id = TMQ_PROP_TOPIC_ALIAS;
    a.num = 2;
    CHECK_EQ(sent_alias("sensors/b", &props), 2);
    CHECK(topic_is("sensors/b"));
}

TEST(v5_caller_alias_above_the_server_maximum_fails_the_message)
{
    tmq_prop a;
    tmq_props props = one_number_property(&a, TMQ_PROP_TOPIC_ALIAS, 3);
    CHECK_EQ(ready_with_aliases(2, 0), 0);
    then_poll(tmq_client_publish(&F.c, BIN("t"), BIN("x"), 1, 0, &props, &a));
    CHECK_EQ(F.errors, 1);
    CHECK_EQ(F.error_err, TMQ_ERR_TOPIC_ALIAS);
    CHECK(F.error_user == &a);
    CHECK_EQ(broker_pop(), 0); /* nothing went out */
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_READY);
}

TEST(v5_auto_alias_assigns_within_the_smaller_maximum)
{
    CHECK_EQ(ready_with_aliases(5, 1), 0); /* the client's 2 slots are the limit */
    CHECK_EQ(sent_alias("a", 0), 1);
    CHECK(topic_is("a"));
    CHECK_EQ(sent_alias("b", 0), 2);
    CHECK(topic_is("b"));
    CHECK_EQ(sent_alias("a", 0), 1);
    CHECK(topic_is(""));
    CHECK_EQ(sent_alias("b", 0), 2);
    CHECK(topic_is(""));
    CHECK_EQ(sent_alias("c", 0), 1); /* all used: the first is reused */
    CHECK(topic_is("c"));
    CHECK_EQ(sent_alias("a", 0), 2);
    CHECK(topic_is("a"));
    CHECK_EQ(sent_alias("c", 0), 1);
    CHECK(topic_is(""));
    CHECK_EQ(sent_alias("a/topic/longer/than/16", 0), 0); /* too long to keep: no alias */
    CHECK(topic_is("a/topic/longer/than/16"));
}

TEST(v5_auto_alias_needs_the_server_to_accept_aliases)
{
    tmq_prop user;
    tmq_props props;
    CHECK_EQ(ready_with_aliases(0, 1), 0);
    CHECK_EQ(sent_alias("a", 0), 0);
    CHECK_EQ(sent_alias("a", 0), 0);
    CHECK(topic_is("a"));
    CHECK_EQ(ready_with_aliases(1, 1), 0);
    one_user_property(&user, &props); /* a property list of the caller's: left as it is */
    CHECK_EQ(sent_alias("a", &props), 0);
    CHECK(topic_is("a"));
}

TEST(v5_outgoing_alias_memory_must_be_whole)
{
    CHECK_EQ(setup(TMQ_V5), TMQ_OK);
    F.mem.out_alias_max = 2;
    F.mem.out_alias_len = 18;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
    F.mem.out_aliases = slots;
    F.mem.out_alias_len = 2;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
}
