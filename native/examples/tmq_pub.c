/* tmq_pub: publish one message, a file, or stdin line by line, with the
 * flags of mosquitto_pub. Exits 0 once every message is acknowledged as its
 * QoS requires, 1 on a connection or delivery error, 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "tinymqtt/topic.h"

static cli k = {.prog = "tmq_pub"};
static const char *topic;
static uint8_t qos, retain;
static tmq_bin *payloads;       /* every message to send, in order */
static size_t count, next, acked;

static void usage(void)
{
    fprintf(stderr, "usage: tmq_pub -t TOPIC (-m MESSAGE | -f FILE | -l | -n) [-q QOS] [-r] [connection flags]\n"
                    "  -m MESSAGE  the payload     -f FILE  the file as payload\n"
                    "  -l          each line of stdin is a message      -n  an empty message\n"
                    "  -q QOS      0, 1 or 2       -r       retain\n");
    cli_conn_usage();
}

/* Queues messages while slots are free (the client keeps them in order). */
static void publish_more(tmq_client *c)
{
    tmq_bin t;
    t.p = (const uint8_t *)topic;
    t.len = (uint32_t)strlen(topic);
    while (next < count) {
        int32_t rc = tmq_client_publish(c, t, payloads[next], qos, retain, 0, 0);
        if (rc == TMQ_ERR_QUEUE_FULL)
            return; /* more after the next acknowledgement */
        if (rc < 0) {
            cli_error(&k, "publish", rc);
            cli_finish(&k, 1);
            return;
        }
        next++;
    }
}

static void on_connack(tmq_client *c, const tmq_packet *p)
{
    (void)p;
    publish_more(c);
}

static void on_sent(tmq_client *c, const tmq_msg *m, uint8_t reason)
{
    (void)m;
    if (reason >= 0x80) {
        fprintf(stderr, "tmq_pub: the broker refused a message (reason 0x%02x)\n", reason);
        cli_finish(&k, 1);
        return;
    }
    if (++acked == count)
        cli_finish(&k, 0);
    else
        publish_more(c);
}

/* Reads all of f into memory. */
static tmq_bin slurp(FILE *f)
{
    tmq_bin b = {0, 0};
    size_t cap = 0, len = 0, n;
    uint8_t *buf = 0;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (!buf) {
                fprintf(stderr, "tmq_pub: out of memory\n");
                exit(1);
            }
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n);
    b.p = buf;
    b.len = (uint32_t)len;
    return b;
}

/* Splits text into one message per line (without the newline). */
static void split_lines(tmq_bin all)
{
    size_t i, start = 0;
    payloads = calloc(all.len + 1, sizeof *payloads);
    for (i = 0; i <= all.len; i++) {
        if (i == all.len ? i > start : all.p[i] == '\n') {
            payloads[count].p = all.p + start;
            payloads[count++].len = (uint32_t)(i - start);
            start = i + 1;
        }
    }
}

int main(int argc, char **argv)
{
    static tmq_bin one;
    const char *file = 0;
    int i, lines = 0, empty = 0, have_message = 0, bad;
    for (i = 1; i < argc; i++) {
        int rc = cli_conn_flag(&k, argc, argv, &i);
        if (rc < 0)
            return 2;
        if (rc)
            continue;
        if (!strcmp(argv[i], "-t") && i + 1 < argc)
            topic = argv[++i];
        else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
            one.p = (const uint8_t *)argv[++i];
            one.len = (uint32_t)strlen(argv[i]);
            have_message = 1;
        } else if (!strcmp(argv[i], "-f") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "-l"))
            lines = 1;
        else if (!strcmp(argv[i], "-n"))
            empty = 1;
        else if (!strcmp(argv[i], "-q") && i + 1 < argc)
            qos = (uint8_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r"))
            retain = 1;
        else {
            fprintf(stderr, "tmq_pub: unknown or incomplete flag %s\n", argv[i]);
            usage();
            return 2;
        }
    }
    if (!topic || have_message + !!file + lines + empty != 1 || qos > 2) {
        fprintf(stderr, "tmq_pub: %s\n", !topic ? "-t TOPIC is required"
                                     : qos > 2  ? "-q takes 0, 1 or 2"
                                                : "give exactly one of -m, -f, -l, -n");
        usage();
        return 2;
    }
    bad = tmq_topic_check((const uint8_t *)topic, (uint32_t)strlen(topic));
    if (bad) {
        fprintf(stderr, "tmq_pub: invalid topic %s: %s\n", topic, tmq_strerror(bad));
        return 2;
    }
    if (file) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            perror(file);
            return 1;
        }
        one = slurp(f);
        fclose(f);
    }
    if (lines) {
        split_lines(slurp(stdin));
        if (!count)
            return 0;
    } else {
        if (empty)
            one.p = (const uint8_t *)"";
        payloads = &one;
        count = 1;
    }
    k.ev.connack = on_connack;
    k.ev.sent = on_sent;
    if (cli_start(&k))
        return 1;
    return cli_run(&k, 0);
}
