/* roi.c - rotated ROI math (see roi.h). */
#include "pose/roi.h"

#include <math.h>

#define ROI_PI 3.14159265358979323846

float roi_normalize_radians(float a)
{
    return (float)(a - 2 * ROI_PI * floor((a - (-ROI_PI)) / (2 * ROI_PI)));
}

struct roi_rect roi_from_alignment(float x0, float y0, float x1, float y1, int img_w, int img_h,
                                   float target_angle)
{
    float W = (float)img_w, H = (float)img_h;
    float xc = x0 * W, yc = y0 * H;
    float xs = x1 * W, ys = y1 * H;
    float box = sqrtf((xs - xc) * (xs - xc) + (ys - yc) * (ys - yc)) * 2.0f;
    struct roi_rect r;
    r.xc = xc / W;
    r.yc = yc / H;
    r.w = box / W;
    r.h = box / H;
    r.rotation = roi_normalize_radians(target_angle - atan2f(-(ys - yc), xs - xc));
    return r;
}

struct roi_rect roi_transform(struct roi_rect r, int img_w, int img_h, float sx, float sy,
                              int square_long)
{
    float W = (float)img_w, H = (float)img_h;
    float w = r.w, h = r.h;
    if (square_long) {
        float long_side = fmaxf(w * W, h * H);
        w = long_side / W;
        h = long_side / H;
    }
    r.w = w * sx;
    r.h = h * sy;
    return r;
}

struct roi_rect roi_pose(float x0, float y0, float x1, float y1, int img_w, int img_h)
{
    struct roi_rect r = roi_from_alignment(x0, y0, x1, y1, img_w, img_h, (float)(ROI_PI / 2));
    return roi_transform(r, img_w, img_h, 1.25f, 1.25f, 1);
}
