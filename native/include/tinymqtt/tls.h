/* tinymqtt TLS transport (mbedtls): TLS layered over another POSIX transport,
 * normally a tmq_tcp. Lives in native/port/mbedtls and may use the heap:
 * the mbedtls contexts (certificates, keys, random generator) are allocated
 * by tmq_tls_init and freed by tmq_tls_free; the TLS session and its record
 * buffers (about 33 KB) live from connect to close. One entropy pool and the
 * system CA store are shared process-wide. A tmq_tls is used by one thread
 * at a time; different ones may run on different threads.
 *
 * Usage:
 *     tmq_tcp tcp;  tmq_tls tls;
 *     tmq_tcp_init(&tcp, NULL);
 *     tmq_tls_options o = {0};  o.ca_file = "ca.crt";
 *     if (tmq_tls_init(&tls, &tcp.io, &o) != TMQ_OK) ...;
 *     // hand &tls.io.base to tmq_client_init, &tls.io to tmq_loop_add
 *     ...
 *     tmq_tls_free(&tls);   // closes, then frees the mbedtls contexts
 *
 * Behaviour of the transport operations (tinymqtt/port.h):
 *   connect  brings the lower transport up (TMQ_IO_CONNECTING meanwhile), then
 *            runs the handshake without blocking (TMQ_IO_HANDSHAKING), TMQ_OK
 *            when done. Errors: those of the lower transport; TMQ_ERR_TLS_VERIFY
 *            when the server certificate or its name fails verification (see
 *            tmq_tls_verify_flags); TMQ_ERR_TLS for any other handshake
 *            failure, including the server hanging up during the handshake
 *            (a server refusing our client certificate does that, or sends an
 *            alert). An error sticks until close.
 *   send     encrypts and writes up to len bytes as TLS records of at most
 *            16 KiB. Returns the bytes taken, TMQ_IO_AGAIN, or an error.
 *            After TMQ_IO_AGAIN (or a short count) the record in progress is
 *            already inside mbedtls: the next send must start with the same
 *            bytes that were not reported written (more may follow). This is
 *            what the client's send buffer does anyway. Calls during the
 *            handshake return TMQ_IO_AGAIN.
 *   recv     reads and decrypts records until buf is full or the socket has
 *            nothing more (TMQ_IO_AGAIN when nothing came). Returns
 *            TMQ_ERR_CLOSED on the peer's close_notify or a closed lower
 *            transport (bytes read before it are returned first).
 *            Decrypted bytes are never stranded out of sight of poll: when
 *            recv returns fewer than len bytes, mbedtls holds nothing more
 *            that is ready; when it returns exactly len, call it again (or
 *            check tmq_tls_pending) before waiting on the fd.
 *   close    sends close_notify (best effort, never waits), frees the TLS
 *            session, closes the lower transport. connect may follow.
 * The `io` head mirrors the lower transport: io.fd is its fd, io.want_write is
 * set while it wants writability or TLS has bytes that could not be written.
 *
 * Protocol: TLS 1.2 and newer (mbedtls 2.28 offers 1.2 only), mbedtls's
 * default cipher suites, no renegotiation.
 *
 * Host names: the name checked against the certificate (and sent as SNI) is
 * opt.server_name, or else the host given to connect. When that name is an
 * IPv4 or IPv6 literal no SNI is sent (RFC 6066 forbids it) and the
 * certificate must carry that address as an iPAddress subjectAltName; the
 * common name and DNS names are not considered (RFC 6125). mbedtls 2.28
 * compares only DNS names and the CN, so this check is done by tinymqtt. */
#ifndef TINYMQTT_TLS_H
#define TINYMQTT_TLS_H

#include <stddef.h>
#include <stdint.h>
#include "tinymqtt/posix.h"

/* Server certificate verification. REQUIRED (the default): the handshake
 * fails with TMQ_ERR_TLS_VERIFY unless the chain leads to a trusted CA and the
 * name matches. OPTIONAL: the handshake completes anyway and
 * tmq_tls_verify_flags says what was wrong. NONE: no verification at all
 * (for tests; anyone in the middle can read and change the traffic). */
typedef enum tmq_tls_verify {
    TMQ_TLS_VERIFY_REQUIRED = 0,
    TMQ_TLS_VERIFY_OPTIONAL = 1,
    TMQ_TLS_VERIFY_NONE = 2
} tmq_tls_verify;

/* TLS options; zero (NULL) fields take the default. Everything is read or
 * copied by tmq_tls_init: the struct and its strings need not outlive it.
 *   ca_pem, ca_file: trusted CA certificates as PEM text (NUL-terminated, one
 *       or more certificates) and/or a PEM or DER file; both may be given.
 *       Neither: the system store, the first of the usual bundle files found
 *       (/etc/ssl/certs/ca-certificates.crt and the like), unless verify is
 *       NONE. It is parsed once per process and shared by all connections;
 *       a bundle entry mbedtls cannot parse is skipped.
 *   cert_pem / cert_file, key_pem / key_file: the client certificate (chain)
 *       and its private key, for mutual TLS; give both or neither.
 *   key_password: decrypts an encrypted key. mbedtls 2.28 reads traditional
 *       encrypted PEM ("Proc-Type: 4,ENCRYPTED", AES or 3DES) and PKCS#8 with
 *       3DES, but not PKCS#8 with AES (OpenSSL 3's default): convert such a
 *       key with `openssl rsa|ec -traditional -aes256` or
 *       `openssl pkcs8 -topk8 -v2 des3`.
 *   verify: see tmq_tls_verify.
 *   server_name: name for SNI and host name verification instead of the
 *       connect host (see the header comment for IP literals).
 *   alpn: NULL-terminated list of ALPN protocol names to offer, most
 *       preferred first (e.g. {"mqtt", NULL}); tmq_tls_alpn says which one
 *       the server chose. */
typedef struct tmq_tls_options {
    const char *ca_pem;
    const char *ca_file;
    const char *cert_pem;
    const char *cert_file;
    const char *key_pem;
    const char *key_file;
    const char *key_password;
    const char *server_name;
    const char *const *alpn;
    uint8_t verify;               /* a tmq_tls_verify */
} tmq_tls_options;

/* A TLS connection over `lower`. Treat the fields as private, except `io`
 * (hand &io.base to the client and &io to the loop). */
typedef struct tmq_tls {
    tmq_posix_io io;
    tmq_posix_io *lower;
    struct tmq_tls_state *s;      /* private: the mbedtls contexts (heap) */
    int mbed_err;                 /* private: see tmq_tls_mbedtls_error */
    uint8_t plain;                /* private: see tmq_tls_set_plain */
} tmq_tls;

/* Prepares t to run TLS over lower (which must outlive t and is closed by
 * t's close; t does not free it). Loads the CAs, certificate and key, and
 * seeds the random generator; opt may be NULL (all defaults). Returns TMQ_OK,
 * TMQ_ERR_ARG for an unusable option (a certificate or key that does not
 * parse, a wrong key password, a key not matching the certificate, a
 * certificate without a key, an empty or over-long ALPN name, an unknown
 * verify mode; tmq_tls_mbedtls_error has the mbedtls code), or TMQ_ERR_TLS
 * (out of memory, no entropy). On failure nothing is left allocated and
 * tmq_tls_free(t) is harmless. */
int tmq_tls_init(tmq_tls *t, tmq_posix_io *lower, const tmq_tls_options *opt);

/* With plain set, t passes bytes to and from its lower transport unchanged
 * (no TLS) until it is cleared: for a list of servers mixing mqtt and mqtts,
 * set before each connection. Change it only while t is closed. */
void tmq_tls_set_plain(tmq_tls *t, int plain);

/* Closes the connection if open and frees everything tmq_tls_init
 * allocated. The lower transport is closed, not freed. t may then be
 * initialised again. */
void tmq_tls_free(tmq_tls *t);

/* The mbedtls X.509 verification flags of the last handshake
 * (MBEDTLS_X509_BADCERT_*, e.g. NOT_TRUSTED 0x08, CN_MISMATCH 0x04 -- also
 * for an IP literal not among the IP SANs --, EXPIRED 0x01): 0 when the
 * server certificate verified, and also with verify NONE, where nothing is
 * checked; 0xFFFFFFFF before any certificate was checked. Kept after close
 * until the next connect. */
uint32_t tmq_tls_verify_flags(const tmq_tls *t);

/* The mbedtls error code (negative) behind the last TMQ_ERR_TLS,
 * TMQ_ERR_TLS_VERIFY or TMQ_ERR_ARG from t, or 0. */
int tmq_tls_mbedtls_error(const tmq_tls *t);

/* Writes a one-line, human-readable reason for the last failure into buf
 * (size bytes, always NUL-terminated when size > 0): the failed verification
 * checks when there are any, else mbedtls's text for tmq_tls_mbedtls_error.
 * Returns the length written (0: nothing to say). */
size_t tmq_tls_describe(const tmq_tls *t, char *buf, size_t size);

/* Writes the short reason of the last handshake failure into buf (size
 * bytes, NUL-terminated when size > 0): the failed certificate checks
 * ("unknown CA", "certificate expired", "host name mismatch", ...), the
 * fatal alert the server sent ("handshake alert 40 (handshake_failure) from
 * the server"), or the server hanging up during the handshake. Returns the
 * length (0: none of those). */
size_t tmq_tls_reason(const tmq_tls *t, char *buf, size_t size);

/* The ALPN protocol the server chose in the last handshake (a string owned
 * by t, valid until tmq_tls_free), or NULL when none was offered or chosen. */
const char *tmq_tls_alpn(const tmq_tls *t);

/* Decrypted bytes held inside mbedtls that recv would return without
 * reading the socket, or 1 when it holds none but has records read ahead
 * from the socket that are not decrypted yet (recv reads the socket in
 * blocks and hands mbedtls the records from them); 0 when not connected. */
size_t tmq_tls_pending(const tmq_tls *t);

#endif
