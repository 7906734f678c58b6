/* net.c - dispatch from the public net API to a backend's vtable. */
#include "net.h"
#include "../base/rr_error.h"

#include <stdlib.h>

struct net {
    const struct net_ops *ops;
    void *state;
};

static const struct net_ops *const backends[] = {
    [NET_BACKEND_REF] = &net__ref_ops,
    [NET_BACKEND_XNN] = &net__xnn_ops,
};

int net_new(const struct model *m, enum net_backend backend, int threads, struct net **out,
            char *msg, size_t msg_len)
{
    if (!m || !out || (unsigned)backend >= sizeof backends / sizeof backends[0] || threads < 1)
        return RR_ERR_INVAL;
    struct net *n = calloc(1, sizeof *n);
    if (!n)
        return RR_ERR_NOMEM;
    n->ops = backends[backend];
    int rc = n->ops->create(m, threads, &n->state, msg, msg_len);
    if (rc < 0) {
        free(n);
        return rc;
    }
    *out = n;
    return 0;
}

void net_free(struct net *n)
{
    if (!n)
        return;
    n->ops->destroy(n->state);
    free(n);
}

float *net_input(struct net *n, int i)
{
    return n->ops->input(n->state, i);
}

const float *net_output(const struct net *n, int i)
{
    return n->ops->output(n->state, i);
}

int net_run(struct net *n)
{
    return n->ops->run(n->state);
}

const char *net_backend_name(enum net_backend b)
{
    return b == NET_BACKEND_XNN ? "xnnpack" : "reference";
}
