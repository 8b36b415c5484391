/* The WebSocket transport (tinymqtt/ws.h) over a POSIX transport (tmq_tcp,
 * or tmq_tls for wss), for tmq_loop and the Node binding: its random bytes
 * come from the kernel (getrandom), and its `io` head mirrors the lower
 * transport's fd, with write interest also while the WebSocket layer has
 * bytes of its own to write. Lives in native/port/posix. */
#ifndef TINYMQTT_WS_POSIX_H
#define TINYMQTT_WS_POSIX_H

#include <stdint.h>
#include "tinymqtt/posix.h"
#include "tinymqtt/ws.h"

/* A WebSocket connection over `lower`. Treat the fields as private, except
 * `io` (hand &io.base to the client and &io to the loop). */
typedef struct tmq_ws_posix {
    tmq_posix_io io;
    tmq_ws ws;
    tmq_posix_io *lower;
    tmq_ws_config cfg;     /* the caller's, with the kernel as random source */
    uint8_t pool[256];     /* random bytes not yet handed out */
    uint16_t pool_off;
} tmq_ws_posix;

/* Prepares p over lower (which must outlive p; p's close closes it). cfg is
 * copied (what it points to must outlive p); its random source, if NULL,
 * becomes the kernel's. Returns what tmq_ws_init returns. p must stay at one
 * address from here on. */
int tmq_ws_posix_init(tmq_ws_posix *p, tmq_posix_io *lower, const tmq_ws_config *cfg);

#endif
