/* The WebSocket transport (tinymqtt/ws.h) over the memory pipe, with a
 * scripted server: byte-exact requests and frames (RFC 6455's own examples
 * where it has them), every refusal's code, frames split at every byte, and
 * an MQTT client session over it. SHA-1 and base64 against their standard
 * vectors. */
#include "harness.h"
#include "pipe.h"
#include "tinymqtt/client.h"
#include "tinymqtt/ws.h"
#include "base64.h"
#include "sha1.h"

#include <stdio.h>
#include <string.h>

/* RFC 6455 1.3: the sample nonce, its key and the accept value it gives. */
#define SAMPLE_NONCE "the sample nonce"
#define SAMPLE_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/* RFC 6455 5.7: the masking key of its masked "Hello". */
static const uint8_t HELLO_KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

#define OK_RESPONSE                                                                                       \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"                   \
    "Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"

/* The random source: the sample nonce, then HELLO_KEY for every frame. */
typedef struct {
    uint32_t calls;
} script_random;

static void scripted(void *ctx, uint8_t *out, uint32_t len)
{
    script_random *s = ctx;
    uint32_t i;
    if (s->calls++ == 0 && len == 16) {
        memcpy(out, SAMPLE_NONCE, 16);
        return;
    }
    for (i = 0; i < len; i++)
        out[i] = HELLO_KEY[i & 3];
}

static tmq_pipe P;
static tmq_ws W;
static tmq_ws_config C;
static script_random R;
static uint8_t TX[256], RX[512];

/* A fresh transport over a fresh pipe, with config changes made by `tweak`. */
static int setup(void (*tweak)(tmq_ws_config *))
{
    pipe_init(&P);
    memset(&C, 0, sizeof C);
    memset(&R, 0, sizeof R);
    C.host = "broker.example:8080";
    C.tx = TX;
    C.tx_cap = sizeof TX;
    C.rx = RX;
    C.rx_cap = sizeof RX;
    C.random = scripted;
    C.random_ctx = &R;
    if (tweak)
        tweak(&C);
    return tmq_ws_init(&W, &P.base, &C);
}

static tmq_transport *T(void)
{
    return &W.base;
}

static void push(const char *s, uint32_t len)
{
    pipe_push(&P, (const uint8_t *)s, len);
}

#define PUSH(lit) push(lit, sizeof(lit) - 1)

/* Connects through the sample handshake; the pipe's out is emptied. */
static int open_ws(void)
{
    int r;
    CHECK_EQ_R(setup(NULL), TMQ_OK, -1);
    CHECK_EQ_R(T()->ops->connect(T(), "broker.example", 8080), TMQ_IO_HANDSHAKING, -1);
    PUSH(OK_RESPONSE);
    r = T()->ops->connect(T(), "broker.example", 8080);
    CHECK_EQ_R(r, TMQ_OK, -1);
    P.out_len = 0;
    return 0;
}

/* Where text first occurs in p[0..n), or -1. */
static int32_t find(const uint8_t *p, uint32_t n, const char *text)
{
    uint32_t len = (uint32_t)strlen(text), at;
    for (at = 0; at + len <= n; at++)
        if (memcmp(p + at, text, len) == 0)
            return (int32_t)at;
    return -1;
}

/* ---- SHA-1 and base64 ---------------------------------------------------- */

static void hex(const uint8_t *p, uint32_t n, char *out)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

TEST(sha1_standard_vectors)
{
    static const struct { const char *in; const char *digest; } v[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "a49b2446a02c645bf419f995b67091253a04a259"},
    };
    uint8_t d[20];
    char text[41];
    unsigned i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        tmq_sha1((const uint8_t *)v[i].in, (uint32_t)strlen(v[i].in), d);
        hex(d, 20, text);
        CHECK_MEM(text, 40, v[i].digest, 40);
    }
}

TEST(base64_standard_vectors)
{
    static const char *const v[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                                       {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    char out[16];
    unsigned i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t n = tmq_base64((const uint8_t *)v[i][0], (uint32_t)strlen(v[i][0]), out);
        CHECK_MEM(out, n, v[i][1], strlen(v[i][1]));
        CHECK_EQ(out[n], '\0');
    }
}

/* ---- the handshake ------------------------------------------------------- */

static void with_headers(tmq_ws_config *c)
{
    c->path = "/mqtt/ws?x=1";
    c->headers = "Authorization: Bearer abc\r\nX-Device: 7\r\n";
}

TEST(request_is_exact_with_path_host_and_extra_headers)
{
    static const char want[] =
        "GET /mqtt/ws?x=1 HTTP/1.1\r\nHost: broker.example:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: " SAMPLE_KEY "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n"
        "Authorization: Bearer abc\r\nX-Device: 7\r\n\r\n";
    CHECK_EQ(setup(with_headers), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "10.0.0.1", 1), TMQ_IO_HANDSHAKING);
    CHECK_MEM(P.out, P.out_len, want, sizeof want - 1);
    CHECK_MEM(W.accept, strlen(W.accept), SAMPLE_ACCEPT, sizeof SAMPLE_ACCEPT - 1);
}

static void default_host(tmq_ws_config *c)
{
    c->host = NULL;
}

TEST(host_header_defaults_to_connect_host_and_port)
{
    static const char v4[] = "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:8083\r\n";
    static const char v6[] = "GET /mqtt HTTP/1.1\r\nHost: [::1]:443\r\n";
    CHECK_EQ(setup(default_host), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "127.0.0.1", 8083), TMQ_IO_HANDSHAKING);
    CHECK_MEM(P.out, sizeof v4 - 1, v4, sizeof v4 - 1);
    CHECK_EQ(setup(default_host), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "::1", 443), TMQ_IO_HANDSHAKING);
    CHECK_MEM(P.out, sizeof v6 - 1, v6, sizeof v6 - 1);
}

static const char *bad_path, *bad_headers;
static void bad_strings(tmq_ws_config *c)
{
    c->path = bad_path;
    c->headers = bad_headers;
}

TEST(init_refuses_what_http_cannot_carry)
{
    static const char *const paths[] = {"mqtt", "/a b", "/a\r\n", ""};
    static const char *const headers[] = {"X: 1", "X: 1\r\nY\r\n", "X: a\nb\r\n", ": v\r\n", "X Y: v\r\n"};
    unsigned i;
    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        bad_path = paths[i];
        bad_headers = NULL;
        CHECK_EQ(setup(bad_strings), TMQ_ERR_ARG);
    }
    for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        bad_path = NULL;
        bad_headers = headers[i];
        CHECK_EQ(setup(bad_strings), TMQ_ERR_ARG);
    }
    CHECK_EQ(tmq_ws_init(&W, &P.base, NULL), TMQ_ERR_ARG);
}

static void small_tx(tmq_ws_config *c)
{
    c->tx_cap = 140;
    c->headers = "X-Long: 0123456789012345678901234567890123456789\r\n";
}

TEST(request_over_tx_is_buf_too_small)
{
    CHECK_EQ(setup(small_tx), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_BUF_TOO_SMALL);
}

TEST(upgrade_completes_with_the_response_split_at_every_byte)
{
    static const char resp[] = OK_RESPONSE "\x82\x02hi";
    uint8_t buf[8];
    uint32_t i;
    CHECK_EQ(setup(NULL), TMQ_OK);
    P.connect_steps = 2;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_CONNECTING);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_CONNECTING);
    for (i = 0; i < sizeof resp - 5; i++) {
        CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
        push(resp + i, 1);
    }
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_OK);
    CHECK_EQ(tmq_ws_http_status(&W), 101);
    push(resp + sizeof resp - 5, 4); /* the frame after the response */
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 2);
    CHECK_MEM(buf, 2, "hi", 2);
}

TEST(frames_that_came_with_the_response_are_read_first)
{
    static const char resp[] = OK_RESPONSE "\x82\x03" "abc";
    uint8_t buf[8];
    CHECK_EQ(setup(NULL), TMQ_OK);
    push(resp, sizeof resp - 1);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_OK);
    CHECK_EQ(T()->ops->recv(T(), buf, 2), 2);
    CHECK_EQ(T()->ops->recv(T(), buf + 2, 6), 1);
    CHECK_MEM(buf, 3, "abc", 3);
    CHECK_EQ(T()->ops->recv(T(), buf, 6), TMQ_IO_AGAIN);
}

/* Connects and answers with resp; returns connect's result. */
static int answer(const char *resp)
{
    CHECK_EQ_R(setup(NULL), TMQ_OK, 1);
    push(resp, (uint32_t)strlen(resp));
    return T()->ops->connect(T(), "h", 1);
}

TEST(refused_upgrade_keeps_the_http_status)
{
    CHECK_EQ(answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), TMQ_ERR_WS_HANDSHAKE);
    CHECK_EQ(tmq_ws_http_status(&W), 403);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_WS_HANDSHAKE); /* sticks until close */
    T()->ops->close(T());
    CHECK_EQ(tmq_ws_http_status(&W), 403);
    /* the server hangs up after its status line */
    CHECK_EQ(setup(NULL), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
    PUSH("HTTP/1.1 401 Unauthorized\r\nWWW-Auth");
    P.peer_closed = 1;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_WS_HANDSHAKE);
    CHECK_EQ(tmq_ws_http_status(&W), 401);
    /* or before any */
    CHECK_EQ(setup(NULL), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
    P.peer_closed = 1;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_CLOSED);
    CHECK_EQ(tmq_ws_http_status(&W), 0);
}

TEST(wrong_or_missing_accept_is_ws_accept)
{
    CHECK_EQ(answer("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOp=\r\n\r\n"), TMQ_ERR_WS_ACCEPT);
    CHECK_EQ(answer("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), TMQ_ERR_WS_ACCEPT);
    /* names ignore case, values keep it; spaces around a value do not count */
    CHECK_EQ(answer("HTTP/1.1 101 OK\r\nupgrade:WebSocket\r\nCONNECTION: keep-alive, Upgrade\r\n"
                    "sec-websocket-accept:   " SAMPLE_ACCEPT " \r\n\r\n"), TMQ_OK);
    CHECK_EQ(answer("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n\r\n"), TMQ_ERR_WS_ACCEPT);
}

TEST(unusable_responses_are_ws_response)
{
    static const char *const bad[] = {
        "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n\r\n",
        OK_RESPONSE "",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " SAMPLE_ACCEPT
        "\r\nSec-WebSocket-Protocol: mqttv3.1\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " SAMPLE_ACCEPT
        "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        "HTTP/1.1 101 OK\r\nUpgrade websocket\r\n\r\n",
        "HTTP/1.1 101 OK\r\n folded: x\r\n\r\n",
        "HTTP/2 101 OK\r\n\r\n",
        "HTTP/1.1 1O1 OK\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n",
    };
    unsigned i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (i == 3)
            continue; /* the good one, kept as a reference */
        if (answer(bad[i]) != TMQ_ERR_WS_RESPONSE) {
            fprintf(stderr, "  response %u: got %d\n", i, T()->ops->connect(T(), "h", 1));
            CHECK(0);
        }
    }
    CHECK_EQ(answer(bad[3]), TMQ_OK);
}

static void tiny_rx(tmq_ws_config *c)
{
    c->rx_cap = 40;
}

TEST(response_over_rx_is_ws_response_unless_refused)
{
    CHECK_EQ(setup(tiny_rx), TMQ_OK);
    PUSH(OK_RESPONSE);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_WS_RESPONSE);
    CHECK_EQ(setup(tiny_rx), TMQ_OK);
    PUSH("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\n\r\n");
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_WS_HANDSHAKE);
    CHECK_EQ(tmq_ws_http_status(&W), 503);
}

/* ---- frames out ---------------------------------------------------------- */

TEST(send_masks_a_binary_frame_as_rfc6455_shows)
{
    /* RFC 6455 5.7's masked "Hello", as a binary frame (0x82, not 0x81) */
    static const uint8_t want[] = {0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    CHECK_EQ(open_ws(), 0);
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"Hello", 5), 5);
    CHECK_MEM(P.out, P.out_len, want, sizeof want);
}

/* Unmasks the client's frames in out[0..len) into payload; returns the
 * payload length, or -1 for a frame that is not a masked binary FIN frame. */
static int32_t unmask_all(const uint8_t *out, uint32_t len, uint8_t *payload)
{
    uint32_t at = 0, n = 0;
    while (at < len) {
        uint32_t plen = out[at + 1] & 0x7F, h = 2, i;
        if (out[at] != 0x82 || !(out[at + 1] & 0x80))
            return -1;
        if (plen == 126) {
            plen = (uint32_t)out[at + 2] << 8 | out[at + 3];
            h = 4;
        } else if (plen == 127) {
            plen = (uint32_t)out[at + 6] << 24 | (uint32_t)out[at + 7] << 16 | (uint32_t)out[at + 8] << 8 | out[at + 9];
            h = 10;
        }
        for (i = 0; i < plen; i++)
            payload[n + i] = out[at + h + 4 + i] ^ out[at + h + (i & 3)];
        n += plen;
        at += h + 4 + plen;
    }
    return (int32_t)n;
}

TEST(send_splits_into_frames_of_tx_and_reports_only_whole_frames)
{
    static uint8_t data[1000], back[1000];
    uint32_t i, done = 0;
    int calls = 0;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    CHECK_EQ(open_ws(), 0);
    P.write_limit = 50; /* the socket takes 50 bytes a call */
    while (done < sizeof data && calls++ < 1000) {
        int32_t n = T()->ops->send(T(), data + done, sizeof data - done);
        CHECK(n == TMQ_IO_AGAIN || (n > 0 && (uint32_t)n % (sizeof TX - 14) == 0) || done + (uint32_t)n == sizeof data);
        if (n > 0)
            done += (uint32_t)n;
    }
    CHECK_EQ(done, sizeof data);
    CHECK_EQ(unmask_all(P.out, P.out_len, back), (int32_t)sizeof data);
    CHECK_MEM(back, sizeof back, data, sizeof data);
}

TEST(send_uses_16_and_64_bit_lengths)
{
    static uint8_t tx[70000], data[66000], wire[66100], back[66000];
    static const uint8_t h16[] = {0x82, 0xFE, 0x01, 0x00};
    static const uint8_t h64[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x01, 0xD0};
    uint32_t wired = 0;
    int32_t n = TMQ_IO_AGAIN;
    int calls = 0;
    CHECK_EQ(open_ws(), 0);
    C.tx = tx;
    C.tx_cap = sizeof tx;
    CHECK_EQ(T()->ops->send(T(), data, 256), 256);
    CHECK_MEM(P.out, 4, h16, 4);
    P.out_len = 0;
    memset(data, 0xA5, sizeof data);
    while (n == TMQ_IO_AGAIN && calls++ < 10) { /* the pipe holds 64 KiB: empty it as a socket would */
        n = T()->ops->send(T(), data, sizeof data);
        memcpy(wire + wired, P.out, P.out_len);
        wired += P.out_len;
        P.out_len = 0;
    }
    CHECK_EQ(n, (int32_t)sizeof data);
    CHECK_MEM(wire, 10, h64, 10);
    CHECK_EQ(unmask_all(wire, wired, back), (int32_t)sizeof data);
    CHECK_MEM(back, sizeof back, data, sizeof data);
}

TEST(blocked_send_is_again_and_resumes_with_the_same_bytes)
{
    CHECK_EQ(open_ws(), 0);
    P.write_blocked = 1;
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"Hello", 5), TMQ_IO_AGAIN);
    CHECK_EQ(P.out_len, 0);
    CHECK_EQ(tmq_ws_wants_write(&W), 0); /* the caller's bytes: the caller wants to write them */
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"He", 2), TMQ_ERR_ARG); /* not the frame's bytes */
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"Hello", 5), TMQ_IO_AGAIN);
    P.write_blocked = 0;
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"Hello!", 6), 6);
    CHECK_EQ(P.out_len, 11 + 7);
}

/* ---- frames in ----------------------------------------------------------- */

/* The payload recv hands out for `in` fed `step` bytes at a time and read
 * `chunk` bytes at a time; returns its length, or the error that ended it. */
static int32_t read_all(const uint8_t *in, uint32_t len, uint32_t step, uint32_t chunk, uint8_t *out, uint32_t cap)
{
    uint32_t fed = 0, got = 0;
    for (;;) {
        int32_t n = T()->ops->recv(T(), out + got, cap - got < chunk ? cap - got : chunk);
        if (n == TMQ_IO_AGAIN) {
            uint32_t k = len - fed < step ? len - fed : step;
            if (k == 0)
                return (int32_t)got;
            pipe_push(&P, in + fed, k);
            fed += k;
            continue;
        }
        if (n < 0)
            return n;
        got += (uint32_t)n;
    }
}

TEST(fragments_and_pings_split_at_every_byte_give_the_payload)
{
    /* an MQTT PUBLISH (topic "a/b", payload "hello world") sent as a binary
     * frame, two continuations with a ping between them, then a whole frame
     * with a 16-bit length */
    static uint8_t in[512], want[400], got[400];
    uint32_t n = 0, w = 0, step, chunk, i;
    static const uint8_t publish[] = {0x30, 0x10, 0x00, 0x03, 'a', '/', 'b', 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
    memcpy(in + n, "\x02\x05", 2), n += 2, memcpy(in + n, publish, 5), n += 5;
    memcpy(in + n, "\x00\x06", 2), n += 2, memcpy(in + n, publish + 5, 6), n += 6;
    memcpy(in + n, "\x89\x03png", 5), n += 5;
    memcpy(in + n, "\x80\x07", 2), n += 2, memcpy(in + n, publish + 11, 7), n += 7;
    memcpy(want, publish, sizeof publish), w = sizeof publish;
    memcpy(in + n, "\x82\x7E\x01\x2C", 4), n += 4;
    for (i = 0; i < 300; i++)
        want[w++] = in[n++] = (uint8_t)i;
    for (step = 1; step <= 9; step += 2)
        for (chunk = 1; chunk <= 300; chunk = chunk * 3 + 1) {
            CHECK_EQ(open_ws(), 0);
            CHECK_EQ(read_all(in, n, step, chunk, got, sizeof got), (int32_t)w);
            CHECK_MEM(got, w, want, w);
            /* the ping was answered: a masked pong with its payload */
            CHECK_EQ(P.out_len, 9);
            CHECK_EQ(P.out[0], 0x8A);
            CHECK_EQ(P.out[1], 0x83);
            CHECK_EQ(P.out[6] ^ P.out[2], 'p');
            CHECK_EQ(P.out[8] ^ P.out[4], 'g');
        }
}

/* A lower read shorter than asked has emptied the lower layer for now:
 * recv returns the payload it gave without asking that layer again (over
 * TCP the second ask would be a system call finding nothing); the next
 * call asks, and the frames are whole across such reads. */
TEST(short_lower_read_returns_at_once)
{
    static uint8_t got[64];
    CHECK_EQ(open_ws(), 0);
    PUSH("\x82\x03" "abc");
    P.recvs = 0;
    CHECK_EQ(T()->ops->recv(T(), got, sizeof got), 3);
    CHECK_MEM(got, 3, "abc", 3);
    CHECK_EQ(P.recvs, 1);
    CHECK_EQ(T()->ops->recv(T(), got, sizeof got), TMQ_IO_AGAIN);
    CHECK_EQ(P.recvs, 2);
    /* a frame header alone gives no payload: the layer is asked on */
    PUSH("\x82\x02");
    CHECK_EQ(T()->ops->recv(T(), got, sizeof got), TMQ_IO_AGAIN);
    PUSH("de");
    CHECK_EQ(T()->ops->recv(T(), got, sizeof got), 2);
    CHECK_MEM(got, 2, "de", 2);
}

/* Feeds hostile frames after an open handshake; returns the error recv
 * ends with (the payload before it is read first). */
static int32_t hostile(const char *frame, uint32_t len)
{
    uint8_t buf[64];
    int32_t n;
    CHECK_EQ_R(open_ws(), 0, 1);
    push(frame, len);
    while ((n = T()->ops->recv(T(), buf, sizeof buf)) > 0)
        ;
    return n;
}

#define HOSTILE(lit) hostile(lit, sizeof(lit) - 1)

static void limit_1000(tmq_ws_config *c)
{
    c->max_frame = 1000;
}

TEST(hostile_frames_get_their_own_codes)
{
    uint8_t buf[8];
    CHECK_EQ(HOSTILE("\x82\x82\x01\x02\x03\x04" "ab"), TMQ_ERR_WS_MASKED);
    CHECK_EQ(HOSTILE("\x81\x02hi"), TMQ_ERR_WS_TEXT);
    CHECK_EQ(HOSTILE("\x83\x00"), TMQ_ERR_WS_OPCODE);
    CHECK_EQ(HOSTILE("\x8B\x00"), TMQ_ERR_WS_OPCODE);
    CHECK_EQ(HOSTILE("\xC2\x00"), TMQ_ERR_WS_FRAME);                    /* RSV1 */
    CHECK_EQ(HOSTILE("\x82\x7E\x00\x05hello"), TMQ_ERR_WS_FRAME);       /* 16-bit length under 126 */
    CHECK_EQ(HOSTILE("\x82\x7F\x00\x00\x00\x00\x00\x00\x00\x05"), TMQ_ERR_WS_FRAME);
    CHECK_EQ(HOSTILE("\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x00"), TMQ_ERR_WS_FRAME_SIZE); /* top bit */
    CHECK_EQ(HOSTILE("\x82\x7F\x00\x00\x01\x00\x00\x00\x00\x00"), TMQ_ERR_WS_FRAME_SIZE); /* 2^40 */
    CHECK_EQ(HOSTILE("\x80\x01x"), TMQ_ERR_WS_FRAME);                   /* continuation, no message */
    CHECK_EQ(HOSTILE("\x02\x01x\x82\x01y"), TMQ_ERR_WS_FRAME);          /* a message inside one */
    CHECK_EQ(HOSTILE("\x09\x00"), TMQ_ERR_WS_FRAME);                    /* fragmented ping */
    CHECK_EQ(HOSTILE("\x89\x7E\x00\x7E"), TMQ_ERR_WS_FRAME);            /* ping over 125 */
    /* the limit, and the payload before an error comes first; the error sticks */
    CHECK_EQ(setup(limit_1000), TMQ_OK);
    PUSH(OK_RESPONSE "\x82\x03" "abc\x82\x7E\x03\xE9");
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_OK);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 3);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_WS_FRAME_SIZE);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_WS_FRAME_SIZE);
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_WS_FRAME_SIZE);
}

TEST(close_between_packets_is_closed_and_answered)
{
    static const uint8_t echo_unmasked[] = {0x03, 0xE9};
    uint8_t buf[16];
    CHECK_EQ(open_ws(), 0);
    PUSH("\x82\x02\xD0\x00\x88\x02\x03\xE9"); /* PINGRESP, then close 1001 */
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 2);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_CLOSED);
    CHECK_EQ(tmq_ws_close_code(&W), 1001);
    CHECK_EQ(P.out_len, 8);
    CHECK_EQ(P.out[0], 0x88);
    CHECK_EQ(P.out[1], 0x82);
    CHECK_EQ(P.out[6] ^ P.out[2], echo_unmasked[0]);
    CHECK_EQ(P.out[7] ^ P.out[3], echo_unmasked[1]);
}

TEST(close_mid_packet_or_mid_message_is_its_own_error)
{
    uint8_t buf[16];
    CHECK_EQ(open_ws(), 0);
    PUSH("\x82\x03\x30\x10\x00\x88\x00"); /* 3 bytes of an 18-byte PUBLISH, then close */
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 3);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_WS_CLOSE_MID_PACKET);
    CHECK_EQ(tmq_ws_close_code(&W), 1005);
    CHECK_EQ(open_ws(), 0);
    PUSH("\x02\x02\xD0\x00\x88\x00"); /* a whole packet in an unfinished message */
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 2);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_WS_CLOSE_MID_PACKET);
    /* a remaining length of several bytes is followed too */
    CHECK_EQ(open_ws(), 0);
    PUSH("\x82\x03\x30\x80\x01\x88\x00");
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 3);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_WS_CLOSE_MID_PACKET);
    /* a packet that is whole: an ordinary close */
    CHECK_EQ(open_ws(), 0);
    PUSH("\x82\x03\x30\x01\x00\x88\x00");
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 3);
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_CLOSED);
}

TEST(close_sends_a_normal_close_frame)
{
    CHECK_EQ(open_ws(), 0);
    T()->ops->close(T());
    CHECK_EQ(P.out_len, 8);
    CHECK_EQ(P.out[0], 0x88);
    CHECK_EQ(P.out[1], 0x82);
    CHECK_EQ(P.out[6] ^ P.out[2], 0x03);
    CHECK_EQ(P.out[7] ^ P.out[3], 0xE8);
    CHECK_EQ(P.closes, 1);
    CHECK_EQ(T()->ops->recv(T(), P.in, 1), TMQ_ERR_CLOSED);
}

/* ---- an MQTT client over it ---------------------------------------------- */

static int connacks;
static void on_connack(tmq_client *c, const tmq_packet *p)
{
    (void)c;
    (void)p;
    connacks++;
}

TEST(client_session_over_websocket)
{
    static const uint8_t connect_311[] = {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                          0x00, 0x3C, 0x00, 0x02, 'w', 's'};
    static uint8_t tx[256], rx[256], payload[64];
    static tmq_msg msgs[4];
    static uint16_t qos2[2];
    tmq_client c;
    tmq_client_config cfg;
    tmq_client_events ev;
    tmq_client_mem mem;
    int32_t at;
    memset(&cfg, 0, sizeof cfg);
    memset(&ev, 0, sizeof ev);
    memset(&mem, 0, sizeof mem);
    cfg.host = "broker.example";
    cfg.port = 8080;
    cfg.version = TMQ_V311;
    cfg.connect.client_id.p = (const uint8_t *)"ws";
    cfg.connect.client_id.len = 2;
    cfg.connect.clean = 1;
    cfg.connect.keepalive = 60;
    ev.connack = on_connack;
    mem.tx = tx, mem.tx_cap = sizeof tx, mem.rx = rx, mem.rx_cap = sizeof rx;
    mem.msgs = msgs, mem.msg_cap = 4, mem.qos2 = qos2, mem.qos2_cap = 2;
    CHECK_EQ(setup(NULL), TMQ_OK);
    CHECK_EQ(tmq_client_init(&c, &cfg, &ev, &mem, &W.base), TMQ_OK);
    CHECK_EQ(tmq_client_connect(&c, 0), TMQ_OK);
    CHECK_EQ(tmq_client_poll(&c, 1), TMQ_STATE_TLS_HANDSHAKING); /* the upgrade runs */
    PUSH(OK_RESPONSE);
    CHECK_EQ(tmq_client_poll(&c, 2), TMQ_STATE_MQTT_CONNECTING);
    tmq_client_poll(&c, 3);
    at = find(P.out, P.out_len, "\r\n\r\n") + 4; /* the request's end */
    CHECK(at >= 4);
    CHECK_EQ(unmask_all(P.out + at, P.out_len - (uint32_t)at, payload), (int32_t)sizeof connect_311);
    CHECK_MEM(payload, sizeof connect_311, connect_311, sizeof connect_311);
    PUSH("\x02\x01\x20\x80\x03\x02\x00\x00"); /* CONNACK in two fragments */
    CHECK_EQ(tmq_client_poll(&c, 4), TMQ_STATE_READY);
    CHECK_EQ(connacks, 1);
}

static const char *proto_value, *host_value;
static void odd_strings(tmq_ws_config *c)
{
    c->protocol = proto_value;
    c->host = host_value;
}

TEST(subprotocol_and_host_are_checked_and_used)
{
    static const char want[] = "Sec-WebSocket-Protocol: mqttv3.1\r\n";
    proto_value = "mqtt v3";
    host_value = NULL;
    CHECK_EQ(setup(odd_strings), TMQ_ERR_ARG);
    proto_value = "";
    CHECK_EQ(setup(odd_strings), TMQ_ERR_ARG);
    proto_value = NULL;
    host_value = "a b";
    CHECK_EQ(setup(odd_strings), TMQ_ERR_ARG);
    bad_path = NULL;
    bad_headers = "X-Bell: \a\r\n";
    CHECK_EQ(setup(bad_strings), TMQ_ERR_ARG);
    proto_value = "mqttv3.1";
    host_value = NULL;
    CHECK_EQ(setup(odd_strings), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
    CHECK(find(P.out, P.out_len, want) > 0);
    PUSH("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " SAMPLE_ACCEPT
         "\r\nSec-WebSocket-Protocol: mqttv3.1\r\n\r\n");
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_OK);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_OK); /* open: nothing more to do */
}

TEST(lower_transport_results_pass_through)
{
    uint8_t buf[8];
    /* a failing connect, and one still in progress */
    CHECK_EQ(setup(NULL), TMQ_OK);
    P.connect_error = TMQ_ERR_REFUSED;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_REFUSED);
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_REFUSED);
    T()->ops->close(T());
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_CLOSED);
    CHECK_EQ(setup(NULL), TMQ_OK);
    P.handshake_steps = 1;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
    /* a request that cannot be written yet: send and recv wait */
    P.write_blocked = 1;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
    CHECK(tmq_ws_wants_write(&W));
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_IO_AGAIN);
    CHECK_EQ(T()->ops->recv(T(), buf, 1), TMQ_IO_AGAIN);
    P.write_blocked = 0;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_HANDSHAKING);
    CHECK(!tmq_ws_wants_write(&W));
    /* the server goes away while the request is written */
    CHECK_EQ(setup(NULL), TMQ_OK);
    P.connect_steps = 1;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_IO_CONNECTING);
    P.connected = 1;
    P.peer_closed = 1;
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_CLOSED);
    /* an open connection: the peer's end, a failing write */
    CHECK_EQ(open_ws(), 0);
    PUSH("\x8A\x01p\x82\x01z"); /* an unasked pong is ignored */
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'z');
    P.peer_closed = 1;
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_CLOSED);
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_CLOSED);
    CHECK_EQ(open_ws(), 0);
    P.peer_closed = 1;
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_CLOSED);
}

/* The write fails while a frame waits unread: send reports the failure,
 * recv still gives the frame (the engine reads it before it reports the
 * disconnect), then the close. */
TEST(failed_write_leaves_reading)
{
    uint8_t buf[8];
    CHECK_EQ(open_ws(), 0);
    PUSH("\x82\x02hi");
    P.peer_closed = 1;
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_CLOSED);
    CHECK(!tmq_ws_wants_write(&W));
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), 2);
    CHECK(buf[0] == 'h' && buf[1] == 'i');
    CHECK_EQ(T()->ops->recv(T(), buf, sizeof buf), TMQ_ERR_CLOSED);
    CHECK_EQ(T()->ops->send(T(), buf, 1), TMQ_ERR_CLOSED);
    CHECK_EQ(T()->ops->connect(T(), "h", 1), TMQ_ERR_CLOSED);
}

TEST(a_pong_owed_waits_for_the_frame_in_progress)
{
    CHECK_EQ(open_ws(), 0);
    P.write_blocked = 1;
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"Hello", 5), TMQ_IO_AGAIN);
    PUSH("\x89\x01!");
    CHECK_EQ(T()->ops->recv(T(), P.in + 100, 4), TMQ_IO_AGAIN);
    P.write_blocked = 0;
    CHECK_EQ(T()->ops->send(T(), (const uint8_t *)"Hello", 5), 5);
    CHECK_EQ(P.out_len, 11 + 7); /* the frame, then the pong */
    CHECK_EQ(P.out[0], 0x82);
    CHECK_EQ(P.out[11], 0x8A);
    CHECK_EQ(P.out[17] ^ P.out[13], '!');
}

TEST(only_the_latest_ping_is_answered_and_a_pong_keeps_nothing)
{
    CHECK_EQ(open_ws(), 0);
    P.write_blocked = 1;
    PUSH("\x89\x03one\x8A\x03xyz\x89\x03two\x8A\x02zz");
    CHECK_EQ(T()->ops->recv(T(), P.in + 200, 8), TMQ_IO_AGAIN);
    P.write_blocked = 0;
    CHECK_EQ(T()->ops->recv(T(), P.in + 200, 8), TMQ_IO_AGAIN);
    CHECK_EQ(P.out_len, 9); /* one pong, for "two" */
    CHECK_EQ(P.out[0], 0x8A);
    CHECK_EQ(P.out[6] ^ P.out[2], 't');
    CHECK_EQ(P.out[7] ^ P.out[3], 'w');
    CHECK_EQ(P.out[8] ^ P.out[4], 'o');
}
