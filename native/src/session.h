/* Internal: the client's session state. Outgoing messages and requests live
 * in a ring of caller-provided slots in submission order (completed ones
 * leave holes until the oldest completes); incoming QoS 2 packet ids wait in
 * a small set until their PUBREL. */
#ifndef TMQ_SESSION_H
#define TMQ_SESSION_H

#include "tinymqtt/client.h"

/* The slot at ring offset i (0 = oldest). */
tmq_msg *tmq_session_at(const tmq_client *c, unsigned i);

/* A free slot at the end of the ring (state QUEUED, fields zeroed), or NULL
 * if the ring is full. */
tmq_msg *tmq_session_alloc(tmq_client *c);

/* Frees slot m and drops finished slots from the front of the ring. */
void tmq_session_free(tmq_client *c, tmq_msg *m);

/* A packet id (1-65535) that no slot in use carries. */
uint16_t tmq_session_new_id(tmq_client *c);

/* The slot in use that carries packet id `id` (ids in use are unique), or NULL. */
tmq_msg *tmq_session_by_id(const tmq_client *c, uint16_t id);

/* Calls visit(c, m, arg) on every slot in use when the walk starts, oldest
 * first. The walk goes by ring position, so visit may free the slot it is
 * given and callbacks may submit new messages: freed slots are behind the
 * walk, new ones beyond its end. */
void tmq_session_each(tmq_client *c, void (*visit)(tmq_client *c, tmq_msg *m, int arg), int arg);

/* Incoming QoS 2: returns 1 if id is already held (a resend), else adds it
 * and returns 0, or TMQ_ERR_QUEUE_FULL when the set is full. */
int tmq_session_qos2_hold(tmq_client *c, uint16_t id);

/* Incoming QoS 2: releases id; returns 1 if it was held, 0 if not. */
int tmq_session_qos2_release(tmq_client *c, uint16_t id);

#endif
