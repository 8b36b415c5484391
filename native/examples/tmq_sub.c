/* tmq_sub: subscribe and print messages, with the flags of mosquitto_sub.
 * Exits 0 after -C messages (or never without it), 1 on a connection error
 * or a refused subscription, 2 on a usage error, 27 when -W expires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "tinymqtt/topic.h"

#define MAX_FILTERS 64

static cli k = {.prog = "tmq_sub"};
static tmq_sub subs[MAX_FILTERS];
static uint16_t nsubs;
static long limit, received;
static int print_topic;

static void usage(void)
{
    fprintf(stderr, "usage: tmq_sub -t FILTER [-t FILTER ...] [-q QOS] [-C COUNT] [-v] [-W SECONDS] "
                    "[connection flags]\n"
                    "  -t FILTER   subscribe to FILTER (repeatable)    -q QOS  0, 1 or 2 (default 0)\n"
                    "  -C COUNT    exit after COUNT messages           -v      print the topic too\n"
                    "  -W SECONDS  give up after SECONDS\n");
    cli_conn_usage();
}

static void on_connack(tmq_client *c, const tmq_packet *p)
{
    int32_t rc;
    (void)p;
    rc = tmq_client_subscribe(c, subs, nsubs, 0, 0);
    if (rc < 0) {
        cli_error(&k, "subscribe", rc);
        cli_finish(&k, 1);
    }
}

static void on_suback(tmq_client *c, const tmq_msg *m, const tmq_packet *p)
{
    uint32_t i;
    (void)c;
    (void)m;
    for (i = 0; i < p->u.codes.count; i++) {
        if (p->u.codes.p[i] >= 0x80) {
            fprintf(stderr, "tmq_sub: subscription to %.*s refused (0x%02x)\n", (int)subs[i].filter.len,
                    (const char *)subs[i].filter.p, p->u.codes.p[i]);
            cli_finish(&k, 1);
        }
    }
}

static void on_message(tmq_client *c, const tmq_packet *p)
{
    (void)c;
    if (print_topic)
        printf("%.*s ", (int)p->u.publish.topic.len, (const char *)p->u.publish.topic.p);
    fwrite(p->u.publish.payload.p, 1, p->u.publish.payload.len, stdout);
    putchar('\n');
    fflush(stdout);
    if (limit && ++received >= limit)
        cli_finish(&k, 0);
}

int main(int argc, char **argv)
{
    uint8_t qos = 0;
    long wait_s = 0;
    int i;
    uint16_t j;
    for (i = 1; i < argc; i++) {
        int rc = cli_conn_flag(&k, argc, argv, &i);
        if (rc < 0)
            return 2;
        if (rc)
            continue;
        if (!strcmp(argv[i], "-t") && i + 1 < argc && nsubs < MAX_FILTERS) {
            subs[nsubs].filter.p = (const uint8_t *)argv[++i];
            subs[nsubs++].filter.len = (uint32_t)strlen(argv[i]);
        } else if (!strcmp(argv[i], "-q") && i + 1 < argc)
            qos = (uint8_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "-C") && i + 1 < argc)
            limit = atol(argv[++i]);
        else if (!strcmp(argv[i], "-W") && i + 1 < argc)
            wait_s = atol(argv[++i]);
        else if (!strcmp(argv[i], "-v"))
            print_topic = 1;
        else {
            fprintf(stderr, "tmq_sub: unknown or incomplete flag %s\n", argv[i]);
            usage();
            return 2;
        }
    }
    if (!nsubs || qos > 2) {
        fprintf(stderr, "tmq_sub: %s\n", qos > 2 ? "-q takes 0, 1 or 2" : "at least one -t FILTER is required");
        usage();
        return 2;
    }
    for (j = 0; j < nsubs; j++) {
        int rc = tmq_filter_check(subs[j].filter.p, subs[j].filter.len);
        if (rc) {
            fprintf(stderr, "tmq_sub: invalid filter %s: %s\n", (const char *)subs[j].filter.p, tmq_strerror(rc));
            return 2;
        }
        subs[j].opts = qos;
    }
    k.ev.connack = on_connack;
    k.ev.suback = on_suback;
    k.ev.message = on_message;
    if (cli_start(&k))
        return 1;
    return cli_run(&k, (uint32_t)wait_s * 1000u);
}
