/* TLS transport: mbedtls driven through bio callbacks over a lower
 * tinymqtt transport. See tinymqtt/tls.h for the behaviour.
 *
 * mbedtls 3.x readiness: every call whose signature or name changed between
 * 2.28 and 3.x goes through one of the compat_* helpers below (key parsing
 * and key/cert pair check take an RNG in 3.x, the minimum version call was
 * renamed in 3.2, PSA must be initialised in 3.x, 3.6 checks IP SANs
 * itself). The rest of the file uses calls that are the same in both.
 * Struct fields are not touched except public ones of mbedtls_x509_crt
 * (version, pk, v3_ext), which 3.x keeps public. Compiled and tested
 * against 2.28 only. */
#define _POSIX_C_SOURCE 200809L

#include "tinymqtt/tls.h"

#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/version.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define TMQ_MBEDTLS3 1
#include <psa/crypto.h>
#else
#define TMQ_MBEDTLS3 0
#endif

/* Connection progress. ST_WFAILED: open, but a send failed in the lower
 * transport: sends fail with err, reading goes on (what the server sent
 * before it closed is still read) until it fails too. */
enum { ST_IDLE = 0, ST_LOWER, ST_HANDSHAKE, ST_OPEN, ST_WFAILED, ST_FAILED };

struct tmq_tls_state {
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    mbedtls_ssl_context ssl;
    char *server_name;          /* copy of opt.server_name, or NULL */
    const char **alpn;          /* NULL-terminated copy of opt.alpn (one block), or NULL */
    const char *alpn_chosen;    /* points into alpn */
    uint32_t verify_flags;
    size_t pending;             /* bytes of a record mbedtls holds for a repeated send */
    int state;
    int err;                    /* the sticky error of ST_FAILED (of sends in ST_WFAILED) */
    int lower_err;              /* an error the lower transport returned inside a bio call */
    uint8_t ip[16];             /* the expected address when the name is an IP literal */
    uint8_t ip_len;             /* 4, 16, or 0 for a DNS name */
    uint8_t ssl_live;           /* ssl is set up and must be freed */
    uint8_t wblocked;           /* the last lower send would block */
    int alert;                  /* the fatal alert the server sent (its description), or -1 */
    /* Read-ahead of the lower transport (bio_recv): mbedtls asks for each
     * record's 5-byte header and then its body, two recv calls per record,
     * and a broker sends each small packet (a PUBACK) as a record of its
     * own. One recv now fills this, and the records in it cost none. */
    uint16_t ahead_pos;         /* next unread byte of ahead */
    uint16_t ahead_len;         /* bytes in ahead */
    uint8_t ahead[4096];
};

/* ---- mbedtls 2.28 / 3.x differences ------------------------------------ */

static int compat_parse_key(struct tmq_tls_state *s, const char *pem, const char *file, const char *pwd)
{
    const unsigned char *p = (const unsigned char *)pwd;
    size_t plen = pwd ? strlen(pwd) : 0;
#if TMQ_MBEDTLS3
    if (file)
        return mbedtls_pk_parse_keyfile(&s->key, file, pwd, mbedtls_ctr_drbg_random, &s->drbg);
    return mbedtls_pk_parse_key(&s->key, (const unsigned char *)pem, strlen(pem) + 1, p, plen,
                                mbedtls_ctr_drbg_random, &s->drbg);
#else
    if (file)
        return mbedtls_pk_parse_keyfile(&s->key, file, pwd);
    return mbedtls_pk_parse_key(&s->key, (const unsigned char *)pem, strlen(pem) + 1, p, plen);
#endif
}

static int compat_check_pair(struct tmq_tls_state *s)
{
#if TMQ_MBEDTLS3
    return mbedtls_pk_check_pair(&s->cert.pk, &s->key, mbedtls_ctr_drbg_random, &s->drbg);
#else
    return mbedtls_pk_check_pair(&s->cert.pk, &s->key);
#endif
}

static void compat_min_tls12(mbedtls_ssl_config *conf)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

static int compat_crypto_init(void)
{
#if TMQ_MBEDTLS3 && defined(MBEDTLS_PSA_CRYPTO_C)
    return psa_crypto_init() == PSA_SUCCESS ? 0 : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
#else
    return 0;
#endif
}

/* The host name given to mbedtls for an IP literal. 2.28 compares it with
 * DNS names and the CN only, so none is given and verify_cb checks the
 * iPAddress SANs. (3.6 checks IP SANs itself and, from 3.6.3, refuses to
 * verify without a host name: there, pass the literal.) */
static const char *compat_hostname_for_ip(const char *literal)
{
    (void)literal;
    return NULL;
}

/* ---- helpers ------------------------------------------------------------ */

static tmq_tls *tls_of(tmq_transport *tr)
{
    return (tmq_tls *)(void *)tr;
}

/* Mirrors the lower transport's fd and write interest into t->io. */
static void sync_io(tmq_tls *t)
{
    if (t->lower == NULL) {
        t->io.fd = -1;
        t->io.want_write = 0;
        return;
    }
    t->io.fd = t->lower->fd;
    t->io.want_write = (uint8_t)(t->lower->want_write || (t->s && t->s->wblocked));
}

/* A send or recv of the lower transport while t is plain (tmq_tls_set_plain):
 * its result, with t->io following the lower transport. */
static int32_t plain_io(tmq_tls *t, int32_t r)
{
    sync_io(t);
    return r;
}

/* Enters ST_FAILED with err (sticky until close). */
static int fail(tmq_tls *t, int err)
{
    t->s->state = ST_FAILED;
    t->s->err = err;
    sync_io(t);
    return err;
}

/* Parses name as an IPv4 or IPv6 literal ("[...]" and a "%zone" suffix are
 * accepted). Returns the address length (4 or 16) or 0. */
static uint8_t parse_ip(const char *name, uint8_t out[16])
{
    char tmp[64];
    size_t n = strlen(name);
    char *pct;
    if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
        name++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, name, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, out) == 1)
        return 4;
    pct = strchr(tmp, '%');
    if (pct)
        *pct = '\0';
    if (inet_pton(AF_INET6, tmp, out) == 1)
        return 16;
    return 0;
}

/* Nonzero when crt has an iPAddress subjectAltName equal to ip. Walks the
 * raw extensions (mbedtls 2.28 does not keep IP SANs in subject_alt_names):
 *   Extensions ::= SEQUENCE OF SEQUENCE { OID, [BOOLEAN], OCTET STRING }
 *   subjectAltName (2.5.29.17) ::= SEQUENCE OF GeneralName, iPAddress [7] */
static int cert_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t ip_len)
{
    static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
    unsigned char *p = crt->v3_ext.p;
    const unsigned char *end;
    size_t len;
    if (p == NULL || crt->v3_ext.len == 0)
        return 0;
    end = p + crt->v3_ext.len;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
        return 0;
    end = p + len;
    while (p < end) {
        unsigned char *ext_end;
        const unsigned char *oid;
        size_t oid_len;
        int critical;
        if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
            return 0;
        ext_end = p + len;
        if (mbedtls_asn1_get_tag(&p, ext_end, &oid_len, MBEDTLS_ASN1_OID) != 0)
            return 0;
        oid = p;
        p += oid_len;
        (void)mbedtls_asn1_get_bool(&p, ext_end, &critical);  /* optional; p stays on mismatch */
        if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0)
            return 0;
        if (oid_len == sizeof san_oid && memcmp(oid, san_oid, oid_len) == 0) {
            const unsigned char *names_end;
            if (mbedtls_asn1_get_tag(&p, p + len, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
                return 0;
            names_end = p + len;
            while (p < names_end) {
                unsigned char tag = *p++;
                size_t n;
                if (mbedtls_asn1_get_len(&p, names_end, &n) != 0)
                    return 0;
                if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && n == ip_len && memcmp(p, ip, n) == 0)
                    return 1;
                p += n;
            }
            return 0;
        }
        p = ext_end;
    }
    return 0;
}

/* mbedtls verify callback: for an IP literal, the leaf certificate must
 * carry the address as an iPAddress SAN. */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct tmq_tls_state *s = ctx;
    if (depth == 0 && s->ip_len != 0 && !cert_has_ip(crt, s->ip, s->ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

/* ---- bio callbacks: mbedtls <-> lower transport ------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    tmq_tls *t = ctx;
    int32_t n;
    if (len > INT32_MAX)
        len = INT32_MAX;
    n = t->lower->base.ops->send(&t->lower->base, buf, (uint32_t)len);
    if (n > 0) {
        t->s->wblocked = 0;
        return (int)n;
    }
    if (n == 0 || n == TMQ_IO_AGAIN) {
        t->s->wblocked = 1;
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    t->s->lower_err = n;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    tmq_tls *t = ctx;
    struct tmq_tls_state *s = t->s;
    int32_t n;
    if (s->ahead_pos < s->ahead_len) {
        size_t have = (size_t)(s->ahead_len - s->ahead_pos);
        if (len > have)
            len = have;
        memcpy(buf, s->ahead + s->ahead_pos, len);
        s->ahead_pos = (uint16_t)(s->ahead_pos + len);
        return (int)len;
    }
    if (len > INT32_MAX)
        len = INT32_MAX;
    if (len >= sizeof s->ahead) {
        n = t->lower->base.ops->recv(&t->lower->base, buf, (uint32_t)len);   /* a large body: no copy */
    } else {
        n = t->lower->base.ops->recv(&t->lower->base, s->ahead, (uint32_t)sizeof s->ahead);
        if (n > 0) {
            s->ahead_len = (uint16_t)n;
            s->ahead_pos = (uint16_t)(n < (int32_t)len ? n : (int32_t)len);
            memcpy(buf, s->ahead, s->ahead_pos);
            return (int)s->ahead_pos;
        }
    }
    if (n > 0)
        return (int)n;
    if (n == TMQ_IO_AGAIN)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n == 0 || n == TMQ_ERR_CLOSED)
        return 0;  /* end of stream: mbedtls reports MBEDTLS_ERR_SSL_CONN_EOF */
    t->s->lower_err = n;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Maps an mbedtls failure to a tinymqtt error and remembers the code. */
static int map_err(tmq_tls *t, int ret, int handshake)
{
    struct tmq_tls_state *s = t->s;
    t->mbed_err = ret;
    if (s->lower_err == TMQ_ERR_CLOSED && handshake) {
        /* the server hung up mid-handshake (on a write of ours): a refusal */
        t->mbed_err = MBEDTLS_ERR_SSL_CONN_EOF;
        return TMQ_ERR_TLS;
    }
    if (s->lower_err != 0)
        return s->lower_err;
    switch (ret) {
    case 0:
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        return handshake ? TMQ_ERR_TLS : TMQ_ERR_CLOSED;
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
    case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED:
        return TMQ_ERR_TLS_VERIFY;
    case MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE:
        /* a certificate that does not fit its use also sets verify flags */
        if (s->verify_flags != 0 && s->verify_flags != UINT32_MAX)
            return TMQ_ERR_TLS_VERIFY;
        return TMQ_ERR_TLS;
    default:
        return TMQ_ERR_TLS;
    }
}

/* ---- connection --------------------------------------------------------- */

/* Sets up a fresh TLS session for a connect to host. */
static int session_start(tmq_tls *t, const char *host)
{
    struct tmq_tls_state *s = t->s;
    const char *name = s->server_name ? s->server_name : host;
    int r;
    t->mbed_err = 0;
    s->verify_flags = UINT32_MAX;
    s->alert = -1;
    s->alpn_chosen = NULL;
    s->pending = 0;
    s->wblocked = 0;
    s->lower_err = 0;
    s->err = 0;
    s->ahead_pos = 0;
    s->ahead_len = 0;
    if (name == NULL || strlen(name) > MBEDTLS_SSL_MAX_HOST_NAME_LEN)
        return TMQ_ERR_ARG;
    mbedtls_ssl_init(&s->ssl);
    s->ssl_live = 1;
    r = mbedtls_ssl_setup(&s->ssl, &s->conf);
    if (r != 0) {
        t->mbed_err = r;
        return TMQ_ERR_TLS;
    }
    s->ip_len = parse_ip(name, s->ip);
    r = mbedtls_ssl_set_hostname(&s->ssl, s->ip_len ? compat_hostname_for_ip(name) : name);
    if (r != 0) {
        t->mbed_err = r;
        return TMQ_ERR_TLS;
    }
    mbedtls_ssl_set_bio(&s->ssl, t, bio_send, bio_recv, NULL);
    return TMQ_OK;
}

static int handshake_step(tmq_tls *t)
{
    struct tmq_tls_state *s = t->s;
    int r = mbedtls_ssl_handshake(&s->ssl);
    sync_io(t);
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
        return TMQ_IO_HANDSHAKING;
    s->verify_flags = mbedtls_ssl_get_verify_result(&s->ssl);
#if !TMQ_MBEDTLS3
    if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && s->ssl.in_msg)
        s->alert = s->ssl.in_msg[1];   /* the record just read: level, description */
#endif
    if (r != 0)
        return fail(t, map_err(t, r, 1));
#if defined(MBEDTLS_SSL_ALPN)
    s->alpn_chosen = mbedtls_ssl_get_alpn_protocol(&s->ssl);
#endif
    s->state = ST_OPEN;
    return TMQ_OK;
}

static int tls_connect(tmq_transport *tr, const char *host, uint16_t port)
{
    tmq_tls *t = tls_of(tr);
    struct tmq_tls_state *s = t->s;
    int r;
    if (t->plain) {
        r = t->lower->base.ops->connect(&t->lower->base, host, port);
        sync_io(t);
        return r;
    }
    if (s == NULL)
        return TMQ_ERR_ARG;
    switch (s->state) {
    case ST_OPEN:
        return TMQ_OK;
    case ST_WFAILED:
    case ST_FAILED:
        return s->err;
    case ST_IDLE:
        r = session_start(t, host);
        if (r != TMQ_OK)
            return fail(t, r);
        s->state = ST_LOWER;
        /* fall through */
    case ST_LOWER:
        r = t->lower->base.ops->connect(&t->lower->base, host, port);
        sync_io(t);
        if (r == TMQ_IO_CONNECTING || r == TMQ_IO_HANDSHAKING || r == TMQ_IO_AGAIN)
            return TMQ_IO_CONNECTING;
        if (r != TMQ_OK)
            return fail(t, r);
        s->state = ST_HANDSHAKE;
        /* fall through */
    default:
        return handshake_step(t);
    }
}

/* Returns the state's answer for send/recv (`reading`) before or after a
 * connection, or 1 when the connection is open that way. */
static int io_gate(tmq_tls *t, int reading)
{
    struct tmq_tls_state *s = t->s;
    if (s == NULL)
        return TMQ_ERR_ARG;
    switch (s->state) {
    case ST_OPEN:
        return 1;
    case ST_WFAILED:
        return reading ? 1 : s->err;
    case ST_FAILED:
        return s->err;
    case ST_IDLE:
        return TMQ_ERR_CLOSED;
    default:
        return TMQ_IO_AGAIN;
    }
}

static int32_t tls_send(tmq_transport *tr, const uint8_t *buf, uint32_t len)
{
    tmq_tls *t = tls_of(tr);
    struct tmq_tls_state *s;
    uint32_t total = 0;
    int r;
    if (t->plain)
        return plain_io(t, t->lower->base.ops->send(&t->lower->base, buf, len));
    r = io_gate(t, 0);
    if (r != 1)
        return r;
    s = t->s;
    if (len > INT32_MAX)
        len = INT32_MAX;
    if (len == 0)
        return 0;
    if (s->pending > len)
        return TMQ_ERR_ARG;  /* not the bytes of the record in progress */
    while (total < len) {
        size_t chunk = s->pending;
        if (chunk == 0) {
            int max = mbedtls_ssl_get_max_out_record_payload(&s->ssl);
            chunk = len - total;
            if (max > 0 && chunk > (size_t)max)
                chunk = (size_t)max;
        }
        r = mbedtls_ssl_write(&s->ssl, buf + total, chunk);
        if (r > 0) {
            s->pending = 0;
            total += (uint32_t)r;
            continue;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE) {
            s->pending = chunk;  /* mbedtls holds this record now */
            break;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == 0)
            break;
        r = fail(t, map_err(t, r, 0));
        if (s->lower_err != 0) {
            /* the socket, not TLS: what the server sent may still be read */
            s->state = ST_WFAILED;
            s->lower_err = 0;
            s->wblocked = 0;
            sync_io(t);
        }
        return total ? (int32_t)total : r;
    }
    sync_io(t);
    return total ? (int32_t)total : TMQ_IO_AGAIN;
}

static int32_t tls_recv(tmq_transport *tr, uint8_t *buf, uint32_t len)
{
    tmq_tls *t = tls_of(tr);
    struct tmq_tls_state *s;
    uint32_t total = 0;
    int r;
    if (t->plain)
        return plain_io(t, t->lower->base.ops->recv(&t->lower->base, buf, len));
    r = io_gate(t, 1);
    if (r != 1)
        return r;
    s = t->s;
    if (len > INT32_MAX)
        len = INT32_MAX;
    while (total < len) {
        r = mbedtls_ssl_read(&s->ssl, buf + total, len - total);
        if (r > 0) {
            total += (uint32_t)r;
            continue;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
            break;
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
        if (r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            continue;  /* 3.x, TLS 1.3: a ticket, not data */
#endif
        r = fail(t, map_err(t, r, 0));
        return total ? (int32_t)total : r;
    }
    sync_io(t);
    return total ? (int32_t)total : TMQ_IO_AGAIN;
}

static void tls_close(tmq_transport *tr)
{
    tmq_tls *t = tls_of(tr);
    struct tmq_tls_state *s = t->s;
    if (s != NULL) {
        if (s->ssl_live) {
            if (s->state == ST_OPEN ||
                (s->state == ST_FAILED && t->mbed_err == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY))
                (void)mbedtls_ssl_close_notify(&s->ssl);  /* best effort, once */
            mbedtls_ssl_free(&s->ssl);
            s->ssl_live = 0;
        }
        s->state = ST_IDLE;
        s->pending = 0;
        s->wblocked = 0;
    }
    if (t->lower != NULL)
        t->lower->base.ops->close(&t->lower->base);
    sync_io(t);
}

static const tmq_transport_ops tls_ops = { tls_connect, tls_send, tls_recv, tls_close };

void tmq_tls_set_plain(tmq_tls *t, int plain)
{
    t->plain = (uint8_t)(plain != 0);
}

/* ---- setup -------------------------------------------------------------- */

/* ---- process-wide, read-mostly state ----------------------------------
 * The entropy pool (38 KB in mbedtls 2.28) and the parsed system CA bundle
 * (a few hundred KB) would dominate the memory of every connection, so all
 * connections share one of each. Created on first use, never freed (valgrind
 * lists them as still reachable, not lost). Each connection keeps its own
 * ctr_drbg, which draws from the pool only to seed and reseed. */

static mbedtls_entropy_context shared_entropy;
static pthread_once_t shared_entropy_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t shared_entropy_mu = PTHREAD_MUTEX_INITIALIZER;

static void shared_entropy_init(void)
{
    mbedtls_entropy_init(&shared_entropy);
}

/* mbedtls_entropy_func under our own lock: safe whether or not mbedtls was
 * built with MBEDTLS_THREADING_C. */
static int shared_entropy_func(void *ctx, unsigned char *out, size_t len)
{
    int r;
    (void)ctx;
    pthread_mutex_lock(&shared_entropy_mu);
    r = mbedtls_entropy_func(&shared_entropy, out, len);
    pthread_mutex_unlock(&shared_entropy_mu);
    return r;
}

/* System CA bundles, most common first. */
static const char *const system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",               /* Debian, Ubuntu, Arch, Alpine */
    "/etc/pki/tls/certs/ca-bundle.crt",                 /* Fedora, RHEL */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",/* CentOS, RHEL 7 */
    "/etc/ssl/ca-bundle.pem",                           /* openSUSE */
    "/etc/ssl/cert.pem",                                /* Alpine, BSDs, macOS */
    NULL
};

static mbedtls_x509_crt system_ca;
static pthread_once_t system_ca_once = PTHREAD_ONCE_INIT;

static void system_ca_load(void)
{
    const char *const *b;
    mbedtls_x509_crt_init(&system_ca);
    for (b = system_bundles; *b && system_ca.version == 0; b++)
        (void)mbedtls_x509_crt_parse_file(&system_ca, *b);  /* entries it cannot parse are skipped */
}

/* The system's trusted CAs (read only once they are loaded), or NULL. */
static mbedtls_x509_crt *system_ca_chain(void)
{
    pthread_once(&system_ca_once, system_ca_load);
    return system_ca.version != 0 ? &system_ca : NULL;
}

/* Loads the trusted CAs. Returns TMQ_OK or TMQ_ERR_ARG. */
static int load_ca(tmq_tls *t, const tmq_tls_options *opt)
{
    struct tmq_tls_state *s = t->s;
    int r, loaded = 0;
    if (opt->ca_pem) {
        r = mbedtls_x509_crt_parse(&s->ca, (const unsigned char *)opt->ca_pem, strlen(opt->ca_pem) + 1);
        if (r < 0) {
            t->mbed_err = r;
            return TMQ_ERR_ARG;
        }
        loaded = 1;
    }
    if (opt->ca_file) {
        r = mbedtls_x509_crt_parse_file(&s->ca, opt->ca_file);
        if (r < 0) {
            t->mbed_err = r;
            return TMQ_ERR_ARG;
        }
        loaded = 1;
    }
    if (!loaded) {
        mbedtls_x509_crt *sys = opt->verify != TMQ_TLS_VERIFY_NONE ? system_ca_chain() : NULL;
        if (sys)
            mbedtls_ssl_conf_ca_chain(&s->conf, sys, NULL);
    } else if (s->ca.version != 0) {  /* at least one certificate parsed */
        mbedtls_ssl_conf_ca_chain(&s->conf, &s->ca, NULL);
    } else {
        t->mbed_err = MBEDTLS_ERR_X509_INVALID_FORMAT;
        return TMQ_ERR_ARG;
    }
    return TMQ_OK;
}

/* Loads the client certificate and key for mutual TLS. */
static int load_own_cert(tmq_tls *t, const tmq_tls_options *opt)
{
    struct tmq_tls_state *s = t->s;
    int r;
    if (!opt->cert_pem && !opt->cert_file)
        return TMQ_OK;
    if (opt->cert_pem)
        r = mbedtls_x509_crt_parse(&s->cert, (const unsigned char *)opt->cert_pem, strlen(opt->cert_pem) + 1);
    else
        r = mbedtls_x509_crt_parse_file(&s->cert, opt->cert_file);
    if (r == 0)
        r = compat_parse_key(s, opt->key_pem, opt->key_file, opt->key_password);
    if (r == 0)
        r = compat_check_pair(s);
    if (r == 0)
        r = mbedtls_ssl_conf_own_cert(&s->conf, &s->cert, &s->key);
    if (r != 0) {
        t->mbed_err = r > 0 ? MBEDTLS_ERR_X509_INVALID_FORMAT : r;
        return TMQ_ERR_ARG;
    }
    return TMQ_OK;
}

#if defined(MBEDTLS_SSL_ALPN)
/* Copies the ALPN list into one block mbedtls can point at. */
static int load_alpn(tmq_tls *t, const tmq_tls_options *opt)
{
    struct tmq_tls_state *s = t->s;
    size_t n = 0, bytes = 0, i, len;
    char *text;
    int r;
    if (!opt->alpn || !opt->alpn[0])
        return TMQ_OK;
    for (n = 0; opt->alpn[n]; n++) {
        len = strlen(opt->alpn[n]);
        if (len == 0 || len > 255)
            return TMQ_ERR_ARG;
        bytes += len + 1;
    }
    s->alpn = malloc((n + 1) * sizeof(char *) + bytes);
    if (!s->alpn)
        return TMQ_ERR_TLS;
    text = (char *)(s->alpn + n + 1);
    for (i = 0; i < n; i++) {
        len = strlen(opt->alpn[i]) + 1;
        memcpy(text, opt->alpn[i], len);
        s->alpn[i] = text;
        text += len;
    }
    s->alpn[n] = NULL;
    r = mbedtls_ssl_conf_alpn_protocols(&s->conf, s->alpn);
    if (r != 0) {
        t->mbed_err = r;
        return TMQ_ERR_ARG;
    }
    return TMQ_OK;
}
#else
static int load_alpn(tmq_tls *t, const tmq_tls_options *opt)
{
    (void)t;
    return opt->alpn && opt->alpn[0] ? TMQ_ERR_ARG : TMQ_OK;  /* mbedtls built without ALPN */
}
#endif

/* Everything of tmq_tls_init after the argument checks. */
static int setup(tmq_tls *t, const tmq_tls_options *opt)
{
    static const char pers[] = "tinymqtt tls";
    struct tmq_tls_state *s = t->s;
    int r = compat_crypto_init();
    pthread_once(&shared_entropy_once, shared_entropy_init);
    if (r == 0)
        r = mbedtls_ctr_drbg_seed(&s->drbg, shared_entropy_func, NULL,
                                  (const unsigned char *)pers, sizeof pers - 1);
    if (r == 0)
        r = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0) {
        t->mbed_err = r;
        return TMQ_ERR_TLS;
    }
    compat_min_tls12(&s->conf);
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    mbedtls_ssl_conf_authmode(&s->conf, opt->verify == TMQ_TLS_VERIFY_NONE ? MBEDTLS_SSL_VERIFY_NONE
                                        : opt->verify == TMQ_TLS_VERIFY_OPTIONAL ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                        : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_verify(&s->conf, verify_cb, s);
    if ((r = load_ca(t, opt)) != TMQ_OK || (r = load_own_cert(t, opt)) != TMQ_OK ||
        (r = load_alpn(t, opt)) != TMQ_OK)
        return r;
    if (opt->server_name) {
        if (opt->server_name[0] == '\0' || strlen(opt->server_name) > MBEDTLS_SSL_MAX_HOST_NAME_LEN)
            return TMQ_ERR_ARG;
        s->server_name = strdup(opt->server_name);
        if (!s->server_name)
            return TMQ_ERR_TLS;
    }
    return TMQ_OK;
}

static void state_free(struct tmq_tls_state *s)
{
    if (s->ssl_live)
        mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_pk_free(&s->key);
    mbedtls_x509_crt_free(&s->cert);
    mbedtls_x509_crt_free(&s->ca);
    mbedtls_ctr_drbg_free(&s->drbg);
    free(s->server_name);
    free((void *)s->alpn);
    free(s);
}

int tmq_tls_init(tmq_tls *t, tmq_posix_io *lower, const tmq_tls_options *opt)
{
    static const tmq_tls_options defaults;
    struct tmq_tls_state *s;
    int r;
    if (t == NULL)
        return TMQ_ERR_ARG;
    memset(t, 0, sizeof *t);
    t->io.base.ops = &tls_ops;
    t->io.fd = -1;
    t->lower = lower;
    if (opt == NULL)
        opt = &defaults;
    if (lower == NULL || opt->verify > TMQ_TLS_VERIFY_NONE ||
        (opt->cert_pem && opt->cert_file) || (opt->key_pem && opt->key_file) ||
        (!opt->cert_pem && !opt->cert_file) != (!opt->key_pem && !opt->key_file))
        return TMQ_ERR_ARG;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return TMQ_ERR_TLS;
    mbedtls_ctr_drbg_init(&s->drbg);
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_x509_crt_init(&s->ca);
    mbedtls_x509_crt_init(&s->cert);
    mbedtls_pk_init(&s->key);
    s->verify_flags = UINT32_MAX;
    s->alert = -1;
    t->s = s;
    r = setup(t, opt);
    if (r != TMQ_OK) {
        state_free(s);
        t->s = NULL;
    }
    return r;
}

void tmq_tls_free(tmq_tls *t)
{
    if (t == NULL || t->s == NULL)
        return;
    tls_close(&t->io.base);
    state_free(t->s);
    t->s = NULL;
}

/* ---- getters ------------------------------------------------------------ */

uint32_t tmq_tls_verify_flags(const tmq_tls *t)
{
    return t->s ? t->s->verify_flags : UINT32_MAX;
}

int tmq_tls_mbedtls_error(const tmq_tls *t)
{
    return t->mbed_err;
}

const char *tmq_tls_alpn(const tmq_tls *t)
{
    return t->s ? t->s->alpn_chosen : NULL;
}

size_t tmq_tls_pending(const tmq_tls *t)
{
    if (!t->s || !t->s->ssl_live || (t->s->state != ST_OPEN && t->s->state != ST_WFAILED))
        return 0;
    if (mbedtls_ssl_get_bytes_avail(&t->s->ssl) == 0 && t->s->ahead_pos < t->s->ahead_len)
        return 1;   /* records read ahead, not decrypted yet: at least one byte once they are */
    return mbedtls_ssl_get_bytes_avail(&t->s->ssl);
}

size_t tmq_tls_describe(const tmq_tls *t, char *buf, size_t size)
{
    const struct tmq_tls_state *s = t->s;
    uint32_t flags = s ? s->verify_flags : UINT32_MAX;
    size_t i, n;
    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (s && flags != 0 && flags != UINT32_MAX && flags != MBEDTLS_X509_BADCERT_SKIP_VERIFY &&
        (s->err == TMQ_ERR_TLS_VERIFY || (s->err == 0 && t->mbed_err == 0))) {
        int r = mbedtls_x509_crt_verify_info(buf, size, "", flags);
        if (r < 0)
            buf[0] = '\0';
    } else if (t->mbed_err == MBEDTLS_ERR_SSL_CONN_EOF && s && s->err == TMQ_ERR_TLS) {
        snprintf(buf, size, "the server closed the connection during the TLS handshake");
    } else if (t->mbed_err != 0) {
        mbedtls_strerror(t->mbed_err, buf, size);
    }
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    for (i = 0; i < n; i++)  /* verify_info puts one check per line */
        if (buf[i] == '\n')
            buf[i] = ';';
    return n;
}

/* The name of a TLS alert description (RFC 8446, 6), or NULL. */
static const char *alert_name(int alert)
{
    static const struct { int code; const char *name; } names[] = {
        {10, "unexpected_message"}, {20, "bad_record_mac"}, {40, "handshake_failure"}, {42, "bad_certificate"},
        {43, "unsupported_certificate"}, {44, "certificate_revoked"}, {45, "certificate_expired"},
        {46, "certificate_unknown"}, {47, "illegal_parameter"}, {48, "unknown_ca"}, {49, "access_denied"},
        {50, "decode_error"}, {51, "decrypt_error"}, {70, "protocol_version"}, {71, "insufficient_security"},
        {80, "internal_error"}, {90, "user_canceled"}, {109, "missing_extension"}, {110, "unsupported_extension"},
        {112, "unrecognized_name"}, {116, "certificate_required"}, {120, "no_application_protocol"},
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == alert)
            return names[i].name;
    return NULL;
}

size_t tmq_tls_reason(const tmq_tls *t, char *buf, size_t size)
{
    static const struct { uint32_t flag; const char *what; } checks[] = {
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, "unknown CA"}, {MBEDTLS_X509_BADCERT_EXPIRED, "certificate expired"},
        {MBEDTLS_X509_BADCERT_FUTURE, "certificate not yet valid"}, {MBEDTLS_X509_BADCERT_REVOKED, "certificate revoked"},
        {MBEDTLS_X509_BADCERT_CN_MISMATCH, "host name mismatch"},
    };
    const struct tmq_tls_state *s = t->s;
    uint32_t flags = s ? s->verify_flags : UINT32_MAX;
    size_t i, n = 0;
    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (flags != 0 && flags != UINT32_MAX && flags != MBEDTLS_X509_BADCERT_SKIP_VERIFY) {
        for (i = 0; i < sizeof checks / sizeof checks[0]; i++)
            if (flags & checks[i].flag) {
                int w = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", checks[i].what);
                n = w < 0 ? n : n + (size_t)w < size ? n + (size_t)w : size - 1;
            }
        if (n == 0)
            n = (size_t)snprintf(buf, size, "certificate not accepted");
    } else if (s && s->alert >= 0) {
        const char *name = alert_name(s->alert);
        n = (size_t)snprintf(buf, size, "handshake alert %d (%s) from the server", s->alert, name ? name : "unknown");
    } else if (t->mbed_err == MBEDTLS_ERR_SSL_CONN_EOF) {
        n = (size_t)snprintf(buf, size, "the server closed the connection during the handshake");
    }
    return n < size ? n : size - 1;
}
