/* tinymqtt TLS transport for devices: mbedtls wrapped around another
 * tinymqtt transport (normally a tmq_lwip_tcp), with no POSIX, no stdio and
 * no heap of its own. The mbedtls contexts live in the caller's
 * tmq_device_tls; what mbedtls allocates (the session and its record
 * buffers) comes from mbedtls's own allocator, which the program sets up
 * (mbedtls_memory_buffer_alloc_init over a static pool on a board without a
 * heap). Entropy comes from the port: the program provides
 * tmq_port_entropy (tinymqtt/entropy.h). The host's TLS transport, with
 * files and the system CA store, is tinymqtt/tls.h.
 *
 * Behaviour of the transport operations (tinymqtt/port.h):
 *   connect  brings the lower transport up (its TMQ_IO_CONNECTING passed on),
 *            then runs the handshake a step per call (TMQ_IO_HANDSHAKING), TMQ_OK
 *            when done. The server's certificate must chain to the CA given
 *            at init and carry the server name given there:
 *            TMQ_ERR_TLS_VERIFY otherwise; TMQ_ERR_TLS for any other handshake
 *            failure.
 *   send     encrypts up to len bytes, one record (at most 4 KiB with the
 *            maximum fragment length the server accepts) per call. Returns
 *            the bytes taken, TMQ_IO_AGAIN, or an error. After TMQ_IO_AGAIN
 *            the record in progress is inside mbedtls: the next send must
 *            start with the same bytes, as the client's send buffer does,
 *            and may offer more; it takes only the record's bytes (the rest
 *            go in the calls after), and answers TMQ_ERR_ARG, changing
 *            nothing, when offered fewer.
 *   recv     decrypts up to len bytes: the count, TMQ_IO_AGAIN, or
 *            TMQ_ERR_CLOSED on the peer's close_notify or a closed lower
 *            transport.
 *   close    sends close_notify (best effort), closes the lower transport;
 *            connect may follow (a new session). */
#ifndef TINYMQTT_DEVICE_TLS_H
#define TINYMQTT_DEVICE_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "tinymqtt/entropy.h"
#include "tinymqtt/port.h"

/* A TLS connection over a lower transport. Fields are private except base
 * (hand &base to tmq_client_init). */
typedef struct tmq_device_tls {
    tmq_transport base;
    tmq_transport *lower;
    uint8_t state;        /* private: see tls.c */
    int mbed_err;         /* the mbedtls error behind the last TMQ_ERR_TLS*, or 0 */
    uint32_t pending;     /* private: length of the record mbedtls holds after TMQ_IO_AGAIN, or 0 */
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} tmq_device_tls;

/* Prepares t (the caller's memory) to run TLS 1.2 over lower, which must
 * outlive it and is closed by t's close. ca_pem is the trusted CA as PEM
 * text, ca_len its length including the terminating NUL (mbedtls parses it
 * once, into memory from its allocator); server_name is the name the
 * server's certificate must carry, also sent as SNI, and must stay valid.
 * Returns TMQ_OK, TMQ_ERR_ARG when the CA does not parse, or TMQ_ERR_TLS
 * when the random generator cannot be seeded or mbedtls has no memory
 * (tmq_device_tls.mbed_err says which); after a failure nothing stays
 * allocated. */
int tmq_device_tls_init(tmq_device_tls *t, tmq_transport *lower, const uint8_t *ca_pem, size_t ca_len,
                        const char *server_name);

/* Closes t if a connection is open or opening (as its close operation does) and gives back what
 * mbedtls allocated for it (the CA, the session, the record buffers). Safe
 * after a failed init and twice; t may be initialised again after it. */
void tmq_device_tls_free(tmq_device_tls *t);

#endif
