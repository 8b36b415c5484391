/* The offline queue's admission rule (tinymqtt/offline.h): which bound
 * refuses, at the edge of each, and the words and code of each refusal. */
#include <string.h>

#include "harness.h"
#include "tinymqtt/offline.h"

static const tmq_offline_bounds none = TMQ_OFFLINE_NO_BOUNDS;

#define CHECK_TEXT(got, want) CHECK_MEM(got, strlen(got), want, strlen(want))

TEST(offline_without_bounds_admits_anything)
{
    CHECK_EQ(tmq_offline_admit(&none, 0, 0, 0, 64), TMQ_OFFLINE_ADMITTED);
    CHECK_EQ(tmq_offline_admit(&none, UINT32_MAX - 1, UINT64_MAX - 1024 - 268435460u, 2, 268435460u),
             TMQ_OFFLINE_ADMITTED);
    CHECK(tmq_offline_code(TMQ_OFFLINE_ADMITTED) == NULL);
}

TEST(offline_entry_counts_the_packet_and_the_host_memory)
{
    /* 64-bit values: compared whole (CHECK_EQ compares as long) */
    CHECK(tmq_offline_entry(0) == TMQ_OFFLINE_ENTRY_BYTES);
    CHECK(tmq_offline_entry(UINT32_MAX) == (uint64_t)UINT32_MAX + TMQ_OFFLINE_ENTRY_BYTES);
}

TEST(offline_qos0_is_refused_only_when_the_option_says_so)
{
    tmq_offline_bounds b = none;
    b.qos0 = 0;
    CHECK_EQ(tmq_offline_admit(&b, 0, 0, 0, 64), TMQ_OFFLINE_NO_QOS0);
    CHECK_EQ(tmq_offline_admit(&b, 0, 0, 1, 64), TMQ_OFFLINE_ADMITTED);
    CHECK_TEXT(tmq_offline_code(TMQ_OFFLINE_NO_QOS0), "TMQ_ERR_NOT_CONNECTED");
}

TEST(offline_count_bound_refuses_at_the_limit)
{
    tmq_offline_bounds b = none;
    b.count = 3;
    CHECK_EQ(tmq_offline_admit(&b, 2, 0, 1, 64), TMQ_OFFLINE_ADMITTED);
    CHECK_EQ(tmq_offline_admit(&b, 3, 0, 1, 64), TMQ_OFFLINE_COUNT);
    b.count = 0;
    CHECK_EQ(tmq_offline_admit(&b, 0, 0, 1, 64), TMQ_OFFLINE_COUNT);
    CHECK_TEXT(tmq_offline_code(TMQ_OFFLINE_COUNT), "TMQ_ERR_QUEUE_FULL");
}

TEST(offline_byte_bound_counts_entries_to_the_byte)
{
    tmq_offline_bounds b = none;
    b.bytes = 2 * (64 + TMQ_OFFLINE_ENTRY_BYTES);
    /* a second message fits exactly, a byte more does not */
    CHECK_EQ(tmq_offline_admit(&b, 1, 64 + TMQ_OFFLINE_ENTRY_BYTES, 1, 64), TMQ_OFFLINE_ADMITTED);
    CHECK_EQ(tmq_offline_admit(&b, 1, 64 + TMQ_OFFLINE_ENTRY_BYTES, 1, 65), TMQ_OFFLINE_BYTES);
    /* counts past the bound (a bound never lowered, but a caller's count may be) */
    CHECK_EQ(tmq_offline_admit(&b, 5, UINT64_MAX, 1, 0), TMQ_OFFLINE_BYTES);
    CHECK_TEXT(tmq_offline_code(TMQ_OFFLINE_BYTES), "TMQ_ERR_QUEUE_FULL");
}

TEST(offline_refusals_name_the_option)
{
    tmq_offline_bounds b = {5000, 7, 0};
    char buf[256];
    size_t n = tmq_offline_refusal(buf, sizeof buf, TMQ_OFFLINE_NO_QOS0, &b, 0, 64);
    CHECK_TEXT(buf, "publish: not connected, and options.queueQoSZero is false");
    CHECK_EQ(n, strlen(buf));
    tmq_offline_refusal(buf, sizeof buf, TMQ_OFFLINE_COUNT, &b, 0, 64);
    CHECK_TEXT(buf, "publish: not connected, and the offline queue holds options.queueLimit (7) messages");
    tmq_offline_refusal(buf, sizeof buf, TMQ_OFFLINE_BYTES, &b, 4176, 70);
    CHECK_TEXT(buf, "publish: not connected, and a 70-byte PUBLISH (1094 bytes queued) would take the offline queue "
                    "past options.queueByteLimit (5000 bytes; 4176 used)");
    b.bytes = UINT64_MAX;
    tmq_offline_refusal(buf, sizeof buf, TMQ_OFFLINE_BYTES, &b, 0, 0);
    CHECK(strstr(buf, "(18446744073709551615 bytes; 0 used)") != NULL);
    CHECK_EQ(tmq_offline_refusal(buf, sizeof buf, TMQ_OFFLINE_ADMITTED, &b, 0, 0), 0);
    CHECK_EQ(buf[0], '\0');
    /* a value that is no refusal: no words, no code */
    CHECK_EQ(tmq_offline_refusal(buf, sizeof buf, 7, &b, 0, 0), 0);
    CHECK_EQ(buf[0], '\0');
    CHECK(tmq_offline_code(7) == NULL);
    CHECK(tmq_offline_code(-1) == NULL);
}

TEST(offline_refusal_is_cut_to_the_buffer)
{
    char buf[12];
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(tmq_offline_refusal(buf, 8, TMQ_OFFLINE_NO_QOS0, &none, 0, 0), 7);
    CHECK_TEXT(buf, "publish");
    CHECK_EQ(buf[8], 'x');   /* nothing past cap */
    CHECK_EQ(tmq_offline_refusal(buf, 0, TMQ_OFFLINE_NO_QOS0, &none, 0, 0), 0);
    CHECK_EQ(buf[0], 'p');   /* nothing at all */
}
