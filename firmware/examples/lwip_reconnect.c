/* A dropped link over lwIP: the client connects with a persistent session
 * (clean session 0, keepalive 2 s), logs "drop the link now", and 1.5 s
 * later publishes one QoS 1 and one QoS 2 message. The test has downed the
 * board's tap device by then, so neither arrives. The keepalive must find
 * the link dead (TMQ_ERR_KEEPALIVE), the client must reconnect by itself
 * once the test brings the tap back, find its session kept, and resend both
 * messages with DUP until they complete; then it disconnects. Exits 0 when
 * all of that happened in that order, else 1 with the reason, within 40 s.
 * The client id is the semihosting command line. */
#include <string.h>

#include "clock.h"
#include "log.h"
#include "lwip_net.h"
#include "semihost.h"
#include "tinymqtt/client.h"

#define KEEPALIVE_S 2u
#define PUBLISH_AFTER_MS 1500u  /* after the first CONNACK: time for the test to down the tap */
#define DEADLINE_MS 40000u
#define PACKET_MAX 256u

enum phase {
    CONNECTING,   /* the first connection */
    DROPPING,     /* connected; the test downs the link */
    PUBLISHED,    /* two messages written into a dead link */
    LOST,         /* the keepalive found the link dead; reconnecting */
    RESENDING,    /* reconnected with the session: waiting for both to complete */
    CLOSING       /* DISCONNECT submitted */
};

static uint8_t tx[PACKET_MAX], rx[PACKET_MAX];
static tmq_msg msgs[4];
static uint16_t qos2_ids[2];
static const tmq_client_mem mem = {
    .tx = tx, .tx_cap = sizeof tx, .rx = rx, .rx_cap = sizeof rx,
    .msgs = msgs, .msg_cap = 4, .qos2 = qos2_ids, .qos2_cap = 2,
};
static tmq_client_config cfg = {
    .host = LWIP_NET_BROKER,
    .port = 1883,
    .version = TMQ_V311,
    .connect = {.clean = 0, .keepalive = KEEPALIVE_S},
    .connect_timeout_ms = 4000,
    .reconnect_delay_ms = 500,
};
static tmq_client client;
static tmq_lwip_tcp tcp;
static char id[64], topic1[96], topic2[96];
static tmq_bin topics[2]; /* topic1 and topic2 as the client takes them */
static enum phase phase = CONNECTING;
static uint32_t t_phase, completed;

static void fail(const char *why, int code)
{
    log_fmt("reconnect: FAILED: %s (%d)\n", why, code);
    semihost_exit(1);
}

static void enter(enum phase p)
{
    phase = p;
    t_phase = clock_ms();
}

static void on_connack(tmq_client *c, const tmq_packet *connack)
{
    (void)c;
    if (phase == CONNECTING) {
        log_fmt("reconnect: connected; drop the link now\n");
        enter(DROPPING);
    } else if (phase == LOST) {
        if (!connack->session_present)
            fail("reconnected without the session", 0);
        log_fmt("reconnect: reconnected after %u ms, session present\n", (unsigned)(clock_ms() - t_phase));
        enter(RESENDING);
    } else {
        fail("a CONNACK out of turn", (int)phase);
    }
}

static void on_disconnect(tmq_client *c, int err, const tmq_packet *pkt)
{
    (void)c;
    (void)pkt;
    if (phase == PUBLISHED && err == TMQ_ERR_KEEPALIVE) {
        log_fmt("reconnect: keepalive found the link dead %u ms after publishing\n",
                (unsigned)(clock_ms() - t_phase));
        enter(LOST);
    } else if (phase == LOST) {
        log_fmt("reconnect: attempt failed (%d), trying again\n", err); /* the link may still be down */
    } else if (!(phase == CLOSING && err == 0)) {
        fail("the connection ended unexpectedly", err);
    }
}

static void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason)
{
    (void)c;
    (void)m;
    if (phase != RESENDING || reason >= 0x80)
        fail("a message completed before the link was back", (int)phase);
    completed++;
}

static void on_error(tmq_client *c, int err, const tmq_msg *m)
{
    (void)c;
    if (m)
        log_fmt("reconnect: message %u failed\n", (unsigned)m->id);
    fail("client error", err);
}

static const tmq_client_events events = {
    .connack = on_connack, .sent = on_sent, .disconnect = on_disconnect, .error = on_error,
};

/* Moves the scenario on by what the clock says. Returns nonzero when done. */
static int step(uint32_t now)
{
    static const char payload[] = "sent into a dead link";
    if (now > DEADLINE_MS)
        fail("timed out", (int)phase);
    if (phase == DROPPING && now - t_phase >= PUBLISH_AFTER_MS) {
        tmq_bin p = {(const uint8_t *)payload, sizeof payload - 1};
        if (tmq_client_publish(&client, topics[0], p, 1, 0, 0, 0) < 0 ||
            tmq_client_publish(&client, topics[1], p, 2, 0, 0, 0) < 0)
            fail("publishing", 0);
        log_fmt("reconnect: published QoS 1 and QoS 2 into the dropped link\n");
        enter(PUBLISHED);
    } else if (phase == RESENDING && completed == 2) {
        log_fmt("reconnect: both messages completed after the reconnect\n");
        enter(CLOSING); /* first: the disconnect event may come from inside the call */
        if (tmq_client_disconnect(&client, 0, now) != TMQ_OK)
            fail("disconnecting", 0);
    }
    return phase == CLOSING && tmq_client_state(&client) == TMQ_STATE_DISCONNECTED;
}

/* The client id from the semihosting command line, and the topics. */
static void names(void)
{
    tmq_bin t1 = {(const uint8_t *)topic1, 0}, t2 = {(const uint8_t *)topic2, 0};
    if (semihost_cmdline(id, sizeof id) <= 0 || strpbrk(id, " /+#") || strlen(id) > 40)
        strcpy(id, "tinymqtt-fw-reconnect");
    strcpy(topic1, "tinymqtt/fw/");
    strcat(topic1, id);
    strcpy(topic2, topic1);
    strcat(topic1, "/drop1");
    strcat(topic2, "/drop2");
    t1.len = (uint32_t)strlen(topic1);
    t2.len = (uint32_t)strlen(topic2);
    topics[0] = t1;
    topics[1] = t2;
    cfg.connect.client_id.p = (const uint8_t *)id;
    cfg.connect.client_id.len = (uint32_t)strlen(id);
}

int main(void)
{
    int rc;
    clock_init();
    names();
    log_fmt("tinymqtt reconnect over lwIP, MQTT 3.1.1: client id %s\n", id);
    lwip_net_up();
    tmq_lwip_tcp_init(&tcp);
    rc = tmq_client_init(&client, &cfg, &events, &mem, &tcp.base);
    if (rc == TMQ_OK)
        rc = tmq_client_connect(&client, clock_ms());
    if (rc != TMQ_OK)
        fail("tmq_client_init/connect", rc);
    for (;;) {
        tmq_client_poll(&client, clock_ms());
        if (step(clock_ms())) { /* read again: the poll's events stamp their phase after the poll began */
            log_fmt("session: link dropped, found dead by keepalive, reconnected, QoS 1 and 2 resent\n");
            return 0;
        }
        lwip_net_idle(&client, &tcp);
    }
}
