/* The session (session.h) written with the engine's client API
 * (tinymqtt/client.h), over whatever transport the program gives it. The
 * client is driven by tmq_client_poll from the main loop, with SysTick as
 * its clock; it reports through event callbacks, and keepalive,
 * acknowledgements and the QoS 2 handshakes are the engine's. Speaks MQTT
 * 3.1.1, or 5.0 when the engine is built with TMQ_WITH_V5. No heap: every
 * buffer is static. */
#include "client_session.h"

#include <string.h>

#include "clock.h"
#include "session.h"

#if TMQ_WITH_V5
#define MQTT_VERSION TMQ_V5
#else
#define MQTT_VERSION TMQ_V311
#endif

/* The largest packet either way is the large message: its payload, topic,
 * header (and 5.0 properties). */
#define PACKET_MAX (SESSION_LARGE + 128u)

static uint8_t tx[PACKET_MAX], rx[PACKET_MAX];
static tmq_msg msgs[4];       /* at most two are in use at once (UNSUBSCRIBE and a PUBLISH) */
static uint16_t qos2_ids[2];  /* incoming QoS 2 messages awaiting PUBREL */
static const tmq_client_mem mem = {
    .tx = tx, .tx_cap = sizeof tx, .rx = rx, .rx_cap = sizeof rx,
    .msgs = msgs, .msg_cap = 4, .qos2 = qos2_ids, .qos2_cap = 2,
};
static tmq_client_config cfg = {
    .version = MQTT_VERSION,
    .connect = {.clean = 1, .keepalive = SESSION_KEEPALIVE},
    .connect_timeout_ms = 5000,
};
static tmq_client client;
static tmq_sub sub = {.opts = 2}; /* QoS 2 */

static tmq_bin bin(const void *p, uint32_t len)
{
    tmq_bin b;
    b.p = (const uint8_t *)p;
    b.len = len;
    return b;
}

static tmq_bin text(const char *s)
{
    return bin(s, (uint32_t)strlen(s));
}

static void on_connack(tmq_client *c, const tmq_packet *connack)
{
    (void)c;
    session_event(EV_CONNACK, connack->reason);
}

static void on_suback(tmq_client *c, const tmq_msg *m, const tmq_packet *suback)
{
    (void)c;
    (void)m;
    session_event(EV_SUBACK, suback->u.codes.p[0]); /* the client checked there is one code */
}

static void on_unsuback(tmq_client *c, const tmq_msg *m, const tmq_packet *unsuback)
{
    (void)c;
    (void)m;
    (void)unsuback;
    session_event(EV_UNSUBACK, 0);
}

static void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason)
{
    (void)c;
    (void)m;
    session_event(EV_COMPLETE, reason);
}

static void on_message(tmq_client *c, const tmq_packet *publish)
{
    const tmq_publish *p = &publish->u.publish;
    (void)c;
    session_received(p->topic.p, p->topic.len, p->payload.p, p->payload.len, p->qos);
}

static void on_pong(tmq_client *c)
{
    (void)c;
    session_event(EV_PONG, 0);
}

static void on_disconnect(tmq_client *c, int err, const tmq_packet *pkt)
{
    (void)c;
    (void)pkt;
    session_event(EV_CLOSED, err);
}

static void on_error(tmq_client *c, int err, const tmq_msg *m)
{
    (void)c;
    (void)m;
    session_fail("client error", err);
}

static const tmq_client_events events = {
    .connack = on_connack, .message = on_message, .sent = on_sent, .suback = on_suback,
    .unsuback = on_unsuback, .pong = on_pong, .disconnect = on_disconnect, .error = on_error,
};

/* Submits what the current step sends (the next poll writes it). The
 * keepalive step submits nothing: the client's keepalive timer pings. */
static void begin_step(uint32_t now)
{
    const session_msg *m = session_message();
    int32_t rc = 0;
    if (session_step() == STEP_SUBSCRIBE)
        rc = tmq_client_subscribe(&client, &sub, 1, 0, 0);
    else if (session_step() == STEP_UNSUBSCRIBE)
        rc = tmq_client_unsubscribe(&client, &sub, 1, 0, 0); /* m follows it */
    else if (session_step() == STEP_DISCONNECT)
        rc = tmq_client_disconnect(&client, 0, now);
    if (rc >= 0 && m)
        rc = tmq_client_publish(&client, text(m->topic), bin(m->payload, m->len), m->qos, 0, 0, 0);
    if (rc < 0)
        session_fail("submitting the step", (int)rc);
}

int client_session_run(const char *program, tmq_transport *link, const char *host, uint16_t port,
                       void (*idle)(tmq_client *c))
{
    int rc;
    cfg.host = host;
    cfg.port = port;
    cfg.connect.client_id = text(session_start(program, clock_ms()));
    sub.filter = text(session_filter());
    rc = tmq_client_init(&client, &cfg, &events, &mem, link);
    if (rc == TMQ_OK)
        rc = tmq_client_connect(&client, clock_ms());
    if (rc != TMQ_OK)
        session_fail("tmq_client_init/connect", rc);
    for (;;) {
        uint32_t now = clock_ms();
        if (session_step_begins(now))
            begin_step(now);
        tmq_client_poll(&client, now);
        if (session_update(now))
            return 0;
        idle(&client); /* the link's work, then sleep unless there is work now */
    }
}
