/* mosq_bench: the libmosquitto client of the benchmarks (see bench/README.md).
 *
 *   mosq_bench ROLE key=value...
 *
 * Roles and keys are those of bench/roles.mjs, the Node clients' side:
 *   sub   port topic qos size count warmup deadline [cafile]
 *   pub   port topic qos size count warmup window deadline [cafile]
 *   ping  port topic size count warmup deadline
 *   idle  port clients concurrency deadline
 * It prints JSON lines on stdout: {"ready":true} once connected (and
 * subscribed), then one {"result":{...}} with raw figures (nanoseconds, CPU
 * microseconds, bytes); bench/ computes rates from them. Every role stops by
 * itself at its deadline (milliseconds), reporting what it measured. With
 * cafile (a PEM file) a client connects over TLS and verifies the server
 * with that CA. The Node idle role's keys ports and end are not taken here
 * (only the tinymqtt-only case idle100k uses them). */
#define _POSIX_C_SOURCE 200809L
#include <mosquitto.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HOST "127.0.0.1"
#define KEEPALIVE 60

/** The parameters of a run (key=value arguments). */
struct params {
    int port, qos, size, window, clients, concurrency;
    long count, warmup, deadline_ms;
    const char *topic;
    const char *cafile;   /* TLS when set */
};

/** What the callbacks of one measuring client count. */
struct counter {
    const struct params *p;
    bool connected, subscribed;
    long events;          /* messages received (sub, ping) or publishes completed (pub) */
    long bad;             /* messages of the wrong size */
    uint64_t t0_ns, t1_ns, cpu0_us, cpu1_us;
};

static void die(const char *what, int rc)
{
    fprintf(stderr, "mosq_bench: %s: %s\n", what, rc ? mosquitto_strerror(rc) : "failed");
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/** User plus system CPU time of the whole process, in microseconds. */
static uint64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/** The resident set size and its anonymous part (RssAnon: without
 *  file-backed pages such as code), in bytes, from /proc/self/status. */
static void rss_bytes(long *rss, long *anon)
{
    char line[128];
    long kib;
    *rss = *anon = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            *rss = kib * 1024;
        else if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
            *anon = kib * 1024;
    }
    fclose(f);
}

static void parse(struct params *p, int argc, char **argv)
{
    *p = (struct params){ .size = 64, .window = 100, .concurrency = 100, .deadline_ms = 60000, .topic = "bench" };
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) die(argv[i], 0);
        *eq = '\0';
        const char *k = argv[i], *v = eq + 1;
        if (!strcmp(k, "port")) p->port = atoi(v);
        else if (!strcmp(k, "topic")) p->topic = v;
        else if (!strcmp(k, "cafile")) p->cafile = v;
        else if (!strcmp(k, "qos")) p->qos = atoi(v);
        else if (!strcmp(k, "size")) p->size = atoi(v);
        else if (!strcmp(k, "count")) p->count = atol(v);
        else if (!strcmp(k, "warmup")) p->warmup = atol(v);
        else if (!strcmp(k, "window")) p->window = atoi(v);
        else if (!strcmp(k, "clients")) p->clients = atoi(v);
        else if (!strcmp(k, "concurrency")) p->concurrency = atoi(v);
        else if (!strcmp(k, "deadline")) p->deadline_ms = atol(v);
        else die(k, 0);
    }
}

/** Starts the measured interval once `events` reaches warmup, ends it at warmup + count. */
static void mark(struct counter *c)
{
    if (c->events == c->p->warmup) {
        c->t0_ns = now_ns();
        c->cpu0_us = cpu_us();
    }
    if (c->events == c->p->warmup + c->p->count) {
        c->t1_ns = now_ns();
        c->cpu1_us = cpu_us();
    }
}

static void on_connect(struct mosquitto *m, void *user, int rc)
{
    (void)m;
    if (rc) die("connect refused", rc);
    ((struct counter *)user)->connected = true;
}

static void on_subscribe(struct mosquitto *m, void *user, int mid, int n, const int *granted)
{
    (void)m, (void)mid, (void)n, (void)granted;
    ((struct counter *)user)->subscribed = true;
}

static void on_message(struct mosquitto *m, void *user, const struct mosquitto_message *msg)
{
    struct counter *c = user;
    (void)m;
    if (msg->payloadlen != c->p->size)
        c->bad++;
    c->events++;
    mark(c);
}

static void on_publish(struct mosquitto *m, void *user, int mid)
{
    struct counter *c = user;
    (void)m, (void)mid;
    c->events++;
    mark(c);
}

/** A client with this benchmark's settings (MQTT 3.1.1, clean session,
 *  `window` QoS 1/2 messages in flight, TLS verified with `cafile` if set). */
static struct mosquitto *make_client(const struct params *p, void *user, int n)
{
    char id[32];
    snprintf(id, sizeof id, "mosq-%ld-%d", (long)getpid(), n);
    struct mosquitto *m = mosquitto_new(id, true, user);
    if (!m) die("mosquitto_new", 0);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, p->window);
    mosquitto_connect_callback_set(m, on_connect);
    if (p->cafile) {
        int rc = mosquitto_tls_set(m, p->cafile, NULL, NULL, NULL, NULL);
        if (rc) die("tls_set", rc);
    }
    return m;
}

/** Runs the client's loop until *flag is set; false at the deadline. */
static bool loop_until(struct mosquitto *m, const bool *flag, uint64_t deadline)
{
    while (!*flag) {
        if (now_ns() > deadline) return false;
        int rc = mosquitto_loop(m, 100, 1);
        if (rc) die("loop", rc);
    }
    return true;
}

/** A connected measuring client. A subscriber (subscribed before this
 *  returns) counts messages received, a publisher completed publishes. */
static struct mosquitto *open_client(const struct params *p, struct counter *c, uint64_t deadline, bool subscribe)
{
    struct mosquitto *m = make_client(p, c, 0);
    if (subscribe) {
        mosquitto_message_callback_set(m, on_message);
        mosquitto_subscribe_callback_set(m, on_subscribe);
    } else {
        mosquitto_publish_callback_set(m, on_publish);
    }
    int rc = mosquitto_connect(m, HOST, p->port, KEEPALIVE);
    if (rc) die("connect", rc);
    if (!loop_until(m, &c->connected, deadline)) die("no CONNACK before the deadline", 0);
    if (subscribe) {
        rc = mosquitto_subscribe(m, NULL, p->topic, p->qos);
        if (rc) die("subscribe", rc);
        if (!loop_until(m, &c->subscribed, deadline)) die("no SUBACK before the deadline", 0);
    }
    printf("{\"ready\":true}\n");
    fflush(stdout);
    return m;
}

static void print_interval(const struct counter *c, bool done)
{
    bool measured = c->t1_ns != 0;
    printf("{\"result\":{\"count\":%ld,\"ns\":%llu,\"cpuUs\":%llu,\"events\":%ld,\"bad\":%ld,\"timedOut\":%s}}\n",
           measured ? c->p->count : 0, measured ? (unsigned long long)(c->t1_ns - c->t0_ns) : 0ull,
           measured ? (unsigned long long)(c->cpu1_us - c->cpu0_us) : 0ull, c->events, c->bad,
           done ? "false" : "true");
}

/** Receives warmup + count messages; the interval covers the last count. */
static void role_sub(const struct params *p, uint64_t deadline)
{
    struct counter c = { .p = p };
    struct mosquitto *m = open_client(p, &c, deadline, true);
    bool done = false;
    while (!done && now_ns() < deadline) {
        int rc = mosquitto_loop(m, 100, 1);
        if (rc) die("loop", rc);
        done = c.events >= p->warmup + p->count;
    }
    print_interval(&c, done);
    mosquitto_disconnect(m);
}

/** Publishes warmup + count messages keeping at most `window` not yet
 *  completed (QoS 0: written, 1: PUBACK, 2: PUBCOMP). */
static void role_pub(const struct params *p, uint64_t deadline)
{
    struct counter c = { .p = p };
    struct mosquitto *m = open_client(p, &c, deadline, false);
    char *payload = malloc((size_t)p->size);
    if (!payload) die("malloc", 0);
    memset(payload, 'x', (size_t)p->size);
    long total = p->warmup + p->count, sent = 0;
    while (c.events < total && now_ns() < deadline) {
        while (sent < total && sent - c.events < p->window) {
            int rc = mosquitto_publish(m, NULL, p->topic, p->size, payload, p->qos, false);
            if (rc) die("publish", rc);
            sent++;
        }
        if (c.events < total) {
            int rc = mosquitto_loop(m, 100, 1);
            if (rc) die("loop", rc);
        }
    }
    print_interval(&c, c.events >= total);
    mosquitto_disconnect(m);
    free(payload);
}

/** Publishes one QoS 0 message, waits for its echo, and again: warmup +
 *  count round trips; prints the last count in microseconds. */
static void role_ping(const struct params *p, uint64_t deadline)
{
    struct counter c = { .p = p };
    struct mosquitto *m = open_client(p, &c, deadline, true);
    char *payload = calloc(1, (size_t)p->size);
    double *samples = calloc((size_t)p->count + 1, sizeof *samples);
    if (!payload || !samples) die("calloc", 0);
    long round = 0;
    for (; round < p->warmup + p->count && now_ns() < deadline; round++) {
        long before = c.events;
        uint64_t t = now_ns();
        int rc = mosquitto_publish(m, NULL, p->topic, p->size, payload, 0, false);
        if (rc) die("publish", rc);
        while (c.events == before && now_ns() < deadline) {
            rc = mosquitto_loop(m, 100, 1);
            if (rc) die("loop", rc);
        }
        if (round >= p->warmup)
            samples[round - p->warmup] = (double)(now_ns() - t) / 1000.0;
    }
    long n = round > p->warmup ? round - p->warmup : 0;
    printf("{\"result\":{\"samplesUs\":[");
    for (long i = 0; i < n; i++)
        printf("%s%.1f", i ? "," : "", samples[i]);
    printf("],\"timedOut\":%s}}\n", round < p->warmup + p->count ? "true" : "false");
    mosquitto_disconnect(m);
    free(samples);
    free(payload);
}

/** Serves every started client's socket once (poll, then read/write). */
static void serve(struct mosquitto **clients, struct pollfd *fds, int started)
{
    for (int i = 0; i < started; i++) {
        fds[i].fd = mosquitto_socket(clients[i]);
        fds[i].events = (short)(POLLIN | (mosquitto_want_write(clients[i]) ? POLLOUT : 0));
        fds[i].revents = 0;
    }
    if (poll(fds, (nfds_t)started, 100) < 0) die("poll", 0);
    for (int i = 0; i < started; i++) {
        if (fds[i].revents & POLLIN) mosquitto_loop_read(clients[i], 1);
        if (fds[i].revents & POLLOUT) mosquitto_loop_write(clients[i], 1);
    }
}

/** Connects `clients` idle clients (at most `concurrency` waiting for CONNACK
 *  at once) on one thread, after one warm-up client; reports the time and
 *  the RSS before and after. */
static void role_idle(const struct params *p, uint64_t deadline)
{
    struct counter warm = { .p = p };
    open_client(p, &warm, deadline, false);
    struct counter *cs = calloc((size_t)p->clients, sizeof *cs);
    struct mosquitto **clients = calloc((size_t)p->clients, sizeof *clients);
    struct pollfd *fds = calloc((size_t)p->clients, sizeof *fds);
    if (!cs || !clients || !fds) die("calloc", 0);
    long rss0, anon0, rss1, anon1;
    rss_bytes(&rss0, &anon0);
    uint64_t t0 = now_ns();
    int started = 0, connected = 0;
    while (connected < p->clients && now_ns() < deadline) {
        for (; started < p->clients && started - connected < p->concurrency; started++) {
            cs[started].p = p;
            clients[started] = make_client(p, &cs[started], started + 1);
            int rc = mosquitto_connect(clients[started], HOST, p->port, KEEPALIVE);
            if (rc) die("connect", rc);
        }
        serve(clients, fds, started);
        connected = 0;
        for (int i = 0; i < started; i++)
            connected += cs[i].connected;
    }
    uint64_t t1 = now_ns();
    for (uint64_t settle = now_ns() + 500000000u; now_ns() < settle;)
        serve(clients, fds, started);
    rss_bytes(&rss1, &anon1);
    printf("{\"result\":{\"clients\":%d,\"connected\":%d,\"connectNs\":%llu,\"rssBefore\":%ld,\"rssAfter\":%ld,"
           "\"anonBefore\":%ld,\"anonAfter\":%ld,\"timedOut\":%s}}\n",
           p->clients, connected, (unsigned long long)(t1 - t0), rss0, rss1, anon0, anon1,
           connected < p->clients ? "true" : "false");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mosq_bench sub|pub|ping|idle key=value...\n");
        return 2;
    }
    struct params p;
    parse(&p, argc, argv);
    uint64_t deadline = now_ns() + (uint64_t)p.deadline_ms * 1000000u;
    mosquitto_lib_init();
    if (!strcmp(argv[1], "sub")) role_sub(&p, deadline);
    else if (!strcmp(argv[1], "pub")) role_pub(&p, deadline);
    else if (!strcmp(argv[1], "ping")) role_ping(&p, deadline);
    else if (!strcmp(argv[1], "idle")) role_idle(&p, deadline);
    else die(argv[1], 0);
    fflush(stdout);
    _exit(0);   /* the OS closes what is left; tearing down 10,000 clients is not measured */
}
