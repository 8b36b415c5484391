/* The client tests' fixture: see client_fixture.h. */
#include "client_fixture.h"

#include <string.h>

fixture F;

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

void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason)
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
    F.disconnects++;
    F.disconnect_err = err;
    F.disconnect_reason = p ? p->reason : 0;
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
int setup(uint8_t version)
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

tmq_state poll_at(uint32_t now)
{
    F.now = now;
    return tmq_client_poll(&F.c, now);
}

/* The broker takes the client's next packet; returns its type or 0. */
int broker_pop(void)
{
    int32_t n = pipe_pop_packet(&F.pipe, F.c.version, &F.pkt, F.raw);
    return n > 0 ? F.pkt.type : (int)n;
}

void broker_send(uint8_t type, uint16_t id, uint8_t reason)
{
    tmq_packet p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.id = id;
    p.reason = reason;
    pipe_push_packet(&F.pipe, &p, F.c.version);
}

void one_user_property(tmq_prop *user, tmq_props *props)
{
    memset(user, 0, sizeof *user);
    user->id = TMQ_PROP_USER;
    user->str = BIN("k");
    user->val = BIN("v");
    memset(props, 0, sizeof *props);
    props->list = user;
    props->count = 1;
}

tmq_props one_number_property(tmq_prop *p, uint8_t id, uint32_t num)
{
    tmq_props props;
    memset(p, 0, sizeof *p);
    p->id = id;
    p->num = num;
    memset(&props, 0, sizeof props);
    props.list = p;
    props.count = 1;
    return props;
}

void broker_connack_props(const tmq_prop *props, uint16_t count)
{
    tmq_packet ack;
    memset(&ack, 0, sizeof ack);
    ack.type = TMQ_CONNACK;
    ack.props.list = props;
    ack.props.count = count;
    pipe_push_packet(&F.pipe, &ack, TMQ_V5);
}

void broker_publish(const char *topic, const char *payload, uint8_t qos, uint16_t id, uint8_t dup)
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

/* Connects until the CONNECT is with the broker. */
int connect_sent(void)
{
    if (tmq_client_connect(&F.c, F.now) != TMQ_OK)
        return -1;
    poll_at(F.now);
    return broker_pop() == TMQ_CONNECT ? 0 : -2;
}

/* Connects, and has the broker answer the CONNECT with a CONNACK (not yet
 * polled). */
int connect_answered(uint8_t session_present, uint8_t code)
{
    tmq_packet ack;
    int rc = connect_sent();
    if (rc)
        return rc;
    memset(&ack, 0, sizeof ack);
    ack.type = TMQ_CONNACK;
    ack.session_present = session_present;
    ack.reason = code;
    pipe_push_packet(&F.pipe, &ack, F.c.version);
    return 0;
}

/* Connects and completes the CONNECT/CONNACK exchange. */
int connect_ready(uint8_t session_present)
{
    int rc = connect_answered(session_present, 0);
    if (rc)
        return rc;
    return poll_at(F.now) == TMQ_STATE_READY ? 0 : -3;
}

/* What an event loop does after a submission: poll if there is something to send. */
int32_t then_poll(int32_t rc)
{
    if (tmq_client_wants_write(&F.c))
        poll_at(F.now);
    return rc;
}

int32_t publish(const char *topic, const char *payload, uint8_t qos, void *user)
{
    tmq_bin t, p;
    t.p = (const uint8_t *)topic;
    t.len = (uint32_t)strlen(topic);
    p.p = (const uint8_t *)payload;
    p.len = (uint32_t)strlen(payload);
    return then_poll(tmq_client_publish(&F.c, t, p, qos, 0, 0, user));
}

