/* landmarks_post.c - landmark tensor decoding, heatmap refinement, projection (see header). */
#include "pose/landmarks_post.h"

#include <math.h>
#include <stddef.h>

static float sigmoidf(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

void lmpost_decode(const float *raw, int n, int input_size, float normalize_z,
                   struct lmpost_point *out)
{
    float s = (float)input_size;
    for (int i = 0; i < n; i++) {
        const float *r = raw + 5 * i;
        out[i].x = r[0] / s;
        out[i].y = r[1] / s;
        out[i].z = r[2] / s / normalize_z;
        out[i].visibility = sigmoidf(r[3]);
        out[i].presence = sigmoidf(r[4]);
    }
}

void lmpost_refine_heatmap(struct lmpost_point *pts, int n, const float *heatmap, int hm_h,
                           int hm_w, int channels, int kernel, float min_conf)
{
    int off = (kernel - 1) / 2;
    for (int i = 0; i < n && i < channels; i++) {
        float fx = pts[i].x * (float)hm_w, fy = pts[i].y * (float)hm_h;
        /* float -> int truncates toward zero, as the C++ implicit conversion does; skip values
         * that would not fit an int at all. */
        if (!(fabsf(fx) < 1e9f) || !(fabsf(fy) < 1e9f))
            continue;
        int col = (int)fx, row = (int)fy;
        /* MediaPipe checks `center_col >= hm_height` where the row is meant; reproduced. */
        if (col < 0 || col >= hm_w || row < 0 || col >= hm_h)
            continue;
        int c0 = col - off > 0 ? col - off : 0;
        int c1 = col + off + 1 < hm_w ? col + off + 1 : hm_w;
        int r0 = row - off > 0 ? row - off : 0;
        int r1 = row + off + 1 < hm_h ? row + off + 1 : hm_h;
        float sum = 0, wc = 0, wr = 0, maxc = 0;
        for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
                float conf = sigmoidf(heatmap[((size_t)r * (size_t)hm_w + (size_t)c) * (size_t)channels + (size_t)i]);
                sum += conf;
                if (conf > maxc)
                    maxc = conf;
                wc += (float)c * conf;
                wr += (float)r * conf;
            }
        }
        if (maxc >= min_conf && sum > 0) {
            pts[i].x = wc / (float)hm_w / sum;
            pts[i].y = wr / (float)hm_h / sum;
        }
    }
}

void lmpost_project(struct lmpost_point *pts, int n, const struct letterbox *pad,
                    const struct roi_rect *roi)
{
    float sx = 1.0f - pad->left - pad->right, sy = 1.0f - pad->top - pad->bottom;
    float c = cosf(roi->rotation), s = sinf(roi->rotation);
    for (int i = 0; i < n; i++) {
        float x = (pts[i].x - pad->left) / sx;
        float y = (pts[i].y - pad->top) / sy;
        float z = pts[i].z / sx;
        x -= 0.5f;
        y -= 0.5f;
        float nx = c * x - s * y, ny = s * x + c * y;
        pts[i].x = nx * roi->w + roi->xc;
        pts[i].y = ny * roi->h + roi->yc;
        pts[i].z = z * roi->w;
    }
}

void lmpost_world(const float *raw, int n, float rotation, float (*out)[3])
{
    float c = cosf(rotation), s = sinf(rotation);
    for (int i = 0; i < n; i++) {
        float x = raw[3 * i], y = raw[3 * i + 1];
        out[i][0] = c * x - s * y;
        out[i][1] = s * x + c * y;
        out[i][2] = raw[3 * i + 2];
    }
}
