/* The engine's persistence hooks (tinymqtt/store.h) against the scripted
 * fake broker: each hook runs before the bytes that depend on it reach the
 * transport, a failing hook sends nothing and ends the connection, and the
 * restore functions put a stored session back so that delivery completes
 * after a restart. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"
#include "tinymqtt/store.h"

/* A store that records every call and what had reached the transport then. */
enum { H_SENDING = 1, H_RELEASED, H_DONE, H_INCOMING };
typedef struct call {
    int hook;
    uint16_t id;
    int held;                 /* H_INCOMING */
    void *user;
    uint32_t out_len;         /* bytes the client had sent when the hook ran */
} call;

static struct recorder {
    tmq_store base;
    call calls[32];
    int n;
    int fail;                 /* nonzero: the next hook of this kind fails */
} R;

static int record(int hook, uint16_t id, int held, void *user)
{
    call *c = &R.calls[R.n < 32 ? R.n++ : 31];
    c->hook = hook;
    c->id = id;
    c->held = held;
    c->user = user;
    c->out_len = F.pipe.out_len;
    if (R.fail == hook) {
        R.fail = 0;
        return TMQ_ERR_STORE;
    }
    return TMQ_OK;
}

static int rec_sending(tmq_store *s, const tmq_msg *m)
{
    (void)s;
    return record(H_SENDING, m->id, 0, m->user);
}

static int rec_released(tmq_store *s, const tmq_msg *m)
{
    (void)s;
    return record(H_RELEASED, m->id, 0, m->user);
}

static void rec_done(tmq_store *s, const tmq_msg *m)
{
    (void)s;
    record(H_DONE, m->id, 0, m->user);
}

static int rec_incoming(tmq_store *s, uint16_t id, int held)
{
    (void)s;
    return record(H_INCOMING, id, held, 0);
}

static const tmq_store_ops rec_ops = {rec_sending, rec_released, rec_done, rec_incoming};

/* A fresh 3.1.1 client with a persistent session and the recorder plugged in. */
static int setup_store(void)
{
    int rc = setup(TMQ_V311);
    F.cfg.connect.clean = 0;
    memset(&R, 0, sizeof R);
    R.base.ops = &rec_ops;
    tmq_client_set_store(&F.c, &R.base);
    return rc;
}

TEST(sending_is_recorded_before_the_publish_reaches_the_transport)
{
    int tag = 1;
    int32_t id;
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(R.n, 1);                     /* no session: no incoming id either */
    CHECK(R.calls[0].hook == H_INCOMING && R.calls[0].id == 0 && R.calls[0].held == 0);
    R.n = 0;
    F.pipe.out_len = 0;
    id = publish("t", "one", 1, &tag);
    CHECK(id > 0);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.calls[0].hook, H_SENDING);
    CHECK_EQ(R.calls[0].id, id);
    CHECK(R.calls[0].user == &tag);
    CHECK_EQ(R.calls[0].out_len, 0);       /* nothing of it was on the wire yet */
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);   /* and now it is */
    broker_send(TMQ_PUBACK, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(R.n, 2);
    CHECK_EQ(R.calls[1].hook, H_DONE);
    CHECK_EQ(R.calls[1].id, id);
    CHECK_EQ(F.sents, 1);
    /* QoS 0 never reaches the store */
    CHECK_EQ(publish("t", "zero", 0, 0), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.sents, 2);
    CHECK_EQ(R.n, 2);
}

TEST(a_failed_sending_record_sends_nothing_and_retries_after_reconnect)
{
    int32_t id;
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.out_len = 0;
    R.fail = H_SENDING;
    id = publish("t", "one", 2, 0);
    CHECK(id > 0);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_STORE);
    CHECK_EQ(F.pipe.out_len, 0);          /* the PUBLISH never went out */
    CHECK_EQ(F.errors, 0);                /* the message is kept, not failed */
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id);
    CHECK_EQ(R.calls[R.n - 1].hook, H_SENDING);
}

TEST(released_is_recorded_before_pubrel_and_a_failure_holds_it_back)
{
    int32_t id;
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    id = publish("t", "two", 2, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    F.pipe.out_len = 0;
    R.fail = H_RELEASED;
    broker_send(TMQ_PUBREC, (uint16_t)id, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_STORE);
    CHECK_EQ(F.pipe.out_len, 0);          /* no PUBREL */
    /* the next connection resends the PUBLISH (the broker answers PUBREC again) */
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id);
    CHECK_EQ(F.pkt.u.publish.dup, 1);
    F.pipe.out_len = 0;
    broker_send(TMQ_PUBREC, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(R.calls[R.n - 1].hook, H_RELEASED);
    CHECK_EQ(R.calls[R.n - 1].out_len, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    broker_send(TMQ_PUBCOMP, (uint16_t)id, 0);
    poll_at(F.now);
    CHECK_EQ(R.calls[R.n - 1].hook, H_DONE);
    CHECK_EQ(F.sents, 1);
}

TEST(incoming_qos2_is_recorded_before_delivery_and_pubrec)
{
    int calls;
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(connect_ready(1), 0);
    F.pipe.out_len = 0;
    R.fail = H_INCOMING;
    broker_publish("in", "x", 2, 5, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_STORE);
    CHECK_EQ(F.messages, 0);              /* not delivered: the broker sends it again */
    CHECK_EQ(F.pipe.out_len, 0);          /* no PUBREC */
    CHECK_EQ(F.c.qos2_count, 0);
    CHECK_EQ(connect_ready(1), 0);
    F.pipe.out_len = 0;
    broker_publish("in", "x", 2, 5, 1);
    poll_at(F.now);
    CHECK_EQ(F.messages, 1);
    CHECK_EQ(R.calls[R.n - 1].hook, H_INCOMING);
    CHECK_EQ(R.calls[R.n - 1].id, 5);
    CHECK_EQ(R.calls[R.n - 1].held, 1);
    CHECK_EQ(R.calls[R.n - 1].out_len, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    /* a resend of a held id is not recorded again */
    calls = R.n;
    broker_publish("in", "x", 2, 5, 1);
    poll_at(F.now);
    CHECK_EQ(F.messages, 1);
    CHECK_EQ(R.n, calls);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    /* PUBREL: released in the store before the PUBCOMP, which a failure holds back */
    F.pipe.out_len = 0;
    R.fail = H_INCOMING;
    broker_send(TMQ_PUBREL, 5, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.pipe.out_len, 0);
    CHECK_EQ(F.c.qos2_count, 1);          /* still held */
    CHECK_EQ(connect_ready(1), 0);
    F.pipe.out_len = 0;
    broker_send(TMQ_PUBREL, 5, 0);
    poll_at(F.now);
    CHECK_EQ(R.calls[R.n - 1].hook, H_INCOMING);
    CHECK_EQ(R.calls[R.n - 1].held, 0);
    CHECK_EQ(R.calls[R.n - 1].out_len, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBCOMP);
    CHECK_EQ(F.c.qos2_count, 0);
}

TEST(a_lost_session_releases_every_incoming_id_in_the_store)
{
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(connect_ready(1), 0);
    broker_publish("in", "x", 2, 5, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    F.pipe.peer_closed = 1;
    poll_at(F.now);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(R.calls[R.n - 1].hook, H_INCOMING);
    CHECK_EQ(R.calls[R.n - 1].id, 0);
    CHECK_EQ(R.calls[R.n - 1].held, 0);
    CHECK_EQ(F.c.qos2_count, 0);
}

TEST(abandon_leaves_the_store_its_messages)
{
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    publish("t", "one", 1, 0);
    tmq_client_disconnect(&F.c, 0, F.now);
    poll_at(F.now);
    tmq_client_abandon(&F.c);
    CHECK_EQ(F.errors, 1);
    CHECK_EQ(F.error_err, TMQ_ERR_CLOSED);
    CHECK_EQ(R.calls[R.n - 1].hook, H_SENDING); /* no done */
}

TEST(restore_resumes_a_kept_session_in_order)
{
    int a = 1, b = 2, c = 3;
    CHECK_EQ(setup_store(), TMQ_OK);
    /* as a store gives them back: sent and unacknowledged, released, never sent */
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("a"), 1, 0, 0, &a, 700, 0), 700);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("b"), 2, 0, 0, &b, 701, 1), 701);
    CHECK(tmq_client_restore(&F.c, BIN("t"), BIN("c"), 2, 1, 0, &c, 0, 0) > 0);
    CHECK_EQ(tmq_client_restore_incoming(&F.c, 9), TMQ_OK);
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, 700);
    CHECK_EQ(F.pkt.u.publish.dup, 1);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    CHECK_EQ(F.pkt.id, 701);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK(F.pkt.id != 700 && F.pkt.id != 701);
    CHECK_EQ(F.pkt.u.publish.dup, 0);
    CHECK_EQ(F.pkt.u.publish.retain, 1);
    /* the restored incoming id: a resend is acknowledged, not delivered again */
    broker_publish("in", "x", 2, 9, 1);
    poll_at(F.now);
    CHECK_EQ(F.messages, 0);
    CHECK_EQ(broker_pop(), TMQ_PUBREC);
    broker_send(TMQ_PUBACK, 700, 0);
    broker_send(TMQ_PUBCOMP, 701, 0);
    poll_at(F.now);
    CHECK_EQ(F.sents, 2);
    CHECK(R.calls[R.n - 1].hook == H_DONE && R.calls[R.n - 1].user == &b);
}

TEST(restore_without_the_session_sends_again_as_new)
{
    int b = 2;
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("a"), 2, 0, 0, 0, 700, 0), 700);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("b"), 2, 0, 0, &b, 701, 1), 701);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(F.sents, 1);                 /* released: the broker had it */
    CHECK(F.sent_user == &b);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, 700);
    CHECK_EQ(F.pkt.u.publish.dup, 0);
    CHECK_EQ(broker_pop(), 0);
}

TEST(restore_refuses_what_it_cannot_put_back)
{
    CHECK_EQ(setup_store(), TMQ_OK);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("a"), 0, 0, 0, 0, 0, 0), TMQ_ERR_ARG);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("a"), 1, 0, 0, 0, 5, 1), TMQ_ERR_ARG);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("a"), 2, 0, 0, 0, 0, 1), TMQ_ERR_ARG);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("a"), 1, 0, 0, 0, 5, 0), 5);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("b"), 1, 0, 0, 0, 5, 0), TMQ_ERR_ARG);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t/#"), BIN("b"), 1, 0, 0, 0, 6, 0), TMQ_ERR_TOPIC);
    CHECK_EQ(tmq_client_restore_incoming(&F.c, 0), TMQ_ERR_ARG);
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);  /* only the one restored */
    CHECK_EQ(F.pkt.id, 5);
    CHECK_EQ(broker_pop(), 0);
    CHECK_EQ(tmq_client_restore(&F.c, BIN("t"), BIN("c"), 1, 0, 0, 0, 8, 0), TMQ_ERR_STATE);
}
