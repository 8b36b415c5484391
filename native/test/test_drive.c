/* Driver policies (tinymqtt/drive.h): when reads of a stream are coalesced,
 * that a round trip never waits for the mark or the timer, and how the
 * score of the waits for a reply awake moves. */
#include "harness.h"
#include "tinymqtt/drive.h"

#define GAP_US 50u   /* well inside TMQ_COALESCE_BUSY_GAP_US: a busy stream */

/* Feeds `reads` reads of `bytes` each, GAP_US apart from *now_us, with
 * nothing submitted by the application: a stream it only receives. */
static void stream(tmq_coalesce *c, uint32_t *now_us, uint32_t reads, uint32_t bytes)
{
    uint32_t i;
    for (i = 0; i < reads; i++) {
        *now_us += GAP_US;
        tmq_coalesce_after_poll(c, *now_us, bytes, 0, 0, 0);
    }
}

/* Whether a stream of `reads` reads (as stream()) turns coalescing on at
 * its last read and not before. */
static int starts_at_read(tmq_coalesce *c, uint32_t *now_us, uint32_t reads, uint32_t bytes)
{
    stream(c, now_us, reads - 1, bytes);
    if (tmq_coalesce_on(c))
        return 0;
    stream(c, now_us, 1, bytes);
    return tmq_coalesce_on(c);
}

TEST(coalesce_starts_after_a_streak_of_busy_reads)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    CHECK_EQ(tmq_coalesce_mark(&c), 1);
    /* the first read has no previous one; then the streak of busy ones turns it on */
    stream(&c, &now, TMQ_COALESCE_START_STREAK, 100);
    CHECK(!tmq_coalesce_on(&c));
    /* four reads' worth would be less than the start mark */
    CHECK_EQ(tmq_coalesce_after_poll(&c, now + GAP_US, 100, 0, 0, 0), TMQ_COALESCE_START_MARK);
    CHECK(tmq_coalesce_on(&c));
    CHECK_EQ(tmq_coalesce_mark(&c), TMQ_COALESCE_START_MARK);
}

TEST(coalesce_round_trips_never_turn_it_on)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    int i;
    /* a ping-pong as fast as it goes: each read follows a submitted publish */
    for (i = 0; i < 10000; i++) {
        now += 20;
        CHECK_EQ(tmq_coalesce_after_poll(&c, now, 70, 0, 1, 0), 1);
        CHECK(!tmq_coalesce_on(&c));
    }
    /* one QoS 1 publish at a time: its PUBACK is a reply */
    for (i = 0; i < 10000; i++) {
        now += 20;
        tmq_coalesce_after_poll(&c, now, 4, 0, 1, 1);
        CHECK(!tmq_coalesce_on(&c));
    }
    /* the usual order: the poll that writes the request reads nothing, and
     * the next one, in which nothing was submitted, reads the reply */
    for (i = 0; i < 10000; i++) {
        now += 10;
        CHECK_EQ(tmq_coalesce_after_poll(&c, now, 0, 0, 1, 0), 1);
        now += 40;
        CHECK_EQ(tmq_coalesce_after_poll(&c, now, 70, 0, 0, 0), 1);
    }
}

TEST(coalesce_a_round_trip_turns_it_off_at_once)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    int i;
    stream(&c, &now, 20, 200);
    CHECK(tmq_coalesce_on(&c));
    /* the stream ends and the application publishes and waits for a reply:
     * the next poll must leave the mark at 1, so the reply is read at once */
    now += GAP_US;
    CHECK_EQ(tmq_coalesce_after_poll(&c, now, 200, 0, 1, 0), 1);
    CHECK(!tmq_coalesce_on(&c));
    /* and the following round trips keep it off */
    for (i = 0; i < 1000; i++) {
        now += 30;
        tmq_coalesce_after_poll(&c, now, 70, 0, 1, 0);
        CHECK_EQ(tmq_coalesce_mark(&c), 1);
    }
}

TEST(coalesce_a_full_window_of_acknowledgements_is_a_stream)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000, i;
    for (i = 0; i <= TMQ_COALESCE_START_STREAK; i++) {
        now += GAP_US;
        tmq_coalesce_after_poll(&c, now, 40, 0, 1, TMQ_COALESCE_STREAM_WINDOW);
    }
    CHECK(tmq_coalesce_on(&c));
}

TEST(coalesce_a_slowed_stream_turns_it_off_and_the_next_start_waits_longer)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    stream(&c, &now, TMQ_COALESCE_START_STREAK + 1, 100);
    CHECK(tmq_coalesce_on(&c));
    /* the timer finds a few bytes, far below the mark: the stream slowed
     * before a read ever came by the mark, so the attempt failed */
    now += 1000;
    CHECK_EQ(tmq_coalesce_after_poll(&c, now, 10, 1, 0, 0), 1);
    CHECK(!tmq_coalesce_on(&c));
    /* starting again takes twice the streak (the first read after the timer's is already busy) */
    CHECK(starts_at_read(&c, &now, 2 * TMQ_COALESCE_START_STREAK, 100));
}

TEST(coalesce_failed_attempts_need_longer_streaks_up_to_the_longest)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000, needed = TMQ_COALESCE_START_STREAK;
    int attempt;
    stream(&c, &now, 1, 100);   /* the first read, with none before it */
    for (attempt = 0; attempt < 16; attempt++) {
        CHECK(starts_at_read(&c, &now, needed, 100));
        /* the timer finds a few bytes: the stream slowed before a read came by the mark */
        now += 1000;
        tmq_coalesce_after_poll(&c, now, 10, 1, 0, 0);
        CHECK(!tmq_coalesce_on(&c));
        needed = 2 * needed < TMQ_COALESCE_LONGEST_STREAK ? 2 * needed : TMQ_COALESCE_LONGEST_STREAK;
    }
    CHECK_EQ(needed, TMQ_COALESCE_LONGEST_STREAK);
    /* an attempt whose reads came by the mark starts the count over */
    stream(&c, &now, needed, 100);
    CHECK(tmq_coalesce_on(&c));
    stream(&c, &now, 1, TMQ_COALESCE_START_MARK);
    now += 1000;
    tmq_coalesce_after_poll(&c, now, 10, 1, 0, 0);
    CHECK(!tmq_coalesce_on(&c));
    CHECK(starts_at_read(&c, &now, TMQ_COALESCE_START_STREAK, 100));
}

TEST(coalesce_the_mark_follows_the_stream_within_bounds)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    stream(&c, &now, TMQ_COALESCE_START_STREAK + 1, 1000);
    CHECK(tmq_coalesce_on(&c));
    CHECK_EQ(tmq_coalesce_mark(&c), 4000);   /* four reads' worth */
    stream(&c, &now, 1, 8000);
    CHECK_EQ(tmq_coalesce_mark(&c), TMQ_COALESCE_MAX_MARK);   /* doubled, but no further than the bound */
    /* a sender stopping short of the mark (its window): the timer halves towards what came */
    now += 1000;
    tmq_coalesce_after_poll(&c, now, 600, 1, 0, 0);
    CHECK(tmq_coalesce_on(&c));
    CHECK_EQ(tmq_coalesce_mark(&c), 300);
    /* reads at twice the mark double it again */
    stream(&c, &now, 1, 600);
    CHECK_EQ(tmq_coalesce_mark(&c), 600);
}

TEST(coalesce_a_read_by_the_timer_does_not_grow_the_mark)
{
    /* a driver that holds every read until the timer (one that cannot set a
     * low-water mark) reads a delay's worth of a steady stream each time:
     * that says the mark fills within the delay, not how fast, so the mark
     * stays where a stream just above the slowed bound keeps it on */
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    int i;
    stream(&c, &now, TMQ_COALESCE_START_STREAK + 1, 4);   /* acknowledgements, 4 bytes each */
    /* the first timer read brings the start mark down to half of it */
    now += 1000;
    tmq_coalesce_after_poll(&c, now, 200, 1, 0, 0);
    CHECK_EQ(tmq_coalesce_mark(&c), 100);
    for (i = 0; i < 100; i++) {
        now += 1000;
        tmq_coalesce_after_poll(&c, now, i % 2 ? 200 : 100, 1, 0, 0);
        CHECK(tmq_coalesce_on(&c));
        CHECK_EQ(tmq_coalesce_mark(&c), 100);
    }
}

TEST(coalesce_a_stream_bringing_the_least_mark_within_the_delay_stays_coalesced)
{
    /* a QoS 1 publisher's acknowledgements, 100 bytes a delay: the timer
     * brings the start mark down to the least one and the attempt goes on
     * (it turns off only under the least mark) */
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    int i;
    stream(&c, &now, TMQ_COALESCE_START_STREAK + 1, 4);
    for (i = 0; i < 10; i++) {
        now += 1000;
        tmq_coalesce_after_poll(&c, now, 100, 1, 0, 0);
        CHECK(tmq_coalesce_on(&c));
        CHECK_EQ(tmq_coalesce_mark(&c), TMQ_COALESCE_MIN_MARK);
    }
    now += 1000;
    tmq_coalesce_after_poll(&c, now, TMQ_COALESCE_MIN_MARK - 1, 1, 0, 0);
    CHECK(!tmq_coalesce_on(&c));
}

TEST(coalesce_the_first_mark_stays_within_bounds)
{
    tmq_coalesce small = {0, 0, 0, 0, 0, 0, 0}, large = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    stream(&small, &now, TMQ_COALESCE_START_STREAK + 1, 4);
    CHECK_EQ(tmq_coalesce_mark(&small), TMQ_COALESCE_START_MARK);
    stream(&large, &now, TMQ_COALESCE_START_STREAK + 1, 0x7fffffffu);
    CHECK_EQ(tmq_coalesce_mark(&large), TMQ_COALESCE_MAX_MARK);
}

TEST(coalesce_the_time_may_wrap)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 0xffffffffu - 3 * GAP_US;
    stream(&c, &now, TMQ_COALESCE_START_STREAK + 1, 100);
    CHECK(tmq_coalesce_on(&c));
}

TEST(coalesce_reset_starts_over)
{
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    stream(&c, &now, 20, 200);
    CHECK(tmq_coalesce_on(&c));
    tmq_coalesce_reset(&c);
    CHECK(!tmq_coalesce_on(&c));
    CHECK_EQ(tmq_coalesce_mark(&c), 1);
    stream(&c, &now, TMQ_COALESCE_START_STREAK, 200);
    CHECK(!tmq_coalesce_on(&c));
}

TEST(spin_a_new_client_waits_for_replies)
{
    tmq_spin s = {0, 0};
    CHECK(tmq_spin_after_write(&s, NULL));
}

TEST(spin_never_while_reads_are_coalesced)
{
    tmq_spin s = {0, 0};
    tmq_coalesce c = {0, 0, 0, 0, 0, 0, 0};
    uint32_t now = 1000;
    stream(&c, &now, 20, 200);
    CHECK(tmq_coalesce_on(&c));
    CHECK(!tmq_spin_after_write(&s, &c));
    CHECK_EQ(s.writes_since_miss, 0);   /* not counted towards a probe */
    tmq_coalesce_reset(&c);
    CHECK(tmq_spin_after_write(&s, &c));
}

TEST(spin_a_miss_costs_two_hits)
{
    /* h: a hit, m: a miss, then +: the next write waits, -: it does not.
     * The start score, 4, is one miss from zero; two hits (+2 each) make
     * up for a miss (-4). */
    static const char steps[] = "m-h+m-hhhm+m-";
    tmq_spin s = {0, 0};
    const char *p;
    for (p = steps; *p; p++) {
        if (*p == 'h')
            tmq_spin_hit(&s);
        else if (*p == 'm')
            tmq_spin_miss(&s);
        else
            CHECK_EQ(tmq_spin_after_write(&s, NULL), *p == '+');
    }
}

TEST(spin_the_score_has_a_ceiling)
{
    tmq_spin s = {0, 0};
    int i;
    for (i = 0; i < 100; i++)
        tmq_spin_hit(&s);
    /* at most TMQ_SPIN_MAX_SCORE: four misses reach zero however many hits came */
    for (i = 0; i < TMQ_SPIN_MAX_SCORE / TMQ_SPIN_MISS - 1; i++) {
        tmq_spin_miss(&s);
        CHECK(tmq_spin_after_write(&s, NULL));
    }
    tmq_spin_miss(&s);
    CHECK(!tmq_spin_after_write(&s, NULL));
}

TEST(spin_at_zero_a_probe_once_in_so_many_writes)
{
    tmq_spin s = {0, 0};
    uint32_t i;
    for (i = 0; i < 10; i++)
        tmq_spin_miss(&s);   /* no lower than zero */
    for (i = 1; i < TMQ_SPIN_PROBE_EVERY; i++)
        CHECK(!tmq_spin_after_write(&s, NULL));
    CHECK(tmq_spin_after_write(&s, NULL));   /* the probe */
    CHECK(!tmq_spin_after_write(&s, NULL));
    /* the probe's reply came in time: waits again */
    tmq_spin_hit(&s);
    CHECK(tmq_spin_after_write(&s, NULL));
    /* a miss starts the count towards the next probe over */
    tmq_spin_miss(&s);
    for (i = 1; i < TMQ_SPIN_PROBE_EVERY; i++)
        CHECK(!tmq_spin_after_write(&s, NULL));
    CHECK(tmq_spin_after_write(&s, NULL));
}
