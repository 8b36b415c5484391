/* The server list (TMQ_WITH_FAILOVER): a round tries the servers in order,
 * the next at once after a failed attempt, and waits the reconnect delay
 * only between rounds. The transport records which server each connect was
 * for and refuses the ports listed as down. Time is simulated. */
#include <string.h>
#include "client_fixture.h"
#include "harness.h"

#define DOWN_MAX 4

/* A transport over the fixture's pipe that refuses some servers. */
static struct {
    tmq_transport base;
    uint16_t down[DOWN_MAX];     /* ports whose connect is refused (0: unused) */
    uint16_t tried[16];          /* the port of each connect attempt, in order */
    uint8_t kind_seen[16];       /* the kind the state event saw before each attempt */
    int attempts;
    int connecting;              /* a connect for the current server is under way */
} T;

static const tmq_server servers[3] = {{"node-a", 1001, 0}, {"node-b", 1002, 1}, {"node-c", 1003, 2}};

static int is_down(uint16_t port)
{
    int i;
    for (i = 0; i < DOWN_MAX; i++)
        if (T.down[i] == port)
            return 1;
    return 0;
}

static int t_connect(tmq_transport *t, const char *host, uint16_t port)
{
    (void)t;
    if (!T.connecting && T.attempts < 16)
        T.tried[T.attempts++] = port;
    T.connecting = 1;
    if (is_down(port) || strncmp(host, "node-", 5) != 0)
        return TMQ_ERR_REFUSED;
    return F.pipe.base.ops->connect(&F.pipe.base, host, port);
}

static int32_t t_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    (void)t;
    return F.pipe.base.ops->send(&F.pipe.base, buf, len);
}

static int32_t t_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    (void)t;
    return F.pipe.base.ops->recv(&F.pipe.base, buf, len);
}

static void t_close(tmq_transport *t)
{
    (void)t;
    T.connecting = 0;
    F.pipe.base.ops->close(&F.pipe.base);
}

static const tmq_transport_ops t_ops = {t_connect, t_send, t_recv, t_close};

/* Records the kind of the server about to be tried, as a port would. */
static void on_state(tmq_client *c, tmq_state s)
{
    F.states++;
    if (s == TMQ_STATE_TCP_CONNECTING && T.attempts < 16)
        T.kind_seen[T.attempts] = servers[tmq_client_server_index(c)].kind;
}

static uint32_t policy_asked;

static uint32_t policy(tmq_client *c, int was_ready, uint32_t lasted_ms)
{
    (void)c;
    (void)was_ready;
    (void)lasted_ms;
    policy_asked++;
    return 500;
}

/* A client over T with the three servers; `reconnect_ms` as cfg has it. */
static int setup_list(uint32_t reconnect_ms, int with_policy)
{
    memset(&T, 0, sizeof T);
    T.base.ops = &t_ops;
    policy_asked = 0;
    CHECK_EQ_R(setup(TMQ_V311), TMQ_OK, -1);
    F.cfg.servers = servers;
    F.cfg.server_count = 3;
    F.cfg.reconnect_delay_ms = reconnect_ms;
    F.cfg.connect.clean = 0;
    F.ev.state = on_state;
    if (with_policy)
        F.ev.reconnect_delay = policy;
    return tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &T.base);
}

/* Polls until the client is no longer waiting for the next server. */
static tmq_state settle(void)
{
    tmq_state s = poll_at(F.now);
    int guard = 8;
    while (tmq_client_failing_over(&F.c) && guard--)
        s = poll_at(F.now);
    return s;
}

/* Connects with every server down; returns the state once the round is over. */
static tmq_state connect_all_down(void)
{
    T.down[0] = servers[0].port;
    T.down[1] = servers[1].port;
    T.down[2] = servers[2].port;
    if (tmq_client_connect(&F.c, F.now) != TMQ_OK)
        return (tmq_state)-1;
    return settle();
}

/* A list without memory for it is refused. */
TEST(a_count_without_a_list_is_refused)
{
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.server_count = 2;
    CHECK_EQ(tmq_client_init(&F.c, &F.cfg, &F.ev, &F.mem, &F.pipe.base), TMQ_ERR_ARG);
}

/* The first server that accepts is used; those before it were tried at
 * once, each failure reported, and the policy was not asked. */
TEST(a_round_tries_the_servers_in_order)
{
    CHECK_EQ(setup_list(1000, 1), TMQ_OK);
    T.down[0] = 1001;
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_WAITING_RECONNECT);
    CHECK(tmq_client_failing_over(&F.c));
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 0);       /* no delay before the next server */
    CHECK_EQ(F.disconnects, 1);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_REFUSED);
    CHECK_EQ(settle(), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(tmq_client_server_index(&F.c), 1);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    broker_send(TMQ_CONNACK, 0, 0);
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(T.attempts, 2);
    CHECK_EQ(T.tried[0], 1001);
    CHECK_EQ(T.tried[1], 1002);
    CHECK_EQ(T.kind_seen[0], 0);
    CHECK_EQ(T.kind_seen[1], 1);                          /* the port saw the kind before connect */
    CHECK_EQ(policy_asked, 0);
}

/* Only a round that failed on every server waits, once, as the policy says;
 * the next round starts again with the first server. */
TEST(the_delay_comes_between_rounds)
{
    CHECK_EQ(setup_list(1000, 1), TMQ_OK);
    CHECK_EQ(connect_all_down(), TMQ_STATE_WAITING_RECONNECT);
    CHECK(!tmq_client_failing_over(&F.c));
    CHECK_EQ(T.attempts, 3);
    CHECK_EQ(policy_asked, 1);
    CHECK_EQ(F.disconnects, 3);
    CHECK_EQ(tmq_client_timeout(&F.c, F.now), 500);
    T.down[0] = 0;
    CHECK_EQ(poll_at(F.now + 499), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(poll_at(F.now + 1), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(T.tried[3], 1001);
    CHECK_EQ(tmq_client_server_index(&F.c), 0);
}

/* A lost READY connection is a new round after the delay, from the first
 * server; a server that is down is passed over at once. */
TEST(a_lost_connection_fails_over_after_the_delay)
{
    CHECK_EQ(setup_list(1000, 1), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK_EQ(tmq_client_server_index(&F.c), 0);
    T.down[0] = 1001;                                   /* node-a dies */
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now + 10), TMQ_STATE_WAITING_RECONNECT);
    CHECK(!tmq_client_failing_over(&F.c));
    CHECK_EQ(policy_asked, 1);
    CHECK_EQ(poll_at(F.now + 500), TMQ_STATE_WAITING_RECONNECT);   /* node-a refused */
    CHECK(tmq_client_failing_over(&F.c));
    CHECK_EQ(settle(), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(tmq_client_server_index(&F.c), 1);
    CHECK_EQ(policy_asked, 1);
}

/* A connect timeout moves on too: a silent server costs its timeout. */
TEST(a_silent_server_is_left_after_the_connect_timeout)
{
    CHECK_EQ(setup_list(1000, 0), TMQ_OK);
    F.cfg.connect_timeout_ms = 2000;
    CHECK_EQ(connect_sent(), 0);                         /* node-a takes CONNECT, never answers */
    CHECK_EQ(poll_at(F.now + 2000), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CONNECT_TIMEOUT);
    CHECK_EQ(settle(), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(tmq_client_server_index(&F.c), 1);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
}

/* Without automatic reconnect a connect still tries each server once, then
 * stops. */
TEST(without_reconnect_a_connect_tries_each_server_once)
{
    CHECK_EQ(setup_list(0, 0), TMQ_OK);
    CHECK_EQ(connect_all_down(), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(T.attempts, 3);
    CHECK_EQ(F.disconnects, 3);
}

/* A refusal for good (bad credentials) ends the round too: the same
 * CONNECT goes to every server. */
TEST(a_refusal_for_good_ends_the_round)
{
    CHECK_EQ(setup_list(1000, 1), TMQ_OK);
    CHECK_EQ(connect_answered(0, 4), 0);                 /* bad user name or password */
    CHECK_EQ(poll_at(F.now), TMQ_STATE_DISCONNECTED);
    CHECK_EQ(F.disconnect_err, TMQ_ERR_CONNACK_AUTH);
    CHECK_EQ(T.attempts, 1);
}

/* A disconnect while waiting for the next server ends the round; the next
 * connect starts with the first server. */
TEST(a_disconnect_ends_the_round)
{
    CHECK_EQ(setup_list(1000, 1), TMQ_OK);
    T.down[0] = 1001;
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    CHECK(tmq_client_failing_over(&F.c));
    CHECK_EQ(tmq_client_disconnect(&F.c, 0, F.now), TMQ_OK);
    CHECK_EQ(tmq_client_state(&F.c), TMQ_STATE_DISCONNECTED);
    T.down[0] = 0;
    CHECK_EQ(tmq_client_connect(&F.c, F.now), TMQ_OK);
    CHECK_EQ(tmq_client_server_index(&F.c), 0);
}

/* After failing over to a server that kept the session, the unacknowledged
 * QoS 1 message goes out again with DUP. */
TEST(in_flight_messages_are_resent_to_the_next_server)
{
    CHECK_EQ(setup_list(1000, 1), TMQ_OK);
    CHECK_EQ(connect_ready(0), 0);
    CHECK(publish("t", "m", 1, 0) > 0);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.u.publish.dup, 0);
    T.down[0] = 1001;
    F.pipe.peer_closed = 1;
    CHECK_EQ(poll_at(F.now + 10), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(poll_at(F.now + 500), TMQ_STATE_WAITING_RECONNECT);
    CHECK_EQ(settle(), TMQ_STATE_MQTT_CONNECTING);
    CHECK_EQ(broker_pop(), TMQ_CONNECT);
    broker_send(TMQ_CONNACK, 0, 0);
    F.pipe.in[F.pipe.in_len - 2] = 1;                    /* Session Present */
    CHECK_EQ(poll_at(F.now), TMQ_STATE_READY);
    CHECK_EQ(F.session_present, 1);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.u.publish.dup, 1);
    CHECK_EQ(tmq_client_server_index(&F.c), 1);
}
