/* The TLS transport (tinymqtt/tls.h) over tmq_tcp, against mosquitto's TLS
 * listeners from the test harness (broker.h) and, where mosquitto cannot
 * show it (ALPN selection), an `openssl s_server` started here. MQTT is
 * spoken raw: tmq_encode / tmq_decode through the transport operations,
 * driven by poll() on io.fd the way the event loop does it. */
#define _GNU_SOURCE
#include "broker.h"
#include "harness.h"
#include "tinymqtt/packet.h"
#include "tinymqtt/posix.h"
#include "tinymqtt/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Generous: the whole suite also runs under valgrind. */
#define STEP_TIMEOUT_MS 20000

/* The shared broker (TLS and mutual-TLS listeners), started on first use. */
static const tmq_broker *broker(void)
{
    return tmq_broker_shared(TMQ_BROKER_TLS | TMQ_BROKER_MTLS);
}

/* ---- driving the transport ---------------------------------------------- */

static tmq_transport *tr(tmq_tls *t)
{
    return &t->io.base;
}

/* Waits (at most ms) for the fd to be readable, or writable when io wants it. */
static void wait_io(const tmq_posix_io *io, int ms)
{
    struct pollfd p;
    if (io->fd < 0) {
        usleep(1000);
        return;
    }
    p.fd = io->fd;
    p.events = (short)(POLLIN | (io->want_write ? POLLOUT : 0));
    p.revents = 0;
    (void)poll(&p, 1, ms);
}

/* Runs connect until it finishes. Returns its result, or -999 on timeout. */
static int drive_connect(tmq_tls *t, const char *host, uint16_t port)
{
    uint32_t start = tmq_now_ms();
    for (;;) {
        int r = tr(t)->ops->connect(tr(t), host, port);
        if (r != TMQ_IO_CONNECTING && r != TMQ_IO_HANDSHAKING)
            return r;
        if (tmq_now_ms() - start > STEP_TIMEOUT_MS)
            return -999;
        wait_io(&t->io, 100);
    }
}

/* Writes all of buf the way the client does: after TMQ_IO_AGAIN or a short
 * count, the next send starts with the bytes not yet reported written.
 * Counts the calls that wrote nothing or less than asked in *blocked (if
 * given). Returns TMQ_OK, an error, or -999 on timeout. */
static int send_all(tmq_tls *t, const uint8_t *buf, uint32_t len, int *blocked)
{
    uint32_t off = 0, start = tmq_now_ms();
    while (off < len) {
        int32_t n = tr(t)->ops->send(tr(t), buf + off, len - off);
        if (n < 0 && n != TMQ_IO_AGAIN)
            return n;
        if (n == TMQ_IO_AGAIN || (uint32_t)n < len - off) {
            if (blocked)
                (*blocked)++;
            if (n == TMQ_IO_AGAIN && !t->io.want_write)
                return -998;  /* would wait for POLLOUT forever */
        }
        if (n > 0)
            off += (uint32_t)n;
        if (off < len) {
            if (tmq_now_ms() - start > STEP_TIMEOUT_MS)
                return -999;
            wait_io(&t->io, 100);
        }
    }
    return TMQ_OK;
}

/* Reads exactly len bytes, asking recv for at most `chunk` at a time (0: all
 * that is missing) and polling only after TMQ_IO_AGAIN. Checks the drain
 * rule on the way: a recv that returns less than it was asked for leaves
 * nothing decrypted inside mbedtls. Returns TMQ_OK, an error, -999 on
 * timeout, or -997 when the drain rule was broken. */
static int recv_exact(tmq_tls *t, uint8_t *buf, uint32_t len, uint32_t chunk)
{
    uint32_t have = 0, start = tmq_now_ms();
    while (have < len) {
        uint32_t ask = len - have;
        int32_t n;
        if (chunk && ask > chunk)
            ask = chunk;
        n = tr(t)->ops->recv(tr(t), buf + have, ask);
        if (n > 0) {
            have += (uint32_t)n;
            if ((uint32_t)n < ask && tmq_tls_pending(t) != 0)
                return -997;
            continue;
        }
        if (n != TMQ_IO_AGAIN)
            return n;
        if (tmq_tls_pending(t) != 0)
            return -997;
        if (tmq_now_ms() - start > STEP_TIMEOUT_MS)
            return -999;
        wait_io(&t->io, 100);
    }
    return TMQ_OK;
}

/* Reads one MQTT packet into buf and decodes it (3.1.1). Returns its length
 * or a negative error. */
static int32_t recv_packet(tmq_tls *t, uint8_t *buf, uint32_t cap, uint32_t chunk, tmq_packet *pkt)
{
    uint32_t have = 0;
    int32_t need;
    int r;
    /* the fixed header, one byte at a time: never read past the packet */
    while ((need = tmq_frame(buf, have, TMQ_V311)) == 0) {
        if (have == 5 || have == cap)
            return TMQ_ERR_VBI;
        if ((r = recv_exact(t, buf + have, 1, 0)) != TMQ_OK)
            return r;
        have++;
    }
    if (need < 0)
        return need;
    if ((uint32_t)need > cap)
        return TMQ_ERR_TOO_LARGE;
    if ((r = recv_exact(t, buf + have, (uint32_t)need - have, chunk)) != TMQ_OK)
        return r;
    return tmq_decode(buf, (uint32_t)need, TMQ_V311, pkt);
}

static tmq_bin str(const char *s)
{
    tmq_bin b;
    b.p = (const uint8_t *)s;
    b.len = (uint32_t)strlen(s);
    return b;
}

static int send_packet(tmq_tls *t, const tmq_packet *pkt)
{
    uint8_t buf[512];
    int32_t n = tmq_encode(buf, sizeof buf, pkt);
    if (n < 0)
        return n;
    return send_all(t, buf, (uint32_t)n, NULL);
}

/* drive_connect, printing the TLS layer's account of a result other than
 * want (the mbedtls error code and its text) for the failure report. */
static int drive_connect_told(tmq_tls *t, const char *host, uint16_t port, int want)
{
    int r = drive_connect(t, host, port);
    if (r != want) {
        char why[256];
        tmq_tls_describe(t, why, sizeof why);
        fprintf(stderr, "  connect %s:%u: %d, mbedtls -0x%04x (%s)\n", host, port, r,
                (unsigned)-tmq_tls_mbedtls_error(t), why);
    }
    return r;
}

/* CONNECT (3.1.1, clean) and its CONNACK over an open TLS transport.
 * Returns the CONNACK return code, or a negative error. */
static int mqtt_connect(tmq_tls *t, const char *client_id)
{
    tmq_packet p, ack;
    uint8_t buf[64];
    int32_t n;
    int r;
    memset(&p, 0, sizeof p);
    p.type = TMQ_CONNECT;
    p.version = TMQ_V311;
    p.u.connect.client_id = str(client_id);
    p.u.connect.keepalive = 30;
    p.u.connect.clean = 1;
    if ((r = send_packet(t, &p)) != TMQ_OK)
        return r;
    n = recv_packet(t, buf, sizeof buf, 0, &ack);
    if (n < 0)
        return n;
    if (ack.type != TMQ_CONNACK)
        return -996;
    return ack.reason;
}

/* Prepares tcp + tls with opt; fails the case if init fails. */
#define TLS_SETUP(tcp, tls, opt)                                                 \
    do {                                                                         \
        tmq_tcp_init(&(tcp), NULL);                                              \
        CHECK_EQ(tmq_tls_init(&(tls), &(tcp).io, &(opt)), TMQ_OK);               \
    } while (0)

/* Connect, MQTT CONNECT/CONNACK, close, free: the whole happy path. */
static int connect_and_connack(const tmq_tls_options *opt, const char *host, uint16_t port,
                               const char *client_id)
{
    tmq_tcp tcp;
    tmq_tls tls;
    int r;
    tmq_tcp_init(&tcp, NULL);
    CHECK_EQ_R(tmq_tls_init(&tls, &tcp.io, opt), TMQ_OK, -1);
    r = drive_connect(&tls, host, port);
    if (r != TMQ_OK) {
        char why[256];
        tmq_tls_describe(&tls, why, sizeof why);
        fprintf(stderr, "  connect: %d (%s)\n", r, why);
    }
    CHECK_EQ_R(r, TMQ_OK, (tmq_tls_free(&tls), -1));
    if (opt->verify == TMQ_TLS_VERIFY_REQUIRED)
        CHECK_EQ_R(tmq_tls_verify_flags(&tls), 0, (tmq_tls_free(&tls), -1));
    r = mqtt_connect(&tls, client_id);
    tmq_tls_free(&tls);
    CHECK_EQ_R(r, 0, -1);
    return 0;
}

/* A loopback port bound to a socket that does not listen, in *fd (-1 on
 * failure). Kept bound, no other program can take it, so a connect to it is
 * refused for as long as *fd stays open; close it after. */
static uint16_t bound_port(int *fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    uint16_t port = 0;
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (*fd >= 0 && bind(*fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(*fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    return port;
}

/* A loopback port nobody listens on (bound, then released: another program
 * may take it before it is used; for a refused connect use bound_port). */
static uint16_t free_port(void)
{
    int fd;
    uint16_t port = bound_port(&fd);
    if (fd >= 0)
        close(fd);
    return port;
}

/* drive_connect to a port that refuses: TMQ_ERR_REFUSED expected. */
static int drive_connect_refused(tmq_tls *t)
{
    int fd, r;
    uint16_t port = bound_port(&fd);
    r = port ? drive_connect_told(t, "127.0.0.1", port, TMQ_ERR_REFUSED) : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

/* ---- handshake, verification -------------------------------------------- */

TEST(handshake_and_mqtt_connack)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    int r;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(tls.io.fd, -1);
    r = drive_connect(&tls, "127.0.0.1", b->tls_port);  /* verified against the IP SAN */
    CHECK_EQ(r, TMQ_OK);
    CHECK_EQ(tls.io.fd, tcp.io.fd);
    CHECK(tls.io.fd >= 0);
    CHECK_EQ(tmq_tls_verify_flags(&tls), 0);
    CHECK(tmq_tls_alpn(&tls) == NULL);
    CHECK_EQ(mqtt_connect(&tls, "tls-basic"), 0);
    CHECK_EQ(tr(&tls)->ops->connect(tr(&tls), "127.0.0.1", b->tls_port), TMQ_OK);  /* still up */
    tmq_tls_free(&tls);
    CHECK_EQ(tls.io.fd, -1);
}

TEST(dns_name_verified)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    CHECK_EQ(connect_and_connack(&o, "localhost", b->tls_port, "tls-dns"), 0);
    /* an explicit server name checks that name instead of the connect host */
    o.server_name = "localhost";
    CHECK_EQ(connect_and_connack(&o, "127.0.0.1", b->tls_port, "tls-dns2"), 0);
}

TEST(wrong_ca_refused)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    char why[256];
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->wrong_ca;
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_ERR_TLS_VERIFY);
    CHECK(tmq_tls_verify_flags(&tls) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    CHECK_EQ(tmq_tls_mbedtls_error(&tls), MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    CHECK(tmq_tls_describe(&tls, why, sizeof why) > 0);
    CHECK(strstr(why, "trusted CA") != NULL);
    CHECK(tmq_tls_reason(&tls, why, sizeof why) > 0);
    CHECK(!strcmp(why, "unknown CA"));
    /* the error sticks until close; send and recv report it too */
    CHECK_EQ(tr(&tls)->ops->connect(tr(&tls), "127.0.0.1", b->tls_port), TMQ_ERR_TLS_VERIFY);
    CHECK_EQ(tr(&tls)->ops->send(tr(&tls), (const uint8_t *)"x", 1), TMQ_ERR_TLS_VERIFY);
    tmq_tls_free(&tls);
}

TEST(wrong_host_name_refused)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    char why[64];
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.server_name = "wrong.example";
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_ERR_TLS_VERIFY);
    CHECK_EQ(tmq_tls_verify_flags(&tls), MBEDTLS_X509_BADCERT_CN_MISMATCH);
    tmq_tls_reason(&tls, why, sizeof why);
    CHECK(!strcmp(why, "host name mismatch"));
    tmq_tls_free(&tls);
}

TEST(ip_literal_checked_against_ip_sans)
{
    /* the server certificate has IP:127.0.0.1 (and CN/DNS localhost): other
     * addresses fail, whatever the CN says */
    static const char *const wrong[] = { "127.0.0.2", "::1", "[::ffff:127.0.0.2]" };
    const tmq_broker *b = broker();
    tmq_tls_options o;
    size_t i;
    CHECK(b != NULL);
    for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        tmq_tcp tcp;
        tmq_tls tls;
        memset(&o, 0, sizeof o);
        o.ca_file = b->ca;
        o.server_name = wrong[i];
        TLS_SETUP(tcp, tls, o);
        CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_ERR_TLS_VERIFY);
        CHECK_EQ(tmq_tls_verify_flags(&tls), MBEDTLS_X509_BADCERT_CN_MISMATCH);
        tmq_tls_free(&tls);
    }
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.server_name = "[127.0.0.1]";
    CHECK_EQ(connect_and_connack(&o, "127.0.0.1", b->tls_port, "tls-ip"), 0);
}

TEST(verify_none_accepts_wrong_ca)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->wrong_ca;
    o.server_name = "wrong.example";
    o.verify = TMQ_TLS_VERIFY_NONE;
    CHECK_EQ(connect_and_connack(&o, "127.0.0.1", b->tls_port, "tls-none"), 0);
    o.ca_file = NULL;  /* no CA at all */
    CHECK_EQ(connect_and_connack(&o, "127.0.0.1", b->tls_port, "tls-none2"), 0);
}

TEST(verify_optional_reports_flags)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    char why[256];
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->wrong_ca;
    o.verify = TMQ_TLS_VERIFY_OPTIONAL;
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_OK);
    CHECK(tmq_tls_verify_flags(&tls) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    CHECK(tmq_tls_describe(&tls, why, sizeof why) > 0);
    CHECK_EQ(mqtt_connect(&tls, "tls-optional"), 0);
    tmq_tls_free(&tls);
}

TEST(system_store_does_not_trust_test_ca)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);  /* no CA: the system bundle (or none) */
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_ERR_TLS_VERIFY);
    tmq_tls_free(&tls);
}

TEST(ca_as_pem_text)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    char *pem, *wrong;
    int r;
    CHECK(b != NULL);
    pem = tmq_broker_read_file(b->ca);
    wrong = tmq_broker_read_file(b->wrong_ca);
    CHECK(pem != NULL && wrong != NULL);
    memset(&o, 0, sizeof o);
    o.ca_pem = pem;
    r = connect_and_connack(&o, "127.0.0.1", b->tls_port, "tls-capem");
    /* text and file together: both are trusted */
    o.ca_pem = wrong;
    o.ca_file = b->ca;
    if (r == 0)
        r = connect_and_connack(&o, "127.0.0.1", b->tls_port, "tls-capem2");
    /* the wrong CA alone as text */
    o.ca_file = NULL;
    tmq_tcp_init(&tcp, NULL);
    if (r == 0 && tmq_tls_init(&tls, &tcp.io, &o) == TMQ_OK) {
        r = drive_connect(&tls, "127.0.0.1", b->tls_port) == TMQ_ERR_TLS_VERIFY ? 0 : -1;
        tmq_tls_free(&tls);
    } else {
        r = -1;
    }
    free(pem);
    free(wrong);
    CHECK_EQ(r, 0);
}

/* ---- mutual TLS ---------------------------------------------------------- */

TEST(mtls_cert_and_key_files)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.cert_file = b->client_cert;
    o.key_file = b->client_key;
    CHECK_EQ(connect_and_connack(&o, "127.0.0.1", b->mtls_port, "mtls-files"), 0);
}

TEST(mtls_cert_and_key_pem_text)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    char *cert, *key;
    int r;
    CHECK(b != NULL);
    cert = tmq_broker_read_file(b->client_cert);
    key = tmq_broker_read_file(b->client_key);
    CHECK(cert != NULL && key != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.cert_pem = cert;
    o.key_pem = key;
    r = connect_and_connack(&o, "127.0.0.1", b->mtls_port, "mtls-pem");
    free(cert);
    free(key);
    CHECK_EQ(r, 0);
}

TEST(mtls_encrypted_key_file)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.cert_file = b->client_cert;
    o.key_file = b->client_enc_key;
    o.key_password = TMQ_BROKER_CLIENT_KEY_PASS;
    CHECK_EQ(connect_and_connack(&o, "127.0.0.1", b->mtls_port, "mtls-enc-file"), 0);
}

TEST(mtls_encrypted_key_pem_text)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    char *key;
    int r;
    CHECK(b != NULL);
    key = tmq_broker_read_file(b->client_enc_key);
    CHECK(key != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.cert_file = b->client_cert;
    o.key_pem = key;
    o.key_password = TMQ_BROKER_CLIENT_KEY_PASS;
    r = connect_and_connack(&o, "127.0.0.1", b->mtls_port, "mtls-enc-pem");
    free(key);
    CHECK_EQ(r, 0);
}

TEST(mtls_refused_without_client_cert)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    char why[96];
    int r;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    TLS_SETUP(tcp, tls, o);
    r = drive_connect(&tls, "127.0.0.1", b->mtls_port);
    if (r == TMQ_OK)  /* a TLS 1.3 server could refuse only after the handshake */
        r = mqtt_connect(&tls, "mtls-none");
    CHECK_EQ(r, TMQ_ERR_TLS);
    CHECK(tmq_tls_mbedtls_error(&tls) != 0);
    CHECK_EQ(tmq_tls_verify_flags(&tls), 0);  /* our side had nothing to complain about */
    /* the server's refusal: its alert, or its hanging up */
    CHECK(tmq_tls_reason(&tls, why, sizeof why) > 0);
    CHECK(!strncmp(why, "handshake alert ", 16) || strstr(why, "closed the connection") != NULL);
    tmq_tls_free(&tls);
}

/* ---- ALPN ---------------------------------------------------------------- */

/* Starts `openssl s_server` on a free loopback port with the broker's server
 * certificate, answering ALPN `alpn`. Returns its pid (port in *port) or -1. */
static pid_t start_s_server(const tmq_broker *b, const char *alpn, uint16_t *port)
{
    char accept[32], key[TMQ_BROKER_PATH + 16];
    uint32_t start;
    pid_t pid;
    *port = free_port();
    snprintf(accept, sizeof accept, "127.0.0.1:%u", *port);
    if (snprintf(key, sizeof key, "%s/server.key", b->dir) >= (int)sizeof key)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", b->server_cert, "-key", key,
               "-alpn", alpn, "-rev", (char *)NULL);
        _exit(127);
    }
    for (start = tmq_now_ms(); tmq_now_ms() - start < 5000; usleep(20000)) {
        int fd, status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "  openssl s_server exited (%d): is openssl installed?\n", WEXITSTATUS(status));
            return -1;
        }
        fd = tmq_broker_dial(*port);
        if (fd >= 0) {
            close(fd);
            return pid;
        }
    }
    fprintf(stderr, "  openssl s_server did not listen on %s\n", accept);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void stop_s_server(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

TEST(alpn_offered_and_chosen)
{
    static const char *const protos[] = { "x-unknown", "mqtt", NULL };
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    uint16_t port;
    pid_t server;
    uint8_t echo[6];
    int r;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.alpn = protos;
    /* mosquitto ignores ALPN: the handshake succeeds, nothing is chosen */
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_OK);
    CHECK(tmq_tls_alpn(&tls) == NULL);
    CHECK_EQ(mqtt_connect(&tls, "tls-alpn"), 0);
    tr(&tls)->ops->close(tr(&tls));
    /* a server that speaks mqtt picks it from our list */
    server = start_s_server(b, "mqtt", &port);
    CHECK(server > 0);
    r = drive_connect(&tls, "127.0.0.1", port);
    if (r == TMQ_OK && tmq_tls_alpn(&tls) && strcmp(tmq_tls_alpn(&tls), "mqtt") == 0)
        r = send_all(&tls, (const uint8_t *)"alpn\n", 5, NULL);
    else if (r == TMQ_OK)
        r = -1;
    if (r == TMQ_OK)
        r = recv_exact(&tls, echo, 5, 0);  /* s_server -rev answers "npla\n" */
    tmq_tls_free(&tls);
    stop_s_server(server);
    CHECK_EQ(r, TMQ_OK);
    CHECK_MEM(echo, 5, "npla\n", 5);
}

/* ---- connection life ----------------------------------------------------- */

TEST(close_and_reconnect)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    int i;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.cert_file = b->client_cert;
    o.key_file = b->client_key;
    TLS_SETUP(tcp, tls, o);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(drive_connect_told(&tls, "127.0.0.1", b->mtls_port, TMQ_OK), TMQ_OK);
        CHECK_EQ(mqtt_connect(&tls, "tls-again"), 0);
        tr(&tls)->ops->close(tr(&tls));
        CHECK_EQ(tls.io.fd, -1);
        CHECK_EQ(tls.io.want_write, 0);
        CHECK_EQ(tr(&tls)->ops->recv(tr(&tls), (uint8_t *)&i, 1), TMQ_ERR_CLOSED);
    }
    /* a failed connect, closed, then a good one on the same transport */
    CHECK_EQ(drive_connect_refused(&tls), TMQ_ERR_REFUSED);
    tr(&tls)->ops->close(tr(&tls));
    CHECK_EQ(drive_connect_told(&tls, "127.0.0.1", b->mtls_port, TMQ_OK), TMQ_OK);
    CHECK_EQ(mqtt_connect(&tls, "tls-again"), 0);
    tmq_tls_free(&tls);
    tmq_tls_free(&tls);  /* twice is harmless */
}

/* Opens a session with the broker's TLS listener (its CA trusted) and
 * connects MQTT as `id`. 0 when so. */
static int mqtt_over_tls(tmq_tcp *tcp, tmq_tls *tls, const char *id)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    CHECK_R(b != NULL, -1);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    tmq_tcp_init(tcp, NULL);
    CHECK_EQ_R(tmq_tls_init(tls, &tcp->io, &o), TMQ_OK, -1);
    CHECK_EQ_R(drive_connect(tls, "127.0.0.1", b->tls_port), TMQ_OK, -1);
    CHECK_EQ_R(mqtt_connect(tls, id), 0, -1);
    return 0;
}

TEST(peer_close_reported_as_closed)
{
    static const uint8_t disconnect[] = { 0xE0, 0x00 };
    tmq_tcp tcp;
    tmq_tls tls;
    uint8_t buf[16];
    int r;
    CHECK_EQ(mqtt_over_tls(&tcp, &tls, "tls-bye"), 0);
    CHECK_EQ(send_all(&tls, disconnect, sizeof disconnect, NULL), TMQ_OK);
    r = recv_exact(&tls, buf, 1, 0);  /* the broker sends nothing more and hangs up */
    CHECK_EQ(r, TMQ_ERR_CLOSED);
    CHECK_EQ(tr(&tls)->ops->recv(tr(&tls), buf, 1), TMQ_ERR_CLOSED);  /* sticky */
    tmq_tls_free(&tls);
}

/* The write side fails (the socket shut for writing) while the server's
 * answer waits unread: send reports the failure, and recv still gives what
 * came before it (the engine reads that before it reports the disconnect). */
TEST(failed_write_leaves_reading)
{
    static const uint8_t pingreq[] = { 0xC0, 0x00 };
    tmq_tcp tcp;
    tmq_tls tls;
    struct pollfd pfd;
    uint8_t buf[2];
    CHECK_EQ(mqtt_over_tls(&tcp, &tls, "tls-wfail"), 0);
    CHECK_EQ(send_all(&tls, pingreq, sizeof pingreq, NULL), TMQ_OK);
    pfd.fd = tcp.io.fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    CHECK_EQ(poll(&pfd, 1, 5000), 1); /* the PINGRESP is in the socket */
    CHECK_EQ(shutdown(tcp.io.fd, SHUT_WR), 0);
    CHECK_EQ(tr(&tls)->ops->send(tr(&tls), pingreq, sizeof pingreq), TMQ_ERR_CLOSED);
    CHECK_EQ(recv_exact(&tls, buf, 2, 0), TMQ_OK);
    CHECK_EQ(buf[0], 0xD0);
    CHECK_EQ(buf[1], 0x00);
    CHECK_EQ(tr(&tls)->ops->send(tr(&tls), pingreq, sizeof pingreq), TMQ_ERR_CLOSED); /* still failed */
    tmq_tls_free(&tls);
}

/* A lower transport for the tests: tmq_tcp, but every other send answers
 * TMQ_IO_AGAIN and the rest take at most 1000 bytes, and every third recv
 * answers TMQ_IO_AGAIN and the rest give at most 100 bytes. mbedtls then
 * meets WANT_WRITE in the middle of records and WANT_READ in the middle of
 * records on every exchange, deterministically. */
typedef struct choppy {
    tmq_posix_io io;
    tmq_tcp tcp;
    unsigned sends, recvs;
    uint8_t injected;  /* the last send was refused here, not by the socket */
} choppy;

static choppy *choppy_of(tmq_transport *t)
{
    return (choppy *)(void *)t;
}

static void choppy_mirror(choppy *c)
{
    c->io.fd = c->tcp.io.fd;
    c->io.want_write = (uint8_t)(c->tcp.io.want_write || c->injected);
}

static int choppy_connect(tmq_transport *t, const char *host, uint16_t port)
{
    choppy *c = choppy_of(t);
    int r = c->tcp.io.base.ops->connect(&c->tcp.io.base, host, port);
    choppy_mirror(c);
    return r;
}

static int32_t choppy_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    choppy *c = choppy_of(t);
    int32_t n;
    c->injected = (uint8_t)(c->sends++ % 2 == 0);
    if (!c->injected)
        n = c->tcp.io.base.ops->send(&c->tcp.io.base, buf, len > 1000 ? 1000 : len);
    else
        n = TMQ_IO_AGAIN;
    choppy_mirror(c);
    return n;
}

static int32_t choppy_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    choppy *c = choppy_of(t);
    int32_t n = TMQ_IO_AGAIN;
    if (c->recvs++ % 3 != 0)
        n = c->tcp.io.base.ops->recv(&c->tcp.io.base, buf, len > 100 ? 100 : len);
    choppy_mirror(c);
    return n;
}

static void choppy_close(tmq_transport *t)
{
    choppy *c = choppy_of(t);
    c->tcp.io.base.ops->close(&c->tcp.io.base);
    c->injected = 0;
    choppy_mirror(c);
}

static const tmq_transport_ops choppy_ops = { choppy_connect, choppy_send, choppy_recv, choppy_close };

static void choppy_init(choppy *c)
{
    memset(c, 0, sizeof *c);
    c->io.base.ops = &choppy_ops;
    c->io.fd = -1;
    tmq_tcp_init(&c->tcp, NULL);
}

/* Subscribes to tls/big, publishes plen bytes to it and reads the echo back
 * through recv calls of at most `chunk` bytes. Counts send calls that took
 * less than asked in *blocked. Returns TMQ_OK or a negative error. */
static int big_round_trip(tmq_tls *t, uint32_t plen, uint32_t chunk, int *blocked)
{
    tmq_packet p, in;
    tmq_sub sub;
    uint8_t head[16], *payload, *pkt, *back;
    uint32_t i, cap = plen + 32;
    int32_t n;
    int r;

    memset(&p, 0, sizeof p);
    p.type = TMQ_SUBSCRIBE;
    p.version = TMQ_V311;
    p.id = 1;
    sub.filter = str("tls/big");
    sub.opts = 0;
    p.u.subs.list = &sub;
    p.u.subs.count = 1;
    if ((r = send_packet(t, &p)) != TMQ_OK)
        return r;
    if ((n = recv_packet(t, head, sizeof head, 0, &in)) < 0)
        return n;
    if (in.type != TMQ_SUBACK)
        return -996;

    payload = malloc(plen);
    pkt = malloc(cap);
    back = malloc(cap);
    r = payload && pkt && back ? TMQ_OK : -995;
    for (i = 0; r == TMQ_OK && i < plen; i++)
        payload[i] = (uint8_t)(i * 7 + (i >> 8));
    memset(&p, 0, sizeof p);
    p.type = TMQ_PUBLISH;
    p.version = TMQ_V311;
    p.u.publish.topic = str("tls/big");
    p.u.publish.payload.p = payload;
    p.u.publish.payload.len = plen;
    n = r == TMQ_OK ? tmq_encode(pkt, cap, &p) : r;
    if (n < 0)
        r = n;
    if (r == TMQ_OK)
        r = send_all(t, pkt, (uint32_t)n, blocked);
    if (r == TMQ_OK) {
        int32_t got = recv_packet(t, back, cap, chunk, &in);
        r = got == n ? TMQ_OK : (got < 0 ? got : -994);
    }
    if (r == TMQ_OK && (in.type != TMQ_PUBLISH || in.u.publish.payload.len != plen ||
                        memcmp(in.u.publish.payload.p, payload, plen) != 0))
        r = -993;
    free(payload);
    free(pkt);
    free(back);
    return r;
}

/* 300 KB through a real socket with a small send buffer, read back in
 * 1000-byte recv calls (the drain rule is checked on every call). */
TEST(large_publish_round_trip)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    int sndbuf = 4096, blocked = 0, r;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->tls_port), TMQ_OK);
    CHECK_EQ(mqtt_connect(&tls, "tls-big"), 0);
    setsockopt(tls.io.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    r = big_round_trip(&tls, 300000, 1000, &blocked);
    tmq_tls_free(&tls);
    CHECK_EQ(r, TMQ_OK);
}

/* The same over the choppy transport: handshake and records cut at every
 * step; send must hold a record inside mbedtls across TMQ_IO_AGAIN and short
 * counts (with want_write set) and resume it from the caller's same bytes. */
TEST(choppy_lower_transport)
{
    const tmq_broker *b = broker();
    tmq_tls_options o;
    choppy c;
    tmq_tls tls;
    int blocked = 0, r;
    CHECK(b != NULL);
    memset(&o, 0, sizeof o);
    o.ca_file = b->ca;
    o.cert_file = b->client_cert;
    o.key_file = b->client_key;
    choppy_init(&c);
    CHECK_EQ(tmq_tls_init(&tls, &c.io, &o), TMQ_OK);
    CHECK_EQ(drive_connect(&tls, "127.0.0.1", b->mtls_port), TMQ_OK);
    CHECK_EQ(mqtt_connect(&tls, "tls-choppy"), 0);
    r = big_round_trip(&tls, 100000, 0, &blocked);
    if (r == TMQ_OK) {  /* a second connection on the same transports */
        tls.io.base.ops->close(&tls.io.base);
        r = drive_connect(&tls, "127.0.0.1", b->mtls_port);
        if (r == TMQ_OK)
            r = mqtt_connect(&tls, "tls-choppy");
    }
    tmq_tls_free(&tls);
    CHECK_EQ(r, TMQ_OK);
    CHECK(blocked > 0);
    CHECK(c.sends > 100 && c.recvs > 1000);
}

/* ---- errors without a server --------------------------------------------- */

TEST(init_rejects_bad_options)
{
    static const char *const empty_alpn[] = { "", NULL };
    const tmq_broker *b = broker();
    char server_key[TMQ_BROKER_PATH + 16];
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    CHECK(b != NULL);
    CHECK(snprintf(server_key, sizeof server_key, "%s/server.key", b->dir) < (int)sizeof server_key);
    tmq_tcp_init(&tcp, NULL);

    memset(&o, 0, sizeof o);
    CHECK_EQ(tmq_tls_init(&tls, NULL, &o), TMQ_ERR_ARG);
    o.verify = 3;
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);

    memset(&o, 0, sizeof o);
    o.cert_file = b->client_cert;  /* no key */
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    o.cert_file = NULL;
    o.key_file = b->client_key;    /* no certificate */
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);

    memset(&o, 0, sizeof o);
    o.ca_file = "/nonexistent/ca.pem";
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    CHECK(tmq_tls_mbedtls_error(&tls) != 0);
    o.ca_file = NULL;
    o.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);

    memset(&o, 0, sizeof o);
    o.cert_file = b->client_cert;
    o.key_file = b->client_enc_key;  /* encrypted, no password */
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    CHECK_EQ(tmq_tls_mbedtls_error(&tls), MBEDTLS_ERR_PK_PASSWORD_REQUIRED);
    o.key_password = "not the password";
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    /* A wrong passphrase decrypts to garbage; about one time in 256 its
     * padding happens to be valid and mbedtls then reports the garbage as a
     * malformed key instead of a password mismatch. Both are refusals. */
    CHECK(tmq_tls_mbedtls_error(&tls) == MBEDTLS_ERR_PK_PASSWORD_MISMATCH ||
          (-tmq_tls_mbedtls_error(&tls) & 0xFF80) == -MBEDTLS_ERR_PK_KEY_INVALID_FORMAT);
    o.key_file = server_key;         /* a key that is not the certificate's */
    o.key_password = NULL;
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    {
        char why[128];
        CHECK(tmq_tls_describe(&tls, why, sizeof why) > 0);
    }

    memset(&o, 0, sizeof o);
    o.verify = TMQ_TLS_VERIFY_NONE;
    o.alpn = empty_alpn;
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    o.alpn = NULL;
    o.server_name = "";
    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, &o), TMQ_ERR_ARG);
    tmq_tls_free(&tls);  /* harmless after a failed init */

    CHECK_EQ(tmq_tls_init(&tls, &tcp.io, NULL), TMQ_OK);  /* all defaults */
    tmq_tls_free(&tls);
}

TEST(io_before_connect_and_lower_errors)
{
    tmq_tls_options o;
    tmq_tcp tcp;
    tmq_tls tls;
    uint8_t byte = 0;
    memset(&o, 0, sizeof o);
    o.verify = TMQ_TLS_VERIFY_NONE;
    TLS_SETUP(tcp, tls, o);
    CHECK_EQ(tr(&tls)->ops->send(tr(&tls), &byte, 1), TMQ_ERR_CLOSED);
    CHECK_EQ(tr(&tls)->ops->recv(tr(&tls), &byte, 1), TMQ_ERR_CLOSED);
    CHECK_EQ(tmq_tls_pending(&tls), 0);
    CHECK_EQ(tmq_tls_verify_flags(&tls), 0xFFFFFFFFu);
    /* the lower transport's connect errors come through unchanged */
    CHECK_EQ(drive_connect_refused(&tls), TMQ_ERR_REFUSED);
    CHECK_EQ(tmq_tls_mbedtls_error(&tls), 0);
    tr(&tls)->ops->close(tr(&tls));
    tr(&tls)->ops->close(tr(&tls));  /* closing twice is harmless */
    tmq_tls_free(&tls);
}
