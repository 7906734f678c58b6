/*
 * model.h - a TensorFlow Lite flatbuffer (.tflite) loaded into RepRight's small graph IR.
 *
 * The loader (model.c) is written from the schema (blazepose.md 1.3). It validates every offset,
 * size and index before use, so a truncated or hostile file yields RR_ERR_CORRUPT (or
 * RR_ERR_UNSUPPORTED / RR_ERR_TOOBIG) plus a message, never a crash. At load it folds
 * DEQUANTIZE (fp16 -> fp32) and DENSIFY (sparse CSR -> dense) of constant tensors into fp32
 * constants, so those ops never appear in `ops`. Any other op outside enum model_op_kind is
 * refused with its builtin name in the message.
 *
 * Guarantees after a successful load (so backends need not re-check; details in
 * docs/internals/model-loader.md): constants (data != NULL, fp32) appear only as CONV2D/DWCONV2D
 * filter and bias; every other op input, every op output and every subgraph input/output is an
 * activation (data == NULL) that is a subgraph input or the output of exactly one earlier op;
 * output shapes match the op (TF SAME/VALID sizes, same-shape ADD, CONCAT sums, PAD, ...);
 * strides, dilations, pool windows and blocks are in [1, 1024]. inputs[] slots past n_inputs
 * are -1. Tensors that only fed folded ops (fp16/sparse sources, int32 shape constants) are
 * dropped, so tensor indices differ from the file's.
 *
 * Ownership: struct model owns every tensor, constant and name; it is immutable after
 * model_load*() returns and may be shared by any number of threads and sessions.
 * model_free(NULL) is a no-op.
 */
#ifndef RR_POSE_MODEL_H
#define RR_POSE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define MODEL_MAX_DIMS 4
#define MODEL_MAX_OP_INPUTS 8
/* Bounds applied while loading: anything larger is RR_ERR_TOOBIG. */
#define MODEL_MAX_FILE_BYTES ((size_t)64 << 20)
#define MODEL_MAX_TENSORS 4096
#define MODEL_MAX_OPS 4096
#define MODEL_MAX_TENSOR_ELEMS ((size_t)1 << 26)
/* Sum of the element counts of all tensors of the IR, and of all fp32 constants materialised
 * while loading (512 MiB of floats); heavy needs ~14 M constants + activations. */
#define MODEL_MAX_TOTAL_ELEMS ((size_t)1 << 27)

enum model_op_kind {
    MODEL_OP_CONV2D,          /* in: x, filter [O,KH,KW,I], bias [O] */
    MODEL_OP_DWCONV2D,        /* in: x, filter [1,KH,KW,C], bias [C]; depth multiplier 1 */
    MODEL_OP_ADD,             /* in: a, b (same shape) */
    MODEL_OP_MAXPOOL2D,       /* in: x */
    MODEL_OP_PAD,             /* in: x (paddings folded into opt.pad) */
    MODEL_OP_RESIZE_BILINEAR, /* in: x (size taken from the output tensor) */
    MODEL_OP_DEPTH_TO_SPACE,  /* in: x */
    MODEL_OP_RESHAPE,         /* in: x (shape taken from the output tensor) */
    MODEL_OP_LOGISTIC,        /* in: x */
    MODEL_OP_CONCAT,          /* in: n_inputs tensors, along opt.axis */
    MODEL_OP__COUNT
};

enum model_act { MODEL_ACT_NONE = 0, MODEL_ACT_RELU = 1, MODEL_ACT_RELU_N1_TO_1 = 2, MODEL_ACT_RELU6 = 3 };

struct model_tensor {
    char *name;
    int ndim;                  /* 1..4 */
    int dims[MODEL_MAX_DIMS];  /* dims[0..ndim-1], all >= 1 */
    size_t count;              /* product of dims */
    float *data;               /* fp32 constant (owned), or NULL for an activation tensor */
};

struct model_op_opt {
    int same_padding;          /* CONV2D, DWCONV2D, MAXPOOL2D: 1 = TF SAME, 0 = VALID */
    int stride_w, stride_h;    /* conv, dwconv, pool */
    int dilation_w, dilation_h;/* conv, dwconv (1 when absent) */
    int filter_w, filter_h;    /* pool (conv/dwconv read it from the filter tensor) */
    int act;                   /* enum model_act, fused activation */
    int axis;                  /* CONCAT, normalised to 0..ndim-1 */
    int block;                 /* DEPTH_TO_SPACE block size */
    int align_corners;         /* RESIZE_BILINEAR */
    int half_pixel_centers;    /* RESIZE_BILINEAR */
    int pad[MODEL_MAX_DIMS][2];/* PAD: before/after for each dim of the input (4-D NHWC) */
};

struct model_op {
    enum model_op_kind kind;
    int n_inputs;
    int inputs[MODEL_MAX_OP_INPUTS]; /* tensor indices */
    int output;                      /* tensor index (every supported op has one output) */
    struct model_op_opt opt;
};

struct model {
    int n_tensors;
    struct model_tensor *tensors;
    int n_ops;
    struct model_op *ops;       /* in execution order (the file's order is topological) */
    int n_inputs, n_outputs;
    int *inputs, *outputs;      /* tensor indices, in the subgraph's order */
    char *description;
};

/* Load from memory. `msg` (may be NULL) receives a one-line lowercase reason on failure, e.g.
 * "tensor 17: buffer index 900 out of range" or "unsupported op GATHER (36) at operator 12".
 * Returns 0 and sets *out, or a negative RR_ERR_* code. The bytes may be freed afterwards. */
int model_load(const void *bytes, size_t len, struct model **out, char *msg, size_t msg_len);

/* Read a file (bounded by MODEL_MAX_FILE_BYTES) and model_load() it. RR_ERR_IO / RR_ERR_NOTFOUND
 * when the file cannot be read. */
int model_load_file(const char *path, struct model **out, char *msg, size_t msg_len);

void model_free(struct model *m);

/* Name of an op kind ("CONV_2D", ...). */
const char *model_op_name(enum model_op_kind k);

/* Index of the subgraph input/output tensor i. */
static inline const struct model_tensor *model_input(const struct model *m, int i)
{
    return &m->tensors[m->inputs[i]];
}
static inline const struct model_tensor *model_output(const struct model *m, int i)
{
    return &m->tensors[m->outputs[i]];
}

#endif
