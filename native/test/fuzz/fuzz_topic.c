/* libFuzzer target: UTF-8, topic name and filter checks and matching. The
 * input is "filter" 0xFF "topic" (0xFF never appears in UTF-8). Oracles:
 * matching never reads outside either string (ASan), even for invalid
 * filters; a valid topic matches itself as a filter; "#" matches every valid
 * topic not starting with '$'; a valid name is also a valid filter. */
#include <stdlib.h>
#include <string.h>
#include "tinymqtt/topic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0xFF, size);
    uint32_t flen = sep ? (uint32_t)(sep - data) : (uint32_t)size;
    const uint8_t *t = sep ? sep + 1 : data + size;
    uint32_t tlen = sep ? (uint32_t)(size - flen - 1) : 0;
    int topic_ok;
    if (size > 0xFFFF)
        return 0;
    (void)tmq_filter_check(data, flen);
    (void)tmq_topic_match(data, flen, t, tlen); /* any bytes: must stay in bounds */
    topic_ok = tmq_topic_check(t, tlen) == TMQ_OK;
    if (topic_ok) {
        if (tmq_filter_check(t, tlen) != TMQ_OK && !(tlen >= 7 && !memcmp(t, "$share/", 7)))
            abort();
        if (!(tlen >= 7 && !memcmp(t, "$share/", 7)) && !tmq_topic_match(t, tlen, t, tlen))
            abort();
        if (tmq_topic_match((const uint8_t *)"#", 1, t, tlen) != (t[0] != '$'))
            abort();
    }
    return 0;
}
