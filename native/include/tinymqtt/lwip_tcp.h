/* tinymqtt TCP transport over lwIP's raw (callback) API, for devices that
 * run lwIP with or without an operating system (NO_SYS=1 is fine: nothing
 * here blocks or locks). Lives in native/port/lwip and keeps the engine's
 * rules: no heap of its own, no stdio, no POSIX. The TCP connection (a
 * tcp_pcb) and the received segments (pbufs) come from lwIP's own pools,
 * sized in the program's lwipopts.h.
 *
 * Every call must come from the context lwIP runs in (the main loop with
 * NO_SYS=1, the tcpip thread otherwise, e.g. through tcpip_callback); the
 * program also drives lwIP itself (its netif input and sys_check_timeouts).
 *
 * Behaviour of the transport operations (tinymqtt/port.h):
 *   connect  host must be a dotted IPv4 address (no DNS: TMQ_ERR_DNS
 *            otherwise). Starts tcp_connect and returns TMQ_IO_CONNECTING
 *            until the handshake is done (TMQ_OK), or TMQ_ERR_REFUSED when
 *            the peer resets it, TMQ_ERR_IO for any other failure (no pcb
 *            free, lwIP out of memory, no route). The client's
 *            connect_timeout_ms bounds the wait.
 *   send     copies up to len bytes into lwIP's send buffer (tcp_write with
 *            TCP_WRITE_FLAG_COPY, at most tcp_sndbuf bytes) and pushes them
 *            out (tcp_output). Returns the bytes taken, TMQ_IO_AGAIN when the
 *            send buffer or lwIP's memory is full (acknowledgements free it),
 *            TMQ_ERR_CLOSED after the peer closed or reset the connection.
 *   recv     copies out what lwIP has delivered, up to len bytes, and opens
 *            the receive window by as much (tcp_recved). Segments wait
 *            inside lwIP's pbufs until read: since the window only opens as
 *            bytes are read, they never exceed TCP_WND. Returns the bytes
 *            read, TMQ_IO_AGAIN, or TMQ_ERR_CLOSED once the peer closed (its
 *            FIN, or a reset) and everything before it was read.
 *   close    closes the connection (tcp_close, tcp_abort when lwIP has no
 *            memory for the FIN) and frees what was not read; connect may
 *            follow. */
#ifndef TINYMQTT_LWIP_TCP_H
#define TINYMQTT_LWIP_TCP_H

#include <stdint.h>
#include "tinymqtt/port.h"

struct tcp_pcb;
struct pbuf;

/* A TCP connection over lwIP. Treat the fields as private except base
 * (hand &base to tmq_client_init, or to a TLS transport as its lower one). */
typedef struct tmq_lwip_tcp {
    tmq_transport base;
    struct tcp_pcb *pcb;   /* lwIP's; NULL when none */
    struct pbuf *rx;       /* received, not yet read: a chain of lwIP's pbufs */
    uint8_t state;         /* private: see tcp.c */
    int8_t lwip_err;       /* the lwIP err_t that ended the connection, or 0 */
    uint32_t reads;        /* recv calls that returned bytes, since init */
} tmq_lwip_tcp;

/* Prepares t (the caller's memory, which must outlive its use) with no
 * connection. Allocates nothing. */
void tmq_lwip_tcp_init(tmq_lwip_tcp *t);

/* Nonzero when recv would return something other than TMQ_IO_AGAIN: bytes
 * are waiting, or the connection has ended. For a main loop deciding
 * whether to sleep. */
int tmq_lwip_tcp_readable(const tmq_lwip_tcp *t);

#endif
