/* Connection flags and the single-client loop shared by the examples. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TX_CAP (1u << 20)
#define RX_CAP (1u << 20)
#define MSG_CAP 1024
#define QOS2_CAP 64

static uint8_t tx[TX_CAP], rx[RX_CAP];
static tmq_msg msgs[MSG_CAP];
static uint16_t qos2_ids[QOS2_CAP];
static int done;

static tmq_bin text(const char *s)
{
    tmq_bin b;
    b.p = (const uint8_t *)s;
    b.len = s ? (uint32_t)strlen(s) : 0;
    return b;
}

void cli_error(const cli *k, const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s\n", k->prog, what, tmq_strerror(err));
}

void cli_finish(cli *k, int code)
{
    k->exit_code = code;
    done = 1;
}

/* The value after a flag, or NULL (printed) if there is none. */
static const char *value(const cli *k, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", k->prog, argv[*i]);
        return 0;
    }
    return argv[++*i];
}

int cli_conn_flag(cli *k, int argc, char **argv, int *i)
{
    const char *f = argv[*i], *v;
    if (!strcmp(f, "--insecure")) {
        k->tls_opt.verify = TMQ_TLS_VERIFY_NONE;
        return 1;
    }
    if (!strcmp(f, "-d")) {
        k->verbose = 1;
        return 1;
    }
    if (strcmp(f, "-h") && strcmp(f, "-p") && strcmp(f, "-i") && strcmp(f, "-u") && strcmp(f, "-P") &&
        strcmp(f, "-k") && strcmp(f, "-V") && strcmp(f, "--cafile") && strcmp(f, "--cert") &&
        strcmp(f, "--key"))
        return 0;
    if (!(v = value(k, argc, argv, i)))
        return -1;
    if (!strcmp(f, "-h"))
        k->cfg.host = v;
    else if (!strcmp(f, "-p"))
        k->cfg.port = (uint16_t)atoi(v);
    else if (!strcmp(f, "-i"))
        k->cfg.connect.client_id = text(v);
    else if (!strcmp(f, "-u"))
        k->cfg.connect.username = text(v);
    else if (!strcmp(f, "-P"))
        k->cfg.connect.password = text(v);
    else if (!strcmp(f, "-k"))
        k->cfg.connect.keepalive = (uint16_t)atoi(v);
    else if (!strcmp(f, "-V")) {
        if (!strcmp(v, "mqttv31") || !strcmp(v, "31"))
            k->cfg.version = TMQ_V31;
        else if (!strcmp(v, "mqttv311") || !strcmp(v, "311"))
            k->cfg.version = TMQ_V311;
        else if (!strcmp(v, "mqttv5") || !strcmp(v, "5"))
            k->cfg.version = TMQ_V5;
        else {
            fprintf(stderr, "%s: -V takes mqttv31, mqttv311 or mqttv5, not %s\n", k->prog, v);
            return -1;
        }
    } else {
        k->use_tls = 1;
        if (!strcmp(f, "--cafile"))
            k->tls_opt.ca_file = v;
        else if (!strcmp(f, "--cert"))
            k->tls_opt.cert_file = v;
        else
            k->tls_opt.key_file = v;
    }
    return 1;
}

void cli_conn_usage(void)
{
    fprintf(stderr,
            "connection:\n"
            "  -h HOST        broker host (default localhost)\n"
            "  -p PORT        broker port (default 1883, 8883 with TLS)\n"
            "  -i ID          client id (default: tmq- and the process id)\n"
            "  -u USER -P PASSWORD\n"
            "  -k SECONDS     keepalive (default 60)\n"
            "  -V VERSION     mqttv31, mqttv311 (default) or mqttv5\n"
            "  --cafile FILE  TLS with this CA; --cert FILE --key FILE for mutual TLS\n"
            "  --insecure     TLS without verifying the server certificate\n"
            "  -d             print connection events\n");
}

static void on_state(tmq_client *c, tmq_state state)
{
    static const char *const names[] = {"disconnected", "tcp connecting", "tls handshaking",
                                        "mqtt connecting", "ready", "waiting to reconnect"};
    const cli *k = c->user;
    if (k->verbose)
        fprintf(stderr, "%s: %s\n", k->prog, names[state]);
}

static void on_disconnect(tmq_client *c, int err, const tmq_packet *pkt)
{
    cli *k = c->user;
    (void)pkt;
    if (done)
        return;
    cli_error(k, "connection ended", err ? err : TMQ_ERR_CLOSED);
    if (err == TMQ_ERR_TLS_VERIFY) {
        char why[256];
        tmq_tls_describe(&k->tls, why, sizeof why);
        fprintf(stderr, "%s: %s\n", k->prog, why);
    }
    cli_finish(k, 1);
}

static void on_error(tmq_client *c, int err, const tmq_msg *msg)
{
    cli *k = c->user;
    cli_error(k, msg ? "message not delivered" : "broker protocol violation", err);
    if (msg)
        cli_finish(k, 1);
}

int cli_start(cli *k)
{
    static char default_id[32];
    static tmq_client_mem mem;
    tmq_posix_io *io = &k->tcp.io;
    int rc;
    if (!k->cfg.host)
        k->cfg.host = "localhost";
    if (!k->cfg.port)
        k->cfg.port = k->use_tls ? 8883 : 1883;
    if (!k->cfg.connect.client_id.p) {
        snprintf(default_id, sizeof default_id, "tmq-%ld", (long)getpid());
        k->cfg.connect.client_id = text(default_id);
    }
    k->cfg.connect.clean = 1;
    if (!k->ev.disconnect)
        k->ev.disconnect = on_disconnect;
    if (!k->ev.error)
        k->ev.error = on_error;
    k->ev.state = on_state;
    mem.tx = tx, mem.tx_cap = TX_CAP, mem.rx = rx, mem.rx_cap = RX_CAP;
    mem.msgs = msgs, mem.msg_cap = MSG_CAP, mem.qos2 = qos2_ids, mem.qos2_cap = QOS2_CAP;
    tmq_tcp_init(&k->tcp, 0);
    if (k->use_tls) {
        rc = tmq_tls_init(&k->tls, &k->tcp.io, &k->tls_opt);
        if (rc) {
            cli_error(k, "TLS setup (check --cafile, --cert, --key)", rc);
            return 1;
        }
        io = &k->tls.io;
    }
    rc = tmq_client_init(&k->client, &k->cfg, &k->ev, &mem, &io->base);
    if (rc) {
        cli_error(k, "client options", rc);
        return 1;
    }
    k->client.user = k;
    k->loop = tmq_loop_new();
    if (!k->loop || tmq_loop_add(k->loop, &k->client, io)) {
        fprintf(stderr, "%s: cannot create the event loop\n", k->prog);
        return 1;
    }
    tmq_client_connect(&k->client, tmq_now_ms());
    return 0;
}

int cli_run(cli *k, uint32_t timeout_ms)
{
    uint32_t start = tmq_now_ms();
    while (!done) {
        if (timeout_ms && tmq_now_ms() - start >= timeout_ms) {
            fprintf(stderr, "%s: timed out after %u s\n", k->prog, (unsigned)(timeout_ms / 1000));
            k->exit_code = 27; /* as mosquitto_sub -W */
            break;
        }
        tmq_loop_run_once(k->loop, 100);
    }
    done = 1; /* the disconnect that follows is ours */
    tmq_loop_shutdown(k->loop, 2000);
    tmq_loop_remove(k->loop, &k->client);
    tmq_loop_free(k->loop);
    if (k->use_tls)
        tmq_tls_free(&k->tls);
    return k->exit_code;
}
