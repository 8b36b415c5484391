/* Reconnect delays (tinymqtt/backoff.h): ceilings grow by the factor up to
 * the maximum, every delay is within its ceiling, the jitter spreads, a
 * reset starts over, no_jitter waits the ceilings themselves and a base of 0
 * never reconnects. */
#include "harness.h"
#include "tinymqtt/backoff.h"

static tmq_backoff make(uint32_t base, uint32_t max, uint16_t factor, uint32_t seed)
{
    tmq_backoff b;
    b.base_ms = base;
    b.max_ms = max;
    b.factor = factor;
    b.no_jitter = 0;
    b.stable_ms = 1000;
    b.ceiling_ms = 0;
    b.seed = seed;
    return b;
}

TEST(delays_stay_below_ceilings_that_grow_to_the_maximum)
{
    tmq_backoff b = make(100, 1000, 2, 12345);
    static const uint32_t ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
    unsigned i;
    for (i = 0; i < sizeof ceilings / sizeof ceilings[0]; i++) {
        uint32_t d = tmq_backoff_next(&b);
        CHECK(d <= ceilings[i]);
    }
    CHECK_EQ(b.ceiling_ms, 1000);
}

TEST(reset_starts_over_at_the_base)
{
    tmq_backoff b = make(50, 5000, 3, 7);
    int i;
    for (i = 0; i < 10; i++)
        tmq_backoff_next(&b);
    CHECK_EQ(b.ceiling_ms, 5000);
    tmq_backoff_reset(&b);
    CHECK(tmq_backoff_next(&b) <= 50);
    CHECK_EQ(b.ceiling_ms, 150);
}

TEST(jitter_spreads_delays_and_seeds_differ)
{
    tmq_backoff a = make(1000, 1000, 1, 1), c = make(1000, 1000, 1, 2);
    uint32_t lo = UINT32_MAX, hi = 0, same = 0;
    int i;
    for (i = 0; i < 1000; i++) {
        uint32_t d = tmq_backoff_next(&a);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        same += d == tmq_backoff_next(&c);
    }
    CHECK(lo < 100);   /* full jitter reaches near 0 ... */
    CHECK(hi > 900);   /* ... and near the ceiling */
    CHECK(same < 20);  /* two clients do not come back together */
}

TEST(a_stable_connection_starts_over_a_short_or_failed_one_does_not)
{
    tmq_backoff b = make(50, 5000, 3, 7);
    tmq_backoff_after(&b, 0, 0);
    tmq_backoff_after(&b, 1, 999);   /* not stable: grows on */
    CHECK_EQ(b.ceiling_ms, 450);
    CHECK(tmq_backoff_after(&b, 1, 1000) <= 50);   /* stable: starts over */
    CHECK_EQ(b.ceiling_ms, 150);
    tmq_backoff_after(&b, 0, 5000);   /* a failed attempt never resets */
    CHECK_EQ(b.ceiling_ms, 450);
}

TEST(a_reconnect_delay_is_never_zero)
{
    tmq_backoff b = make(2, 2, 1, 11);   /* draws of 0, 1 or 2 ms */
    int i, ones = 0;
    for (i = 0; i < 300; i++) {
        uint32_t d = tmq_backoff_after(&b, 0, 0);
        CHECK(d >= 1 && d <= 2);
        ones += d == 1;
    }
    CHECK(ones > 100);   /* the drawn zeros became 1 */
}

TEST(large_values_neither_overflow_nor_shrink)
{
    tmq_backoff b = make(0x80000000u, UINT32_MAX, 4, 99);
    tmq_backoff_next(&b);
    CHECK_EQ(b.ceiling_ms, UINT32_MAX);
    tmq_backoff_next(&b);   /* a ceiling of UINT32_MAX draws from the whole range */
    CHECK_EQ(b.ceiling_ms, UINT32_MAX);
    b = make(500, 100, 2, 5);   /* a maximum below the base keeps the base */
    CHECK(tmq_backoff_next(&b) <= 500);
    CHECK_EQ(b.ceiling_ms, 500);
}

/* LuatOS's autoreconn: factor 1 and no jitter is a fixed period. */
TEST(no_jitter_waits_each_ceiling_and_factor_1_a_fixed_period)
{
    tmq_backoff b = make(100, 1000, 2, 3);
    static const uint32_t ceilings[] = {100, 200, 400, 800, 1000, 1000};
    unsigned i;
    b.no_jitter = 1;
    for (i = 0; i < sizeof ceilings / sizeof ceilings[0]; i++)
        CHECK_EQ(tmq_backoff_next(&b), ceilings[i]);
    b = make(3000, 3000, 1, 3);
    b.no_jitter = 1;
    for (i = 0; i < 5; i++)
        CHECK_EQ(tmq_backoff_after(&b, i & 1, 10), 3000);
}

/* A live client's policy changed between delays: off, then a new period
 * that the next delay follows once reset. */
TEST(a_base_of_0_never_reconnects_and_a_changed_policy_applies_after_reset)
{
    tmq_backoff b = make(1000, 1000, 1, 3);
    b.no_jitter = 1;
    CHECK_EQ(tmq_backoff_next(&b), 1000);
    b.base_ms = 0;
    CHECK_EQ(tmq_backoff_next(&b), TMQ_RECONNECT_NEVER);
    CHECK_EQ(tmq_backoff_after(&b, 1, 5000), TMQ_RECONNECT_NEVER);
    b.base_ms = b.max_ms = 2500;
    tmq_backoff_reset(&b);
    CHECK_EQ(tmq_backoff_next(&b), 2500);
}
