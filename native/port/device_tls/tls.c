/* TLS over a tinymqtt transport with mbedtls, for devices
 * (tinymqtt/device_tls.h). mbedtls reads and writes through two callbacks
 * that call the lower transport and turn its "would block" into mbedtls's
 * WANT_READ/WANT_WRITE, so the handshake and the records advance a step per
 * call of the client, never waiting. */
#include "tinymqtt/device_tls.h"

#include <string.h>

#include "mbedtls/entropy.h"

/* tmq_device_tls.state */
enum {
    TLS_IDLE,        /* no connection */
    TLS_LOWER,       /* the lower transport is connecting */
    TLS_HANDSHAKE,   /* the handshake is running */
    TLS_OPEN,
    TLS_FAILED       /* an error sticks until close */
};

/* mbedtls's send callback: the lower transport's send. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    tmq_transport *lower = ((tmq_device_tls *)ctx)->lower;
    int32_t n = lower->ops->send(lower, buf, (uint32_t)len);
    if (n == TMQ_IO_AGAIN)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    return n < 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : (int)n;
}

/* mbedtls's receive callback: 0 tells it the peer has gone. */
static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    tmq_transport *lower = ((tmq_device_tls *)ctx)->lower;
    int32_t n = lower->ops->recv(lower, buf, (uint32_t)len);
    if (n == TMQ_IO_AGAIN)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n == TMQ_ERR_CLOSED)
        return 0;
    return n < 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : (int)n;
}

/* The entropy source mbedtls polls: the port's. */
static int entropy_source(void *data, unsigned char *out, size_t len, size_t *olen)
{
    (void)data;
    if (tmq_port_entropy(out, len))
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    *olen = len;
    return 0;
}

static int fail(tmq_device_tls *t, int mbed_err)
{
    t->state = TLS_FAILED;
    t->mbed_err = mbed_err;
    return mbed_err == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ? TMQ_ERR_TLS_VERIFY : TMQ_ERR_TLS;
}

static int handshake_step(tmq_device_tls *t)
{
    int rc = mbedtls_ssl_handshake(&t->ssl);
    if (rc == 0) {
        t->state = TLS_OPEN;
        return TMQ_OK;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
        return TMQ_IO_HANDSHAKING;
    return fail(t, rc);
}

static int tls_connect(tmq_transport *base, const char *host, uint16_t port)
{
    tmq_device_tls *t = (tmq_device_tls *)base;
    int rc;
    switch (t->state) {
    case TLS_IDLE:
    case TLS_LOWER:
        rc = t->lower->ops->connect(t->lower, host, port);
        if (rc != TMQ_OK) {
            t->state = rc == TMQ_IO_CONNECTING ? TLS_LOWER : TLS_FAILED;
            return rc;
        }
        rc = mbedtls_ssl_session_reset(&t->ssl);
        t->pending = 0;
        if (rc)
            return fail(t, rc);
        t->state = TLS_HANDSHAKE;
        return handshake_step(t);
    case TLS_HANDSHAKE:
        return handshake_step(t);
    case TLS_OPEN:
        return TMQ_OK;
    default:
        return t->mbed_err ? fail(t, t->mbed_err) : TMQ_ERR_IO;
    }
}

/* One record per call. When the lower transport blocks, mbedtls has
 * already encrypted the record and holds it; the next mbedtls_ssl_write only
 * flushes it and reports as written whatever length it is given then. The
 * caller may by then offer more bytes (its send buffer has grown), so the
 * record's length is kept in t->pending and exactly that is passed again:
 * the bytes after it go in later records, never reported sent unsent. */
static int32_t tls_send(tmq_transport *base, const uint8_t *buf, uint32_t len)
{
    tmq_device_tls *t = (tmq_device_tls *)base;
    int rc;
    if (t->state != TLS_OPEN)
        return t->state == TLS_FAILED ? TMQ_ERR_CLOSED : TMQ_IO_AGAIN;
    if (t->pending) {
        if (len < t->pending)
            return TMQ_ERR_ARG;  /* not the bytes of the record in progress */
        len = t->pending;
    } else {
        rc = mbedtls_ssl_get_max_out_record_payload(&t->ssl);
        if (rc > 0 && len > (uint32_t)rc)
            len = (uint32_t)rc;
    }
    rc = mbedtls_ssl_write(&t->ssl, buf, len);
    if (rc >= 0) {
        t->pending = 0;
        return rc ? rc : TMQ_IO_AGAIN;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        t->pending = len;  /* mbedtls holds this record now */
        return TMQ_IO_AGAIN;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ)
        return TMQ_IO_AGAIN;
    return fail(t, rc);
}

static int32_t tls_recv(tmq_transport *base, uint8_t *buf, uint32_t len)
{
    tmq_device_tls *t = (tmq_device_tls *)base;
    int rc;
    if (t->state != TLS_OPEN)
        return t->state == TLS_FAILED ? TMQ_ERR_CLOSED : TMQ_IO_AGAIN;
    rc = mbedtls_ssl_read(&t->ssl, buf, len);
    if (rc > 0)
        return rc;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
        return TMQ_IO_AGAIN;
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
        t->state = TLS_FAILED;
        return TMQ_ERR_CLOSED;
    }
    fail(t, rc);
    return TMQ_ERR_TLS;
}

static void tls_close(tmq_transport *base)
{
    tmq_device_tls *t = (tmq_device_tls *)base;
    if (t->state == TLS_OPEN)
        (void)mbedtls_ssl_close_notify(&t->ssl);
    t->lower->ops->close(t->lower);
    t->state = TLS_IDLE;
    t->mbed_err = 0;
    t->pending = 0;
}

static const tmq_transport_ops ops = {tls_connect, tls_send, tls_recv, tls_close};

int tmq_device_tls_init(tmq_device_tls *t, tmq_transport *lower, const uint8_t *ca_pem, size_t ca_len,
                        const char *server_name)
{
    static const unsigned char personal[] = "tinymqtt device tls";
    int rc;
    memset(t, 0, sizeof *t);
    t->base.ops = &ops;
    t->lower = lower;
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    rc = mbedtls_x509_crt_parse(&t->ca, ca_pem, ca_len);
    if (rc) {
        tmq_device_tls_free(t);
        t->mbed_err = rc;
        return TMQ_ERR_ARG;
    }
    rc = mbedtls_entropy_add_source(&t->entropy, entropy_source, NULL, 32, MBEDTLS_ENTROPY_SOURCE_STRONG);
    if (!rc)
        rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, personal, sizeof personal - 1);
    if (!rc)
        rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (!rc) {
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
        mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
        rc = mbedtls_ssl_conf_max_frag_len(&t->conf, MBEDTLS_SSL_MAX_FRAG_LEN_4096);
    }
    if (!rc)
        rc = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (!rc)
        rc = mbedtls_ssl_set_hostname(&t->ssl, server_name);
    if (rc) {
        tmq_device_tls_free(t);
        t->mbed_err = rc;
        return TMQ_ERR_TLS;
    }
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
    return TMQ_OK;
}

void tmq_device_tls_free(tmq_device_tls *t)
{
    if (t->state != TLS_IDLE)
        tls_close(&t->base);
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
}
