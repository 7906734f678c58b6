/*
 * hookrx.h - a webhook receiver for tests: a real HTTP/1.1 server on 127.0.0.1 (random free
 * port) on its own thread, recording every request it answers (webhook headers and body) and
 * answering as told: 200, 503, 302 with a Location, or never (hang until the client gives up).
 * hookrx_down() closes the listening socket (clients get "connection refused"); hookrx_up()
 * listens on the same port again.
 * Ownership: hookrx_start returns a heap object freed by hookrx_stop. Thread-safety: the
 * accessors lock; call start/stop from one thread.
 */
#ifndef RR_TEST_HOOKRX_H
#define RR_TEST_HOOKRX_H

#include <stddef.h>
#include <stdint.h>

#define HOOKRX_MAX 512
#define HOOKRX_BODY_MAX 8192

enum hookrx_mode { HOOKRX_OK, HOOKRX_503, HOOKRX_302, HOOKRX_HANG };

struct hookrx_req {
    char path[256];
    char id[128], timestamp[32], signature[256];
    char body[HOOKRX_BODY_MAX + 1];
    size_t body_len;
    int status; /* what it answered */
};

struct hookrx;

struct hookrx *hookrx_start(void);
void hookrx_stop(struct hookrx *rx);
uint16_t hookrx_port(const struct hookrx *rx);
void hookrx_set_mode(struct hookrx *rx, enum hookrx_mode mode, const char *location);
int hookrx_down(struct hookrx *rx);
int hookrx_up(struct hookrx *rx);
/* Requests answered so far (all of them, whatever the answer) and a copy of one. */
size_t hookrx_count(struct hookrx *rx);
int hookrx_get(struct hookrx *rx, size_t i, struct hookrx_req *out);
/* Connections accepted so far (including ones that sent nothing). */
size_t hookrx_connections(struct hookrx *rx);

#endif
