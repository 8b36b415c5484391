/* tinymqtt: UTF-8 strings, topic names, topic filters and matching. */
#ifndef TINYMQTT_TOPIC_H
#define TINYMQTT_TOPIC_H

#include <stdint.h>
#include "tinymqtt/error.h"

/* Checks s (len bytes) is an MQTT UTF-8 string: well-formed UTF-8 (no
 * overlong forms, nothing above U+10FFFF), no U+0000, no surrogates, at
 * most 65,535 bytes. Returns TMQ_OK or TMQ_ERR_UTF8 (TMQ_ERR_TOO_LARGE for
 * the length). */
int tmq_utf8_check(const uint8_t *s, uint32_t len);

/* Checks a topic name for PUBLISH: a valid UTF-8 string, non-empty, without
 * '+' or '#'. Returns TMQ_OK, TMQ_ERR_TOPIC, TMQ_ERR_UTF8 or TMQ_ERR_TOO_LARGE. */
int tmq_topic_check(const uint8_t *t, uint32_t len);

/* Checks a topic filter for SUBSCRIBE/UNSUBSCRIBE: a valid UTF-8 string,
 * non-empty, '+' alone in its level, '#' alone in the last level, and for
 * "$share/group/filter" a non-empty group without '/', '+' or '#' followed by
 * a valid non-empty filter. Returns TMQ_OK, TMQ_ERR_FILTER, TMQ_ERR_SHARED,
 * TMQ_ERR_UTF8 or TMQ_ERR_TOO_LARGE. */
int tmq_filter_check(const uint8_t *f, uint32_t len);

/* Splits a shared subscription "$share/group/filter". Returns 1 with group
 * and inner filter set (views into f), 0 if f is not a shared subscription
 * (outputs untouched). Assumes f passed tmq_filter_check. Built with
 * TMQ_WITH_V5 or TMQ_WITH_SERVER (a 3.1.1 client never needs it). */
int tmq_share_split(const uint8_t *f, uint32_t len,
                    const uint8_t **group, uint32_t *group_len,
                    const uint8_t **filter, uint32_t *filter_len);

/* Returns 1 if topic name t matches filter f, else 0. A leading wildcard does
 * not match a topic starting with '$'; a shared subscription matches as its
 * inner filter. Both are assumed valid (checked above). */
int tmq_topic_match(const uint8_t *f, uint32_t flen, const uint8_t *t, uint32_t tlen);

#endif
