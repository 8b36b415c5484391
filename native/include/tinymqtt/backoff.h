/* Reconnect delays: exponential backoff, with full jitter or none.
 *
 * The client asks its reconnect_delay event for each delay (client.h); this
 * is the policy to answer with: return tmq_backoff_after(&b, was_ready,
 * lasted_ms). Attempt n waits a delay drawn uniformly from
 * [0, min(max_ms, base_ms * factor^n)] ("full jitter"), so clients that lost
 * a broker together do not come back together; with no_jitter it waits the
 * ceiling itself, so factor 1 gives a fixed period. base_ms 0 turns
 * reconnecting off. The settings may change between two delays (a live
 * client's policy): call tmq_backoff_reset after, so the next delay follows
 * them. Its own library (tinymqtt_backoff): a firmware that keeps a fixed
 * delay does not link it. No heap, no floating point. */
#ifndef TINYMQTT_BACKOFF_H
#define TINYMQTT_BACKOFF_H

#include <stdint.h>
#include "tinymqtt/client.h"

typedef struct tmq_backoff {
    uint32_t base_ms;     /* the first ceiling; 0: never reconnect */
    uint32_t max_ms;      /* the largest ceiling (>= base_ms) */
    uint16_t factor;      /* ceiling growth per attempt (>= 1) */
    uint8_t no_jitter;    /* nonzero: each delay is its ceiling, not drawn below it */
    uint32_t stable_ms;   /* a connection that lasted this long starts over */
    uint32_t ceiling_ms;  /* state: the next attempt's ceiling; 0 starts over */
    uint32_t seed;        /* state: the jitter's xorshift32 generator; set it
                           * nonzero (from a hardware or OS random source) */
} tmq_backoff;

/* Starts over: the next delay is drawn below base_ms again. */
void tmq_backoff_reset(tmq_backoff *b);

/* The next delay in milliseconds, in [0, ceiling] (the ceiling with
 * no_jitter); then the ceiling grows by factor, up to max_ms.
 * TMQ_RECONNECT_NEVER when base_ms is 0. */
uint32_t tmq_backoff_next(tmq_backoff *b);

/* The delay before reconnecting after a connection lost (was_ready: it had
 * come up, lasted_ms ago) or an attempt that failed: starts over first when
 * the connection lasted stable_ms, then tmq_backoff_next, but never 0 ms (a
 * drawn 0 becomes 1): the next attempt always waits for a later poll, so
 * whoever heard of the failure can act on it first. */
uint32_t tmq_backoff_after(tmq_backoff *b, int was_ready, uint32_t lasted_ms);

#endif
