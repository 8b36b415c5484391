/* Base64 (RFC 4648, with padding), for the WebSocket handshake's key and
 * accept values. */
#ifndef TINYMQTT_BASE64_H
#define TINYMQTT_BASE64_H

#include <stdint.h>

/* Writes the base64 form of in[0..len) and a NUL to out, which has room for
 * 4 * ((len + 2) / 3) + 1 bytes. Returns the characters written (without
 * the NUL). */
uint32_t tmq_base64(const uint8_t *in, uint32_t len, char *out);

#endif
