/* anchors.c - SSD anchors exactly as MediaPipe's SsdAnchorsCalculator (see anchors.h). */
#include "pose/anchors.h"
#include "base/rr_error.h"

#include <math.h>
#include <stddef.h>

struct anchors_opts anchors_opts_pose(void)
{
    struct anchors_opts o = {
        .num_layers = 5,
        .min_scale = 0.1484375f,
        .max_scale = 0.75f,
        .input_w = 224,
        .input_h = 224,
        .offset_x = 0.5f,
        .offset_y = 0.5f,
        .strides = {8, 16, 32, 32, 32},
        .num_aspects = 1,
        .aspects = {1.0f},
        .interpolated_scale_aspect = 1.0f,
        .fixed_anchor_size = 1,
        .reduce_boxes_in_lowest_layer = 0,
    };
    return o;
}

static float layer_scale(float min_scale, float max_scale, int idx, int n)
{
    if (n == 1)
        return (min_scale + max_scale) * 0.5f;
    return min_scale + (max_scale - min_scale) * 1.0f * (float)idx / (float)(n - 1);
}

static int opts_valid(const struct anchors_opts *o)
{
    if (!o || o->num_layers < 1 || o->num_layers > ANCHORS_MAX_LAYERS || o->num_aspects < 0 ||
        o->num_aspects > ANCHORS_MAX_ASPECTS || o->input_w < 1 || o->input_h < 1 ||
        o->input_w > 4096 || o->input_h > 4096)
        return 0;
    for (int i = 0; i < o->num_layers; i++)
        if (o->strides[i] < 1)
            return 0;
    return 1;
}

/* Shapes of one group of consecutive equal-stride layers: up to (aspects + 1) per layer. */
#define GROUP_MAX (ANCHORS_MAX_LAYERS * (ANCHORS_MAX_ASPECTS + 3))

static int group_shapes(const struct anchors_opts *o, int first, int *next, float *ws, float *hs)
{
    int n = 0;
    int l = first;
    while (l < o->num_layers && o->strides[l] == o->strides[first]) {
        float ar[ANCHORS_MAX_ASPECTS + 3], sc[ANCHORS_MAX_ASPECTS + 3];
        int k = 0;
        float scale = layer_scale(o->min_scale, o->max_scale, l, o->num_layers);
        if (l == 0 && o->reduce_boxes_in_lowest_layer) {
            ar[k] = 1.0f, sc[k++] = 0.1f;
            ar[k] = 2.0f, sc[k++] = scale;
            ar[k] = 0.5f, sc[k++] = scale;
        } else {
            for (int a = 0; a < o->num_aspects; a++)
                ar[k] = o->aspects[a], sc[k++] = scale;
            if (o->interpolated_scale_aspect > 0.0f) {
                float next_scale = l == o->num_layers - 1
                                       ? 1.0f
                                       : layer_scale(o->min_scale, o->max_scale, l + 1, o->num_layers);
                sc[k] = sqrtf(scale * next_scale);
                ar[k++] = o->interpolated_scale_aspect;
            }
        }
        for (int i = 0; i < k; i++) {
            float r = sqrtf(ar[i]);
            hs[n] = sc[i] / r;
            ws[n] = sc[i] * r;
            n++;
        }
        l++;
    }
    *next = l;
    return n;
}

int anchors_count(const struct anchors_opts *o)
{
    if (!opts_valid(o))
        return RR_ERR_INVAL;
    long total = 0;
    int layer = 0;
    while (layer < o->num_layers) {
        float ws[GROUP_MAX], hs[GROUP_MAX];
        int next;
        int per = group_shapes(o, layer, &next, ws, hs);
        int s = o->strides[layer];
        long fw = (o->input_w + s - 1) / s, fh = (o->input_h + s - 1) / s;
        total += fw * fh * per;
        layer = next;
    }
    return total > 0x7fffffff ? RR_ERR_TOOBIG : (int)total;
}

int anchors_generate(const struct anchors_opts *o, struct anchor *out, int max)
{
    int total = anchors_count(o);
    if (total < 0)
        return total;
    if (!out || total > max)
        return RR_ERR_TOOBIG;
    int n = 0;
    int layer = 0;
    while (layer < o->num_layers) {
        float ws[GROUP_MAX], hs[GROUP_MAX];
        int next;
        int per = group_shapes(o, layer, &next, ws, hs);
        int s = o->strides[layer];
        int fw = (o->input_w + s - 1) / s, fh = (o->input_h + s - 1) / s;
        for (int y = 0; y < fh; y++) {
            for (int x = 0; x < fw; x++) {
                for (int a = 0; a < per; a++) {
                    struct anchor *an = &out[n++];
                    an->cx = ((float)x + o->offset_x) / (float)fw;
                    an->cy = ((float)y + o->offset_y) / (float)fh;
                    an->w = o->fixed_anchor_size ? 1.0f : ws[a];
                    an->h = o->fixed_anchor_size ? 1.0f : hs[a];
                }
            }
        }
        layer = next;
    }
    return n;
}
