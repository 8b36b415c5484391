/* The upgrade request and the check of its response. */
#include <string.h>
#include "base64.h"
#include "sha1.h"
#include "ws_handshake.h"

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* A bounded writer into tx. */
typedef struct {
    uint8_t *p;
    uint32_t len, cap;
    int full;
} out_buf;

static void put(out_buf *o, const char *s, uint32_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out_buf *o, const char *s)
{
    put(o, s, (uint32_t)strlen(s));
}

static void put_port(out_buf *o, uint16_t port)
{
    char digits[5];
    unsigned n = 0;
    do {
        digits[4 - n++] = (char)('0' + port % 10);
        port /= 10;
    } while (port);
    put(o, digits + 5 - n, n);
}

static int is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Nonzero when every character of s is printable ASCII (spaces allowed when
 * `spaces`), and s is not empty. */
static int printable(const char *s, int spaces)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s > 0x7E || (unsigned char)*s < (spaces ? 0x20 : 0x21))
            return 0;
    return 1;
}

/* Nonzero when s is a list of lines "token: value\r\n". */
static int header_lines(const char *s)
{
    while (*s) {
        const char *name = s;
        while (is_tchar(*s))
            s++;
        if (s == name || *s++ != ':')
            return 0;
        while (*s && *s != '\r' && *s != '\n') {
            if ((unsigned char)*s < 0x20 && *s != '\t')
                return 0;
            s++;
        }
        if (s[0] != '\r' || s[1] != '\n')
            return 0;
        s += 2;
    }
    return 1;
}

int tmq_ws_config_check(const tmq_ws_config *cfg)
{
    const char *p;
    if (cfg->path && (cfg->path[0] != '/' || !printable(cfg->path, 0)))
        return TMQ_ERR_ARG;
    if (cfg->host && !printable(cfg->host, 0))
        return TMQ_ERR_ARG;
    if (cfg->headers && !header_lines(cfg->headers))
        return TMQ_ERR_ARG;
    if (cfg->protocol) {
        for (p = cfg->protocol; is_tchar(*p); p++)
            ;
        if (p == cfg->protocol || *p)
            return TMQ_ERR_ARG;
    }
    return TMQ_OK;
}

int32_t tmq_ws_request(tmq_ws *w, const char *host, uint16_t port)
{
    const tmq_ws_config *cfg = w->cfg;
    uint8_t nonce[16], digest[20], joined[24 + sizeof guid - 1];
    char key[25];
    out_buf o;
    cfg->random(cfg->random_ctx, nonce, sizeof nonce);
    tmq_base64(nonce, sizeof nonce, key);
    memcpy(joined, key, 24);
    memcpy(joined + 24, guid, sizeof guid - 1);
    tmq_sha1(joined, sizeof joined, digest);
    tmq_base64(digest, sizeof digest, w->accept);
    o.p = cfg->tx;
    o.len = 0;
    o.cap = cfg->tx_cap;
    o.full = 0;
    puts_(&o, "GET ");
    puts_(&o, cfg->path ? cfg->path : "/mqtt");
    puts_(&o, " HTTP/1.1\r\nHost: ");
    if (cfg->host) {
        puts_(&o, cfg->host);
    } else {
        int v6 = host && strchr(host, ':') != NULL;
        if (v6)
            puts_(&o, "[");
        puts_(&o, host ? host : "");
        puts_(&o, v6 ? "]:" : ":");
        put_port(&o, port);
    }
    puts_(&o, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    puts_(&o, key);
    puts_(&o, "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ");
    puts_(&o, cfg->protocol ? cfg->protocol : "mqtt");
    puts_(&o, "\r\n");
    if (cfg->headers)
        puts_(&o, cfg->headers);
    puts_(&o, "\r\n");
    return o.full ? TMQ_ERR_BUF_TOO_SMALL : (int32_t)o.len;
}

/* ---- the response ------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    uint32_t len;
} span;

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Nonzero when s equals the lowercase text t, ignoring case. */
static int ieq(span s, const char *t)
{
    uint32_t i;
    if (s.len != strlen(t))
        return 0;
    for (i = 0; i < s.len; i++)
        if (lower(s.p[i]) != (uint8_t)t[i])
            return 0;
    return 1;
}

/* Nonzero when s equals t exactly. */
static int eq(span s, const char *t)
{
    return s.len == strlen(t) && memcmp(s.p, t, s.len) == 0;
}

static int ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static span trim(span s)
{
    while (s.len && ows(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && ows(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* Nonzero when the comma-separated list s has the token t (lowercase),
 * ignoring case. */
static int has_token(span s, const char *t)
{
    while (s.len) {
        span item;
        uint32_t n = 0;
        while (n < s.len && s.p[n] != ',')
            n++;
        item.p = s.p;
        item.len = n;
        if (ieq(trim(item), t))
            return 1;
        s.p += n < s.len ? n + 1 : n;
        s.len -= n < s.len ? n + 1 : n;
    }
    return 0;
}

/* The length of the line at p[0..len) up to its CRLF, or len when it has
 * none. */
static uint32_t line_length(const uint8_t *p, uint32_t len)
{
    uint32_t n = 0;
    while (n + 1 < len && !(p[n] == '\r' && p[n + 1] == '\n'))
        n++;
    return n + 1 < len ? n : len;
}

uint16_t tmq_ws_status(const uint8_t *p, uint32_t len)
{
    uint32_t n = line_length(p, len);
    if (n == len || n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
        p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (n > 12 && p[12] != ' '))
        return 0;
    return (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
}

int tmq_ws_response(tmq_ws *w, const uint8_t *p, uint32_t len)
{
    const char *protocol = w->cfg->protocol ? w->cfg->protocol : "mqtt";
    int upgrade = 0, connection = 0, accepted = 0, wrong_accept = 0;
    uint32_t at;
    w->http_status = tmq_ws_status(p, len);
    if (w->http_status == 0)
        return TMQ_ERR_WS_RESPONSE;
    if (w->http_status != 101)
        return TMQ_ERR_WS_HANDSHAKE;
    at = line_length(p, len) + 2;
    for (;;) {
        uint32_t n = line_length(p + at, len - at), colon = 0;
        span name, value;
        if (n == len - at)
            return TMQ_ERR_WS_RESPONSE; /* no empty line: not a whole header block */
        if (n == 0)
            break;
        while (colon < n && p[at + colon] != ':')
            colon++;
        if (colon == 0 || colon == n || ows(p[at]))
            return TMQ_ERR_WS_RESPONSE;
        name.p = p + at;
        name.len = colon;
        value.p = p + at + colon + 1;
        value.len = n - colon - 1;
        value = trim(value);
        if (ieq(name, "upgrade"))
            upgrade = ieq(value, "websocket");
        else if (ieq(name, "connection"))
            connection = has_token(value, "upgrade");
        else if (ieq(name, "sec-websocket-accept")) {
            accepted = 1;
            wrong_accept |= !eq(value, w->accept);
        } else if (ieq(name, "sec-websocket-protocol") && !eq(value, protocol))
            return TMQ_ERR_WS_RESPONSE;
        else if (ieq(name, "sec-websocket-extensions") && value.len)
            return TMQ_ERR_WS_RESPONSE;
        at += n + 2;
    }
    if (!upgrade || !connection)
        return TMQ_ERR_WS_RESPONSE;
    return accepted && !wrong_accept ? TMQ_OK : TMQ_ERR_WS_ACCEPT;
}
