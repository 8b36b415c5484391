/* The WebSocket transport over a POSIX one: kernel random bytes, and the
 * poller's view (fd, write interest) kept in step after every call. */
#define _GNU_SOURCE
#include "tinymqtt/ws_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static tmq_ws_posix *of(tmq_transport *t)
{
    return (tmq_ws_posix *)(void *)t;
}

/* Mirrors the lower transport's fd and adds the WebSocket layer's own
 * write interest. */
static void sync_io(tmq_ws_posix *p)
{
    p->io.fd = p->lower->fd;
    p->io.want_write = (uint8_t)(p->lower->want_write || tmq_ws_wants_write(&p->ws));
}

/* Fills buf from the kernel: getrandom, else /dev/urandom (a kernel without
 * getrandom, a seccomp filter refusing it). Should both fail, the clock's
 * nanoseconds stir what is there: masking keys then only vary, as RFC 6455
 * asks of them, without being strong. */
static void refill(uint8_t *buf, size_t size)
{
    size_t got = 0, i;
    int fd;
    while (got < size) {
        ssize_t r = getrandom(buf + got, size - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (errno != EINTR)
            break;
    }
    if (got == size)
        return;
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd >= 0 && got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0 || errno != EINTR)
            break;
    }
    if (fd >= 0)
        close(fd);
    for (i = got; i < size; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        buf[i] = (uint8_t)(buf[i] * 31u + (uint32_t)ts.tv_nsec + i);
    }
}

/* tmq_ws_random_fn: bytes from a pool refilled from the kernel, so a
 * frame's masking key does not cost a system call. */
static void kernel_random(void *ctx, uint8_t *out, uint32_t len)
{
    tmq_ws_posix *p = ctx;
    while (len) {
        uint32_t n;
        if (p->pool_off == sizeof p->pool) {
            refill(p->pool, sizeof p->pool);
            p->pool_off = 0;
        }
        n = (uint32_t)(sizeof p->pool - p->pool_off);
        if (n > len)
            n = len;
        memcpy(out, p->pool + p->pool_off, n);
        memset(p->pool + p->pool_off, 0, n); /* each byte is handed out once */
        p->pool_off = (uint16_t)(p->pool_off + n);
        out += n;
        len -= n;
    }
}

static int posix_connect(tmq_transport *t, const char *host, uint16_t port)
{
    int r = of(t)->ws.base.ops->connect(&of(t)->ws.base, host, port);
    sync_io(of(t));
    return r;
}

static int32_t posix_send(tmq_transport *t, const uint8_t *buf, uint32_t len)
{
    int32_t r = of(t)->ws.base.ops->send(&of(t)->ws.base, buf, len);
    sync_io(of(t));
    return r;
}

static int32_t posix_recv(tmq_transport *t, uint8_t *buf, uint32_t len)
{
    int32_t r = of(t)->ws.base.ops->recv(&of(t)->ws.base, buf, len);
    sync_io(of(t));
    return r;
}

static void posix_close(tmq_transport *t)
{
    of(t)->ws.base.ops->close(&of(t)->ws.base);
    sync_io(of(t));
}

static const tmq_transport_ops ops = {posix_connect, posix_send, posix_recv, posix_close};

int tmq_ws_posix_init(tmq_ws_posix *p, tmq_posix_io *lower, const tmq_ws_config *cfg)
{
    int r;
    if (p == NULL || lower == NULL || cfg == NULL)
        return TMQ_ERR_ARG;
    memset(p, 0, sizeof *p);
    p->io.base.ops = &ops;
    p->lower = lower;
    p->cfg = *cfg;
    p->pool_off = sizeof p->pool;
    if (p->cfg.random == NULL) {
        p->cfg.random = kernel_random;
        p->cfg.random_ctx = p;
    }
    r = tmq_ws_init(&p->ws, &lower->base, &p->cfg);
    sync_io(p);
    return r;
}
