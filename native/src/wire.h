/* Internal to the codec: bounded byte reader and counting writer.
 *
 * Both carry a sticky error: the first failure is kept, later reads return
 * zeros and later writes are ignored, so codec functions check once at the
 * end instead of after every field. A failed read moves the cursor to the
 * end, so loops over a packet's payload stop by themselves. */
#ifndef TMQ_WIRE_H
#define TMQ_WIRE_H

#include <stdint.h>
#include "tinymqtt/packet.h"

/* Nonzero if version is 5.0 in a build with 5.0: 3.x-only builds drop the
 * 5.0 branches at compile time. */
#define TMQ_IS_V5(version) (TMQ_WITH_V5 && (version) == TMQ_V5)

/* Reads from [p, end). */
typedef struct tmq_rd {
    const uint8_t *p;
    const uint8_t *end;
    int err;
} tmq_rd;

/* Writes into buf[0..cap) while counting every byte in pos, so a writer with
 * buf == NULL measures what a real one would write. */
typedef struct tmq_wr {
    uint8_t *buf;
    uint32_t cap;
    uint32_t pos;
    int err;
} tmq_wr;

/* Records err (0 is ignored) unless an error is already there, and ends the reader. */
void tmq_rd_fail(tmq_rd *r, int err);
uint32_t tmq_rd_left(const tmq_rd *r);
uint8_t tmq_rd_u8(tmq_rd *r);
uint16_t tmq_rd_u16(tmq_rd *r);
/* A length-prefixed binary field into *out; TMQ_ERR_FIELD_LENGTH if it runs past end. */
void tmq_rd_bin(tmq_rd *r, tmq_bin *out);
/* A length-prefixed UTF-8 string into *out, checked with tmq_utf8_check (5.0 or server builds). */
void tmq_rd_str(tmq_rd *r, tmq_bin *out);
/* The rest of the reader as one range, into *out. */
void tmq_rd_rest(tmq_rd *r, tmq_bin *out);

/* Records err in w unless an error is already there; err == 0 is ignored. */
void tmq_wr_check(tmq_wr *w, int err);
void tmq_wr_u8(tmq_wr *w, uint8_t v);
void tmq_wr_u16(tmq_wr *w, uint16_t v);
/* Writes n bytes from p; p == NULL with n > 0 is TMQ_ERR_ARG. */
void tmq_wr_raw(tmq_wr *w, const uint8_t *p, uint32_t n);
/* A length-prefixed binary field (at most 65,535 bytes). */
void tmq_wr_bin(tmq_wr *w, tmq_bin b);
/* A length-prefixed UTF-8 string, checked first. */
void tmq_wr_str(tmq_wr *w, tmq_bin s);

/* Types whose fixed header flags are 0010: PUBREL, SUBSCRIBE, UNSUBSCRIBE. */
#define TMQ_FLAGS2_TYPES ((1u << TMQ_PUBREL) | (1u << TMQ_SUBSCRIBE) | (1u << TMQ_UNSUBSCRIBE))

/* Checks a fixed header's type and flag nibble for `version` (0: not yet
 * known): reserved types, AUTH before 5.0, QoS 3, DUP on QoS 0, fixed flags. */
int tmq_header_check(uint8_t type, uint8_t flags, uint8_t version);

/* Checks CONNECT flags and the client id length for `version`: reserved
 * bit, will QoS 3, will bits without a will, password without user name
 * (3.x), empty id with a persistent session (3.1.1), 3.1's 1-23 bytes. */
int tmq_connect_check(uint8_t version, uint8_t flags, uint32_t id_len);

/* Checks a SUBSCRIBE options byte for `version` against its filter:
 * reserved bits, QoS 3, retain handling 3, no-local on a shared filter. */
int tmq_sub_opts_check(uint8_t version, uint8_t opts, tmq_bin filter);

#if TMQ_WITH_V5
/* 5.0 fields: four-byte integers and variable byte integers in the body. */
uint32_t tmq_rd_u32(tmq_rd *r);
uint32_t tmq_rd_vbi(tmq_rd *r);
void tmq_wr_u32(tmq_wr *w, uint32_t v);
void tmq_wr_vbi(tmq_wr *w, uint32_t v);

/* Reads a property block for packet `kind` (a packet type, or 0 for will
 * properties) and validates every property. */
void tmq_rd_props(tmq_rd *r, uint8_t kind, tmq_props *out);
/* Validates and writes a property block with its length prefix. */
void tmq_wr_props(tmq_wr *w, uint8_t kind, const tmq_props *props);
#endif

/* Nonzero if code is a valid return/reason code for a packet of `type` in
 * `version`: 3.x CONNACK 0-5, 3.x SUBACK 0-2 or 0x80, 5.0 per the
 * specification's reason code table. */
int tmq_code_ok(uint8_t type, uint8_t version, uint8_t code);

#endif
