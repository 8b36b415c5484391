/* tmq_stress: many clients on one loop against a real mosquitto, publishing
 * at full rate with QoS 0, 1 and 2 to topics they also subscribe to, for a
 * bounded time; then counts sent, received, lost and duplicated per QoS.
 *   tmq_stress [-n CLIENTS (1000)] [-s SECONDS (10)]
 * Exits 0 only if every client connected, no QoS 1 or 2 message was lost
 * and no QoS 2 message was duplicated. Loopback only; stops by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "broker.h"
#include "tinymqtt/client.h"
#include "tinymqtt/posix.h"

#define SLOTS 32
#define BUF 4096

typedef struct peer {
    tmq_client client;
    tmq_tcp tcp;
    tmq_client_config cfg;
    tmq_msg msgs[SLOTS];
    uint16_t qos2[SLOTS];
    uint8_t tx[BUF], rx[BUF];
    char id[16], topics[3][40], filter[40];
    tmq_sub sub;
    uint8_t payloads[SLOTS][8];   /* one per message in flight, lent through its user handle */
    uint8_t *free_payloads[SLOTS];
    int nfree;
    uint32_t next_seq[3];         /* next sequence number to publish, per QoS */
    uint32_t expect[3];           /* next sequence number expected back, per QoS */
    uint32_t acked[3];            /* completed publishes (QoS 0: written) */
    uint8_t turn;                 /* QoS of the next publish */
    int ready, subscribed;
} peer;

static struct {
    uint64_t sent[3], received[3], lost[3], dup[3];
    int publishing, errors;
} totals;

static tmq_client_events events;

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Publishes while payload buffers (as many as slots) are free, rotating
 * QoS 0, 1, 2. Payload: 4 bytes of zero, then the sequence number. */
static void publish_more(peer *p)
{
    while (totals.publishing && p->subscribed && p->nfree) {
        uint8_t q = p->turn, *payload = p->free_payloads[p->nfree - 1];
        tmq_bin topic, body;
        int32_t rc;
        put32(payload, 0);
        put32(payload + 4, p->next_seq[q]);
        topic.p = (const uint8_t *)p->topics[q];
        topic.len = (uint32_t)strlen(p->topics[q]);
        body.p = payload;
        body.len = 8;
        rc = tmq_client_publish(&p->client, topic, body, q, 0, 0, payload);
        if (rc == TMQ_ERR_QUEUE_FULL)
            return; /* the oldest message still holds the ring: more after the next ack */
        if (rc < 0) {
            fprintf(stderr, "tmq_stress: publish: %s\n", tmq_strerror(rc));
            totals.errors++;
            return;
        }
        p->nfree--;
        p->next_seq[q]++;
        p->turn = (uint8_t)((q + 1) % 3);
    }
}

static void on_connack(tmq_client *c, const tmq_packet *pkt)
{
    peer *p = c->user;
    (void)pkt;
    p->ready = 1;
    /* one filter for the peer's own three topics, granted QoS 2 */
    snprintf(p->filter, sizeof p->filter, "stress/%s/+", p->id);
    p->sub.filter.p = (const uint8_t *)p->filter;
    p->sub.filter.len = (uint32_t)strlen(p->filter);
    p->sub.opts = 2;
    if (tmq_client_subscribe(c, &p->sub, 1, 0, 0) < 0)
        totals.errors++;
}

static void on_suback(tmq_client *c, const tmq_msg *m, const tmq_packet *pkt)
{
    peer *p = c->user;
    (void)m;
    if (pkt->u.codes.p[0] != 2)
        totals.errors++;
    p->subscribed = 1;
    publish_more(p);
}

static void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason)
{
    peer *p = c->user;
    if (m->kind != TMQ_MSG_PUBLISH)
        return;
    if (reason >= 0x80)
        totals.errors++;
    p->acked[m->u.publish.qos]++;
    totals.sent[m->u.publish.qos]++;
    p->free_payloads[p->nfree++] = m->user;
    publish_more(p);
}

static void on_message(tmq_client *c, const tmq_packet *pkt)
{
    peer *p = c->user;
    uint8_t q = pkt->u.publish.qos;
    uint32_t seq;
    if (pkt->u.publish.payload.len != 8 || q > 2) {
        totals.errors++;
        return;
    }
    seq = get32(pkt->u.publish.payload.p + 4);
    totals.received[q]++;
    if (seq < p->expect[q]) {
        totals.dup[q]++;
    } else {
        totals.lost[q] += seq - p->expect[q]; /* a gap: per-topic order is guaranteed */
        p->expect[q] = seq + 1;
    }
}

static void on_error(tmq_client *c, int err, const tmq_msg *m)
{
    (void)c;
    (void)m;
    fprintf(stderr, "tmq_stress: %s\n", tmq_strerror(err));
    totals.errors++;
}

int main(int argc, char **argv)
{
    long n = 1000, seconds = 10, i, connected = 0;
    struct rlimit rl;
    tmq_broker broker;
    tmq_loop *loop;
    peer *peers;
    uint32_t start, last_change;
    uint64_t last_total = 0;
    int q, ok;
    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n"))
            n = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-s"))
            seconds = atol(argv[i + 1]);
    }
    if (n < 1 || n > 4096 || seconds < 1 || seconds > 600) {
        fprintf(stderr, "usage: tmq_stress [-n CLIENTS 1..4096] [-s SECONDS 1..600]\n");
        return 2;
    }
    /* room for n sockets here and in the broker, which inherits the limit */
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)(2 * n + 64)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (tmq_broker_start(&broker, TMQ_BROKER_PLAIN) != 0)
        return 1;
    peers = calloc((size_t)n, sizeof *peers);
    loop = tmq_loop_new();
    if (!peers || !loop) {
        fprintf(stderr, "tmq_stress: out of memory\n");
        return 1;
    }
    events.connack = on_connack;
    events.suback = on_suback;
    events.sent = on_sent;
    events.message = on_message;
    events.error = on_error;
    totals.publishing = 1;
    for (i = 0; i < n; i++) {
        peer *p = &peers[i];
        tmq_client_mem mem = {.tx = p->tx, .tx_cap = BUF, .rx = p->rx, .rx_cap = BUF,
                              .msgs = p->msgs, .msg_cap = SLOTS, .qos2 = p->qos2, .qos2_cap = SLOTS};
        snprintf(p->id, sizeof p->id, "s%ld", i);
        for (q = 0; q < SLOTS; q++)
            p->free_payloads[p->nfree++] = p->payloads[q];
        for (q = 0; q < 3; q++)
            snprintf(p->topics[q], sizeof p->topics[q], "stress/%s/q%d", p->id, q);
        p->cfg.host = "127.0.0.1";
        p->cfg.port = broker.port;
        p->cfg.connect.client_id.p = (const uint8_t *)p->id;
        p->cfg.connect.client_id.len = (uint32_t)strlen(p->id);
        p->cfg.connect.clean = 1;
        p->cfg.connect.keepalive = 30;
        p->cfg.connect_timeout_ms = 20000;
        tmq_tcp_init(&p->tcp, 0);
        if (tmq_client_init(&p->client, &p->cfg, &events, &mem, &p->tcp.io.base) ||
            tmq_loop_add(loop, &p->client, &p->tcp.io)) {
            fprintf(stderr, "tmq_stress: client setup failed\n");
            return 1;
        }
        p->client.user = p;
        tmq_client_connect(&p->client, tmq_now_ms());
    }
    start = tmq_now_ms();
    while (tmq_now_ms() - start < (uint32_t)seconds * 1000u)
        tmq_loop_run_once(loop, 50);
    totals.publishing = 0;
    /* drain: until nothing is in flight and nothing new arrives for 2 s, at most 20 s */
    last_change = tmq_now_ms();
    while (tmq_now_ms() - last_change < 2000u && tmq_now_ms() - start < (uint32_t)(seconds + 20) * 1000u) {
        uint64_t total = totals.received[0] + totals.received[1] + totals.received[2] + totals.sent[0] +
                         totals.sent[1] + totals.sent[2];
        tmq_loop_run_once(loop, 50);
        if (total != last_total) {
            last_total = total;
            last_change = tmq_now_ms();
        }
    }
    for (i = 0; i < n; i++) {
        peer *p = &peers[i];
        connected += p->ready;
        for (q = 0; q < 3; q++)
            totals.lost[q] += p->acked[q] - (p->expect[q] < p->acked[q] ? p->expect[q] : p->acked[q]);
    }
    tmq_loop_shutdown(loop, 5000);
    for (i = 0; i < n; i++)
        tmq_loop_remove(loop, &peers[i].client);
    tmq_loop_free(loop);
    tmq_broker_stop(&broker);
    printf("tmq_stress: %ld clients (%ld connected), %ld s\n", n, connected, seconds);
    for (q = 0; q < 3; q++)
        printf("  QoS %d: sent %llu, received %llu, lost %llu, duplicated %llu\n", q,
               (unsigned long long)totals.sent[q], (unsigned long long)totals.received[q],
               (unsigned long long)totals.lost[q], (unsigned long long)totals.dup[q]);
    printf("  errors %d\n", totals.errors);
    ok = connected == n && !totals.lost[1] && !totals.lost[2] && !totals.dup[2] && !totals.errors &&
         totals.sent[1] && totals.sent[2];
    free(peers);
    printf("tmq_stress: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
