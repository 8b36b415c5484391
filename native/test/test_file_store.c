/* The file store (tinymqtt/file_store.h): a log cut at any byte, or with
 * any byte of a record flipped, opens as exactly the records before the
 * damage; compaction keeps exactly the live state; failures name the path;
 * and a client restarted from the file resumes its session. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_fixture.h"
#include "harness.h"
#include "tinymqtt/file_store.h"

static char dir[64], path[96];

/* A fresh directory for this case's store file. */
static void fresh_dir(void)
{
    strcpy(dir, "/tmp/tmq-fstore-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/s.store", dir);
}

static void remove_dir(void)
{
    char p[128];
    unlink(path);
    snprintf(p, sizeof p, "%s.compact", path);
    unlink(p);
    rmdir(dir);
}

static tmq_fstore *open_store(tmq_fsync policy, uint32_t compact_bytes)
{
    char why[256];
    tmq_fstore_options o;
    tmq_fstore *fs;
    o.fsync = policy;
    o.compact_bytes = compact_bytes;
    fs = tmq_fstore_open(path, &o, why, sizeof why);
    if (!fs)
        fprintf(stderr, "  open %s: %s\n", path, why); /* the store's reason, for the failure report */
    return fs;
}

static int add(tmq_fstore *fs, const char *topic, const char *payload, const char *props, uint8_t qos)
{
    tmq_fstore_msg m;
    uint64_t seq = 0;
    memset(&m, 0, sizeof m);
    m.topic.p = (const uint8_t *)topic;
    m.topic.len = (uint32_t)strlen(topic);
    m.payload.p = (const uint8_t *)payload;
    m.payload.len = (uint32_t)strlen(payload);
    m.props.p = (const uint8_t *)props;
    m.props.len = (uint32_t)strlen(props);
    m.qos = qos;
    m.retain = qos == 2;
    return tmq_fstore_add(fs, &m, &seq) == TMQ_OK ? (int)seq : -1;
}

/* Everything the store holds, as text, to compare states. */
static void state_of(tmq_fstore *fs, char *out, size_t len)
{
    uint16_t *ids = malloc(65535 * sizeof *ids);
    uint32_t i, n = tmq_fstore_count(fs), k;
    size_t at = (size_t)snprintf(out, len, "next %lu;", (unsigned long)tmq_fstore_next_seq(fs));
    for (i = 0; i < n; i++) {
        tmq_fstore_msg m;
        uint8_t *buf;
        if (tmq_fstore_message(fs, i, &m, &buf) != TMQ_OK) {
            at += (size_t)snprintf(out + at, len - at, "unreadable;");
            continue;
        }
        at += (size_t)snprintf(out + at, len - at, "%lu q%u r%u id%u rel%u %.*s [%.*s] %.*s;", (unsigned long)m.seq,
                               m.qos, m.retain, m.id, m.released, (int)m.topic.len, (const char *)m.topic.p,
                               (int)m.props.len, (const char *)m.props.p, (int)m.payload.len,
                               (const char *)m.payload.p);
        free(buf);
    }
    k = tmq_fstore_incoming_ids(fs, ids);
    for (i = 0; i < k; i++)
        at += (size_t)snprintf(out + at, len - at, "in %u;", ids[i]);
    free(ids);
}

/* The log of the damage tests: one operation of each kind, and the state
 * and log size after each (a record boundary). */
#define OPS 12
static char states[OPS + 1][1024];
static uint64_t sizes[OPS + 1];
static uint32_t counts[OPS + 1];

static int build_log(void)
{
    tmq_fstore *fs = open_store(TMQ_FSYNC_NEVER, 0);
    int step = 0, a, b, c;
    if (!fs)
        return -1;
#define STEP(op)                                                      \
    do {                                                              \
        if ((op) < 0)                                                 \
            return -1;                                                \
        step++;                                                       \
        state_of(fs, states[step], sizeof states[step]);              \
        sizes[step] = tmq_fstore_size(fs);                            \
        counts[step] = tmq_fstore_count(fs);                          \
    } while (0)
    state_of(fs, states[0], sizeof states[0]);
    sizes[0] = tmq_fstore_size(fs);
    counts[0] = 0;
    STEP(a = add(fs, "t/a", "first", "", 1));
    STEP(b = add(fs, "t/b", "second", "\x03\x00\x01x", 2));
    STEP(tmq_fstore_sending(fs, (uint64_t)a, 10));
    STEP(tmq_fstore_sending(fs, (uint64_t)b, 11));
    STEP(tmq_fstore_released(fs, (uint64_t)b));
    STEP(tmq_fstore_incoming(fs, 5, 1));
    STEP(tmq_fstore_done(fs, (uint64_t)a));
    STEP(c = add(fs, "t/c", "", "", 1));
    STEP(tmq_fstore_incoming(fs, 6, 1));
    STEP(tmq_fstore_incoming(fs, 5, 0));
    STEP(tmq_fstore_sending(fs, (uint64_t)c, 12));
    STEP(tmq_fstore_done(fs, (uint64_t)b));
#undef STEP
    tmq_fstore_close(fs);
    return step == OPS ? 0 : -1;
}

static uint8_t *read_file(size_t *len)
{
    struct stat st;
    uint8_t *bytes;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0)
        abort();
    bytes = malloc((size_t)st.st_size + 1);
    if (read(fd, bytes, (size_t)st.st_size) != st.st_size)
        abort();
    close(fd);
    *len = (size_t)st.st_size;
    return bytes;
}

static void write_file(const uint8_t *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len)
        abort();
    close(fd);
}

/* The last operation whose records all end at or before byte `at`. */
static int ops_before(uint64_t at)
{
    int k = 0;
    while (k < OPS && sizes[k + 1] <= at)
        k++;
    return k;
}

TEST(a_log_cut_at_any_byte_opens_as_the_records_before_the_cut)
{
    size_t len, cut;
    uint8_t *log;
    char got[1024];
    fresh_dir();
    CHECK_EQ(build_log(), 0);
    log = read_file(&len);
    CHECK_EQ(len, sizes[OPS]);
    for (cut = 0; cut <= len; cut++) {
        tmq_fstore *fs;
        int k = ops_before(cut);
        write_file(log, cut);
        fs = open_store(TMQ_FSYNC_ALWAYS, 0);
        CHECK(fs != NULL);
        state_of(fs, got, sizeof got);
        if (strcmp(got, states[k]) != 0) {
            fprintf(stderr, "cut at %zu: got '%s', want '%s'\n", cut, got, states[k]);
            CHECK(0);
        }
        CHECK_EQ(tmq_fstore_size(fs), sizes[k]); /* the torn tail is cut off */
        /* and the store goes on from there */
        CHECK(add(fs, "t/z", "after", "", 1) > 0);
        tmq_fstore_close(fs);
        fs = open_store(TMQ_FSYNC_ALWAYS, 0);
        CHECK(fs != NULL);
        CHECK_EQ(tmq_fstore_count(fs), counts[k] + 1);
        tmq_fstore_close(fs);
    }
    free(log);
    remove_dir();
}

TEST(a_flipped_byte_anywhere_in_a_record_opens_as_the_records_before_it)
{
    size_t len, at;
    uint8_t *log;
    char got[1024], why[256];
    fresh_dir();
    CHECK_EQ(build_log(), 0);
    log = read_file(&len);
    for (at = 0; at < len; at++) {
        tmq_fstore *fs;
        int k = ops_before(at);
        log[at] ^= 0x5A;
        write_file(log, len);
        log[at] ^= 0x5A;
        fs = tmq_fstore_open(path, 0, why, sizeof why);
        if (at < 8) {
            /* the magic: the file is not taken for a store (and not overwritten) */
            CHECK(fs == NULL);
            CHECK(strstr(why, "is not a tinymqtt store") != NULL);
            CHECK(strstr(why, path) != NULL);
            continue;
        }
        CHECK(fs != NULL);
        state_of(fs, got, sizeof got);
        if (strcmp(got, states[k]) != 0) {
            fprintf(stderr, "flip at %zu: got '%s', want '%s'\n", at, got, states[k]);
            CHECK(0);
        }
        tmq_fstore_close(fs);
    }
    free(log);
    remove_dir();
}

TEST(compaction_keeps_exactly_the_live_state)
{
    tmq_fstore *fs;
    char before[4096], after[4096];
    int i, seq[200];
    fresh_dir();
    fs = open_store(TMQ_FSYNC_BATCH, 0);
    CHECK(fs != NULL);
    for (i = 0; i < 200; i++) {
        seq[i] = add(fs, "t/n", i % 2 ? "odd" : "even", "", (uint8_t)(1 + i % 2));
        CHECK(seq[i] > 0);
        CHECK_EQ(tmq_fstore_sending(fs, (uint64_t)seq[i], (uint16_t)(i + 1)), TMQ_OK);
    }
    for (i = 0; i < 200; i++) {
        if (i % 7 == 3)
            CHECK_EQ(tmq_fstore_released(fs, (uint64_t)seq[i]), TMQ_OK);
        else if (i % 7 != 5)
            CHECK_EQ(tmq_fstore_done(fs, (uint64_t)seq[i]), TMQ_OK);
    }
    for (i = 1; i <= 40; i++)
        CHECK_EQ(tmq_fstore_incoming(fs, (uint16_t)i, i % 3 != 0), TMQ_OK);
    CHECK_EQ(tmq_fstore_sync(fs), TMQ_OK);
    state_of(fs, before, sizeof before);
    {
        uint64_t old = tmq_fstore_size(fs);
        CHECK_EQ(tmq_fstore_compact(fs), TMQ_OK);
        CHECK(tmq_fstore_size(fs) < old / 3);
    }
    state_of(fs, after, sizeof after);
    CHECK(strcmp(before, after) == 0);
    CHECK(add(fs, "t/n", "later", "", 1) == 201); /* numbering goes on */
    tmq_fstore_close(fs);
    fs = open_store(TMQ_FSYNC_BATCH, 0);
    CHECK(fs != NULL);
    CHECK_EQ(tmq_fstore_next_seq(fs), 202);
    CHECK_EQ(tmq_fstore_count(fs), 57 + 1);
    tmq_fstore_close(fs);
    remove_dir();
}

TEST(the_log_compacts_itself_past_its_threshold)
{
    tmq_fstore *fs;
    int i;
    char first[512], reopened[512];
    fresh_dir();
    fs = open_store(TMQ_FSYNC_NEVER, 1024);
    CHECK(fs != NULL);
    CHECK(add(fs, "keep", "me", "", 2) == 1);
    CHECK_EQ(tmq_fstore_sending(fs, 1, 77), TMQ_OK);
    for (i = 0; i < 2000; i++) {
        int s = add(fs, "t/n", "a payload of some length", "", 1);
        CHECK(s > 0);
        CHECK_EQ(tmq_fstore_done(fs, (uint64_t)s), TMQ_OK);
        CHECK(tmq_fstore_size(fs) < 2048);
    }
    CHECK_EQ(tmq_fstore_count(fs), 1);
    state_of(fs, first, sizeof first);
    tmq_fstore_close(fs);
    fs = open_store(TMQ_FSYNC_NEVER, 1024);
    CHECK(fs != NULL);
    state_of(fs, reopened, sizeof reopened);
    CHECK(strcmp(first, reopened) == 0);
    CHECK(strstr(reopened, "next 2002;1 q2 r1 id77 rel0 keep [] me;") != NULL);
    tmq_fstore_close(fs);
    remove_dir();
}

TEST(failures_name_the_path)
{
    char why[256];
    tmq_fstore *fs, *again;
    CHECK(tmq_fstore_open("/nonexistent-dir/s.store", 0, why, sizeof why) == NULL);
    CHECK(strstr(why, "open /nonexistent-dir/s.store: No such file or directory") != NULL);
    fresh_dir();
    write_file((const uint8_t *)"hello, world\n", 13);
    CHECK(tmq_fstore_open(path, 0, why, sizeof why) == NULL);
    CHECK(strstr(why, "is not a tinymqtt store") != NULL);
    unlink(path);
    fs = tmq_fstore_open(path, 0, why, sizeof why);
    CHECK(fs != NULL);
    again = tmq_fstore_open(path, 0, why, sizeof why);
    CHECK(again == NULL);
    CHECK(strstr(why, "is in use (open in another store object or process") != NULL);
    tmq_fstore_describe(fs, why, sizeof why);
    CHECK_EQ(why[0], 0);
    tmq_fstore_close(fs);
    remove_dir();
}

/* A process that holds a reference to the store's open file when it is
 * closed (a child forked meanwhile here; anything reading /proc/<pid>/fd,
 * such as a process monitor, does the same for a moment) must not keep the
 * path locked: the store opens again at once. */
TEST(a_store_closed_while_another_process_holds_its_file_opens_again_at_once)
{
    tmq_fstore *fs;
    int p[2];
    pid_t pid;
    char c;
    fresh_dir();
    fs = open_store(TMQ_FSYNC_NEVER, 0);
    CHECK(fs != NULL);
    CHECK(add(fs, "t", "held", "", 1) == 1);
    CHECK_EQ(pipe(p), 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { /* holds the store's file until the pipe closes */
        close(p[1]);
        if (read(p[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(p[0]);
    tmq_fstore_close(fs);
    fs = open_store(TMQ_FSYNC_NEVER, 0);
    close(p[1]);
    waitpid(pid, NULL, 0);
    CHECK(fs != NULL);
    CHECK_EQ(tmq_fstore_count(fs), 1);
    tmq_fstore_close(fs);
    remove_dir();
}

/* ---- a client over the memory pipe, restarted from the file ---- */

static uint64_t seq_of(const tmq_msg *m)
{
    return (uint64_t)(uintptr_t)m->user;
}

TEST(a_client_restarted_from_the_file_completes_its_session)
{
    tmq_fstore *fs;
    tmq_fstore_link link;
    tmq_fstore_msg m;
    uint8_t *buf[2];
    uint16_t ids[4];
    int s1, s2, s3;
    int32_t id1, id2;
    fresh_dir();
    /* first run: three QoS 2 messages; the first gets PUBREC, the second is
     * only sent, the third never leaves the queue; one incoming id held */
    fs = open_store(TMQ_FSYNC_ALWAYS, 0);
    CHECK(fs != NULL);
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.clean = 0;
    F.cfg.max_inflight = 2;
    tmq_fstore_link_init(&link, fs, seq_of);
    tmq_client_set_store(&F.c, &link.base);
    CHECK_EQ(connect_ready(0), 0);
    s1 = add(fs, "t", "one", "", 2);
    s2 = add(fs, "t", "two", "", 2);
    s3 = add(fs, "t", "three", "", 2);
    id1 = publish("t", "one", 2, (void *)(uintptr_t)s1);
    id2 = publish("t", "two", 2, (void *)(uintptr_t)s2);
    publish("t", "three", 2, (void *)(uintptr_t)s3);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    broker_send(TMQ_PUBREC, (uint16_t)id1, 0);
    broker_publish("in", "x", 2, 9, 0);
    poll_at(F.now);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    tmq_fstore_close(fs); /* the process dies here: no done, no disconnect */

    /* second run: what the file gives back */
    fs = open_store(TMQ_FSYNC_ALWAYS, 0);
    CHECK(fs != NULL);
    CHECK_EQ(tmq_fstore_count(fs), 3);
    CHECK_EQ(tmq_fstore_incoming_ids(fs, ids), 1);
    CHECK_EQ(ids[0], 9);
    CHECK_EQ(setup(TMQ_V311), TMQ_OK);
    F.cfg.connect.clean = 0;
    tmq_fstore_link_init(&link, fs, seq_of);
    tmq_client_set_store(&F.c, &link.base);
    CHECK_EQ(tmq_fstore_message(fs, 0, &m, &buf[0]), TMQ_OK);
    CHECK_EQ(m.id, id1);
    CHECK_EQ(m.released, 1);
    CHECK_EQ(tmq_client_restore(&F.c, m.topic, m.payload, m.qos, m.retain, 0, (void *)(uintptr_t)m.seq, m.id,
                                m.released), id1);
    CHECK_EQ(tmq_fstore_message(fs, 1, &m, &buf[1]), TMQ_OK);
    CHECK_EQ(m.id, id2);
    CHECK_EQ(m.released, 0);
    CHECK_EQ(tmq_client_restore(&F.c, m.topic, m.payload, m.qos, m.retain, 0, (void *)(uintptr_t)m.seq, m.id,
                                m.released), id2);
    CHECK_EQ(tmq_client_restore_incoming(&F.c, ids[0]), TMQ_OK);
    CHECK_EQ(connect_ready(1), 0);
    CHECK_EQ(broker_pop(), TMQ_PUBREL);
    CHECK_EQ(F.pkt.id, id1);
    CHECK_EQ(broker_pop(), TMQ_PUBLISH);
    CHECK_EQ(F.pkt.id, id2);
    CHECK_EQ(F.pkt.u.publish.dup, 1);
    CHECK_MEM(F.pkt.u.publish.payload.p, F.pkt.u.publish.payload.len, "two", 3);
    broker_publish("in", "x", 2, 9, 1);
    broker_send(TMQ_PUBCOMP, (uint16_t)id1, 0);
    poll_at(F.now);
    CHECK_EQ(F.messages, 0); /* held across the restart */
    CHECK_EQ(tmq_fstore_count(fs), 2);
    free(buf[0]);
    free(buf[1]);
    tmq_fstore_close(fs);
    remove_dir();
}
