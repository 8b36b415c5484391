/* Driver policies: read coalescing and waiting for a reply awake (drive.h). */
#include "tinymqtt/drive.h"

static uint32_t needed_streak(const tmq_coalesce *c)
{
    return c->needed ? c->needed : TMQ_COALESCE_START_STREAK;
}

static void turn_off(tmq_coalesce *c, int failed)
{
    uint32_t needed = needed_streak(c);
    c->on = 0;
    c->streak = 0;
    if (failed)
        c->needed = 2 * needed < TMQ_COALESCE_LONGEST_STREAK ? 2 * needed : TMQ_COALESCE_LONGEST_STREAK;
}

void tmq_coalesce_reset(tmq_coalesce *c)
{
    static const tmq_coalesce fresh = {0, 0, 0, 0, 0, 0, 0};
    *c = fresh;
}

uint32_t tmq_coalesce_mark(const tmq_coalesce *c)
{
    return c->on ? c->mark : 1;
}

int tmq_coalesce_on(const tmq_coalesce *c)
{
    return c->on;
}

uint32_t tmq_coalesce_after_poll(tmq_coalesce *c, uint32_t now_us, uint32_t bytes, int by_timer, int submitted,
                                 uint32_t inflight)
{
    int waits_for_reply = submitted && inflight < TMQ_COALESCE_STREAM_WINDOW;
    int busy;
    if (c->on) {
        if (waits_for_reply) {
            turn_off(c, 0);   /* a round trip: its reply must not wait */
        } else if (by_timer && bytes < TMQ_COALESCE_MIN_MARK) {
            turn_off(c, !c->worked);   /* the stream slowed down or stopped */
        } else if (by_timer && bytes < c->mark) {
            /* the sender stopped short of the mark (its window, or a slower stream) */
            c->mark = bytes / 2 > TMQ_COALESCE_MIN_MARK ? bytes / 2 : TMQ_COALESCE_MIN_MARK;
        } else if (bytes >= c->mark) {
            c->worked = 1;
            c->needed = 0;
            /* reads by the mark with twice its bytes: the stream fills it
             * faster than a wake-up; the timer's read says only that it was
             * filled within the delay */
            if (!by_timer && bytes >= 2 * c->mark)
                c->mark = 2 * c->mark < TMQ_COALESCE_MAX_MARK ? 2 * c->mark : TMQ_COALESCE_MAX_MARK;
        }
        if (bytes)
            c->last_read_us = now_us;
        return tmq_coalesce_mark(c);
    }
    if (bytes == 0) {
        /* a poll that wrote a request and read nothing: its reply, read by
         * a later poll, is no stream */
        if (waits_for_reply)
            c->streak = 0;
        return 1;
    }
    busy = c->read_before && !waits_for_reply && now_us - c->last_read_us < TMQ_COALESCE_BUSY_GAP_US;
    c->read_before = 1;
    c->last_read_us = now_us;
    c->streak = busy ? c->streak + 1 : 0;
    if (c->streak < needed_streak(c))
        return 1;
    c->on = 1;
    c->worked = 0;
    c->streak = 0;
    c->mark = bytes < TMQ_COALESCE_START_MARK / 4 ? TMQ_COALESCE_START_MARK
            : bytes > TMQ_COALESCE_MAX_MARK / 4 ? TMQ_COALESCE_MAX_MARK : 4 * bytes;
    return c->mark;
}

int tmq_spin_after_write(tmq_spin *s, const tmq_coalesce *reads)
{
    if (reads && reads->on)
        return 0;
    return TMQ_SPIN_START_SCORE + s->score > 0 || ++s->writes_since_miss % TMQ_SPIN_PROBE_EVERY == 0;
}

void tmq_spin_hit(tmq_spin *s)
{
    int score = TMQ_SPIN_START_SCORE + s->score + TMQ_SPIN_HIT;
    s->score = (int16_t)((score > TMQ_SPIN_MAX_SCORE ? TMQ_SPIN_MAX_SCORE : score) - TMQ_SPIN_START_SCORE);
}

void tmq_spin_miss(tmq_spin *s)
{
    int score = TMQ_SPIN_START_SCORE + s->score - TMQ_SPIN_MISS;
    s->score = (int16_t)((score < 0 ? 0 : score) - TMQ_SPIN_START_SCORE);
    s->writes_since_miss = 0;
}
