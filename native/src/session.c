/* The client's session state: message ring, packet ids, incoming QoS 2 ids. */
#include "session.h"

#include <string.h>

tmq_msg *tmq_session_at(const tmq_client *c, unsigned i)
{
    uint32_t idx = (uint32_t)c->head + i;
    if (idx >= c->mem.msg_cap)
        idx -= c->mem.msg_cap;
    return &c->mem.msgs[idx];
}

tmq_msg *tmq_session_alloc(tmq_client *c)
{
    tmq_msg *m;
    if (c->live == c->mem.msg_cap)
        return 0;
    m = tmq_session_at(c, c->live);
    memset(m, 0, sizeof *m);
    m->state = TMQ_MSG_QUEUED;
    c->live++;
    return m;
}

void tmq_session_free(tmq_client *c, tmq_msg *m)
{
    m->state = TMQ_MSG_FREE;
    while (c->live && c->mem.msgs[c->head].state == TMQ_MSG_FREE) {
        c->head = (uint16_t)(c->head + 1 == c->mem.msg_cap ? 0 : c->head + 1);
        c->live--;
        if (c->send_off)
            c->send_off--;
    }
}

tmq_msg *tmq_session_by_id(const tmq_client *c, uint16_t id)
{
    unsigned i;
    for (i = 0; i < c->live; i++) {
        tmq_msg *m = tmq_session_at(c, i);
        if (m->state != TMQ_MSG_FREE && m->id == id)
            return m;
    }
    return 0;
}

void tmq_session_each(tmq_client *c, void (*visit)(tmq_client *c, tmq_msg *m, int arg), int arg)
{
    unsigned pos = c->head, n = c->live;
    while (n--) {
        tmq_msg *m = &c->mem.msgs[pos];
        if (m->state != TMQ_MSG_FREE)
            visit(c, m, arg);
        if (++pos == c->mem.msg_cap)
            pos = 0;
    }
}

uint16_t tmq_session_new_id(tmq_client *c)
{
    /* at most msg_cap (< 65535) ids are in use, so this ends */
    do {
        c->next_id = (uint16_t)(c->next_id == 0xFFFFu ? 1u : c->next_id + 1u);
    } while (tmq_session_by_id(c, c->next_id));
    return c->next_id;
}

int tmq_session_qos2_hold(tmq_client *c, uint16_t id)
{
    unsigned i;
    for (i = 0; i < c->qos2_count; i++)
        if (c->mem.qos2[i] == id)
            return 1;
    if (c->qos2_count == c->mem.qos2_cap)
        return TMQ_ERR_QUEUE_FULL;
    c->mem.qos2[c->qos2_count++] = id;
    return 0;
}

int tmq_session_qos2_release(tmq_client *c, uint16_t id)
{
    unsigned i;
    for (i = 0; i < c->qos2_count; i++) {
        if (c->mem.qos2[i] == id) {
            c->mem.qos2[i] = c->mem.qos2[--c->qos2_count];
            return 1;
        }
    }
    return 0;
}
