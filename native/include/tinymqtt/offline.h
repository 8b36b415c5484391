/* The offline queue's admission rule. The engine keeps no message beyond
 * its slots (the in-flight window, no heap), so a host that lets the
 * application publish while its client is not connected keeps those
 * publishes itself until the CONNACK, within the bounds the application set
 * (in the Node package: options.queueLimit, queueByteLimit, queueQoSZero).
 * Every such host (the Node addon's binding, the WebAssembly engine's
 * TypeScript driver) admits and refuses with this rule, with the same
 * figures and words. Pure logic over the caller's counts (a host whose
 * threads count concurrently keeps them as it needs); part of
 * tinymqtt_drive, with the other driver policies. */
#ifndef TINYMQTT_OFFLINE_H
#define TINYMQTT_OFFLINE_H

#include <stddef.h>
#include <stdint.h>

/* What the queue counts for a message besides its PUBLISH bytes: a host's
 * memory for it (in the Node package, the job, the promise and its map
 * entries: about 1.4 KB of RSS per queued 64-byte QoS 1 publish). */
#define TMQ_OFFLINE_ENTRY_BYTES 1024u

/* The bounds: at most `count` messages counted at most `bytes` bytes
 * together (UINT32_MAX and UINT64_MAX: none); QoS 0 publishes are queued
 * only when `qos0` is nonzero. */
typedef struct tmq_offline_bounds {
    uint64_t bytes;
    uint32_t count;
    uint8_t qos0;
} tmq_offline_bounds;

/* An initializer of a tmq_offline_bounds that bounds nothing. */
#define TMQ_OFFLINE_NO_BOUNDS {UINT64_MAX, UINT32_MAX, 1}

/* What tmq_offline_admit decides. */
enum tmq_offline_verdict {
    TMQ_OFFLINE_ADMITTED = 0,
    TMQ_OFFLINE_NO_QOS0 = 1,   /* a QoS 0 publish, and bounds->qos0 is zero */
    TMQ_OFFLINE_COUNT = 2,     /* the queue holds bounds->count messages */
    TMQ_OFFLINE_BYTES = 3      /* the message would take it past bounds->bytes */
};

/* What the queue counts for a PUBLISH of `packet` bytes. */
uint64_t tmq_offline_entry(uint32_t packet);

/* Whether a queue that holds `count` messages counted at `bytes` takes a
 * PUBLISH of `packet` bytes at `qos` (an enum tmq_offline_verdict). The
 * caller adds tmq_offline_entry(packet) to its count when admitted, and
 * takes it away when the message leaves the queue. */
int tmq_offline_admit(const tmq_offline_bounds *bounds, uint32_t count, uint64_t bytes, uint8_t qos,
                      uint32_t packet);

/* The error code name a refusal is reported with: "TMQ_ERR_NOT_CONNECTED"
 * (TMQ_OFFLINE_NO_QOS0) or "TMQ_ERR_QUEUE_FULL" (TMQ_OFFLINE_COUNT,
 * TMQ_OFFLINE_BYTES); NULL for TMQ_OFFLINE_ADMITTED or any other value. */
const char *tmq_offline_code(int verdict);

/* The message of a refusal, for a publish of `packet` bytes refused with
 * `verdict` by a queue counted at `bytes`, naming the option that refused
 * it, into buf: NUL-terminated, cut to cap - 1 characters. Returns its
 * length as written, NUL not counted (0, an empty text, for
 * TMQ_OFFLINE_ADMITTED or any value that is no refusal). */
size_t tmq_offline_refusal(char *buf, size_t cap, int verdict, const tmq_offline_bounds *bounds, uint64_t bytes,
                           uint32_t packet);

#endif
