/* The file store (tinymqtt/file_store.h): an append-only log of checksummed
 * records, replayed at open into an index of live messages. */
#define _DEFAULT_SOURCE /* flock, fdatasync */
#include "tinymqtt/file_store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "wire.h" /* the engine's bounded reader (native/src) */

#define MAGIC "TMQSTOR1"
#define MAGIC_LEN 8u
#define HEAD 9u                    /* length, checksum, type */
#define DEFAULT_COMPACT (4u << 20)

enum { REC_MESSAGE = 1, REC_SENDING, REC_RELEASED, REC_DONE, REC_INCOMING, REC_NEXT };

/* A message recorded and not done (live), or done and not yet packed away. */
typedef struct entry {
    uint64_t seq, off;             /* off: where its message record starts */
    uint32_t len;                  /* the message record's length, header included */
    uint16_t id;
    uint8_t released, live;
} entry;

struct tmq_fstore {
    pthread_mutex_t mu;
    int fd;
    char *path;
    tmq_fsync policy;
    uint64_t compact_bytes;
    uint64_t size;                 /* end of the log: where the next record goes */
    uint64_t base;                 /* size after the last compaction (or open) */
    uint64_t next_seq;
    entry *e;                      /* ascending seq */
    uint32_t n, cap, live;
    uint8_t held[65536 / 8];       /* incoming QoS 2 ids */
    int dirty;                     /* BATCH: written since the last sync */
    uint8_t *buf;                  /* one record being built or read */
    size_t buf_cap;
    char err[512];
};

/* ---- bytes ------------------------------------------------------------- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    uint32_t i, k, c;
    for (i = 0; i < 256; i++) {
        c = i;
        for (k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* CRC-32 (IEEE 802.3) continued from crc (0 to start). */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* The checksum of a record in buf whose body is body_len bytes. */
static uint32_t record_crc(const uint8_t *rec, size_t body_len)
{
    return crc32_update(crc32_update(0, rec, 4), rec + 8, 1 + body_len);
}

/* ---- failures ------------------------------------------------------------ */

/* Keeps "<what> <path>: <errno text>" as the last failure; returns TMQ_ERR_STORE. */
static int failed(tmq_fstore *fs, const char *what)
{
    snprintf(fs->err, sizeof fs->err, "%s %s: %s", what, fs->path, strerror(errno));
    return TMQ_ERR_STORE;
}

/* ---- file I/O ------------------------------------------------------------ */

static int write_at(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Reads exactly n bytes at off; -1 at an error or the end of the file. */
static int read_at(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Syncs the directory holding path (after creating or renaming in it). */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int fd, rc;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return -1;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Room for n bytes in fs->buf; NULL (errno ENOMEM) if it cannot grow. */
static uint8_t *room(tmq_fstore *fs, size_t n)
{
    if (n > fs->buf_cap) {
        size_t cap = n < 4096 ? 4096 : n;
        uint8_t *b = realloc(fs->buf, cap);
        if (!b) {
            errno = ENOMEM;
            return NULL;
        }
        fs->buf = b;
        fs->buf_cap = cap;
    }
    return fs->buf;
}

/* Completes the record in fs->buf (type at [8], body after it) and writes
 * it at *off in fd; advances *off. -1 (errno set) on failure. */
static int put_record(tmq_fstore *fs, int fd, uint64_t *off, uint8_t type, size_t body_len)
{
    uint8_t *rec = fs->buf;
    put32(rec, (uint32_t)(1 + body_len));
    rec[8] = type;
    put32(rec + 4, record_crc(rec, body_len));
    if (write_at(fd, rec, HEAD + body_len, *off) < 0)
        return -1;
    *off += HEAD + body_len;
    return 0;
}

/* Appends the record in fs->buf to the log and applies the fsync policy.
 * A record that failed to be written (or synced, with ALWAYS) is cut off
 * again, so the log never holds what the caller was told failed. */
static int append(tmq_fstore *fs, uint8_t type, size_t body_len)
{
    uint64_t at = fs->size;
    int rc;
    /* ALWAYS syncs every record but a completion: nothing is sent on the
     * strength of one, and losing it to a power cut only makes the restart
     * resend a QoS 1 message (allowed) or a QoS 2 PUBREL (harmless); it
     * reaches the disk with the next sync */
    int sync_now = fs->policy == TMQ_FSYNC_ALWAYS && type != REC_DONE;
    if (put_record(fs, fs->fd, &fs->size, type, body_len) < 0)
        rc = failed(fs, "write");
    else if (sync_now && fdatasync(fs->fd) < 0)
        rc = failed(fs, "fdatasync");
    else
        rc = TMQ_OK;
    if (rc != TMQ_OK) {
        fs->size = at;
        if (ftruncate(fs->fd, (off_t)at) < 0) { /* best effort: open cuts a torn record anyway */ }
    } else if (sync_now) {
        fs->dirty = 0;
    } else if (fs->policy != TMQ_FSYNC_NEVER) {
        fs->dirty = 1;
    }
    return rc;
}

/* ---- the index ----------------------------------------------------------- */

/* The live entry for seq, or NULL. */
static entry *find(tmq_fstore *fs, uint64_t seq)
{
    uint32_t lo = 0, hi = fs->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fs->e[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < fs->n && fs->e[lo].seq == seq && fs->e[lo].live ? &fs->e[lo] : NULL;
}

/* Drops the entries of messages done, keeping the order. */
static void pack(tmq_fstore *fs)
{
    uint32_t i, k = 0;
    for (i = 0; i < fs->n; i++)
        if (fs->e[i].live)
            fs->e[k++] = fs->e[i];
    fs->n = k;
}

static int push(tmq_fstore *fs, uint64_t seq, uint64_t off, uint32_t len)
{
    if (fs->n == fs->cap) {
        uint32_t cap = fs->cap ? fs->cap * 2 : 64;
        entry *e = realloc(fs->e, cap * sizeof *e);
        if (!e)
            return -1;
        fs->e = e;
        fs->cap = cap;
    }
    memset(&fs->e[fs->n], 0, sizeof fs->e[0]);
    fs->e[fs->n].seq = seq;
    fs->e[fs->n].off = off;
    fs->e[fs->n].len = len;
    fs->e[fs->n].live = 1;
    fs->n++;
    fs->live++;
    return 0;
}

static void kill(tmq_fstore *fs, entry *e)
{
    e->live = 0;
    fs->live--;
    if (fs->n - fs->live > 64 && fs->n - fs->live > fs->live)
        pack(fs);
}

static int is_held(const tmq_fstore *fs, uint16_t id)
{
    return fs->held[id >> 3] >> (id & 7) & 1;
}

static void set_held(tmq_fstore *fs, uint16_t id, int held)
{
    if (held)
        fs->held[id >> 3] |= (uint8_t)(1u << (id & 7));
    else
        fs->held[id >> 3] &= (uint8_t)~(1u << (id & 7));
}

static int any_held(const tmq_fstore *fs)
{
    size_t i;
    for (i = 0; i < sizeof fs->held; i++)
        if (fs->held[i])
            return 1;
    return 0;
}

/* ---- replay -------------------------------------------------------------- */

/* Record bodies are read with the engine's bounded reader (wire.h): past
 * the end of a body it fails and reads zeros, so a parser reads every field
 * first and checks once. The store's integers are little-endian. */
static uint64_t rd_le(tmq_rd *r, unsigned n)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        v |= (uint64_t)tmq_rd_u8(r) << (8 * i);
    return v;
}

/* A field of the body: its length (n bytes), then its bytes, into *out. */
static void rd_field(tmq_rd *r, unsigned n, tmq_bin *out)
{
    uint64_t len = rd_le(r, n);
    out->p = r->p;
    out->len = (uint32_t)len;
    if (len > tmq_rd_left(r))
        tmq_rd_fail(r, TMQ_ERR_FIELD_LENGTH);
    else
        r->p += len;
}

/* A reader over the len bytes of a record's body. */
static tmq_rd body_reader(const uint8_t *body, uint32_t len)
{
    tmq_rd r;
    r.p = body;
    r.end = body + len;
    r.err = TMQ_OK;
    return r;
}

/* Nonzero when the body was read without overrun and to its last byte. */
static int read_whole(const tmq_rd *r)
{
    return !r->err && !tmq_rd_left(r);
}

/* Reads a REC_MESSAGE body into *m (views into the body): seq, QoS 1-2 |
 * retain << 2, topic, property block, and the payload as the rest. Returns
 * nonzero when it is a valid one. */
static int read_message(tmq_rd *r, tmq_fstore_msg *m)
{
    uint8_t flags;
    memset(m, 0, sizeof *m);
    m->seq = rd_le(r, 8);
    flags = tmq_rd_u8(r);
    m->qos = flags & 3;
    m->retain = flags >> 2 & 1;
    rd_field(r, 2, &m->topic);
    rd_field(r, 4, &m->props);
    tmq_rd_rest(r, &m->payload);
    return !r->err && m->qos && m->qos != 3 && flags <= 7 && m->seq;
}

/* REC_MESSAGE: the record at off (len bytes) becomes a live entry; its
 * fields are read again from the file when asked for (tmq_fstore_message). */
static int replay_message(tmq_fstore *fs, tmq_rd *r, uint64_t off, uint32_t len)
{
    tmq_fstore_msg m;
    if (!read_message(r, &m) || m.seq < fs->next_seq || push(fs, m.seq, off, len) < 0)
        return -1;
    fs->next_seq = m.seq + 1;
    return 0;
}

/* REC_SENDING: seq, the packet id it was sent with (not 0). */
static int replay_sending(tmq_fstore *fs, tmq_rd *r)
{
    uint64_t seq = rd_le(r, 8);
    uint16_t id = (uint16_t)rd_le(r, 2);
    entry *e;
    if (!read_whole(r) || !id)
        return -1;
    if ((e = find(fs, seq)) != NULL)
        e->id = id;
    return 0;
}

/* REC_RELEASED and REC_DONE: seq. */
static int replay_progress(tmq_fstore *fs, tmq_rd *r, uint8_t type)
{
    entry *e = find(fs, rd_le(r, 8));
    if (!read_whole(r))
        return -1;
    if (e && type == REC_RELEASED)
        e->released = 1;
    else if (e)
        kill(fs, e);
    return 0;
}

/* REC_INCOMING: id, held (0/1); id 0 with held 0 releases every id. */
static int replay_incoming(tmq_fstore *fs, tmq_rd *r)
{
    uint16_t id = (uint16_t)rd_le(r, 2);
    uint8_t held = tmq_rd_u8(r);
    if (!read_whole(r) || held > 1 || (!id && held))
        return -1;
    if (id)
        set_held(fs, id, held);
    else
        memset(fs->held, 0, sizeof fs->held);
    return 0;
}

/* REC_NEXT: the sequence number the next message takes, at least. */
static int replay_next(tmq_fstore *fs, tmq_rd *r)
{
    uint64_t next = rd_le(r, 8);
    if (!read_whole(r))
        return -1;
    if (next > fs->next_seq)
        fs->next_seq = next;
    return 0;
}

/* Applies one record read back at open (body of blen bytes, the record at
 * off, len bytes in all). Returns 0, or -1 for a record no correct log
 * holds there (replay stops before it). */
static int apply(tmq_fstore *fs, uint8_t type, const uint8_t *body, uint32_t blen, uint64_t off, uint32_t len)
{
    tmq_rd r = body_reader(body, blen);
    switch (type) {
    case REC_MESSAGE: return replay_message(fs, &r, off, len);
    case REC_SENDING: return replay_sending(fs, &r);
    case REC_RELEASED:
    case REC_DONE: return replay_progress(fs, &r, type);
    case REC_INCOMING: return replay_incoming(fs, &r);
    case REC_NEXT: return replay_next(fs, &r);
    default: return -1;
    }
}

/* Replays the log from after the magic; returns where the valid prefix ends. */
static uint64_t replay(tmq_fstore *fs, uint64_t end)
{
    uint64_t off = MAGIC_LEN;
    while (end - off >= HEAD) {
        uint8_t head[HEAD], *rec;
        uint32_t len;
        if (read_at(fs->fd, head, HEAD, off) < 0)
            break;
        len = get32(head);
        if (len < 1 || len > end - off - 8)
            break;
        rec = room(fs, 8 + (size_t)len);
        if (!rec || read_at(fs->fd, rec, 8 + (size_t)len, off) < 0)
            break;
        if (get32(rec + 4) != record_crc(rec, len - 1) ||
            apply(fs, rec[8], rec + HEAD, len - 1, off, 8 + len) < 0)
            break;
        off += 8 + (uint64_t)len;
    }
    return off;
}

/* Reads the store's file at open: a new (empty, or torn while being created)
 * file gets the magic; an existing one is replayed and cut after its last
 * valid record. Returns 0, or -1 with the reason in why. */
static int load(tmq_fstore *fs, char *why, size_t why_len)
{
    struct stat st;
    uint8_t magic[MAGIC_LEN];
    uint64_t size, end;
    if (fstat(fs->fd, &st) < 0)
        return snprintf(why, why_len, "stat %s: %s", fs->path, strerror(errno)), -1;
    size = (uint64_t)st.st_size;
    if (size && read_at(fs->fd, magic, size < MAGIC_LEN ? (size_t)size : MAGIC_LEN, 0) < 0)
        return snprintf(why, why_len, "read %s: %s", fs->path, strerror(errno)), -1;
    if (memcmp(magic, MAGIC, size < MAGIC_LEN ? (size_t)size : MAGIC_LEN) != 0)
        return snprintf(why, why_len, "%s is not a tinymqtt store", fs->path), -1;
    if (size < MAGIC_LEN) {
        if (write_at(fs->fd, (const uint8_t *)MAGIC, MAGIC_LEN, 0) < 0 ||
            (fs->policy != TMQ_FSYNC_NEVER && (fsync(fs->fd) < 0 || sync_dir(fs->path) < 0)))
            return snprintf(why, why_len, "write %s: %s", fs->path, strerror(errno)), -1;
        fs->size = fs->base = MAGIC_LEN;
        return 0;
    }
    end = replay(fs, size);
    if (end < size && (ftruncate(fs->fd, (off_t)end) < 0 ||
                       (fs->policy != TMQ_FSYNC_NEVER && fdatasync(fs->fd) < 0)))
        return snprintf(why, why_len, "truncate %s: %s", fs->path, strerror(errno)), -1;
    pack(fs);
    fs->size = fs->base = end;
    return 0;
}

tmq_fstore *tmq_fstore_open(const char *path, const tmq_fstore_options *options, char *why, size_t why_len)
{
    tmq_fstore *fs;
    pthread_once(&crc_once, crc_init);
    if (why_len)
        why[0] = 0;
    fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->path = strdup(path))) {
        free(fs);
        snprintf(why, why_len, "open %s: %s", path, strerror(ENOMEM));
        return NULL;
    }
    fs->policy = options ? options->fsync : TMQ_FSYNC_ALWAYS;
    fs->compact_bytes = options && options->compact_bytes ? options->compact_bytes : DEFAULT_COMPACT;
    fs->next_seq = 1;
    pthread_mutex_init(&fs->mu, NULL);
    fs->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fs->fd < 0) {
        snprintf(why, why_len, "open %s: %s", path, strerror(errno));
    } else if (flock(fs->fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(why, why_len, "%s is in use (open in another store object or process: %s)", path, strerror(errno));
    } else if (load(fs, why, why_len) == 0) {
        return fs;
    }
    tmq_fstore_close(fs);
    return NULL;
}

void tmq_fstore_close(tmq_fstore *fs)
{
    if (!fs)
        return;
    if (fs->fd >= 0) {
        if (fs->dirty)
            fdatasync(fs->fd);
        /* unlock before closing: close() drops the lock only with the last
         * reference to the open file, and another process can hold one for
         * a moment (anything reading /proc/<pid>/fd: ps-like monitors,
         * lsof), so a store closed and opened again at once would find its
         * own lock still held and refuse with "is in use" */
        (void)flock(fs->fd, LOCK_UN);
        close(fs->fd);
    }
    pthread_mutex_destroy(&fs->mu);
    free(fs->e);
    free(fs->buf);
    free(fs->path);
    free(fs);
}

/* ---- compaction ------------------------------------------------------------ */

/* Writes the live state into fd from offset 0: the magic, each live message
 * (its record copied) with its id and release, the incoming ids, and last
 * the next sequence number (replay refuses a message numbered below it).
 * Gives each entry's new offset in offs. -1 on failure. */
static int write_live(tmq_fstore *fs, int fd, uint64_t *offs, uint64_t *end)
{
    uint64_t off = MAGIC_LEN;
    uint32_t i;
    if (write_at(fd, (const uint8_t *)MAGIC, MAGIC_LEN, 0) < 0 || !room(fs, HEAD + 10))
        return -1;
    for (i = 0; i < fs->n; i++) {
        const entry *e = &fs->e[i];
        offs[i] = off;
        if (!room(fs, e->len) || read_at(fs->fd, fs->buf, e->len, e->off) < 0 ||
            write_at(fd, fs->buf, e->len, off) < 0)
            return -1;
        off += e->len;
        put64(fs->buf + HEAD, e->seq);
        if (e->id) {
            put16(fs->buf + HEAD + 8, e->id);
            if (put_record(fs, fd, &off, REC_SENDING, 10) < 0)
                return -1;
        }
        if (e->released && put_record(fs, fd, &off, REC_RELEASED, 8) < 0)
            return -1;
    }
    for (i = 1; i < 65536; i++) {
        if (!is_held(fs, (uint16_t)i))
            continue;
        put16(fs->buf + HEAD, (uint16_t)i);
        fs->buf[HEAD + 2] = 1;
        if (put_record(fs, fd, &off, REC_INCOMING, 3) < 0)
            return -1;
    }
    put64(fs->buf + HEAD, fs->next_seq);
    if (put_record(fs, fd, &off, REC_NEXT, 8) < 0)
        return -1;
    *end = off;
    return 0;
}

/* Rewrites the log with only its live records: "<path>.compact" is written,
 * synced, locked and renamed over the log, then the directory synced. On
 * failure the old log stays as it was. */
static int compact(tmq_fstore *fs)
{
    size_t plen = strlen(fs->path);
    char *tmp = malloc(plen + sizeof ".compact");
    uint64_t *offs, end = 0;
    uint32_t i;
    int fd = -1, rc = TMQ_ERR_STORE;
    pack(fs);
    offs = malloc((fs->n ? fs->n : 1) * sizeof *offs);
    if (!tmp || !offs) {
        errno = ENOMEM;
        failed(fs, "compact");
        goto out;
    }
    memcpy(tmp, fs->path, plen);
    memcpy(tmp + plen, ".compact", sizeof ".compact");
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || write_live(fs, fd, offs, &end) < 0 ||
        (fs->policy != TMQ_FSYNC_NEVER && fdatasync(fd) < 0) || rename(tmp, fs->path) < 0) {
        failed(fs, "compact");
        if (fd >= 0)
            unlink(tmp);
        goto out;
    }
    if (fs->policy != TMQ_FSYNC_NEVER && sync_dir(fs->path) < 0)
        failed(fs, "sync the directory of");
    close(fs->fd);
    fs->fd = fd;
    fd = -1;
    for (i = 0; i < fs->n; i++)
        fs->e[i].off = offs[i];
    fs->size = end;
    fs->dirty = 0;
    rc = TMQ_OK;
out:
    if (fd >= 0)
        close(fd);
    fs->base = fs->size; /* a failure waits for as much growth again */
    free(tmp);
    free(offs);
    return rc;
}

/* After a record: compacts once the log has grown enough. A compaction that
 * fails leaves the record where it is, so the write itself still succeeded. */
static int written(tmq_fstore *fs, int rc)
{
    if (rc == TMQ_OK && fs->size - fs->base >= fs->compact_bytes)
        compact(fs);
    pthread_mutex_unlock(&fs->mu);
    return rc;
}

/* ---- recording ------------------------------------------------------------- */

int tmq_fstore_add(tmq_fstore *fs, const tmq_fstore_msg *m, uint64_t *seq)
{
    size_t body = 15 + (size_t)m->topic.len + m->props.len + m->payload.len;
    uint8_t *b;
    uint64_t at;
    int rc;
    if (m->topic.len > 0xFFFFu || body > 0xFFFFFFF0u || m->qos < 1 || m->qos > 2)
        return TMQ_ERR_ARG;
    pthread_mutex_lock(&fs->mu);
    b = room(fs, HEAD + body);
    if (!b)
        return written(fs, failed(fs, "record in"));
    b += HEAD;
    put64(b, fs->next_seq);
    b[8] = (uint8_t)(m->qos | (m->retain ? 4 : 0));
    put16(b + 9, (uint16_t)m->topic.len);
    if (m->topic.len)
        memcpy(b + 11, m->topic.p, m->topic.len);
    b += 11 + m->topic.len;
    put32(b, m->props.len);
    if (m->props.len)
        memcpy(b + 4, m->props.p, m->props.len);
    if (m->payload.len)
        memcpy(b + 4 + m->props.len, m->payload.p, m->payload.len);
    at = fs->size;
    if (push(fs, fs->next_seq, at, (uint32_t)(HEAD + body)) < 0) {
        errno = ENOMEM;
        return written(fs, failed(fs, "index of"));
    }
    rc = append(fs, REC_MESSAGE, body);
    if (rc != TMQ_OK) {
        fs->n--;
        fs->live--;
    } else {
        *seq = fs->next_seq++;
    }
    return written(fs, rc);
}

/* Builds a record about message seq (8 bytes of body, then extra) in fs->buf. */
static uint8_t *seq_body(tmq_fstore *fs, uint64_t seq)
{
    uint8_t *b = room(fs, HEAD + 10);
    if (b)
        put64(b + HEAD, seq);
    return b ? b + HEAD : NULL;
}

int tmq_fstore_sending(tmq_fstore *fs, uint64_t seq, uint16_t id)
{
    entry *e;
    uint8_t *b;
    int rc = TMQ_OK;
    pthread_mutex_lock(&fs->mu);
    e = find(fs, seq);
    if (e && e->id != id) {
        if (!(b = seq_body(fs, seq)))
            return written(fs, failed(fs, "record in"));
        put16(b + 8, id);
        rc = append(fs, REC_SENDING, 10);
        if (rc == TMQ_OK)
            e->id = id;
    }
    return written(fs, rc);
}

/* released and done: a record of just the sequence number. */
static int seq_record(tmq_fstore *fs, uint64_t seq, uint8_t type)
{
    entry *e;
    int rc = TMQ_OK;
    pthread_mutex_lock(&fs->mu);
    e = find(fs, seq);
    if (e && !(type == REC_RELEASED && e->released)) {
        if (!seq_body(fs, seq))
            return written(fs, failed(fs, "record in"));
        rc = append(fs, type, 8);
        if (rc == TMQ_OK && type == REC_RELEASED)
            e->released = 1;
        else if (rc == TMQ_OK)
            kill(fs, e);
    }
    return written(fs, rc);
}

int tmq_fstore_released(tmq_fstore *fs, uint64_t seq)
{
    return seq_record(fs, seq, REC_RELEASED);
}

int tmq_fstore_done(tmq_fstore *fs, uint64_t seq)
{
    return seq_record(fs, seq, REC_DONE);
}

int tmq_fstore_incoming(tmq_fstore *fs, uint16_t id, int held)
{
    uint8_t *b;
    int rc = TMQ_OK;
    held = held ? 1 : 0;
    if (!id && held)
        return TMQ_ERR_ARG;
    pthread_mutex_lock(&fs->mu);
    if (id ? is_held(fs, id) != held : any_held(fs)) {
        if (!(b = room(fs, HEAD + 3)))
            return written(fs, failed(fs, "record in"));
        put16(b + HEAD, id);
        b[HEAD + 2] = (uint8_t)held;
        rc = append(fs, REC_INCOMING, 3);
        if (rc == TMQ_OK && id)
            set_held(fs, id, held);
        else if (rc == TMQ_OK)
            memset(fs->held, 0, sizeof fs->held);
    }
    return written(fs, rc);
}

int tmq_fstore_sync(tmq_fstore *fs)
{
    int fd = -1, rc = TMQ_OK;
    /* the sync itself runs outside the lock (on a duplicate of the file
     * descriptor, which compaction may replace meanwhile), so records can
     * be added while it waits for the disk */
    pthread_mutex_lock(&fs->mu);
    if (fs->dirty) {
        fd = dup(fs->fd);
        if (fd < 0)
            rc = failed(fs, "fdatasync");
        else
            fs->dirty = 0;
    }
    pthread_mutex_unlock(&fs->mu);
    if (fd >= 0 && fdatasync(fd) < 0) {
        pthread_mutex_lock(&fs->mu);
        rc = failed(fs, "fdatasync");
        fs->dirty = 1;
        pthread_mutex_unlock(&fs->mu);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

int tmq_fstore_compact(tmq_fstore *fs)
{
    int rc;
    pthread_mutex_lock(&fs->mu);
    rc = compact(fs);
    pthread_mutex_unlock(&fs->mu);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

uint32_t tmq_fstore_count(tmq_fstore *fs)
{
    uint32_t n;
    pthread_mutex_lock(&fs->mu);
    n = fs->live;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

uint64_t tmq_fstore_next_seq(tmq_fstore *fs)
{
    uint64_t n;
    pthread_mutex_lock(&fs->mu);
    n = fs->next_seq;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

uint64_t tmq_fstore_size(tmq_fstore *fs)
{
    uint64_t n;
    pthread_mutex_lock(&fs->mu);
    n = fs->size;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

int tmq_fstore_message(tmq_fstore *fs, uint32_t i, tmq_fstore_msg *m, uint8_t **buf)
{
    entry e = {0};
    uint8_t *rec = NULL;
    tmq_rd r;
    int rc = TMQ_OK;
    *buf = NULL;
    pthread_mutex_lock(&fs->mu);
    pack(fs);
    if (i >= fs->n) {
        rc = TMQ_ERR_ARG;
    } else {
        e = fs->e[i];
        rec = malloc(e.len);
        if (!rec)
            errno = ENOMEM;
        if (!rec || read_at(fs->fd, rec, e.len, e.off) < 0)
            rc = failed(fs, "read");
    }
    pthread_mutex_unlock(&fs->mu);
    if (rc != TMQ_OK) {
        free(rec);
        return rc;
    }
    /* replay checked the record's fields when it was loaded or written */
    r = body_reader(rec + HEAD, e.len - HEAD);
    read_message(&r, m);
    m->id = e.id;
    m->released = e.released;
    *buf = rec;
    return TMQ_OK;
}

uint32_t tmq_fstore_incoming_ids(tmq_fstore *fs, uint16_t *ids)
{
    uint32_t i, n = 0;
    pthread_mutex_lock(&fs->mu);
    for (i = 1; i < 65536; i++)
        if (is_held(fs, (uint16_t)i))
            ids[n++] = (uint16_t)i;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

void tmq_fstore_describe(tmq_fstore *fs, char *buf, size_t len)
{
    pthread_mutex_lock(&fs->mu);
    snprintf(buf, len, "%s", fs->err);
    pthread_mutex_unlock(&fs->mu);
}

/* ---- the engine link ----------------------------------------------------------- */

static int link_sending(tmq_store *s, const tmq_msg *m)
{
    tmq_fstore_link *l = (tmq_fstore_link *)s;
    uint64_t seq = l->seq_of(m);
    return seq ? tmq_fstore_sending(l->fs, seq, m->id) : TMQ_OK;
}

static int link_released(tmq_store *s, const tmq_msg *m)
{
    tmq_fstore_link *l = (tmq_fstore_link *)s;
    uint64_t seq = l->seq_of(m);
    return seq ? tmq_fstore_released(l->fs, seq) : TMQ_OK;
}

static void link_done(tmq_store *s, const tmq_msg *m)
{
    tmq_fstore_link *l = (tmq_fstore_link *)s;
    uint64_t seq = l->seq_of(m);
    if (seq)
        tmq_fstore_done(l->fs, seq); /* a failure is kept for tmq_fstore_describe */
}

static int link_incoming(tmq_store *s, uint16_t id, int held)
{
    return tmq_fstore_incoming(((tmq_fstore_link *)s)->fs, id, held);
}

static const tmq_store_ops link_ops = {link_sending, link_released, link_done, link_incoming};

void tmq_fstore_link_init(tmq_fstore_link *link, tmq_fstore *fs, uint64_t (*seq_of)(const tmq_msg *msg))
{
    link->base.ops = &link_ops;
    link->fs = fs;
    link->seq_of = seq_of;
}
