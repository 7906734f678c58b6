/*
 * fuzz_model.c - libFuzzer target for the .tflite loader (model_load / model_free).
 *
 * Any input must either be rejected with an RR_ERR_* code and a message, or load into an IR
 * whose indices are all in range (checked here, so a loader bug that would let a backend read
 * out of bounds aborts the fuzzer instead of passing silently). Seeds: tests/fuzz/corpus/fuzz_model,
 * written by `RR_WRITE_SEEDS=DIR test_model`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "pose/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_ir(const struct model *m)
{
    check(m->n_inputs >= 1 && m->n_outputs >= 1 && m->n_tensors >= 1);
    for (int i = 0; i < m->n_tensors; i++) {
        const struct model_tensor *t = &m->tensors[i];
        size_t c = 1;
        check(t->ndim >= 1 && t->ndim <= MODEL_MAX_DIMS && t->name != NULL);
        for (int d = 0; d < t->ndim; d++) {
            check(t->dims[d] >= 1);
            c *= (size_t)t->dims[d];
        }
        check(c == t->count && c <= MODEL_MAX_TENSOR_ELEMS);
    }
    for (int k = 0; k < m->n_inputs; k++)
        check(m->inputs[k] >= 0 && m->inputs[k] < m->n_tensors && !m->tensors[m->inputs[k]].data);
    for (int k = 0; k < m->n_outputs; k++)
        check(m->outputs[k] >= 0 && m->outputs[k] < m->n_tensors && !m->tensors[m->outputs[k]].data);
    for (int k = 0; k < m->n_ops; k++) {
        const struct model_op *op = &m->ops[k];
        check((unsigned)op->kind < MODEL_OP__COUNT);
        check(op->n_inputs >= 1 && op->n_inputs <= MODEL_MAX_OP_INPUTS);
        check(op->output >= 0 && op->output < m->n_tensors && !m->tensors[op->output].data);
        int weights = op->kind == MODEL_OP_CONV2D || op->kind == MODEL_OP_DWCONV2D;
        for (int j = 0; j < op->n_inputs; j++) {
            int i = op->inputs[j];
            check(i >= 0 && i < m->n_tensors);
            check((weights && j > 0) == (m->tensors[i].data != NULL));
        }
        if (weights) { /* filter channels match, bias length matches the output channels */
            const struct model_tensor *x = &m->tensors[op->inputs[0]];
            const struct model_tensor *w = &m->tensors[op->inputs[1]];
            const struct model_tensor *b = &m->tensors[op->inputs[2]];
            const struct model_tensor *y = &m->tensors[op->output];
            check(x->ndim == 4 && w->ndim == 4 && y->ndim == 4);
            check(b->count == (size_t)y->dims[3]);
            check(op->kind == MODEL_OP_CONV2D ? w->dims[3] == x->dims[3] : w->dims[3] == x->dims[3]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct model *m = NULL;
    char msg[256];
    int rc = model_load(data, size, &m, msg, sizeof msg);
    if (rc == 0) {
        check_ir(m);
        model_free(m);
    } else {
        check(m == NULL && msg[0] != 0);
        check(rc == RR_ERR_CORRUPT || rc == RR_ERR_UNSUPPORTED || rc == RR_ERR_TOOBIG ||
              rc == RR_ERR_NOMEM);
    }
    return 0;
}
