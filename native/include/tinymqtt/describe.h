/* A packet as one line of text, for debug logs: its direction, type and
 * what identifies it, e.g. "out PUBLISH id=2 qos=1 topic 'a/b' payload 5
 * bytes (16 bytes)" or "in CONNACK session present=0 reason=0x00 (4 bytes)".
 * The client's packet event (TMQ_WITH_PACKET_HOOK) gives what it needs. Its
 * own library (tinymqtt_describe): a firmware that logs no packets does not
 * link it. No heap, no stdio. */
#ifndef TINYMQTT_DESCRIBE_H
#define TINYMQTT_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>
#include "tinymqtt/packet.h"

/* Writes the line of packet `pkt` (out: nonzero for a packet sent, zero for
 * one received; len: its length in bytes) into buf, at most cap bytes, no
 * NUL. Returns the length of the whole line, which may exceed cap (then
 * only its first cap bytes were written; buf may be NULL with cap 0 to ask
 * for the length). The caller owns buf; pkt is only read. Client ids and
 * topics are copied as they are (at most 65535 bytes each). */
size_t tmq_packet_describe(const tmq_packet *pkt, int out, uint32_t len, char *buf, size_t cap);

#endif
