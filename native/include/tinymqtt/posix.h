/* tinymqtt POSIX port: TCP transport, monotonic clock, and the event loop
 * that drives many clients on one thread. Lives in native/port/posix, the
 * only engine code (with native/port/mbedtls) allowed POSIX, threads and
 * the heap. */
#ifndef TINYMQTT_POSIX_H
#define TINYMQTT_POSIX_H

#include <stddef.h>
#include <stdint.h>
#include "tinymqtt/client.h"
#include "tinymqtt/port.h"

/* Common head of every POSIX transport: the loop polls `fd` (-1 while there
 * is nothing to wait for) and adds POLLOUT while `want_write` is set (a
 * connect in progress, or TLS needing to write before it can read). fd may
 * change between calls (a reconnect, or tmq_tcp's resolver fd giving way to
 * the socket): pollers read it again every time. */
typedef struct tmq_posix_io {
    tmq_transport base;
    int fd;
    uint8_t want_write;
    uint32_t loop_slot;   /* set by tmq_loop: its entry for this transport */
} tmq_posix_io;

/* TCP transport options; zero means the default. */
typedef struct tmq_tcp_options {
    uint8_t no_nodelay;   /* 1: leave Nagle on (TCP_NODELAY is on by default) */
} tmq_tcp_options;

/* A non-blocking TCP connection. Name resolution never blocks the caller:
 * numeric addresses (also "[::1]") resolve at once, names on a short-lived
 * detached resolver thread; while it runs io.fd is a wake-up fd that turns
 * readable when the answer is in (so poll on io.fd and call connect again,
 * as for any connect in progress). Every resolved address (IPv6 and IPv4,
 * in getaddrinfo's order) is tried in turn until one accepts.
 * connect: TMQ_OK, TMQ_IO_CONNECTING, TMQ_ERR_DNS (the name did not
 *   resolve), TMQ_ERR_REFUSED (every address failed), TMQ_ERR_ARG (no host
 *   or port 0), TMQ_ERR_IO (out of fds, memory or threads).
 * send/recv: bytes, TMQ_IO_AGAIN (EAGAIN), TMQ_ERR_CLOSED (orderly close,
 *   reset or broken pipe, or not connected), TMQ_ERR_IO (any other error).
 *   Never raises SIGPIPE (MSG_NOSIGNAL / SO_NOSIGPIPE).
 * close: closes the socket, abandons a lookup in flight (its thread ends on
 *   its own); connect may be called again. Closing twice is harmless.
 * The struct must stay at one address from connect to close. */
typedef struct tmq_tcp {
    tmq_posix_io io;
    tmq_tcp_options opt;
    uint32_t received;   /* bytes recv returned since init (wraps): drivers pace their reads by it */
    uint32_t recv_calls; /* recv system calls since init (wraps): a driver's diagnostics count them */
    uint8_t skip_recv;   /* set by a driver whose poller would report a readable socket anyway: the
                          * next recv returns TMQ_IO_AGAIN without a system call and clears it */
    uint8_t short_read_ends; /* set by a driver whose poller reports a readable socket as long as
                          * bytes are queued (level-triggered), for one poll of the client: a recv
                          * that returns fewer bytes than asked (the queue is empty) sets skip_recv,
                          * so the engine's next recv makes no system call that would find nothing.
                          * Not while a low-water mark is set (tmq_tcp_set_rcvlowat above 1): then
                          * the poller stays quiet below the mark, and a short read is no sign that
                          * nothing follows at once (reading acknowledges the bytes, and a peer with
                          * Nagle's algorithm on sends what it held back for that acknowledgement
                          * straight away, on loopback before recv even returns), so reads go on
                          * until the socket has nothing. The driver clears both after the poll */
    uint32_t rcvlowat;   /* read-only: the receive low-water mark the socket has (1: none; 0 before the
                          * first socket), set by tmq_tcp_set_rcvlowat, back to 1 on a new socket */
    struct tmq_tcp_resolve *resolve;  /* private: resolution and address list in progress */
    int last_errno;      /* the OS error of the last failure (the last address tried, or send/recv);
                          * 0: none, or the peer closed */
    int last_gai;        /* getaddrinfo's answer when the name did not resolve; 0: none */
} tmq_tcp;

/* Writes a one-line reason for the last failure of t into buf (size bytes,
 * NUL-terminated when size > 0): the OS error by name and text
 * ("ECONNREFUSED (Connection refused)") or the resolver's answer ("getaddrinfo
 * ENOTFOUND (Name or service not known)"). Returns the length (0: nothing to
 * say, e.g. the peer closed). Both are reset by the next connect. */
size_t tmq_tcp_describe(const tmq_tcp *t, char *buf, size_t size);

/* The name of an errno value a connection can fail with ("ECONNREFUSED",
 * "ETIMEDOUT", "EHOSTUNREACH", ...), or NULL for another. Static string. */
const char *tmq_posix_errno_name(int e);

/* The name of a getaddrinfo error as Node gives it ("ENOTFOUND" for
 * EAI_NONAME, "EAI_AGAIN", ...), or NULL for another. Static string. */
const char *tmq_posix_gai_name(int gai);

/* Prepares t (no socket yet); opt may be NULL (defaults) and is copied. */
void tmq_tcp_init(tmq_tcp *t, const tmq_tcp_options *opt);

/* Sets the socket's receive low-water mark (SO_RCVLOWAT): poll reports it
 * readable only once `bytes` are queued (1: any byte, the default), while
 * recv still returns what there is. For drivers that batch the reads of a
 * busy stream; they must read on a timer too, or a quiet stream waits. The
 * mark lasts until the next connect. Returns TMQ_OK, TMQ_ERR_STATE (no
 * connected socket) or TMQ_ERR_IO. */
int tmq_tcp_set_rcvlowat(tmq_tcp *t, uint32_t bytes);

/* Milliseconds from a monotonic clock (wraps after 49 days; the engine
 * compares times by difference). */
uint32_t tmq_now_ms(void);

/* Microseconds from the same clock (wraps after 71 minutes; compared by
 * difference): the times of tinymqtt/drive.h's policies. */
uint32_t tmq_now_us(void);

typedef struct tmq_loop tmq_loop;

/* Creates a loop (heap-allocated, with its wake-up eventfd). NULL on failure. */
tmq_loop *tmq_loop_new(void);

/* Frees a loop that is not running; its clients must have been removed
 * (the loop never frees or closes them). Work still queued is dropped. */
void tmq_loop_free(tmq_loop *loop);

/* Adds client c, whose transport is io, to the loop; it is polled once in
 * the next round whatever its state, then as its fd and timers say. Loop
 * thread only (callbacks and posted work included), or before run. Returns
 * TMQ_OK, or TMQ_ERR_ARG (NULL argument, c already added, out of memory). */
int tmq_loop_add(tmq_loop *loop, tmq_client *c, tmq_posix_io *io);

/* Removes c from the loop (does not close or disconnect it). Loop thread
 * only; safe from callbacks, c is not polled again. Returns TMQ_OK or
 * TMQ_ERR_ARG if c is not in the loop. */
int tmq_loop_remove(tmq_loop *loop, tmq_client *c);

/* Has the client whose transport is io polled in this round when called
 * from posted work (which runs before the clients are polled), else in the
 * next one, whatever its fd says: after submitting from posted work, so what
 * was queued is written at once instead of after another poll(). O(1).
 * Loop thread only. Returns TMQ_OK or TMQ_ERR_ARG if io is not in the loop. */
int tmq_loop_kick(tmq_loop *loop, const tmq_posix_io *io);

/* Coalesces the reads of client c, whose TCP socket is `socket`, by
 * tinymqtt/drive.h's rule (tmq_coalesce): while it receives a busy stream
 * and submits nothing, the loop sets the socket's receive low-water mark
 * and reads it when the mark is reached or TMQ_COALESCE_MAX_DELAY_MS after
 * its previous poll, instead of waking for every packet. NULL stops it.
 * Each call starts the rule over and takes back a mark it set, as does
 * tmq_loop_remove; `socket` must stay valid until then. Work submitted
 * from posted work must be followed by tmq_loop_kick, which also tells
 * the rule that the client waits for a reply. Loop thread only, or before
 * run. Returns TMQ_OK or TMQ_ERR_ARG if c is not in the loop. */
int tmq_loop_coalesce(tmq_loop *loop, tmq_client *c, tmq_tcp *socket);

/* Runs fn(arg) on the loop thread soon (in the next round, in posting
 * order), waking the loop. Safe from any thread. This is how other threads
 * use clients: publish, subscribe, connect, disconnect from inside fn.
 * Returns TMQ_OK, TMQ_ERR_ARG for a NULL fn, or TMQ_ERR_QUEUE_FULL if the
 * posted-work queue (4096 entries) is full. */
int tmq_loop_post(tmq_loop *loop, void (*fn)(void *arg), void *arg);

/* Runs rounds until tmq_loop_stop (a stop requested before run makes it
 * return at once; each stop ends one run). Returns TMQ_OK, or TMQ_ERR_IO if
 * poll fails. */
int tmq_loop_run(tmq_loop *loop);

/* One round: waits up to timeout_ms (-1: no limit; less for a due timer)
 * for sockets or posted work, runs the posted work, then polls the clients
 * whose fd is ready, whose timer is due, or that were just added. For tests
 * and callers with their own outer loop. Returns TMQ_OK or TMQ_ERR_IO. */
int tmq_loop_run_once(tmq_loop *loop, int timeout_ms);

/* Makes tmq_loop_run return after its current round. Safe from any thread. */
void tmq_loop_stop(tmq_loop *loop);

/* Disconnects every client in the loop (tmq_client_disconnect: DISCONNECT
 * written after what is queued, transport closed), running rounds for at
 * most timeout_ms until every client is down; then closes every client's
 * transport, so a client that did not finish in time is cut off (it notices
 * on its next poll). Clients stay in the loop. Loop thread, outside client
 * callbacks: after tmq_loop_run returned, between rounds, or from posted
 * work (then tmq_loop_stop after it to end the run). */
void tmq_loop_shutdown(tmq_loop *loop, uint32_t timeout_ms);

#endif
