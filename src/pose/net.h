/*
 * net.h - one runnable instance of a loaded model on a compute backend.
 *
 * create -> (fill input, run, read outputs)* -> free. All memory (activations, backend runtime,
 * thread pool) is planned and allocated in net_new(); net_run() performs no heap allocation.
 * Two backends implement the same contract:
 *   NET_BACKEND_REF  plain C, one thread, every op of all four BlazePose models (ref/);
 *   NET_BACKEND_XNN  XNNPACK subgraph runtime, `threads` >= 1 (xnn.c).
 * Both take NHWC fp32 input, produce the model's outputs in the subgraph's order, and agree
 * within the tolerances stated in tests/unit/pose/test_ops.c.
 *
 * Ownership: a net borrows the model (which must outlive it) and owns its buffers. Input and
 * output pointers stay valid until net_free(). Thread-safety: one net is used by one thread at a
 * time; different nets (even of the same model) may run concurrently.
 */
#ifndef RR_POSE_NET_H
#define RR_POSE_NET_H

#include <stddef.h>

struct model;

enum net_backend { NET_BACKEND_REF = 0, NET_BACKEND_XNN = 1 };

struct net;

/* Returns 0 and *out, or RR_ERR_NOMEM / RR_ERR_UNSUPPORTED / RR_ERR_BACKEND (msg says why). */
int net_new(const struct model *m, enum net_backend backend, int threads, struct net **out,
            char *msg, size_t msg_len);
/* Every output: the set net_new() computes. */
#define NET_ALL_OUTPUTS 0xffffffffu

/* As net_new(), but computes only the outputs whose bit is set in `outputs` (bit i = output i;
 * outputs past the 32nd are kept only with NET_ALL_OUTPUTS). Ops that feed no kept output are
 * never run, so a model's unused heads cost nothing (BlazePose's segmentation head is 16 % of
 * the lite landmark model's FLOPs); the kept outputs are exactly those of the whole net.
 * net_output() returns NULL for an output left out. RR_ERR_INVAL when no output is kept. */
int net_new_outputs(const struct model *m, enum net_backend backend, int threads,
                    unsigned outputs, struct net **out, char *msg, size_t msg_len);
void net_free(struct net *n);

/* Writable input buffer of subgraph input i (count floats, see model_input(m, i)->count). */
float *net_input(struct net *n, int i);
/* Output i after net_run() (model_output(m, i)->count floats); NULL for an output left out. */
const float *net_output(const struct net *n, int i);
/* Run once. 0 or RR_ERR_BACKEND. */
int net_run(struct net *n);

const char *net_backend_name(enum net_backend b);

/* --- backend vtable (internal to pose/; net.c dispatches) --- */
struct net_ops {
    /* live[k] != 0: op k feeds a kept output and must run (m->n_ops entries, never NULL). */
    int (*create)(const struct model *m, int threads, const unsigned char *live, void **state,
                  char *msg, size_t msg_len);
    float *(*input)(void *state, int i);
    const float *(*output)(void *state, int i);
    int (*run)(void *state);
    void (*destroy)(void *state);
};
extern const struct net_ops net__ref_ops;
extern const struct net_ops net__xnn_ops;

#endif
