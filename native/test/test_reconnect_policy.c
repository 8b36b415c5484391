/* The reconnect_delay event (TMQ_WITH_RECONNECT_POLICY): the client asks its
 * policy for each delay, telling it how long the lost connection lasted. Time
 * is simulated. */
#include "client_fixture.h"
#include "harness.h"

static int asked_was_ready;
static uint32_t asked_lasted;

static uint32_t on_reconnect_delay(tmq_client *c, int was_ready, uint32_t lasted_ms)
{
    (void)c;
    asked_was_ready = was_ready;
    asked_lasted = lasted_ms;
    return was_ready ? 300 : 700;
}

/* The reconnect policy is asked once per wait, with how long the lost
 * connection lasted (or that the attempt failed), and its delay is kept. */
TEST(reconnect_delay_event_gives_each_delay)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.reconnect_delay_ms = 2000;
    F.ev.reconnect_delay = on_reconnect_delay;
    CHECK_EQ(connect_ready(0), 0);
    F.now += 5000;
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(asked_was_ready, 1);
    CHECK_EQ(asked_lasted, 5000);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now + 100), 200);
    F.pipe.peer_closed = 0;
    CHECK_EQ(poll_at(F.now + 300), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(poll_at(F.now + 30000), TMQ_STATE_WAITING_RECONNECT);   /* no CONNACK in time */
    CHECK_EQ(asked_was_ready, 0);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 700);
}

static uint32_t never(tmq_client *c, int was_ready, uint32_t lasted_ms)
{
    (void)c;
    (void)was_ready;
    (void)lasted_ms;
    return TMQ_RECONNECT_NEVER;
}

/* With the event set the policy alone decides: TMQ_RECONNECT_NEVER stays
 * DISCONNECTED though cfg asks for a delay, and a delay reconnects though
 * cfg has none (a live client's policy turned off and on). */
TEST(the_policy_decides_whether_to_reconnect)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.reconnect_delay_ms = 2000;
    F.ev.reconnect_delay = never;
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now + 10), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), UINT32_MAX);
    F.pipe.peer_closed = 0;
    F.cfg.reconnect_delay_ms = 0;
    F.ev.reconnect_delay = on_reconnect_delay;
    F.now += 20;
    CHECK_EQ(connect_ready(0), 0);
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now + 30), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 300);
}
