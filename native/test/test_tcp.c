/* The POSIX TCP transport (tmq_tcp): against listening sockets made here and
 * against mosquitto, driven through the transport ops with poll() exactly
 * as the loop drives it. Loopback only. */
#define _GNU_SOURCE
#include "broker.h"
#include "harness.h"
#include "tcp_private.h"
#include "tinymqtt/posix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000   /* upper bound for anything to happen on loopback */

static int op_connect(tmq_tcp *t, const char *host, uint16_t port)
{
    return t->io.base.ops->connect(&t->io.base, host, port);
}

static int32_t op_send(tmq_tcp *t, const void *p, uint32_t n)
{
    return t->io.base.ops->send(&t->io.base, (const uint8_t *)p, n);
}

static int32_t op_recv(tmq_tcp *t, void *p, uint32_t n)
{
    return t->io.base.ops->recv(&t->io.base, (uint8_t *)p, n);
}

static void op_close(tmq_tcp *t)
{
    t->io.base.ops->close(&t->io.base);
}

/* Waits for the transport's fd as the loop would: POLLIN always, POLLOUT
 * while want_write. Returns poll's result (0 on timeout). */
static int wait_io(tmq_tcp *t, int extra_events, int ms)
{
    struct pollfd p;
    if (t->io.fd < 0)
        return -1;
    p.fd = t->io.fd;
    p.events = (short)(POLLIN | (t->io.want_write ? POLLOUT : 0) | extra_events);
    p.revents = 0;
    return poll(&p, 1, ms);
}

/* Calls connect until it is no longer in progress (bounded). */
static int drive_connect(tmq_tcp *t, const char *host, uint16_t port)
{
    int rc = op_connect(t, host, port), rounds = 0;
    while (rc == TMQ_IO_CONNECTING && rounds++ < 1000) {
        if (wait_io(t, 0, WAIT_MS) <= 0)
            return 9999;   /* stuck: no fd, or nothing happened for WAIT_MS */
        rc = op_connect(t, host, port);
    }
    return rc;
}

static int32_t send_all(tmq_tcp *t, const void *p, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        int32_t k = op_send(t, (const uint8_t *)p + done, n - done);
        if (k == TMQ_IO_AGAIN) {
            if (wait_io(t, POLLOUT, WAIT_MS) <= 0)
                return -1;
            continue;
        }
        if (k < 0)
            return k;
        done += (uint32_t)k;
    }
    return (int32_t)done;
}

/* Receives exactly n bytes; returns n or the first error. */
static int32_t recv_exact(tmq_tcp *t, void *p, uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        int32_t k = op_recv(t, (uint8_t *)p + done, n - done);
        if (k == TMQ_IO_AGAIN) {
            if (wait_io(t, 0, WAIT_MS) <= 0)
                return -1;
            continue;
        }
        if (k < 0)
            return k;
        done += (uint32_t)k;
    }
    return (int32_t)done;
}

/* A listening socket on addr (numeric) port (0: any); *port gets the port. */
static int listen_on(const char *addr, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int on = 1, fd;

    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(*port);
        if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
            return -1;
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(*port);
        if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
            return -1;
        len = sizeof *a;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Accepts one connection within WAIT_MS; -1 if none. */
static int accept_one(int lfd)
{
    struct pollfd p;
    struct timeval tv;
    int fd;
    p.fd = lfd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, WAIT_MS) <= 0)
        return -1;
    fd = accept(lfd, NULL, NULL);
    if (fd >= 0) {
        tv.tv_sec = WAIT_MS / 1000;
        tv.tv_usec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    return fd;
}

/* A loopback port with nothing listening on it (bound, read, closed). */
static uint16_t closed_port(const char *addr)
{
    uint16_t port = 0;
    int fd = listen_on(addr, &port);
    if (fd < 0)
        return 0;
    close(fd);
    return port;
}

static int is_socket(int fd)
{
    int type = 0;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

/* One byte exchange each way between the transport and the accepted peer. */
static int exchange(tmq_tcp *t, int peer)
{
    uint8_t buf[16];
    if (send_all(t, "ping!", 5) != 5)
        return -1;
    if (recv(peer, buf, 5, MSG_WAITALL) != 5 || memcmp(buf, "ping!", 5) != 0)
        return -2;
    if (send(peer, "pong", 4, MSG_NOSIGNAL) != 4)
        return -3;
    if (recv_exact(t, buf, 4) != 4 || memcmp(buf, "pong", 4) != 0)
        return -4;
    return 0;
}

/* The family of the address the transport connected from. */
static int local_family(const tmq_tcp *t)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(t->io.fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return ss.ss_family;
}

static int have_ipv6_loopback(void)
{
    uint16_t port = 0;
    int fd = listen_on("::1", &port);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* t connected to a listener of its own on 127.0.0.1 (*lfd): returns the
 * accepted peer's fd, negative on failure. */
static int connected_pair(tmq_tcp *t, int *lfd)
{
    uint16_t port = 0;
    *lfd = listen_on("127.0.0.1", &port);
    if (*lfd < 0)
        return -1;
    tmq_tcp_init(t, NULL);
    if (drive_connect(t, "127.0.0.1", port) != TMQ_OK)
        return -1;
    return accept_one(*lfd);
}

TEST(ipv4_numeric_connect_and_exchange)
{
    tmq_tcp t;
    uint16_t port = 0;
    int lfd = listen_on("127.0.0.1", &port), peer, rc;

    CHECK(lfd >= 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(t.io.fd, -1);
    rc = op_connect(&t, "127.0.0.1", port);
    CHECK(rc == TMQ_OK || rc == TMQ_IO_CONNECTING);
    CHECK(is_socket(t.io.fd));   /* numeric: no resolver, a socket at once */
    if (rc == TMQ_IO_CONNECTING)
        CHECK_EQ(t.io.want_write, 1);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    CHECK_EQ(t.io.want_write, 0);
    CHECK_EQ(op_connect(&t, "127.0.0.1", port), TMQ_OK);   /* connected: stays OK */
    CHECK_EQ(local_family(&t), AF_INET);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    CHECK_EQ(t.io.fd, -1);
    close(peer);
    close(lfd);
}

TEST(ipv6_loopback)
{
    tmq_tcp t;
    uint16_t port = 0;
    int lfd, peer;

    if (!have_ipv6_loopback()) {
        fprintf(stderr, "  this machine has no IPv6 loopback (::1): cannot test IPv6\n");
        CHECK(!"::1 available");
    }
    lfd = listen_on("::1", &port);
    CHECK(lfd >= 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(drive_connect(&t, "::1", port), TMQ_OK);
    CHECK_EQ(local_family(&t), AF_INET6);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    close(peer);

    /* the bracketed form of URLs works too */
    CHECK_EQ(drive_connect(&t, "[::1]", port), TMQ_OK);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    close(peer);
    close(lfd);
}

TEST(localhost_resolves_on_a_thread)
{
    tmq_tcp t;
    uint16_t port = 0, port6;
    int lfd = listen_on("127.0.0.1", &port), lfd6, peer, rc;
    CHECK(lfd >= 0);
    /* localhost may resolve to ::1 first: listen there too when possible */
    port6 = port;
    lfd6 = have_ipv6_loopback() ? listen_on("::1", &port6) : -1;

    tmq_tcp_init(&t, NULL);
    rc = op_connect(&t, "localhost", port);
    CHECK_EQ(rc, TMQ_IO_CONNECTING);   /* a name never resolves in the caller: */
    CHECK(t.io.fd >= 0);
    CHECK(!is_socket(t.io.fd));        /* what it waits on is the resolver's wake-up fd */
    CHECK_EQ(t.io.want_write, 0);
    CHECK_EQ(drive_connect(&t, "localhost", port), TMQ_OK);
    CHECK(is_socket(t.io.fd));
    {
        struct pollfd p[2];
        int n = lfd6 >= 0 ? 2 : 1;
        p[0].fd = lfd;
        p[0].events = POLLIN;
        p[1].fd = lfd6;
        p[1].events = POLLIN;
        CHECK(poll(p, (nfds_t)n, WAIT_MS) > 0);
        peer = accept_one(p[0].revents ? lfd : lfd6);
    }
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    close(peer);
    close(lfd);
    if (lfd6 >= 0)
        close(lfd6);
}

TEST(unresolvable_name_is_dns_error)
{
    tmq_tcp t;
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(op_connect(&t, "nonexistent.invalid", 1883), TMQ_IO_CONNECTING);
    CHECK(t.io.fd >= 0);
    CHECK_EQ(drive_connect(&t, "nonexistent.invalid", 1883), TMQ_ERR_DNS);
    CHECK_EQ(t.io.fd, -1);
    CHECK_EQ(t.io.want_write, 0);
    op_close(&t);
    /* and again: a failed connect leaves the transport reusable */
    CHECK_EQ(drive_connect(&t, "nonexistent.invalid", 1883), TMQ_ERR_DNS);
}

TEST(closed_port_is_refused)
{
    tmq_tcp t;
    uint16_t port = closed_port("127.0.0.1");
    CHECK(port != 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_ERR_REFUSED);
    CHECK_EQ(t.io.fd, -1);
    /* by name too (resolver thread, then the refusal) */
    CHECK_EQ(drive_connect(&t, "localhost", port), TMQ_ERR_REFUSED);
    CHECK_EQ(t.io.fd, -1);
}

TEST(a_failure_is_described_by_its_os_error_or_the_resolver)
{
    tmq_tcp t;
    char why[128];
    uint16_t port = closed_port("127.0.0.1");
    CHECK(port != 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(tmq_tcp_describe(&t, why, sizeof why), 0);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_ERR_REFUSED);
    CHECK_EQ(t.last_errno, ECONNREFUSED);
    CHECK(tmq_tcp_describe(&t, why, sizeof why) > 0);
    CHECK(!strncmp(why, "ECONNREFUSED (", 14));
    CHECK_EQ(drive_connect(&t, "nonexistent.invalid", 1883), TMQ_ERR_DNS);
    CHECK(t.last_gai != 0);
    CHECK_EQ(t.last_errno, 0); /* the next connect starts over */
    tmq_tcp_describe(&t, why, sizeof why);
    CHECK(!strncmp(why, "getaddrinfo ", 12));
    /* a buffer too small still ends in NUL */
    CHECK_EQ(tmq_tcp_describe(&t, why, 5), 4);
    CHECK_EQ(strlen(why), 4);
    op_close(&t);
}

/* The names a connection error is reported by: those only another network
 * could produce are checked here, since the tests reach loopback only. */
TEST(os_and_resolver_errors_have_their_node_names)
{
    CHECK(!strcmp(tmq_posix_errno_name(EHOSTUNREACH), "EHOSTUNREACH"));
    CHECK(!strcmp(tmq_posix_errno_name(ETIMEDOUT), "ETIMEDOUT"));
    CHECK(!strcmp(tmq_posix_errno_name(ENETUNREACH), "ENETUNREACH"));
    CHECK(!strcmp(tmq_posix_errno_name(ECONNRESET), "ECONNRESET"));
    CHECK(tmq_posix_errno_name(0) == NULL);
    CHECK(!strcmp(tmq_posix_gai_name(EAI_NONAME), "ENOTFOUND"));
    CHECK(!strcmp(tmq_posix_gai_name(EAI_AGAIN), "EAI_AGAIN"));
    CHECK(tmq_posix_gai_name(0) == NULL);
}

/* A connect timeout's OS error, made on loopback: the transport reports
 * ETIMEDOUT by name when the kernel gives up (simulated: the name and text
 * come from the same table the real failure uses). */
TEST(describe_names_an_unreachable_host)
{
    tmq_tcp t;
    char why[128];
    tmq_tcp_init(&t, NULL);
    t.last_errno = EHOSTUNREACH;
    tmq_tcp_describe(&t, why, sizeof why);
    CHECK(!strncmp(why, "EHOSTUNREACH (", 14));
    t.last_errno = 12345; /* not one with a name */
    tmq_tcp_describe(&t, why, sizeof why);
    CHECK(!strncmp(why, "errno 12345 (", 13));
}

TEST(every_address_tried_in_turn)
{
    tmq_tcp t;
    struct sockaddr_storage addrs[3];
    struct sockaddr_in *a4;
    struct sockaddr_in6 *a6;
    uint16_t port = 0, dead = closed_port("127.0.0.1"), dead6 = have_ipv6_loopback() ? closed_port("::1") : 1;
    int lfd = listen_on("127.0.0.1", &port), peer;

    CHECK(lfd >= 0 && dead != 0 && dead6 != 0);
    memset(addrs, 0, sizeof addrs);
    a6 = (struct sockaddr_in6 *)&addrs[0];   /* ::1, nothing listening */
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = in6addr_loopback;
    a6->sin6_port = htons(dead6);
    a4 = (struct sockaddr_in *)&addrs[1];    /* 127.0.0.1, nothing listening */
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a4->sin_port = htons(dead);
    a4 = (struct sockaddr_in *)&addrs[2];    /* 127.0.0.1, the listener */
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a4->sin_port = htons(port);

    tmq_tcp_init(&t, NULL);
    {
        int rc = tmq_tcp_connect_addrs(&t, addrs, 3);
        while (rc == TMQ_IO_CONNECTING) {
            CHECK(wait_io(&t, 0, WAIT_MS) > 0);
            rc = op_connect(&t, NULL, 0);
        }
        CHECK_EQ(rc, TMQ_OK);
    }
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    close(peer);

    /* only the refusing ones: refused once all were tried */
    {
        int rc = tmq_tcp_connect_addrs(&t, addrs, 2);
        while (rc == TMQ_IO_CONNECTING) {
            CHECK(wait_io(&t, 0, WAIT_MS) > 0);
            rc = op_connect(&t, NULL, 0);
        }
        CHECK_EQ(rc, TMQ_ERR_REFUSED);
    }
    CHECK_EQ(t.io.fd, -1);
    close(lfd);
}

TEST(peer_close_is_closed_on_recv)
{
    tmq_tcp t;
    int lfd, peer = connected_pair(&t, &lfd);
    uint8_t buf[8];

    CHECK(peer >= 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), TMQ_IO_AGAIN);   /* nothing yet: would block */
    CHECK_EQ(send(peer, "x", 1, 0), 1);
    close(peer);
    CHECK_EQ(recv_exact(&t, buf, 1), 1);   /* data before the FIN still arrives */
    CHECK_EQ(buf[0], 'x');
    CHECK(wait_io(&t, 0, WAIT_MS) > 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), TMQ_ERR_CLOSED);
    op_close(&t);
    close(lfd);
}

TEST(short_read_ends_the_reads_of_a_poll)
{
    tmq_tcp t;
    int lfd, peer = connected_pair(&t, &lfd);
    uint8_t buf[8];

    CHECK(peer >= 0);
    /* without the flag a short read changes nothing: the next recv reads */
    CHECK_EQ(send(peer, "abc", 3, 0), 3);
    CHECK(wait_io(&t, 0, WAIT_MS) > 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), 3);
    CHECK_EQ(t.skip_recv, 0);
    /* with it, a short read makes the next recv TMQ_IO_AGAIN without a
     * system call: bytes that came meanwhile wait for the next poll */
    t.short_read_ends = 1;
    CHECK_EQ(send(peer, "de", 2, 0), 2);
    CHECK(wait_io(&t, 0, WAIT_MS) > 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), 2);
    CHECK_EQ(t.skip_recv, 1);
    CHECK_EQ(send(peer, "fg", 2, 0), 2);
    CHECK(wait_io(&t, 0, WAIT_MS) > 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), TMQ_IO_AGAIN);
    CHECK_EQ(t.skip_recv, 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), 2);
    CHECK_EQ(buf[0], 'f');
    /* a read that fills the buffer may have left bytes: no skip */
    CHECK_EQ(send(peer, "12345678", 8, 0), 8);
    CHECK_EQ(recv_exact(&t, buf, 8), 8);
    CHECK_EQ(t.skip_recv, 0);
    /* under a low-water mark the poller is quiet below it: a short read
     * ends nothing, the next recv reads what came meanwhile */
    CHECK_EQ(tmq_tcp_set_rcvlowat(&t, 4), TMQ_OK);
    CHECK_EQ(send(peer, "hi", 2, 0), 2);
    {   /* poll would not report 2 bytes: try for up to a second */
        int32_t k = TMQ_IO_AGAIN;
        int i;
        for (i = 0; i < 1000 && k == TMQ_IO_AGAIN; i++) {
            k = op_recv(&t, buf, sizeof buf);
            if (k == TMQ_IO_AGAIN)
                usleep(1000);
        }
        CHECK_EQ(k, 2);
    }
    CHECK_EQ(t.skip_recv, 0);
    CHECK_EQ(tmq_tcp_set_rcvlowat(&t, 1), TMQ_OK);
    CHECK_EQ(send(peer, "jk", 2, 0), 2);
    CHECK(wait_io(&t, 0, WAIT_MS) > 0);
    CHECK_EQ(op_recv(&t, buf, sizeof buf), 2);
    CHECK_EQ(t.skip_recv, 1);
    op_close(&t);
    close(peer);
    close(lfd);
}

TEST(nodelay_on_by_default)
{
    tmq_tcp t;
    tmq_tcp_options opt;
    uint16_t port = 0;
    int lfd = listen_on("127.0.0.1", &port), peer, on = -1;
    socklen_t len = sizeof on;

    CHECK(lfd >= 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    CHECK_EQ(getsockopt(t.io.fd, IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
    CHECK(on != 0);
    peer = accept_one(lfd);
    close(peer);
    op_close(&t);

    memset(&opt, 0, sizeof opt);
    opt.no_nodelay = 1;
    tmq_tcp_init(&t, &opt);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    len = sizeof on;
    CHECK_EQ(getsockopt(t.io.fd, IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
    CHECK_EQ(on, 0);
    peer = accept_one(lfd);
    close(peer);
    op_close(&t);
    close(lfd);
}

TEST(no_sigpipe_sending_to_closed_peer)
{
    tmq_tcp t;
    uint16_t port = 0;
    int lfd = listen_on("127.0.0.1", &port), peer, i;
    int32_t rc = 0;
    uint8_t chunk[4096];
    struct linger lg;

    CHECK(lfd >= 0);
    signal(SIGPIPE, SIG_DFL);   /* a SIGPIPE would kill this test */
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    lg.l_onoff = 1;
    lg.l_linger = 0;   /* close with RST: the next sends fail at once */
    setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(peer);
    memset(chunk, 'z', sizeof chunk);
    for (i = 0; i < 1000; i++) {
        rc = op_send(&t, chunk, sizeof chunk);
        if (rc < 0 && rc != TMQ_IO_AGAIN)
            break;
        if (rc == TMQ_IO_AGAIN)
            wait_io(&t, POLLOUT, 100);
    }
    CHECK_EQ(rc, TMQ_ERR_CLOSED);
    CHECK_EQ(op_send(&t, chunk, sizeof chunk), TMQ_ERR_CLOSED);
    op_close(&t);
    close(lfd);
}

TEST(send_would_block_is_again)
{
    tmq_tcp t;
    uint16_t port = 0;
    int lfd = listen_on("127.0.0.1", &port), peer, i, again = 0;
    static uint8_t chunk[65536];

    CHECK(lfd >= 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    for (i = 0; i < 4096 && !again; i++) {   /* the peer never reads: the buffers fill */
        int32_t rc = op_send(&t, chunk, sizeof chunk);
        CHECK(rc > 0 || rc == TMQ_IO_AGAIN);
        again = rc == TMQ_IO_AGAIN;
    }
    CHECK(again);
    op_close(&t);
    close(peer);
    close(lfd);
}

TEST(close_then_reconnect)
{
    tmq_tcp t;
    uint16_t port = 0;
    int lfd = listen_on("127.0.0.1", &port), peer;
    uint8_t b;

    CHECK(lfd >= 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    op_close(&t);
    CHECK_EQ(t.io.fd, -1);
    CHECK_EQ(recv(peer, &b, 1, 0), 0);   /* the peer saw the close */
    close(peer);
    CHECK_EQ(op_send(&t, "x", 1), TMQ_ERR_CLOSED);
    CHECK_EQ(op_recv(&t, &b, 1), TMQ_ERR_CLOSED);
    op_close(&t);   /* closing twice is harmless */

    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    close(peer);

    /* closing while the resolver runs, then connecting again */
    CHECK_EQ(op_connect(&t, "localhost", port), TMQ_IO_CONNECTING);
    op_close(&t);
    CHECK_EQ(t.io.fd, -1);
    CHECK_EQ(drive_connect(&t, "127.0.0.1", port), TMQ_OK);
    peer = accept_one(lfd);
    CHECK(peer >= 0);
    CHECK_EQ(exchange(&t, peer), 0);
    op_close(&t);
    close(peer);
    close(lfd);
}

TEST(bad_arguments)
{
    tmq_tcp t;
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(op_connect(&t, NULL, 1883), TMQ_ERR_ARG);
    CHECK_EQ(op_connect(&t, "", 1883), TMQ_ERR_ARG);
    CHECK_EQ(op_connect(&t, "127.0.0.1", 0), TMQ_ERR_ARG);
    CHECK_EQ(t.io.fd, -1);
    CHECK_EQ(tmq_tcp_connect_addrs(&t, NULL, 0), TMQ_ERR_ARG);
}

/* Raw MQTT through the transport: CONNECT out, CONNACK back. */
static int mqtt_handshake(tmq_tcp *t, const char *host, uint16_t port, const char *id)
{
    tmq_packet pkt, ack;
    uint8_t buf[128];
    int32_t n, need;
    uint32_t have = 0;

    if (drive_connect(t, host, port) != TMQ_OK)
        return -1;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = TMQ_CONNECT;
    pkt.version = TMQ_V311;
    pkt.u.connect.client_id.p = (const uint8_t *)id;
    pkt.u.connect.client_id.len = (uint32_t)strlen(id);
    pkt.u.connect.clean = 1;
    pkt.u.connect.keepalive = 10;
    n = tmq_encode(buf, sizeof buf, &pkt);
    if (n <= 0 || send_all(t, buf, (uint32_t)n) != n)
        return -2;
    while ((need = tmq_frame(buf, have, TMQ_V311)) == 0 || have < (uint32_t)need) {
        int32_t k;
        if (need < 0)
            return -3;
        k = recv_exact(t, buf + have, need > 0 ? (uint32_t)need - have : 1);
        if (k < 0)
            return -4;
        have += (uint32_t)k;
    }
    if (tmq_decode(buf, have, TMQ_V311, &ack) != (int32_t)have || ack.type != TMQ_CONNACK)
        return -5;
    return ack.reason;
}

TEST(mosquitto_connack_through_the_transport)
{
    tmq_broker b;
    tmq_tcp t;
    uint8_t disconnect[2] = { 0xE0, 0x00 };

    CHECK_EQ(tmq_broker_start(&b, TMQ_BROKER_PLAIN), 0);
    tmq_tcp_init(&t, NULL);
    CHECK_EQ(mqtt_handshake(&t, "127.0.0.1", b.port, "tcp-numeric"), 0);
    CHECK_EQ(send_all(&t, disconnect, 2), 2);
    op_close(&t);
    CHECK_EQ(mqtt_handshake(&t, "localhost", b.port, "tcp-by-name"), 0);
    op_close(&t);   /* no DISCONNECT: the broker sees the connection drop */
    CHECK(tmq_broker_log_wait(&b, "Received DISCONNECT from tcp-numeric", 1, 5000));
    CHECK(tmq_broker_log_wait(&b, "New client connected from 127.0.0.1", 2, 5000));
    CHECK(tmq_broker_log_wait(&b, "tcp-by-name closed its connection", 1, 5000));
    tmq_broker_stop(&b);
}
