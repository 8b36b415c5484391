/* The device TLS transport (tinymqtt/device_tls.h) on the host, over
 * Debian's mbedtls, against mosquitto's TLS listener from the test harness
 * (broker.h). Its lower transport is tmq_tcp on loopback behind a gate the
 * test shuts to make a send block; MQTT is spoken raw (tmq_encode,
 * tmq_frame, tmq_decode), the sending side the way the client does it:
 * packets appended to one buffer, each send offering everything from the
 * first byte not yet taken. */
#define _GNU_SOURCE
#include "broker.h"
#include "harness.h"
#include "tinymqtt/device_tls.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/posix.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Generous: the whole suite also runs under valgrind. */
#define STEP_TIMEOUT_MS 20000
#define SERVER_NAME "localhost" /* on the broker's server certificate */

/* Set to make the board's entropy fail. */
static int entropy_broken;

/* The board's entropy, here the kernel's. */
int tmq_port_entropy(uint8_t *buf, size_t len)
{
    return !entropy_broken && getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* The shared broker (its TLS listener), started on first use. */
static const tmq_broker *broker(void)
{
    return tmq_broker_shared(TMQ_BROKER_TLS);
}

/* ---- the lower transport: loopback TCP behind a gate --------------------- */

/* tmq_tcp, except that send answers TMQ_IO_AGAIN while `shut` is set (as
 * lwIP's tcp_write does when the send buffer is full), counted in `refused`. */
typedef struct gate {
    tmq_transport base;
    tmq_tcp tcp;
    int shut;
    unsigned refused;
} gate;

static tmq_transport *tcp_of(tmq_transport *t)
{
    return &((gate *)(void *)t)->tcp.io.base;
}

static int gate_connect(tmq_transport *t, const char *host, uint16_t port)
{
    return tcp_of(t)->ops->connect(tcp_of(t), host, port);
}

static int32_t gate_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    gate *g = (gate *)(void *)t;
    if (g->shut) {
        g->refused++;
        return TMQ_IO_AGAIN;
    }
    return tcp_of(t)->ops->send(tcp_of(t), buf, len);
}

static int32_t gate_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    return tcp_of(t)->ops->recv(tcp_of(t), buf, len);
}

static void gate_close(tmq_transport *t)
{
    tcp_of(t)->ops->close(tcp_of(t));
}

static const tmq_transport_ops gate_ops = { gate_connect, gate_send, gate_recv, gate_close };

/* ---- a connection: the TLS transport, its gate, and what was read -------- */

typedef struct conn {
    gate g;
    tmq_device_tls tls;
    char *ca;              /* the broker's CA, PEM text */
    uint8_t in[16384];     /* bytes read, not yet taken as packets */
    uint32_t in_len;
} conn;

static tmq_transport *tr(conn *c)
{
    return &c->tls.base;
}

/* Prepares c to reach the broker's TLS listener, trusting its CA and
 * expecting `server_name`. Returns tmq_device_tls_init's answer, or -1. */
static int conn_init(conn *c, const tmq_broker *b, const char *server_name)
{
    memset(c, 0, sizeof *c);
    c->g.base.ops = &gate_ops;
    tmq_tcp_init(&c->g.tcp, NULL);
    c->ca = tmq_broker_read_file(b->ca);
    if (c->ca == NULL)
        return -1;
    return tmq_device_tls_init(&c->tls, &c->g.base, (const uint8_t *)c->ca, strlen(c->ca) + 1, server_name);
}

/* Closes the connection and gives back what mbedtls allocated. */
static void conn_free(conn *c)
{
    tmq_device_tls_free(&c->tls);
    free(c->ca);
}

/* Waits (at most 100 ms) until the socket is readable, or writable while
 * tmq_tcp wants to write (a connect in progress) or the gate is open and a
 * send blocked. */
static void wait_io(conn *c, int writing)
{
    struct pollfd p;
    if (c->g.tcp.io.fd < 0) {
        usleep(1000);
        return;
    }
    p.fd = c->g.tcp.io.fd;
    p.events = (short)(POLLIN | (c->g.tcp.io.want_write || (writing && !c->g.shut) ? POLLOUT : 0));
    p.revents = 0;
    (void)poll(&p, 1, 100);
}

/* Runs connect until it finishes: its result, or -999 on timeout. */
static int drive_connect(conn *c, uint16_t port)
{
    uint32_t start = tmq_now_ms();
    for (;;) {
        int r = tr(c)->ops->connect(tr(c), "127.0.0.1", port);
        if (r != TMQ_IO_CONNECTING && r != TMQ_IO_HANDSHAKING)
            return r;
        if (tmq_now_ms() - start > STEP_TIMEOUT_MS)
            return -999;
        wait_io(c, 1);
    }
}

/* ---- the client's send buffer ------------------------------------------- */

typedef struct txbuf {
    uint8_t b[16384];
    uint32_t len, off;  /* bytes held; bytes send has taken */
} txbuf;

/* Appends pkt (3.1.1). Returns TMQ_OK or the encoder's error. */
static int tx_append(txbuf *tx, tmq_packet *pkt)
{
    int32_t n;
    pkt->version = TMQ_V311;
    n = tmq_encode(tx->b + tx->len, (uint32_t)sizeof tx->b - tx->len, pkt);
    if (n < 0)
        return n;
    tx->len += (uint32_t)n;
    return TMQ_OK;
}

/* One send of everything not yet taken, as the client makes it. Returns
 * send's answer. */
static int32_t tx_send(conn *c, txbuf *tx)
{
    int32_t n = tr(c)->ops->send(tr(c), tx->b + tx->off, tx->len - tx->off);
    if (n > 0)
        tx->off += (uint32_t)n;
    return n;
}

/* Sends until everything is taken: TMQ_OK, an error, or -999 on timeout. */
static int tx_flush(conn *c, txbuf *tx)
{
    uint32_t start = tmq_now_ms();
    while (tx->off < tx->len) {
        int32_t n = tx_send(c, tx);
        if (n < 0 && n != TMQ_IO_AGAIN)
            return n;
        if (tmq_now_ms() - start > STEP_TIMEOUT_MS)
            return -999;
        if (n == TMQ_IO_AGAIN)
            wait_io(c, 1);
    }
    tx->off = tx->len = 0;
    return TMQ_OK;
}

/* Appends pkt and sends until everything is taken. */
static int send_packet(conn *c, tmq_packet *pkt)
{
    txbuf tx;
    int r;
    tx.len = tx.off = 0;
    if ((r = tx_append(&tx, pkt)) != TMQ_OK)
        return r;
    return tx_flush(c, &tx);
}

/* ---- reading packets ----------------------------------------------------- */

/* Reads until a whole packet is in, moves it to out (room for sizeof c->in)
 * and decodes it there. Returns its length, a negative error, or -999 on
 * timeout. */
static int32_t recv_packet(conn *c, uint8_t *out, tmq_packet *pkt)
{
    uint32_t start = tmq_now_ms();
    int32_t need;
    while ((need = tmq_frame(c->in, c->in_len, TMQ_V311)) == 0 || (uint32_t)need > c->in_len) {
        int32_t n;
        if (need < 0)
            return need;
        if (c->in_len == sizeof c->in)
            return TMQ_ERR_TOO_LARGE;
        n = tr(c)->ops->recv(tr(c), c->in + c->in_len, (uint32_t)sizeof c->in - c->in_len);
        if (n > 0) {
            c->in_len += (uint32_t)n;
            continue;
        }
        if (n != TMQ_IO_AGAIN)
            return n;
        if (tmq_now_ms() - start > STEP_TIMEOUT_MS)
            return -999;
        wait_io(c, 0);
    }
    if (need < 0)
        return need;
    memcpy(out, c->in, (size_t)need);
    memmove(c->in, c->in + need, c->in_len - (uint32_t)need);
    c->in_len -= (uint32_t)need;
    return tmq_decode(out, (uint32_t)need, TMQ_V311, pkt);
}

/* Reads the next packet; 0 when it has type `type`, else -1 (printed). */
static int expect(conn *c, uint8_t *out, tmq_packet *pkt, int type)
{
    int32_t n = recv_packet(c, out, pkt);
    if (n < 0 || pkt->type != type) {
        fprintf(stderr, "  expected packet type %d, got %d (recv_packet %d)\n", type,
                n < 0 ? -1 : (int)pkt->type, (int)n);
        return -1;
    }
    return 0;
}

/* ---- MQTT over it -------------------------------------------------------- */

static tmq_bin str(const char *s)
{
    tmq_bin b;
    b.p = (const uint8_t *)s;
    b.len = (uint32_t)strlen(s);
    return b;
}

/* Connects TLS and MQTT (CONNECT, CONNACK accepted), then subscribes to
 * `topic` (SUBACK). 0 when so. */
static int open_session(conn *c, const tmq_broker *b, const char *id, const char *topic)
{
    static uint8_t buf[sizeof c->in];
    tmq_packet p, in;
    tmq_sub sub;
    int r = drive_connect(c, b->tls_port);
    if (r != TMQ_OK) {
        fprintf(stderr, "  connect: %d, mbedtls -0x%04x\n", r, (unsigned)-c->tls.mbed_err);
        return -1;
    }
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.u.connect.client_id = str(id);
    p.u.connect.keepalive = 30;
    p.u.connect.clean = 1;
    CHECK_EQ_R(send_packet(c, &p), TMQ_OK, -1);
    CHECK_EQ_R(expect(c, buf, &in, TMQ_CONNACK), 0, -1);
    CHECK_EQ_R(in.reason, 0, -1);
    memset(&p, 0, sizeof p);
    p.type = TMQ_SUBSCRIBE;
    p.id = 1;
    sub.filter = str(topic);
    sub.opts = 0;
    p.u.subs.list = &sub;
    p.u.subs.count = 1;
    CHECK_EQ_R(send_packet(c, &p), TMQ_OK, -1);
    CHECK_EQ_R(expect(c, buf, &in, TMQ_SUBACK), 0, -1);
    return 0;
}

/* A QoS 0 PUBLISH of payload to topic. */
static void publish(tmq_packet *p, const char *topic, const uint8_t *payload, uint32_t len)
{
    memset(p, 0, sizeof *p);
    p->type = TMQ_PUBLISH;
    p->u.publish.topic = str(topic);
    p->u.publish.payload.p = payload;
    p->u.publish.payload.len = len;
}

/* Reads the next packet: 0 when it is a PUBLISH of exactly payload. */
static int expect_publish(conn *c, const uint8_t *payload, uint32_t len)
{
    static uint8_t buf[sizeof c->in];
    tmq_packet in;
    CHECK_EQ_R(expect(c, buf, &in, TMQ_PUBLISH), 0, -1);
    CHECK_MEM_R(in.u.publish.payload.p, in.u.publish.payload.len, payload, len, -1);
    return 0;
}

static void fill(uint8_t *p, uint32_t len, uint8_t seed)
{
    uint32_t i;
    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* ---- the cases ----------------------------------------------------------- */

/* Handshake, a message there and back larger than one record, and a second
 * session on the same transport after close. */
TEST(handshake_and_round_trip)
{
    const tmq_broker *b = broker();
    static uint8_t payload[10000];
    static conn c;
    tmq_packet p;
    int r;
    CHECK(b != NULL);
    CHECK_EQ(conn_init(&c, b, SERVER_NAME), TMQ_OK);
    fill(payload, sizeof payload, 1);
    publish(&p, "dtls/trip", payload, sizeof payload);
    r = open_session(&c, b, "dtls-trip", "dtls/trip");
    if (r == 0)
        r = send_packet(&c, &p);
    if (r == 0)
        r = expect_publish(&c, payload, sizeof payload);
    if (r == 0) {
        tr(&c)->ops->close(tr(&c));
        c.in_len = 0;
        r = open_session(&c, b, "dtls-trip", "dtls/trip");
    }
    conn_free(&c);
    CHECK_EQ(r, 0);
}

/* A server certificate without the expected name: TMQ_ERR_TLS_VERIFY. */
TEST(wrong_server_name_refused)
{
    const tmq_broker *b = broker();
    static conn c;
    int r;
    CHECK(b != NULL);
    CHECK_EQ(conn_init(&c, b, "wrong.example"), TMQ_OK);
    r = drive_connect(&c, b->tls_port);
    conn_free(&c);
    CHECK_EQ(r, TMQ_ERR_TLS_VERIFY);
}

/* A send blocks (the lower transport full) while mbedtls has encrypted the
 * first packet's record; the client then appends more packets and offers
 * them all from the same first byte. Only the held record may be reported
 * taken: the broker must get every packet, in order (a lost one shows as
 * the PINGRESP that comes where its echo should). Offering fewer bytes than
 * the held record is refused and changes nothing. */
TEST(held_record_then_more_bytes)
{
    static const uint8_t pingreq_bytes[] = { 0xC0, 0x00 };
    const tmq_broker *b = broker();
    static uint8_t first[1000], second[1000], buf[sizeof ((conn *)0)->in];
    static conn c;
    static txbuf tx;
    tmq_packet p, in;
    int32_t n;
    int r;
    CHECK(b != NULL);
    CHECK_EQ(conn_init(&c, b, SERVER_NAME), TMQ_OK);
    fill(first, sizeof first, 2);
    fill(second, sizeof second, 3);
    r = open_session(&c, b, "dtls-held", "dtls/held");
    if (r == 0) {
        tx.len = tx.off = 0;
        publish(&p, "dtls/held", first, sizeof first);
        r = tx_append(&tx, &p);
    }
    if (r == 0) {
        c.g.shut = 1;
        n = tx_send(&c, &tx);
        r = n == TMQ_IO_AGAIN && c.g.refused > 0 ? 0 : -1;
        if (r)
            fprintf(stderr, "  blocked send: %d (refused %u)\n", (int)n, c.g.refused);
    }
    if (r == 0) {
        /* fewer bytes than the held record: refused, nothing taken */
        n = tr(&c)->ops->send(tr(&c), tx.b, 10);
        r = n == TMQ_ERR_ARG ? 0 : -1;
        if (r)
            fprintf(stderr, "  short retry: %d, not TMQ_ERR_ARG\n", (int)n);
    }
    if (r == 0) {
        publish(&p, "dtls/held", second, sizeof second);
        r = tx_append(&tx, &p);
        memset(&p, 0, sizeof p);
        p.type = TMQ_PINGREQ;
        if (r == 0)
            r = tx_append(&tx, &p);
    }
    if (r == 0) {
        c.g.shut = 0;
        r = tx_flush(&c, &tx);
    }
    if (r == 0) {
        /* a PINGREQ on its own after them: its PINGRESP comes at once if the
         * packets before it were lost */
        tx.len = (uint32_t)sizeof pingreq_bytes;
        tx.off = 0;
        memcpy(tx.b, pingreq_bytes, sizeof pingreq_bytes);
        r = tx_flush(&c, &tx);
    }
    if (r == 0)
        r = expect_publish(&c, first, sizeof first);
    if (r == 0)
        r = expect_publish(&c, second, sizeof second);
    if (r == 0)
        r = expect(&c, buf, &in, TMQ_PINGRESP);
    if (r == 0)
        r = expect(&c, buf, &in, TMQ_PINGRESP);
    conn_free(&c);
    CHECK_EQ(r, 0);
}

/* A failed init keeps nothing (the CA it parsed first is given back: the
 * valgrind run of this suite fails on a leak), and the memory can be
 * initialised again; free twice is safe. */
TEST(failed_init_keeps_nothing)
{
    const tmq_broker *b = broker();
    conn c;
    CHECK(b != NULL);
    entropy_broken = 1;
    CHECK_EQ(conn_init(&c, b, SERVER_NAME), TMQ_ERR_TLS);
    entropy_broken = 0;
    CHECK(c.tls.mbed_err != 0);
    free(c.ca); /* no tmq_device_tls_free: nothing may be left to free */
    CHECK_EQ(conn_init(&c, b, SERVER_NAME), TMQ_OK);
    tmq_device_tls_free(&c.tls);
    conn_free(&c);
}
