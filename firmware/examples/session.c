/* The session's steps, topics and messages, its checks and its report
 * (session.h). */
#include "session.h"

#include <string.h>

#include "log.h"
#include "semihost.h"
#include "startup.h"

#define ID_MAX 48
#define TOPIC_MAX (sizeof "tinymqtt/fw//" + ID_MAX + 8)
#define DEFAULT_ID "tinymqtt-fw"

static const char *const step_names[] = {
    "", "CONNECT", "SUBSCRIBE", "QoS 0", "QoS 1", "QoS 2", "keepalive", "large message", "UNSUBSCRIBE",
    "DISCONNECT",
};

/* The messages of STEP_QOS0 .. STEP_UNSUBSCRIBE, in step order. */
#define MSG_COUNT (STEP_UNSUBSCRIBE - STEP_QOS0 + 1)
static const struct {
    const char *leaf, *text; /* text NULL: the large payload */
    uint8_t qos;
} msg_specs[MSG_COUNT] = {
    {"qos0", "hello at QoS 0", 0},
    {"qos1", "hello at QoS 1", 1},
    {"qos2", "hello at QoS 2", 2},
    {0, 0, 0}, /* keepalive: no message */
    {"large", 0, 1},
    {"after", "after UNSUBSCRIBE: must not come back", 1},
};

static struct {
    char id[ID_MAX];
    char filter[TOPIC_MAX];
    char topics[MSG_COUNT][TOPIC_MAX];
    session_msg msgs[MSG_COUNT];
    uint8_t large[SESSION_LARGE];
    enum session_step step;
    int begun;
    uint32_t t_start, t_step, reads_before;
    /* what the current step has seen */
    uint8_t connack, suback, unsuback, complete, echoed, pong, closed;
} s;

/* Writes "tinymqtt/fw/<id>/<leaf>" into out (TOPIC_MAX bytes). */
static void make_topic(char *out, const char *leaf)
{
    size_t id_len = strlen(s.id), leaf_len = strlen(leaf);
    memcpy(out, "tinymqtt/fw/", 12);
    memcpy(out + 12, s.id, id_len);
    out[12 + id_len] = '/';
    memcpy(out + 13 + id_len, leaf, leaf_len + 1);
}

/* The client id: the semihosting command line, if it is one word without
 * '/' (without arg=, QEMU passes the image's path) or wildcards. */
static void read_client_id(void)
{
    int32_t n = semihost_cmdline(s.id, sizeof s.id);
    if (n <= 0 || strpbrk(s.id, " /+#"))
        memcpy(s.id, DEFAULT_ID, sizeof DEFAULT_ID);
}

static void make_messages(void)
{
    uint32_t i;
    for (i = 0; i < SESSION_LARGE; i++) /* every byte value, NUL included */
        s.large[i] = (uint8_t)(i * 7u + i / 256u);
    for (i = 0; i < MSG_COUNT; i++) {
        session_msg *m = &s.msgs[i];
        if (!msg_specs[i].leaf)
            continue;
        make_topic(s.topics[i], msg_specs[i].leaf);
        m->topic = s.topics[i];
        m->qos = msg_specs[i].qos;
        m->payload = msg_specs[i].text ? (const uint8_t *)msg_specs[i].text : s.large;
        m->len = msg_specs[i].text ? (uint32_t)strlen(msg_specs[i].text) : SESSION_LARGE;
    }
}

const char *session_start(const char *program, uint32_t now_ms)
{
    read_client_id();
    make_topic(s.filter, "#");
    make_messages();
    s.step = STEP_CONNECT;
    s.t_start = s.t_step = now_ms;
    log_fmt("%s: client id %s, topics %s\n", program, s.id, s.filter);
    return s.id;
}

enum session_step session_step(void)
{
    return s.step;
}

int session_step_begins(uint32_t now_ms)
{
    if (s.begun || s.step == STEP_DONE)
        return 0;
    s.begun = 1;
    s.t_step = now_ms;
    s.reads_before = session_link_reads();
    return 1;
}

const session_msg *session_message(void)
{
    if (s.step < STEP_QOS0 || s.step > STEP_UNSUBSCRIBE || !s.msgs[s.step - STEP_QOS0].topic)
        return 0;
    return &s.msgs[s.step - STEP_QOS0];
}

const char *session_filter(void)
{
    return s.filter;
}

void session_event(enum session_event ev, int code)
{
    switch (ev) {
    case EV_CONNACK:
        if (code)
            session_fail("CONNACK refused the connection", code);
        s.connack = 1;
        break;
    case EV_SUBACK:
        if (code != 2)
            session_fail("SUBACK did not grant QoS 2", code);
        s.suback = 1;
        break;
    case EV_UNSUBACK:
        s.unsuback = 1;
        break;
    case EV_COMPLETE:
        if (code >= 0x80)
            session_fail("the broker refused the message", code);
        s.complete = 1;
        break;
    case EV_PONG:
        s.pong = 1;
        break;
    case EV_CLOSED:
        if (s.step != STEP_DISCONNECT || code)
            session_fail("connection lost", code);
        s.closed = 1;
        break;
    }
}

void session_received(const uint8_t *topic, uint32_t topic_len, const uint8_t *payload, uint32_t len,
                      uint8_t qos)
{
    const session_msg *m = session_message();
    if (s.step == STEP_UNSUBSCRIBE)
        session_fail("a message arrived after UNSUBSCRIBE", qos);
    if (!m || m->qos != qos || strlen(m->topic) != topic_len || memcmp(m->topic, topic, topic_len) ||
        m->len != len || memcmp(m->payload, payload, len))
        session_fail("a message that is not the one published", (int)len);
    s.echoed = 1;
}

/* Nonzero when the current step has seen all it needs. */
static int step_done(uint32_t now_ms)
{
    uint32_t reads = session_link_reads() - s.reads_before;
    switch (s.step) {
    case STEP_CONNECT:
        return s.connack;
    case STEP_SUBSCRIBE:
        return s.suback;
    case STEP_KEEPALIVE:
        if (s.pong && now_ms - s.t_step < SESSION_KEEPALIVE * 1000u - 250u)
            session_fail("PINGRESP before the keepalive interval", (int)(now_ms - s.t_step));
        return s.pong;
    case STEP_LARGE:
        if (s.complete && s.echoed && reads < session_link_min_reads)
            session_fail("the large message came in fewer reads than the link allows", (int)reads);
        if (s.complete && s.echoed)
            log_fmt("  %u payload bytes each way, received in %u %s reads\n", SESSION_LARGE, (unsigned)reads,
                    session_link_name);
        return s.complete && s.echoed;
    case STEP_UNSUBSCRIBE:
        return s.unsuback && s.complete;
    case STEP_DISCONNECT:
        return s.closed;
    default: /* QoS 0, 1, 2 */
        return s.complete && s.echoed;
    }
}

int session_update(uint32_t now_ms)
{
    if (s.step == STEP_DONE)
        return 1;
    if (now_ms - s.t_start > SESSION_TIMEOUT_MS)
        session_fail("timed out", (int)(now_ms - s.t_step));
    if (!s.begun || !step_done(now_ms))
        return 0;
    log_fmt("step %d %s: ok (%u ms)\n", (int)s.step, step_names[s.step], (unsigned)(now_ms - s.t_step));
    s.step++;
    s.begun = 0;
    s.connack = s.suback = s.unsuback = s.complete = s.echoed = s.pong = s.closed = 0;
    if (s.step != STEP_DONE)
        return 0;
    log_fmt("session: %d steps ok in %u ms, stack used %u bytes\n", (int)(STEP_DONE - 1),
            (unsigned)(now_ms - s.t_start), (unsigned)startup_stack_used());
    return 1;
}

void session_fail(const char *why, int code)
{
    log_fmt("step %d %s: FAILED: %s (%d)\n", (int)s.step, step_names[s.step], why, code);
    semihost_exit((int)s.step);
}
