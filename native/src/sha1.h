/* SHA-1 (FIPS 180-4), for the WebSocket handshake's accept value only: no
 * security rests on it there. */
#ifndef TINYMQTT_SHA1_H
#define TINYMQTT_SHA1_H

#include <stdint.h>

/* Writes the 20-byte SHA-1 digest of data[0..len) to out. No memory of its
 * own beyond the stack (about 100 bytes). */
void tmq_sha1(const uint8_t *data, uint32_t len, uint8_t out[20]);

#endif
