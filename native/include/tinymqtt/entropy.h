/* tinymqtt: random bytes from the board, for the transports that need them
 * on a device (the device TLS transport's random generator, a WebSocket's
 * keys through tmq_ws_config.random). The port provides the function; the
 * engine has none of its own. */
#ifndef TINYMQTT_ENTROPY_H
#define TINYMQTT_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

/* Provided by the port: fills buf with len bytes from the board's entropy
 * source (a true random number generator where there is one). Returns 0, or
 * nonzero when none could be had. */
int tmq_port_entropy(uint8_t *buf, size_t len);

#endif
