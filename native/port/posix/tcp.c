/* tinymqtt POSIX port: the non-blocking TCP transport.
 *
 * A connect goes through three steps, each re-entered by calling the
 * connect op again when the transport's fd is ready:
 *   1. resolving: a numeric host resolves at once (AI_NUMERICHOST); a name
 *      goes to a short-lived detached resolver thread running getaddrinfo.
 *      While it runs, io.fd is the read end of a wake-up eventfd (a pipe
 *      off Linux) that turns readable when the answer is in, so a poll()
 *      based caller needs nothing special to wait for it.
 *   2. connecting: one non-blocking socket per resolved address, in the
 *      resolver's order; io.fd is the socket and io.want_write is set until
 *      the connect completes. A failed address moves on to the next.
 *   3. connected: the address list is freed; send and recv work.
 * The resolver thread and the transport share a small reference-counted
 * job, so closing the transport while a lookup runs is safe: the thread
 * finishes on its own and the last one out frees the job. */
#define _GNU_SOURCE
#include "tinymqtt/posix.h"
#include "tcp_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0   /* BSD and macOS: SO_NOSIGPIPE on the socket instead */
#endif

/* Stack of the resolver thread: getaddrinfo and the NSS modules it loads
 * need some room, but not the default 8 MiB. */
#define TMQ_TCP_RESOLVER_STACK (512u * 1024u)

/* What a resolver thread and its transport share. */
typedef struct tmq_tcp_job {
    pthread_mutex_t mu;
    int refs;              /* 2 while both sides hold it, then 1, then freed */
    int done;              /* the lookup finished (gai and res are set) */
    int cancelled;         /* the transport let go: nobody reads the answer */
    int gai;               /* getaddrinfo's return value */
    struct addrinfo *res;  /* its answer when gai == 0 */
    int rfd, wfd;          /* wake-up: eventfd (rfd == wfd) or pipe */
    char port[8];
    char host[1];          /* the name, allocated to its length */
} tmq_tcp_job;

/* One address to try. */
typedef struct tmq_tcp_addr {
    struct sockaddr_storage sa;
    socklen_t len;
} tmq_tcp_addr;

/* A connect in progress (tmq_tcp.resolve): the lookup, then the addresses. */
struct tmq_tcp_resolve {
    tmq_tcp_job *job;      /* lookup in flight, or NULL */
    tmq_tcp_addr *addrs;
    size_t count, next;    /* addresses, and the next one to try */
    int failed_remote;     /* some address failed on the network (refused, unreachable) */
};

static int tcp_connect(tmq_transport *base, const char *host, uint16_t port);
static int32_t tcp_send(tmq_transport *base, const uint8_t *buf, uint32_t len);
static int32_t tcp_recv(tmq_transport *base, uint8_t *buf, uint32_t len);
int tmq_tcp_set_rcvlowat(tmq_tcp *t, uint32_t bytes)
{
    int mark = bytes == 0 ? 1 : bytes > INT32_MAX ? INT32_MAX : (int)bytes;

    if (t->io.fd < 0 || t->resolve)
        return TMQ_ERR_STATE;
    if (setsockopt(t->io.fd, SOL_SOCKET, SO_RCVLOWAT, &mark, sizeof mark) != 0)
        return TMQ_ERR_IO;
    t->rcvlowat = (uint32_t)mark;
    return TMQ_OK;
}

static void tcp_close(tmq_transport *base);

static const tmq_transport_ops tcp_ops = { tcp_connect, tcp_send, tcp_recv, tcp_close };

/* ---- resolver job ------------------------------------------------------ */

static void job_free(tmq_tcp_job *j)
{
    if (j->res)
        freeaddrinfo(j->res);
    if (j->rfd >= 0)
        close(j->rfd);
    if (j->wfd >= 0 && j->wfd != j->rfd)
        close(j->wfd);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

/* Drops one reference (and, from the transport's side, cancels). */
static void job_release(tmq_tcp_job *j, int cancel)
{
    int last;
    pthread_mutex_lock(&j->mu);
    if (cancel)
        j->cancelled = 1;
    last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (last)
        job_free(j);
}

static void job_wake(tmq_tcp_job *j)
{
    ssize_t n;
#ifdef __linux__
    uint64_t one = 1;
    do n = write(j->wfd, &one, sizeof one); while (n < 0 && errno == EINTR);
#else
    char b = 1;
    do n = write(j->wfd, &b, 1); while (n < 0 && errno == EINTR);
#endif
    (void)n;   /* a full counter or pipe is readable already */
}

static void *resolver_main(void *arg)
{
    tmq_tcp_job *j = arg;
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(j->host, j->port, &hints, &res);

    pthread_mutex_lock(&j->mu);
    j->gai = rc;
    j->res = rc == 0 ? res : NULL;
    j->done = 1;
    if (!j->cancelled)
        job_wake(j);
    pthread_mutex_unlock(&j->mu);
    job_release(j, 0);
    return NULL;
}

#if !defined(__linux__) || !defined(SOCK_NONBLOCK) || !defined(SOCK_CLOEXEC)
static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}
#endif

static int job_open_wake(tmq_tcp_job *j)
{
#ifdef __linux__
    j->rfd = j->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return j->rfd < 0 ? -1 : 0;
#else
    int p[2];
    if (pipe(p) < 0)
        return -1;
    j->rfd = p[0];
    j->wfd = p[1];
    if (set_nonblock_cloexec(p[0]) < 0 || set_nonblock_cloexec(p[1]) < 0)
        return -1;
    return 0;
#endif
}

/* Starts a lookup of host on a detached thread. Returns the job (holding
 * two references) or NULL. */
static tmq_tcp_job *job_start(const char *host, size_t host_len, uint16_t port)
{
    tmq_tcp_job *j = malloc(sizeof *j + host_len);
    pthread_attr_t attr;
    pthread_t tid;
    sigset_t all, old;
    int rc;

    if (!j)
        return NULL;
    memset(j, 0, sizeof *j);
    memcpy(j->host, host, host_len);
    j->host[host_len] = '\0';
    {   /* the port as decimal text */
        char tmp[8];
        int n = 0, k = 0;
        unsigned v = port;
        do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
        while (n)
            j->port[k++] = tmp[--n];
        j->port[k] = '\0';
    }
    j->rfd = j->wfd = -1;
    j->refs = 2;
    if (pthread_mutex_init(&j->mu, NULL) != 0) {
        free(j);
        return NULL;
    }
    if (job_open_wake(j) < 0) {
        job_free(j);
        return NULL;
    }
    if (pthread_attr_init(&attr) != 0) {
        job_free(j);
        return NULL;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, TMQ_TCP_RESOLVER_STACK);
    /* the thread takes no signals: they stay with the application's threads */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&tid, &attr, resolver_main, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* ---- address list and connecting --------------------------------------- */

static void resolve_free(tmq_tcp *t)
{
    struct tmq_tcp_resolve *r = t->resolve;
    if (!r)
        return;
    if (r->job)
        job_release(r->job, 1);
    free(r->addrs);
    free(r);
    t->resolve = NULL;
}

/* Copies the IPv4 and IPv6 addresses of a getaddrinfo answer. Returns 0,
 * or -1 when out of memory. */
static int take_addrinfo(struct tmq_tcp_resolve *r, const struct addrinfo *res)
{
    const struct addrinfo *ai;
    size_t n = 0;

    for (ai = res; ai; ai = ai->ai_next)
        n++;
    r->addrs = calloc(n ? n : 1, sizeof *r->addrs);
    if (!r->addrs)
        return -1;
    r->count = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof r->addrs[0].sa)
            continue;
        memcpy(&r->addrs[r->count].sa, ai->ai_addr, ai->ai_addrlen);
        r->addrs[r->count].len = ai->ai_addrlen;
        r->count++;
    }
    r->next = 0;
    return 0;
}

static void socket_setup(tmq_tcp *t, int fd)
{
    int on = 1;
    t->rcvlowat = 1;   /* a new socket has no mark */
    if (!t->opt.no_nodelay)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
#ifdef SO_NOSIGPIPE
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
}

static int open_socket(int family)
{
    int fd;
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
#else
    fd = socket(family, SOCK_STREAM, IPPROTO_TCP);
    if (fd >= 0 && set_nonblock_cloexec(fd) < 0) {
        close(fd);
        fd = -1;
    }
#endif
    return fd;
}

/* Whether errno after a failed socket() or connect() is a local problem
 * (out of descriptors or memory) rather than this address failing. */
static int local_error(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/* Connect finished (TMQ_OK) or failed for good: drop the address list. */
static int connect_end(tmq_tcp *t, int rc)
{
    resolve_free(t);
    t->io.want_write = 0;
    if (rc != TMQ_OK)
        t->io.fd = -1;
    return rc;
}

/* Starts a connect to the next address; returns TMQ_OK, TMQ_IO_CONNECTING,
 * or an error once every address failed. */
static int try_next(tmq_tcp *t)
{
    struct tmq_tcp_resolve *r = t->resolve;

    while (r->next < r->count) {
        const tmq_tcp_addr *a = &r->addrs[r->next++];
        int fd = open_socket(a->sa.ss_family);
        if (fd < 0) {
            t->last_errno = errno;
            if (!local_error(errno))
                r->failed_remote = 1;   /* e.g. no IPv6 here: this address cannot work */
            continue;
        }
        socket_setup(t, fd);
        if (connect(fd, (const struct sockaddr *)&a->sa, a->len) == 0) {
            t->io.fd = fd;
            return connect_end(t, TMQ_OK);
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            t->io.fd = fd;
            t->io.want_write = 1;
            return TMQ_IO_CONNECTING;
        }
        t->last_errno = errno;
        if (!local_error(errno))
            r->failed_remote = 1;
        close(fd);
    }
    return connect_end(t, r->failed_remote || r->count == 0 ? TMQ_ERR_REFUSED : TMQ_ERR_IO);
}

/* A socket connect is in flight: finished, failed (next address) or not yet. */
static int check_connecting(tmq_tcp *t)
{
    struct pollfd p;
    int err = 0, n;
    socklen_t len = sizeof err;

    p.fd = t->io.fd;
    p.events = POLLOUT;
    p.revents = 0;
    n = poll(&p, 1, 0);
    if (n == 0 || (n < 0 && errno == EINTR))
        return TMQ_IO_CONNECTING;
    if (n < 0)
        err = errno;
    else if (getsockopt(t->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    else if (err == 0 && !(p.revents & POLLOUT))
        err = ECONNREFUSED;   /* hung up without an error code */
    if (err == 0) {
        t->io.want_write = 0;
        return connect_end(t, TMQ_OK);
    }
    close(t->io.fd);
    t->io.fd = -1;
    t->io.want_write = 0;
    t->last_errno = err;
    if (!local_error(err))
        t->resolve->failed_remote = 1;
    return try_next(t);
}

/* The lookup is in flight: collect its answer if it is in. */
static int check_resolving(tmq_tcp *t)
{
    struct tmq_tcp_resolve *r = t->resolve;
    tmq_tcp_job *j = r->job;
    int done, gai, rc;

    pthread_mutex_lock(&j->mu);
    done = j->done;
    pthread_mutex_unlock(&j->mu);
    if (!done)
        return TMQ_IO_CONNECTING;
    /* the thread has written its answer and touches the job no more, except
     * to drop its reference: reading res without the lock is safe now */
    gai = j->gai;
    rc = gai == 0 ? take_addrinfo(r, j->res) : 0;
    r->job = NULL;
    job_release(j, 1);
    t->io.fd = -1;
    if (gai != 0) {
        t->last_gai = gai;
        return connect_end(t, TMQ_ERR_DNS);
    }
    if (rc < 0)
        return connect_end(t, TMQ_ERR_IO);
    if (r->count == 0)
        return connect_end(t, TMQ_ERR_DNS);
    return try_next(t);
}

/* Starts resolving host:port: at once for a numeric address, else on a
 * resolver thread. */
static int start_connect(tmq_tcp *t, const char *host, uint16_t port)
{
    struct tmq_tcp_resolve *r;
    struct addrinfo hints, *res = NULL;
    size_t len;
    char name[64];

    t->last_errno = t->last_gai = 0;
    if (!host || !*host || port == 0)
        return TMQ_ERR_ARG;
    len = strlen(host);
    if (host[0] == '[' && len > 2 && host[len - 1] == ']') {   /* "[::1]" as in a URL */
        host++;
        len -= 2;
    }
    r = calloc(1, sizeof *r);
    if (!r)
        return TMQ_ERR_IO;
    t->resolve = r;

    if (len < sizeof name) {
        memcpy(name, host, len);
        name[len] = '\0';
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_protocol = IPPROTO_TCP;
        hints.ai_flags = AI_NUMERICHOST;
        if (getaddrinfo(name, NULL, &hints, &res) == 0) {
            int rc = take_addrinfo(r, res);
            size_t i;
            freeaddrinfo(res);
            if (rc < 0)
                return connect_end(t, TMQ_ERR_IO);
            for (i = 0; i < r->count; i++) {
                if (r->addrs[i].sa.ss_family == AF_INET)
                    ((struct sockaddr_in *)&r->addrs[i].sa)->sin_port = htons(port);
                else
                    ((struct sockaddr_in6 *)&r->addrs[i].sa)->sin6_port = htons(port);
            }
            return try_next(t);
        }
    }
    r->job = job_start(host, len, port);
    if (!r->job)
        return connect_end(t, TMQ_ERR_IO);
    t->io.fd = r->job->rfd;   /* readable when the answer is in */
    t->io.want_write = 0;
    return TMQ_IO_CONNECTING;
}

/* ---- transport ops ----------------------------------------------------- */

static int tcp_connect(tmq_transport *base, const char *host, uint16_t port)
{
    tmq_tcp *t = (tmq_tcp *)base;
    struct tmq_tcp_resolve *r = t->resolve;

    if (!r)
        return t->io.fd >= 0 ? TMQ_OK : start_connect(t, host, port);
    if (r->job)
        return check_resolving(t);
    if (t->io.fd >= 0)
        return check_connecting(t);
    return try_next(t);
}

static int32_t tcp_send(tmq_transport *base, const uint8_t *buf, uint32_t len)
{
    tmq_tcp *t = (tmq_tcp *)base;
    ssize_t n;

    if (t->io.fd < 0 || t->resolve)
        return TMQ_ERR_CLOSED;
    if (len > INT32_MAX)
        len = INT32_MAX;
    if (len == 0)
        return 0;
    do n = send(t->io.fd, buf, len, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int32_t)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return TMQ_IO_AGAIN;
    t->last_errno = errno;
    t->skip_recv = 0;   /* the client reads what the peer sent before it closed */
    if (errno == EPIPE || errno == ECONNRESET)
        return TMQ_ERR_CLOSED;
    return TMQ_ERR_IO;
}

static int32_t tcp_recv(tmq_transport *base, uint8_t *buf, uint32_t len)
{
    tmq_tcp *t = (tmq_tcp *)base;
    ssize_t n;

    if (t->io.fd < 0 || t->resolve)
        return TMQ_ERR_CLOSED;
    if (len > INT32_MAX)
        len = INT32_MAX;
    if (len == 0 || t->skip_recv) {
        t->skip_recv = 0;
        return TMQ_IO_AGAIN;
    }
    t->recv_calls++;
    do n = recv(t->io.fd, buf, len, 0); while (n < 0 && errno == EINTR);
    if (n > 0) {
        t->received += (uint32_t)n;
        if ((uint32_t)n < len && t->short_read_ends && t->rcvlowat <= 1)
            t->skip_recv = 1;   /* the queue is empty: the poller says when more comes */
        return (int32_t)n;
    }
    if (n == 0)
        return TMQ_ERR_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return TMQ_IO_AGAIN;
    t->last_errno = errno;
    if (errno == ECONNRESET || errno == EPIPE)
        return TMQ_ERR_CLOSED;
    return TMQ_ERR_IO;
}

static void tcp_close(tmq_transport *base)
{
    tmq_tcp *t = (tmq_tcp *)base;

    if (t->resolve && t->resolve->job)
        t->io.fd = -1;   /* the job's wake-up fd: the job closes it */
    resolve_free(t);
    if (t->io.fd >= 0)
        close(t->io.fd);
    t->io.fd = -1;
    t->io.want_write = 0;
}

void tmq_tcp_init(tmq_tcp *t, const tmq_tcp_options *opt)
{
    memset(t, 0, sizeof *t);
    t->io.base.ops = &tcp_ops;
    t->io.fd = -1;
    if (opt)
        t->opt = *opt;
}

int tmq_tcp_connect_addrs(tmq_tcp *t, const struct sockaddr_storage *addrs, size_t count)
{
    struct tmq_tcp_resolve *r;
    size_t i;

    if (t->resolve || t->io.fd >= 0)
        return TMQ_ERR_STATE;
    if (!addrs || count == 0)
        return TMQ_ERR_ARG;
    for (i = 0; i < count; i++)
        if (addrs[i].ss_family != AF_INET && addrs[i].ss_family != AF_INET6)
            return TMQ_ERR_ARG;
    r = calloc(1, sizeof *r);
    if (!r)
        return TMQ_ERR_IO;
    r->addrs = calloc(count, sizeof *r->addrs);
    if (!r->addrs) {
        free(r);
        return TMQ_ERR_IO;
    }
    for (i = 0; i < count; i++) {
        r->addrs[i].sa = addrs[i];
        r->addrs[i].len = addrs[i].ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                        : sizeof(struct sockaddr_in6);
    }
    r->count = count;
    t->resolve = r;
    return try_next(t);
}

size_t tmq_tcp_describe(const tmq_tcp *t, char *buf, size_t size)
{
    const char *name;
    int n = 0;

    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (t->last_gai) {
        name = tmq_posix_gai_name(t->last_gai);
        n = snprintf(buf, size, "getaddrinfo %s (%s)", name ? name : "error", gai_strerror(t->last_gai));
    } else if (t->last_errno) {
        name = tmq_posix_errno_name(t->last_errno);
        n = name ? snprintf(buf, size, "%s (%s)", name, strerror(t->last_errno))
                 : snprintf(buf, size, "errno %d (%s)", t->last_errno, strerror(t->last_errno));
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}
