/*
 * ref.h - plain-C reference kernels for every op of the four BlazePose models, with TensorFlow
 * Lite semantics (NHWC, fp32), and the reference backend behind net__ref_ops (ref_net.c).
 *
 * The kernels trust their arguments: shapes, strides and padding are validated once, when the
 * reference net is created (ref_net.c), and every kernel only touches the elements those shapes
 * describe. Spatial kernels take `struct ref_dims` (NHWC; lower-rank tensors are right-aligned,
 * e.g. [H,W,C] -> [1,H,W,C]). Input and output buffers must not overlap (no kernel is in-place).
 *
 * Ownership: kernels allocate nothing and keep no state; callers own every buffer.
 * Errors: only ref_window_size() and ref_conv2d_packed_size() can fail (RR_ERR_INVAL /
 * RR_ERR_TOOBIG); kernels cannot fail. Thread-safety: all functions are reentrant.
 */
#ifndef RR_POSE_REF_H
#define RR_POSE_REF_H

#include <stddef.h>

/* NHWC extents, all >= 1. */
struct ref_dims {
    int n, h, w, c;
};

/* Sliding-window geometry shared by conv, depthwise conv and max pool. The trailing padding is
 * implied by the output size: positions outside the input are zero (conv) or ignored (pool). */
struct ref_window {
    int kh, kw;                 /* kernel extent (before dilation) */
    int stride_h, stride_w;     /* >= 1 */
    int dilation_h, dilation_w; /* >= 1 */
    int pad_top, pad_left;      /* >= 0 */
};

/* --- shared helpers (ref_conv.c) --- */

/* Output extent of a window op along one axis, TF rules. same=1: out = ceil(in/stride),
 * total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0), before = total/2, after = the rest
 * (asymmetric: the extra row/column goes to the bottom/right). same=0 (VALID): out =
 * (in - eff)/stride + 1, no padding. RR_ERR_INVAL when a parameter is < 1 or the output would be
 * empty; RR_ERR_TOOBIG when the effective kernel overflows an int. */
int ref_window_size(int in, int k, int stride, int dilation, int same, int *out, int *pad_before,
                    int *pad_after);

/* Apply a fused activation (enum model_act: NONE, RELU, RELU_N1_TO_1, RELU6) in place. */
void ref_activate(float *x, size_t count, int act);

/* --- convolutions (ref_conv.c) --- */

/* Floats needed for the packed copy of an OHWI filter (O*KH*KW*I); RR_ERR_TOOBIG on overflow. */
int ref_conv2d_packed_size(int o, int kh, int kw, int i, size_t *out);
/* Repack an OHWI [O,KH,KW,I] filter into [KH,KW,I,O], the layout ref_conv2d() reads (output
 * channels contiguous, so the inner loop is a vectorisable multiply-add over them). */
void ref_conv2d_pack(const float *ohwi, int o, int kh, int kw, int i, float *packed);

/* CONV_2D: y[yd] = act(bias + sum x * filter). `w` is the packed [KH,KW,xd.c,yd.c] filter,
 * `bias` has yd.c values or is NULL. yd.n == xd.n. */
void ref_conv2d(const float *x, struct ref_dims xd, const float *w, const float *bias, float *y,
                struct ref_dims yd, const struct ref_window *win, int act);

/* DEPTHWISE_CONV_2D: filter [1,KH,KW,yd.c] as stored in the model; depth multiplier
 * m = yd.c / xd.c (output channel oc reads input channel oc / m). `bias` yd.c values or NULL. */
void ref_dwconv2d(const float *x, struct ref_dims xd, const float *w, const float *bias, float *y,
                  struct ref_dims yd, const struct ref_window *win, int act);

/* --- everything else (ref_ops.c) --- */

/* ADD of two same-shape tensors with a fused activation. */
void ref_add(const float *a, const float *b, float *y, size_t count, int act);

/* LOGISTIC: y = 1 / (1 + exp(-x)), computed without overflow for large |x|. */
void ref_logistic(const float *x, float *y, size_t count);

/* MAX_POOL_2D: cells in the padding are ignored (never count as 0). yd.c == xd.c. */
void ref_maxpool2d(const float *x, struct ref_dims xd, float *y, struct ref_dims yd,
                   const struct ref_window *win, int act);

/* PAD with zeros: general 4-D, pad[d][0] before and pad[d][1] after input dim d (>= 0).
 * The output has in[d] + pad[d][0] + pad[d][1] along each d. */
void ref_pad(const float *x, const int in[4], const int pad[4][2], float *y);

/* RESIZE_BILINEAR (TFLite reference semantics). half_pixel_centers: src = (dst+0.5)*scale-0.5,
 * else src = dst*scale; scale = in/out, or (in-1)/(out-1) when align_corners and out > 1.
 * lower = max(floor(src), 0), upper = min(ceil(src), in-1). yd.n == xd.n, yd.c == xd.c. */
void ref_resize_bilinear(const float *x, struct ref_dims xd, float *y, struct ref_dims yd,
                         int align_corners, int half_pixel_centers);

/* DEPTH_TO_SPACE, TF DCR order: y[n, h*b+i, w*b+j, c] = x[n, h, w, (i*b+j)*C_out + c], with
 * C_out = xd.c / (b*b). xd.c must be a multiple of b*b. */
void ref_depth_to_space(const float *x, struct ref_dims xd, int block, float *y);

/* CONCATENATION of n tensors along one axis, seen as [outer, inner_k]: for each outer index the
 * inner_k floats of input k are copied one after the other, then the activation is applied. */
void ref_concat(const float *const *xs, const size_t *inner, int n, size_t outer, float *y,
                int act);

#endif
