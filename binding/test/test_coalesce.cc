// ReadCoalescing (coalesce.h): when the inline driver lets a stream gather in
// the socket, and that a round trip never waits for the mark or the timer.
#include "coalesce.h"
#include "harness.h"

using tmq_node::ReadCoalescing;

namespace {

constexpr uint64_t kGapUs = 50;   // well inside kBusyGapUs: a busy stream

// Feeds `reads` reads of `bytes` each, kGapUs apart from *now_us, with
// nothing submitted by the application: a stream it only receives.
void Stream(ReadCoalescing &c, uint64_t *now_us, uint32_t reads, uint32_t bytes)
{
    for (uint32_t i = 0; i < reads; i++) {
        *now_us += kGapUs;
        c.AfterPoll(*now_us, bytes, false, false, 0);
    }
}

} // namespace

TEST(coalesce_starts_after_a_streak_of_busy_reads)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    CHECK_EQ(c.Mark(), 1);
    // the first read has no previous one; then kStartStreak busy ones turn it on
    Stream(c, &now, ReadCoalescing::kStartStreak, 100);
    CHECK(!c.On());
    Stream(c, &now, 1, 100);
    CHECK(c.On());
    CHECK_EQ(c.Mark(), ReadCoalescing::kStartMark);   // four reads' worth would be less
}

TEST(coalesce_round_trips_never_turn_it_on)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    // a ping-pong as fast as it goes: each read follows a submitted publish
    for (int i = 0; i < 10000; i++) {
        now += 20;
        c.AfterPoll(now, 70, false, true, 0);
        CHECK(!c.On());
        CHECK_EQ(c.Mark(), 1);
    }
    // one QoS 1 publish at a time: its PUBACK is a reply
    for (int i = 0; i < 10000; i++) {
        now += 20;
        c.AfterPoll(now, 4, false, true, 1);
        CHECK(!c.On());
    }
}

TEST(coalesce_a_round_trip_turns_it_off_at_once)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    Stream(c, &now, 20, 200);
    CHECK(c.On());
    // the stream ends and the application publishes and waits for a reply:
    // the next poll must leave the mark at 1, so the reply is read at once
    now += kGapUs;
    c.AfterPoll(now, 200, false, true, 0);
    CHECK(!c.On());
    CHECK_EQ(c.Mark(), 1);
    // and the following round trips keep it off
    for (int i = 0; i < 1000; i++) {
        now += 30;
        c.AfterPoll(now, 70, false, true, 0);
        CHECK_EQ(c.Mark(), 1);
    }
}

TEST(coalesce_a_full_window_of_acknowledgements_is_a_stream)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    for (uint32_t i = 0; i <= ReadCoalescing::kStartStreak; i++) {
        now += kGapUs;
        c.AfterPoll(now, 40, false, true, ReadCoalescing::kStreamWindow);
    }
    CHECK(c.On());
}

TEST(coalesce_a_slowed_stream_turns_it_off_and_the_next_start_waits_longer)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    Stream(c, &now, ReadCoalescing::kStartStreak + 1, 100);
    CHECK(c.On());
    // the timer finds a few bytes, far below the mark: the stream slowed
    // before a read ever came by the mark, so the attempt failed
    now += 1000;
    c.AfterPoll(now, 10, true, false, 0);
    CHECK(!c.On());
    CHECK_EQ(c.Mark(), 1);
    // starting again takes twice the streak (the first read after the timer's is already busy)
    Stream(c, &now, 2 * ReadCoalescing::kStartStreak - 1, 100);
    CHECK(!c.On());
    Stream(c, &now, 1, 100);
    CHECK(c.On());
}

TEST(coalesce_the_mark_follows_the_stream_within_bounds)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    Stream(c, &now, ReadCoalescing::kStartStreak + 1, 1000);
    CHECK(c.On());
    CHECK_EQ(c.Mark(), 4000);   // four reads' worth
    Stream(c, &now, 1, 8000);
    CHECK_EQ(c.Mark(), ReadCoalescing::kMaxMark);   // doubled, but no further than the bound
    // a sender stopping short of the mark (its window): the timer halves towards what came
    now += 1000;
    c.AfterPoll(now, 600, true, false, 0);
    CHECK(c.On());
    CHECK_EQ(c.Mark(), 300);
    // reads at twice the mark double it again
    Stream(c, &now, 1, 600);
    CHECK_EQ(c.Mark(), 600);
}

TEST(coalesce_reset_starts_over)
{
    ReadCoalescing c;
    uint64_t now = 1000;
    Stream(c, &now, 20, 200);
    CHECK(c.On());
    c.Reset();
    CHECK(!c.On());
    CHECK_EQ(c.Mark(), 1);
}
