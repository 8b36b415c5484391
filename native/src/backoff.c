/* Reconnect delays: exponential backoff, with full jitter or none (backoff.h). */
#include "tinymqtt/backoff.h"

void tmq_backoff_reset(tmq_backoff *b)
{
    b->ceiling_ms = 0;
}

/* xorshift32: enough to spread clients apart, not for secrets. */
static uint32_t next_random(tmq_backoff *b)
{
    uint32_t x = b->seed ? b->seed : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b->seed = x;
    return x;
}

uint32_t tmq_backoff_next(tmq_backoff *b)
{
    uint32_t ceiling = b->ceiling_ms ? b->ceiling_ms : b->base_ms, delay;
    uint64_t grown = (uint64_t)ceiling * (b->factor ? b->factor : 1u);
    if (!b->base_ms)
        return TMQ_RECONNECT_NEVER;
    delay = b->no_jitter ? ceiling : ceiling == UINT32_MAX ? next_random(b) : next_random(b) % (ceiling + 1u);
    b->ceiling_ms = grown > b->max_ms ? (b->max_ms > ceiling ? b->max_ms : ceiling) : (uint32_t)grown;
    return delay;
}

uint32_t tmq_backoff_after(tmq_backoff *b, int was_ready, uint32_t lasted_ms)
{
    uint32_t delay;
    if (was_ready && lasted_ms >= b->stable_ms)
        tmq_backoff_reset(b);
    delay = tmq_backoff_next(b);
    return delay ? delay : 1u;   /* 0 would retry within the same poll, before the failure is heard */
}
