/* The offline queue's admission rule (tinymqtt/offline.h). */
#include "tinymqtt/offline.h"

/* A message under construction in a caller's buffer. */
typedef struct text {
    char *buf;
    size_t cap, len;
} text;

/* One piece of a message: the text s, or the number n when s is NULL. A
 * refusal is listed as pieces and written by one loop, so the writers are
 * inlined once (a call of each per piece made the WebAssembly engine 3 KB
 * larger). */
typedef struct piece {
    const char *s;
    uint64_t n;
} piece;

/* The pieces of a message under construction. */
typedef struct pieces {
    piece p[10];   /* the most a message has (TMQ_OFFLINE_BYTES's) */
    size_t count;
} pieces;

static void add_text(pieces *m, const char *s)
{
    m->p[m->count++].s = s;
}

static void add_num(pieces *m, uint64_t n)
{
    m->p[m->count].s = NULL;
    m->p[m->count++].n = n;
}

static void put(text *t, const char *s)
{
    for (; *s; s++) {
        if (t->len + 1 < t->cap)
            t->buf[t->len] = *s;
        t->len++;
    }
}

static void put_num(text *t, uint64_t v)
{
    char digits[21];
    size_t n = sizeof digits - 1;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    put(t, digits + n);
}

uint64_t tmq_offline_entry(uint32_t packet)
{
    return (uint64_t)packet + TMQ_OFFLINE_ENTRY_BYTES;
}

int tmq_offline_admit(const tmq_offline_bounds *bounds, uint32_t count, uint64_t bytes, uint8_t qos,
                      uint32_t packet)
{
    uint64_t entry = tmq_offline_entry(packet);
    if (qos == 0 && !bounds->qos0)
        return TMQ_OFFLINE_NO_QOS0;
    if (count >= bounds->count)
        return TMQ_OFFLINE_COUNT;
    if (bytes > bounds->bytes || entry > bounds->bytes - bytes)
        return TMQ_OFFLINE_BYTES;
    return TMQ_OFFLINE_ADMITTED;
}

const char *tmq_offline_code(int verdict)
{
    if (verdict == TMQ_OFFLINE_NO_QOS0)
        return "TMQ_ERR_NOT_CONNECTED";
    if (verdict == TMQ_OFFLINE_COUNT || verdict == TMQ_OFFLINE_BYTES)
        return "TMQ_ERR_QUEUE_FULL";
    return NULL;
}

size_t tmq_offline_refusal(char *buf, size_t cap, int verdict, const tmq_offline_bounds *bounds, uint64_t bytes,
                           uint32_t packet)
{
    pieces m;
    size_t i;
    text t;
    m.count = 0;
    t.buf = buf;
    t.cap = cap;
    t.len = 0;
    if (tmq_offline_code(verdict) != NULL)
        add_text(&m, "publish: not connected, and ");
    if (verdict == TMQ_OFFLINE_NO_QOS0) {
        add_text(&m, "options.queueQoSZero is false");
    } else if (verdict == TMQ_OFFLINE_COUNT) {
        add_text(&m, "the offline queue holds options.queueLimit (");
        add_num(&m, bounds->count);
        add_text(&m, ") messages");
    } else if (verdict == TMQ_OFFLINE_BYTES) {
        add_text(&m, "a ");
        add_num(&m, packet);
        add_text(&m, "-byte PUBLISH (");
        add_num(&m, tmq_offline_entry(packet));
        add_text(&m, " bytes queued) would take the offline queue past options.queueByteLimit (");
        add_num(&m, bounds->bytes);
        add_text(&m, " bytes; ");
        add_num(&m, bytes);
        add_text(&m, " used)");
    }
    for (i = 0; i < m.count; i++) {
        if (m.p[i].s)
            put(&t, m.p[i].s);
        else
            put_num(&t, m.p[i].n);
    }
    if (cap)
        buf[t.len < cap ? t.len : cap - 1] = '\0';
    return t.len < cap ? t.len : (cap ? cap - 1 : 0);
}
