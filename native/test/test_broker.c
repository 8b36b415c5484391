/* The mosquitto harness itself: each feature starts, answers as configured
 * and stops cleanly. MQTT is spoken raw here (tmq_encode/tmq_decode over a
 * blocking socket) so these tests depend on nothing but the codec. */
#define _GNU_SOURCE
#include "broker.h"
#include "harness.h"
#include "tinymqtt/packet.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static tmq_bin str(const char *s)
{
    tmq_bin b;
    b.p = (const uint8_t *)s;
    b.len = s ? (uint32_t)strlen(s) : 0;
    return b;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one whole packet (the socket has a 5 s receive timeout). Returns
 * its length or -1. */
static int32_t read_packet(int fd, uint8_t *buf, uint32_t cap)
{
    uint32_t have = 0;
    for (;;) {
        int32_t need = tmq_frame(buf, have, TMQ_V311);
        ssize_t k;
        if (need < 0)
            return -1;
        if (need > 0 && have >= (uint32_t)need)
            return need;
        if (have == cap)
            return -1;
        k = recv(fd, buf + have, need > 0 ? (uint32_t)need - have : 1, 0);
        if (k <= 0)
            return -1;
        have += (uint32_t)k;
    }
}

/* Encodes and sends pkt. */
static int send_packet(int fd, const tmq_packet *pkt)
{
    uint8_t buf[512];
    int32_t n = tmq_encode(buf, sizeof buf, pkt);
    return n < 0 ? -1 : send_all(fd, buf, (size_t)n);
}

/* Opens a connection and sends a 3.1.1 CONNECT; returns the fd with the
 * CONNACK return code in *code, or -1. */
static int mqtt_connect(uint16_t port, const char *id, const char *user, const char *pass, int *code)
{
    tmq_packet pkt, ack;
    uint8_t buf[64];
    int32_t n;
    int fd = tmq_broker_dial(port);

    if (fd < 0)
        return -1;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_CONNECT;
    pkt.version = TMQ_V311;
    pkt.u.connect.client_id = str(id);
    pkt.u.connect.username = str(user);
    pkt.u.connect.password = str(pass);
    pkt.u.connect.keepalive = 30;
    pkt.u.connect.clean = 1;
    if (send_packet(fd, &pkt) < 0 || (n = read_packet(fd, buf, sizeof buf)) < 0 ||
        tmq_decode(buf, (uint32_t)n, TMQ_V311, &ack) != n || ack.type != TMQ_CONNACK) {
        close(fd);
        return -1;
    }
    *code = ack.reason;
    return fd;
}

/* SUBSCRIBE to one filter at QoS 1; returns the SUBACK code or -1. */
static int mqtt_subscribe(int fd, const char *filter)
{
    tmq_packet pkt, ack;
    tmq_sub sub;
    uint8_t buf[64];
    int32_t n;

    sub.filter = str(filter);
    sub.opts = 1;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_SUBSCRIBE;
    pkt.version = TMQ_V311;
    pkt.id = 7;
    pkt.u.subs.list = &sub;
    pkt.u.subs.count = 1;
    if (send_packet(fd, &pkt) < 0 || (n = read_packet(fd, buf, sizeof buf)) < 0 ||
        tmq_decode(buf, (uint32_t)n, TMQ_V311, &ack) != n || ack.type != TMQ_SUBACK || ack.id != 7 ||
        ack.u.codes.count != 1)
        return -1;
    return ack.u.codes.p[0];
}

/* PUBLISH at QoS 0. */
static int mqtt_publish(int fd, const char *topic, const char *payload)
{
    tmq_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_PUBLISH;
    pkt.version = TMQ_V311;
    pkt.u.publish.topic = str(topic);
    pkt.u.publish.payload = str(payload);
    return send_packet(fd, &pkt);
}

/* Reads the next packet, which must be a PUBLISH; copies its topic. */
static int mqtt_read_publish(int fd, char *topic, size_t cap)
{
    tmq_packet pkt;
    uint8_t buf[256];
    int32_t n = read_packet(fd, buf, sizeof buf);
    if (n < 0 || tmq_decode(buf, (uint32_t)n, TMQ_V311, &pkt) != n || pkt.type != TMQ_PUBLISH ||
        pkt.u.publish.topic.len >= cap)
        return -1;
    memcpy(topic, pkt.u.publish.topic.p, pkt.u.publish.topic.len);
    topic[pkt.u.publish.topic.len] = '\0';
    return 0;
}

static int file_starts_with(const char *file, const char *prefix)
{
    char line[128] = "";
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    return strncmp(line, prefix, strlen(prefix)) == 0;
}

static int file_contains(const char *file, const char *needle)
{
    char line[256];
    int found = 0;
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Runs `openssl verify -CAfile ca cert`; returns its exit status. */
static int openssl_verify(const char *ca, const char *cert)
{
    char cmd[1200];
    int rc;
    snprintf(cmd, sizeof cmd, "openssl verify -CAfile '%s' '%s' >/dev/null 2>&1", ca, cert);
    rc = system(cmd);
    return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

TEST(plain_accepts_connect)
{
    tmq_broker b;
    int code = -1, fd;
    char dir[TMQ_BROKER_PATH];
    pid_t pid;

    CHECK_EQ(tmq_broker_start(&b, TMQ_BROKER_PLAIN), 0);
    CHECK(b.port != 0);
    CHECK_EQ(b.auth_port, 0);
    CHECK_EQ(b.tls_port, 0);
    fd = mqtt_connect(b.port, "harness-plain", NULL, NULL, &code);
    CHECK(fd >= 0);
    CHECK_EQ(code, 0);
    CHECK_EQ(mqtt_subscribe(fd, "any/topic/#"), 1);
    close(fd);
    CHECK(tmq_broker_log_wait(&b, "New client connected from 127.0.0.1", 1, 5000));
    CHECK(tmq_broker_log_wait(&b, "harness-plain", 1, 5000));

    /* stop: the process is gone and the directory removed */
    snprintf(dir, sizeof dir, "%s", b.dir);
    pid = b.pid;
    tmq_broker_stop(&b);
    CHECK_EQ(b.pid, 0);
    CHECK(kill(pid, 0) < 0 && errno == ESRCH);
    CHECK(access(dir, F_OK) < 0);
    tmq_broker_stop(&b);   /* twice is harmless */
}

TEST(auth_refuses_bad_password)
{
    tmq_broker b;
    int code = -1, fd;

    CHECK_EQ(tmq_broker_start(&b, TMQ_BROKER_AUTH), 0);
    CHECK(b.auth_port != 0);
    CHECK_EQ(b.port, 0);
    fd = mqtt_connect(b.auth_port, "harness-bad", TMQ_BROKER_ALICE, "wrong", &code);
    if (fd >= 0)
        close(fd);
    CHECK(fd >= 0);
    CHECK_EQ(code, 5);   /* 3.1.1: not authorized (mosquitto's answer to a bad password) */
    fd = mqtt_connect(b.auth_port, "harness-anon", NULL, NULL, &code);
    if (fd >= 0)
        close(fd);
    CHECK(fd >= 0);
    CHECK_EQ(code, 5);   /* no anonymous access on this listener */
    CHECK(tmq_broker_log_wait(&b, "not authorised", 2, 5000));
    tmq_broker_stop(&b);
}

TEST(auth_accepts_users_and_applies_acl)
{
    tmq_broker b;
    int code = -1, fd;
    char topic[64];

    CHECK_EQ(tmq_broker_start(&b, TMQ_BROKER_AUTH), 0);
    fd = mqtt_connect(b.auth_port, "harness-alice", TMQ_BROKER_ALICE, TMQ_BROKER_ALICE_PASS, &code);
    CHECK(fd >= 0);
    CHECK_EQ(code, 0);
    CHECK_EQ(mqtt_subscribe(fd, "acl/alice/x"), 1);
    CHECK_EQ(mqtt_subscribe(fd, "acl/secret/x"), 1);   /* mosquitto grants it, then filters delivery */
    /* publish to the denied topic, then to an allowed one: only the second comes back */
    CHECK_EQ(mqtt_publish(fd, "acl/secret/x", "hidden"), 0);
    CHECK_EQ(mqtt_publish(fd, "acl/alice/x", "shown"), 0);
    CHECK_EQ(mqtt_read_publish(fd, topic, sizeof topic), 0);
    CHECK(strcmp(topic, "acl/alice/x") == 0);
    close(fd);
    CHECK(tmq_broker_log_wait(&b, "Denied PUBLISH from harness-alice", 1, 5000));

    fd = mqtt_connect(b.auth_port, "harness-bob", TMQ_BROKER_BOB, TMQ_BROKER_BOB_PASS, &code);
    CHECK(fd >= 0);
    CHECK_EQ(code, 0);
    CHECK_EQ(mqtt_subscribe(fd, "acl/bob/x"), 1);
    CHECK_EQ(mqtt_publish(fd, "acl/alice/x", "not bob's"), 0);
    CHECK_EQ(mqtt_publish(fd, "acl/bob/x", "bob's"), 0);
    CHECK_EQ(mqtt_read_publish(fd, topic, sizeof topic), 0);
    CHECK(strcmp(topic, "acl/bob/x") == 0);
    close(fd);
    CHECK(tmq_broker_log_wait(&b, "Denied PUBLISH from harness-bob", 1, 5000));
    CHECK(tmq_broker_log_wait(&b, "u'alice'", 1, 5000));
    CHECK(tmq_broker_log_wait(&b, "u'bob'", 1, 5000));
    tmq_broker_stop(&b);
}

TEST(tls_listeners_and_files)
{
    tmq_broker b;
    int fd;

    CHECK_EQ(tmq_broker_start(&b, TMQ_BROKER_TLS | TMQ_BROKER_MTLS), 0);
    CHECK(b.tls_port != 0 && b.mtls_port != 0 && b.tls_port != b.mtls_port);
    CHECK_EQ(b.port, 0);
    fd = tmq_broker_dial(b.tls_port);
    CHECK(fd >= 0);
    close(fd);
    fd = tmq_broker_dial(b.mtls_port);
    CHECK(fd >= 0);
    close(fd);

    CHECK(file_starts_with(b.ca, "-----BEGIN CERTIFICATE-----"));
    CHECK(file_starts_with(b.wrong_ca, "-----BEGIN CERTIFICATE-----"));
    CHECK(file_starts_with(b.server_cert, "-----BEGIN CERTIFICATE-----"));
    CHECK(file_starts_with(b.client_cert, "-----BEGIN CERTIFICATE-----"));
    CHECK(file_starts_with(b.client_key, "-----BEGIN EC PRIVATE KEY-----"));
    CHECK(file_contains(b.client_enc_key, "ENCRYPTED"));
    CHECK(!file_contains(b.client_key, "ENCRYPTED"));
    /* the chains are what the TLS tests expect */
    CHECK_EQ(openssl_verify(b.ca, b.server_cert), 0);
    CHECK_EQ(openssl_verify(b.ca, b.client_cert), 0);
    CHECK(openssl_verify(b.wrong_ca, b.server_cert) != 0);
    CHECK(file_contains(b.conf, "require_certificate true"));
    tmq_broker_stop(&b);
}

TEST(all_features_at_once)
{
    tmq_broker a, b;
    int code = -1, fd;

    CHECK_EQ(tmq_broker_start(&a, TMQ_BROKER_ALL), 0);
    if (tmq_broker_start(&b, TMQ_BROKER_PLAIN) != 0) {
        tmq_broker_stop(&a);
        CHECK(!"second broker did not start");
    }
    CHECK(a.port && a.auth_port && a.tls_port && a.mtls_port);
    CHECK(a.port != a.auth_port && a.port != a.tls_port && a.auth_port != a.mtls_port);
    CHECK(b.port != a.port && strcmp(a.dir, b.dir) != 0);
    fd = mqtt_connect(a.port, "harness-a", NULL, NULL, &code);
    CHECK(fd >= 0);
    CHECK_EQ(code, 0);
    close(fd);
    fd = mqtt_connect(a.auth_port, "harness-a2", TMQ_BROKER_ALICE, TMQ_BROKER_ALICE_PASS, &code);
    CHECK(fd >= 0);
    CHECK_EQ(code, 0);
    close(fd);
    fd = mqtt_connect(b.port, "harness-b", NULL, NULL, &code);
    CHECK(fd >= 0);
    CHECK_EQ(code, 0);
    close(fd);
    CHECK(tmq_broker_log_wait(&a, "harness-a2", 1, 5000));
    CHECK_EQ(tmq_broker_log_count(&b, "harness-a"), 0);   /* each broker its own log */
    tmq_broker_stop(&b);
    tmq_broker_stop(&a);
}
