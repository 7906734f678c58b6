/* net.c - dispatch from the public net API to a backend's vtable. */
#include "pose/net.h"
#include "base/rr_error.h"
#include "pose/model.h"

#include <stdio.h>
#include <stdlib.h>

struct net {
    const struct net_ops *ops;
    void *state;
    unsigned outputs; /* net_new_outputs() mask */
};

static const struct net_ops *const backends[] = {
    [NET_BACKEND_REF] = &net__ref_ops,
    [NET_BACKEND_XNN] = &net__xnn_ops,
};

static int kept(unsigned outputs, int i)
{
    return i >= 0 && (outputs == NET_ALL_OUTPUTS || (i < 32 && (outputs >> i) & 1u));
}

/* Marks the ops a kept output depends on, sweeping the (topologically ordered) ops backwards.
 * Indices out of range are left for the backend's own checks to report: such an op is live.
 * Returns the number of kept outputs. */
static int mark_live(const struct model *m, unsigned outputs, unsigned char *need,
                     unsigned char *live)
{
    int n_kept = 0;
    for (int i = 0; i < m->n_outputs; i++) {
        int t = m->outputs[i];
        if (!kept(outputs, i))
            continue;
        n_kept++;
        if (t >= 0 && t < m->n_tensors)
            need[t] = 1;
    }
    for (int k = m->n_ops - 1; k >= 0; k--) {
        const struct model_op *op = &m->ops[k];
        int o = op->output;
        live[k] = o < 0 || o >= m->n_tensors || need[o];
        if (!live[k])
            continue;
        for (int j = 0; j < op->n_inputs && j < MODEL_MAX_OP_INPUTS; j++)
            if (op->inputs[j] >= 0 && op->inputs[j] < m->n_tensors)
                need[op->inputs[j]] = 1;
    }
    return n_kept;
}

int net_new_outputs(const struct model *m, enum net_backend backend, int threads,
                    unsigned outputs, struct net **out, char *msg, size_t msg_len)
{
    if (!m || !out || (unsigned)backend >= sizeof backends / sizeof backends[0] || threads < 1 ||
        m->n_tensors < 0 || m->n_tensors > MODEL_MAX_TENSORS || m->n_ops < 0 ||
        m->n_ops > MODEL_MAX_OPS || (m->n_ops && !m->ops) || (m->n_outputs && !m->outputs))
        return RR_ERR_INVAL;
    unsigned char *need = calloc((size_t)m->n_tensors + 1, 1);
    unsigned char *live = calloc((size_t)m->n_ops + 1, 1);
    struct net *n = calloc(1, sizeof *n);
    int rc = RR_ERR_NOMEM;
    if (!need || !live || !n)
        goto out;
    rc = RR_ERR_INVAL;
    if (mark_live(m, outputs, need, live) == 0) {
        if (msg && msg_len)
            snprintf(msg, msg_len, "no output of the model is asked for");
        goto out;
    }
    n->ops = backends[backend];
    n->outputs = outputs;
    rc = n->ops->create(m, threads, live, &n->state, msg, msg_len);
    if (rc == 0) {
        *out = n;
        n = NULL;
    }
out:
    free(n);
    free(need);
    free(live);
    return rc;
}

int net_new(const struct model *m, enum net_backend backend, int threads, struct net **out,
            char *msg, size_t msg_len)
{
    return net_new_outputs(m, backend, threads, NET_ALL_OUTPUTS, out, msg, msg_len);
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
    return kept(n->outputs, i) ? n->ops->output(n->state, i) : NULL;
}

int net_run(struct net *n)
{
    return n->ops->run(n->state);
}

const char *net_backend_name(enum net_backend b)
{
    return b == NET_BACKEND_XNN ? "xnnpack" : "reference";
}
