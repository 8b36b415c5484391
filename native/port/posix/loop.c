/* tinymqtt POSIX port: the event loop.
 *
 * One thread drives many clients. Each round:
 *   1. builds a pollfd array: the wake-up fd (eventfd, or a self-pipe off
 *      Linux) first, then every client's current io->fd (read again every
 *      round, so a client that reconnects on a new socket keeps working),
 *      POLLIN always and POLLOUT while the client has bytes to write or the
 *      transport wants to write (connect in progress, TLS);
 *   2. waits in poll() for at most the nearest client timer;
 *   3. runs the work other threads posted (tmq_loop_post);
 *   4. calls tmq_client_poll for the clients whose fd is ready, whose timer
 *      is due, that were just added, or that are connecting without an fd.
 * Clients may be added and removed from callbacks running inside a round:
 * removal leaves a hole that the next round compacts, additions are
 * appended and polled from the next round on.
 *
 * Posted work does not make the loop poll every client: a client call made
 * from it (publish, subscribe, connect) writes at once when it can, and what
 * is left shows in tmq_client_wants_write / tmq_client_timeout, which the
 * next round reads. With 1,000 clients a round costs one poll() over their
 * fds and one tmq_client_timeout each, plus tmq_client_poll for the few that
 * are ready. */
#define _GNU_SOURCE
#include "tinymqtt/drive.h"
#include "tinymqtt/posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

/* Posted work the queue holds at most (tmq_loop_post fails beyond it). */
#define TMQ_LOOP_QUEUE 4096u

typedef struct loop_work {
    void (*fn)(void *arg);
    void *arg;
} loop_work;

typedef struct loop_entry {
    tmq_client *c;        /* NULL: removed, compacted at the start of the next round */
    tmq_posix_io *io;
    long pidx;            /* this round's pollfd index, -1 if the client had no fd */
    uint32_t deadline;    /* when its timer is due (valid if timer) */
    uint8_t timer;
    uint8_t kick;         /* poll it in the next round whatever its fd says */
    /* read coalescing (tmq_loop_coalesce; tinymqtt/drive.h) */
    tmq_tcp *socket;      /* the client's socket while its reads are coalesced, else NULL */
    tmq_coalesce co;
    uint32_t last_poll;   /* µs: while coalesced, the timer reads at most TMQ_COALESCE_MAX_DELAY_MS after it */
    int fd;               /* the socket co describes */
} loop_entry;

struct tmq_loop {
    int wake_r, wake_w;       /* eventfd (wake_r == wake_w) or pipe */

    pthread_mutex_t mu;       /* guards queue, q_head, q_count, stop */
    loop_work queue[TMQ_LOOP_QUEUE];
    unsigned q_head, q_count;
    int stop;

    /* loop thread only */
    loop_entry *e;
    size_t n, cap;
    size_t holes;             /* removed entries waiting for compaction */
    struct pollfd *pfd;
    size_t pfd_cap;
};

/* ---- wake-up fd -------------------------------------------------------- */

static int wake_open(tmq_loop *loop)
{
#ifdef __linux__
    loop->wake_r = loop->wake_w = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return loop->wake_r < 0 ? -1 : 0;
#else
    int p[2], i;
    if (pipe(p) < 0)
        return -1;
    loop->wake_r = p[0];
    loop->wake_w = p[1];
    for (i = 0; i < 2; i++) {
        int fl = fcntl(p[i], F_GETFL);
        if (fl < 0 || fcntl(p[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(p[i], F_SETFD, FD_CLOEXEC) < 0)
            return -1;
    }
    return 0;
#endif
}

static void wake_signal(tmq_loop *loop)
{
    ssize_t n;
#ifdef __linux__
    uint64_t one = 1;
    do n = write(loop->wake_w, &one, sizeof one); while (n < 0 && errno == EINTR);
#else
    char b = 1;
    do n = write(loop->wake_w, &b, 1); while (n < 0 && errno == EINTR);
#endif
    (void)n;   /* EAGAIN: the fd is readable already, which is all we need */
}

static void wake_drain(tmq_loop *loop)
{
    char buf[64];
    ssize_t n;
    do n = read(loop->wake_r, buf, sizeof buf);
    while (n > 0 || (n < 0 && errno == EINTR));
}

/* ---- lifetime ---------------------------------------------------------- */

tmq_loop *tmq_loop_new(void)
{
    tmq_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->wake_r = loop->wake_w = -1;
    if (pthread_mutex_init(&loop->mu, NULL) != 0) {
        free(loop);
        return NULL;
    }
    if (wake_open(loop) < 0) {
        tmq_loop_free(loop);
        return NULL;
    }
    return loop;
}

void tmq_loop_free(tmq_loop *loop)
{
    if (!loop)
        return;
    if (loop->wake_r >= 0)
        close(loop->wake_r);
    if (loop->wake_w >= 0 && loop->wake_w != loop->wake_r)
        close(loop->wake_w);
    pthread_mutex_destroy(&loop->mu);
    free(loop->e);
    free(loop->pfd);
    free(loop);
}

/* ---- clients ----------------------------------------------------------- */

static long find(const tmq_loop *loop, const tmq_client *c)
{
    size_t i;
    for (i = 0; i < loop->n; i++)
        if (loop->e[i].c == c)
            return (long)i;
    return -1;
}

int tmq_loop_add(tmq_loop *loop, tmq_client *c, tmq_posix_io *io)
{
    loop_entry *e;
    if (!loop || !c || !io || find(loop, c) >= 0)
        return TMQ_ERR_ARG;
    if (loop->n == loop->cap) {
        size_t cap = loop->cap ? loop->cap * 2 : 16;
        loop_entry *grown = realloc(loop->e, cap * sizeof *grown);
        if (!grown)
            return TMQ_ERR_ARG;
        loop->e = grown;
        loop->cap = cap;
    }
    io->loop_slot = (uint32_t)loop->n;
    e = &loop->e[loop->n++];
    memset(e, 0, sizeof *e);
    e->c = c;
    e->io = io;
    e->pidx = -1;
    e->kick = 1;   /* a first poll starts whatever it has to do */
    return TMQ_OK;
}

/* Takes back the low-water mark that e's coalescing set on its socket. */
static void clear_mark(loop_entry *e)
{
    if (e->socket && e->socket->rcvlowat > 1)
        (void)tmq_tcp_set_rcvlowat(e->socket, 1);
}

int tmq_loop_remove(tmq_loop *loop, tmq_client *c)
{
    long i = loop && c ? find(loop, c) : -1;
    if (i < 0)
        return TMQ_ERR_ARG;
    clear_mark(&loop->e[i]);
    loop->e[i].socket = NULL;
    loop->e[i].c = NULL;
    loop->e[i].io = NULL;
    loop->holes++;
    return TMQ_OK;
}

int tmq_loop_kick(tmq_loop *loop, const tmq_posix_io *io)
{
    if (!loop || !io || io->loop_slot >= loop->n || loop->e[io->loop_slot].io != io)
        return TMQ_ERR_ARG;
    loop->e[io->loop_slot].kick = 1;
    return TMQ_OK;
}

int tmq_loop_coalesce(tmq_loop *loop, tmq_client *c, tmq_tcp *socket)
{
    long i = loop && c ? find(loop, c) : -1;
    loop_entry *e;
    if (i < 0)
        return TMQ_ERR_ARG;
    e = &loop->e[i];
    clear_mark(e);   /* the rule starts over without one */
    e->socket = socket;
    tmq_coalesce_reset(&e->co);
    e->fd = socket ? socket->io.fd : -1;
    return TMQ_OK;
}

/* While e's reads are held: the µs left at now_us until its timer read
 * is due (0: due). -1 while they are not held. */
static long hold_left(const loop_entry *e, uint32_t now_us)
{
    uint32_t since = now_us - e->last_poll, delay = TMQ_COALESCE_MAX_DELAY_MS * 1000u;
    if (!e->socket || !tmq_coalesce_on(&e->co))
        return -1;
    return since >= delay ? 0 : (long)(delay - since);
}

/* After a poll of e's client at now_us that read `bytes`, kicked after
 * submitted work or not: feeds the rule and sets the socket's mark from
 * its answer. A new connection (another fd, or a new socket without the
 * mark) starts over. */
static void coalesce_after_poll(loop_entry *e, uint32_t bytes, int by_timer, int submitted, uint32_t now_us)
{
    tmq_tcp *t = e->socket;
    uint32_t mark;
    e->last_poll = now_us;
    if (t->io.fd != e->fd || (tmq_coalesce_mark(&e->co) > 1 && t->rcvlowat <= 1)) {
        tmq_coalesce_reset(&e->co);
        e->fd = t->io.fd;
        return;
    }
    if (t->io.fd < 0 || tmq_client_state(e->c) != TMQ_STATE_READY)
        return;
    mark = tmq_coalesce_after_poll(&e->co, now_us, bytes, by_timer, submitted, e->c->inflight);
    if (mark != t->rcvlowat)
        (void)tmq_tcp_set_rcvlowat(t, mark);
}

static void compact(tmq_loop *loop)
{
    size_t i, k = 0;
    for (i = 0; i < loop->n; i++)
        if (loop->e[i].c) {
            loop->e[i].io->loop_slot = (uint32_t)k;
            loop->e[k++] = loop->e[i];
        }
    loop->n = k;
    loop->holes = 0;
}

/* ---- posted work ------------------------------------------------------- */

int tmq_loop_post(tmq_loop *loop, void (*fn)(void *arg), void *arg)
{
    int first;
    if (!loop || !fn)
        return TMQ_ERR_ARG;
    pthread_mutex_lock(&loop->mu);
    if (loop->q_count == TMQ_LOOP_QUEUE) {
        pthread_mutex_unlock(&loop->mu);
        return TMQ_ERR_QUEUE_FULL;
    }
    loop->queue[(loop->q_head + loop->q_count) % TMQ_LOOP_QUEUE].fn = fn;
    loop->queue[(loop->q_head + loop->q_count) % TMQ_LOOP_QUEUE].arg = arg;
    first = loop->q_count++ == 0;
    pthread_mutex_unlock(&loop->mu);
    if (first)   /* later posts find the loop awake already */
        wake_signal(loop);
    return TMQ_OK;
}

/* Runs what was queued when the round began; work posted meanwhile (also
 * by this work) waits for the next round. One item is taken at a time, so
 * posted work may itself run rounds (tmq_loop_shutdown) without harm. */
static void run_posted(tmq_loop *loop)
{
    unsigned i, n;
    pthread_mutex_lock(&loop->mu);
    n = loop->q_count;
    pthread_mutex_unlock(&loop->mu);
    for (i = 0; i < n; i++) {
        loop_work w;
        pthread_mutex_lock(&loop->mu);
        if (loop->q_count == 0) {
            pthread_mutex_unlock(&loop->mu);
            break;
        }
        w = loop->queue[loop->q_head];
        loop->q_head = (loop->q_head + 1) % TMQ_LOOP_QUEUE;
        loop->q_count--;
        pthread_mutex_unlock(&loop->mu);
        w.fn(w.arg);
    }
}

static int queue_pending(tmq_loop *loop)
{
    int n;
    pthread_mutex_lock(&loop->mu);
    n = loop->q_count != 0;
    pthread_mutex_unlock(&loop->mu);
    return n;
}

/* ---- rounds ------------------------------------------------------------ */

/* A client that is connecting or connected but has no fd (its transport
 * has not started yet) needs a poll to get going. */
static int needs_start(const tmq_client *c)
{
    tmq_state s = tmq_client_state(c);
    return s != TMQ_STATE_DISCONNECTED && s != TMQ_STATE_WAITING_RECONNECT;
}

/* Fills the pollfd array; returns how many entries it used and lowers
 * *wait to the nearest timer. */
static size_t build_pollfds(tmq_loop *loop, uint32_t now, int *wait)
{
    size_t i, np = 1;
    uint32_t us = tmq_now_us();

    loop->pfd[0].fd = loop->wake_r;
    loop->pfd[0].events = POLLIN;
    loop->pfd[0].revents = 0;
    for (i = 0; i < loop->n; i++) {
        loop_entry *e = &loop->e[i];
        uint32_t t = tmq_client_timeout(e->c, now);
        int fd = e->io->fd;
        long left;

        e->pidx = -1;
        if (fd >= 0) {
            struct pollfd *p = &loop->pfd[np];
            p->fd = fd;
            p->events = POLLIN;
            if (e->io->want_write || tmq_client_wants_write(e->c))
                p->events |= POLLOUT;
            p->revents = 0;
            e->pidx = (long)np++;
        } else if (needs_start(e->c)) {
            e->kick = 1;
        }
        e->timer = t != UINT32_MAX;
        if (e->timer) {
            e->deadline = now + t;
            if (*wait < 0 || t < (uint32_t)*wait)
                *wait = t > (uint32_t)INT32_MAX ? INT32_MAX : (int)t;
        }
        left = hold_left(e, us);
        if (left >= 0) {   /* what waits below the mark: read by the timer, in whole ms rounded up */
            int ms = (int)((left + 999) / 1000);
            if (*wait < 0 || ms < *wait)
                *wait = ms;
        }
        if (e->kick)
            *wait = 0;
    }
    return np;
}

static int grow_pollfds(tmq_loop *loop)
{
    if (loop->pfd_cap < loop->n + 1) {
        size_t cap = loop->n + 1 < 16 ? 16 : (loop->n + 1) * 2;
        struct pollfd *p = realloc(loop->pfd, cap * sizeof *p);
        if (!p)
            return -1;
        loop->pfd = p;
        loop->pfd_cap = cap;
    }
    return 0;
}

int tmq_loop_run_once(tmq_loop *loop, int timeout_ms)
{
    size_t np, i, n;
    int wait = timeout_ms < 0 ? -1 : timeout_ms, rc, seen = 1;
    uint32_t now, us;

    if (loop->holes)
        compact(loop);
    if (grow_pollfds(loop) < 0)
        return TMQ_ERR_IO;
    now = tmq_now_ms();
    np = build_pollfds(loop, now, &wait);
    if (queue_pending(loop))
        wait = 0;

    rc = poll(loop->pfd, (nfds_t)np, wait);
    if (rc < 0) {
        if (errno != EINTR)
            return TMQ_ERR_IO;
        seen = 0;   /* revents are not meaningful */
    }
    if (seen && loop->pfd[0].revents)
        wake_drain(loop);
    run_posted(loop);

    now = tmq_now_ms();
    us = tmq_now_us();
    n = loop->n;   /* clients added from here on start next round */
    for (i = 0; i < n; i++) {
        loop_entry *e = &loop->e[i];   /* re-read: callbacks may grow the array */
        int ready = e->kick, kicked = e->kick, by_fd, held;
        uint32_t before;
        if (!e->c)
            continue;
        by_fd = seen && e->pidx >= 0 && loop->pfd[e->pidx].revents;
        held = hold_left(e, us) == 0;
        if (by_fd || held)
            ready = 1;
        if (e->timer && (int32_t)(now - e->deadline) >= 0)
            ready = 1;
        if (!ready)
            continue;
        e->kick = 0;
        before = e->socket ? e->socket->received : 0;
        tmq_client_poll(e->c, now);
        e = &loop->e[i];
        if (e->c && e->socket)   /* a kick follows work submitted from posted work */
            coalesce_after_poll(e, e->socket->received - before, held && !by_fd, kicked, us);
    }
    return TMQ_OK;
}

int tmq_loop_run(tmq_loop *loop)
{
    int rc = TMQ_OK;
    for (;;) {
        int stop;
        pthread_mutex_lock(&loop->mu);
        stop = loop->stop;
        pthread_mutex_unlock(&loop->mu);
        if (stop)
            break;
        rc = tmq_loop_run_once(loop, -1);
        if (rc != TMQ_OK)
            break;
    }
    pthread_mutex_lock(&loop->mu);
    loop->stop = 0;   /* consumed: the loop may run again */
    pthread_mutex_unlock(&loop->mu);
    return rc;
}

void tmq_loop_stop(tmq_loop *loop)
{
    pthread_mutex_lock(&loop->mu);
    loop->stop = 1;
    pthread_mutex_unlock(&loop->mu);
    wake_signal(loop);
}

/* Whether c has let go of its connection. */
static int client_down(const tmq_client *c)
{
    tmq_state s = tmq_client_state(c);
    return s == TMQ_STATE_DISCONNECTED || s == TMQ_STATE_WAITING_RECONNECT;
}

void tmq_loop_shutdown(tmq_loop *loop, uint32_t timeout_ms)
{
    uint32_t start = tmq_now_ms();
    size_t i;

    for (i = 0; i < loop->n; i++) {
        if (!loop->e[i].c)
            continue;
        if (tmq_client_state(loop->e[i].c) != TMQ_STATE_DISCONNECTED)
            tmq_client_disconnect(loop->e[i].c, 0, tmq_now_ms());
        if (i < loop->n && loop->e[i].c)   /* a callback may have removed it */
            loop->e[i].kick = 1;
    }
    for (;;) {
        uint32_t spent = tmq_now_ms() - start;
        int all_down = 1;
        for (i = 0; i < loop->n; i++)
            if (loop->e[i].c && !client_down(loop->e[i].c))
                all_down = 0;
        if (all_down || spent >= timeout_ms)
            break;
        if (tmq_loop_run_once(loop, (int)(timeout_ms - spent > INT32_MAX ? INT32_MAX : timeout_ms - spent)) != TMQ_OK)
            break;
    }
    for (i = 0; i < loop->n; i++)
        if (loop->e[i].c)
            loop->e[i].io->base.ops->close(&loop->e[i].io->base);
}
