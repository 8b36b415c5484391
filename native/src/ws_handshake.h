/* The WebSocket opening handshake (RFC 6455 section 4): the client's
 * upgrade request and the check of the server's answer. Internal to the
 * WebSocket transport (ws.c). */
#ifndef TINYMQTT_WS_HANDSHAKE_H
#define TINYMQTT_WS_HANDSHAKE_H

#include "tinymqtt/ws.h"

/* TMQ_OK when the strings of cfg are ones a request can carry (see
 * tmq_ws_config), else TMQ_ERR_ARG. */
int tmq_ws_config_check(const tmq_ws_config *cfg);

/* Writes the upgrade request for host:port into cfg->tx, with a fresh key
 * from cfg->random, and keeps the accept value the key gives in w->accept.
 * Returns the request's length, or TMQ_ERR_BUF_TOO_SMALL. */
int32_t tmq_ws_request(tmq_ws *w, const char *host, uint16_t port);

/* Checks the response header block p[0..len) (ending with the empty line):
 * sets w->http_status, returns TMQ_OK for an accepted upgrade, else
 * TMQ_ERR_WS_HANDSHAKE, TMQ_ERR_WS_ACCEPT or TMQ_ERR_WS_RESPONSE. Reads only
 * inside p. */
int tmq_ws_response(tmq_ws *w, const uint8_t *p, uint32_t len);

/* The status code of a complete status line at the start of p[0..len),
 * or 0 when there is none. */
uint16_t tmq_ws_status(const uint8_t *p, uint32_t len);

#endif
