/*
 * queue_int.h - inside the queue module only: the backend constructors queue_open() dispatches
 * to. Each returns a heap object whose first member is struct queue (queue.h), or a negative
 * RR_ERR_* with msg saying what is wrong (never a secret of the URL).
 */
#ifndef RR_QUEUE_QUEUE_INT_H
#define RR_QUEUE_QUEUE_INT_H

#include <stddef.h>

#include "queue/queue.h"

/* url: "redis://[[user]:password@]host[:port][/db][?block_ms=N&takeover_ms=N]"
 * (queue_redis.c). */
int queue__redis_open(const char *url, struct store *s, struct queue **out, char *msg,
                      size_t msg_len);

#endif
