/* tinymqtt: what the engine needs from a platform. Only a byte transport:
 * time is handed in by the caller (tmq_client_poll's now_ms), memory comes
 * from the caller's structs and buffers. */
#ifndef TINYMQTT_PORT_H
#define TINYMQTT_PORT_H

#include <stdint.h>
#include "tinymqtt/error.h"

/* Progress results of transport calls, apart from byte counts and errors. */
enum tmq_io {
    TMQ_IO_AGAIN = -100,       /* would block: call again when the transport is ready */
    TMQ_IO_CONNECTING = -101,  /* connect in progress: the link (TCP, UART, ...) is coming up */
    TMQ_IO_HANDSHAKING = -102  /* connect in progress: the link is up, a TLS handshake is running */
};

typedef struct tmq_transport tmq_transport;

/* A non-blocking byte stream. Every call returns at once.
 *   connect: starts connecting to host:port, or continues a connect already
 *            started. Returns TMQ_OK once bytes can flow, TMQ_IO_CONNECTING or
 *            TMQ_IO_HANDSHAKING while in progress (call again later), or an
 *            error (TMQ_ERR_DNS, TMQ_ERR_REFUSED, TMQ_ERR_TLS, TMQ_ERR_TLS_VERIFY,
 *            TMQ_ERR_IO). host and port may be ignored by links that have
 *            only one peer (a UART).
 *   send:    writes up to len bytes. Returns the number written (may be fewer
 *            than len), TMQ_IO_AGAIN, or an error (TMQ_ERR_CLOSED, TMQ_ERR_IO,
 *            TMQ_ERR_TLS). After an error every later send fails too; the
 *            engine then reads what the peer sent before it closed (recv
 *            until TMQ_IO_AGAIN or an error) and closes.
 *   recv:    reads up to len bytes. Returns the number read (> 0),
 *            TMQ_IO_AGAIN, TMQ_ERR_CLOSED when the peer closed, or an error.
 *   close:   releases the connection; connect may be called again after it.
 * The engine never keeps pointers into buffers across calls. */
typedef struct tmq_transport_ops {
    int (*connect)(tmq_transport *t, const char *host, uint16_t port);
    int32_t (*send)(tmq_transport *t, const uint8_t *buf, uint32_t len);
    int32_t (*recv)(tmq_transport *t, uint8_t *buf, uint32_t len);
    void (*close)(tmq_transport *t);
} tmq_transport_ops;

/* Concrete transports embed this as their first member and point ops at
 * their functions. */
struct tmq_transport {
    const tmq_transport_ops *ops;
};

#endif
