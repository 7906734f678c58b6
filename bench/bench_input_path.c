/*
 * bench_input_path.c - cost of getting one video frame to the landmark model's input, the two
 * ways the code can do it: "rgb" = whole-frame RGB conversion (video_next_into) + crop_rotated,
 * "yuv" = decoder picture by reference (video_next_frame) + crop_rotated_yuv on the planes.
 * One 256x256 crop per frame of a fixed rotated ROI (what tracking does every frame), no model.
 *
 * usage: bench_input_path CLIP [FRAMES]   (default 120 frames)
 * Prints ms/frame for decode(+convert) and crop per mode. Deterministic work, so it is also the
 * program to count instructions with: valgrind --tool=callgrind bench_input_path CLIP 60
 * (compare the inclusive cost of input_rgb and input_yuv).
 */
#include "base/rr_error.h"
#include "pose/crop.h"
#include "video/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define OUT 256

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct crop_rect roi_for(int w, int h)
{
    float side = 0.6f * (float)(h < w ? h : w);
    struct crop_rect r = {0.5f * (float)w, 0.5f * (float)h, side, side, 0.1f};
    return r;
}

/* Returns frames done; *dec_ms / *crop_ms summed. */
static int input_rgb(const char *clip, int frames, float *out, double *dec_ms, double *crop_ms)
{
    struct video *v = NULL;
    char msg[256];
    if (video_open(clip, NULL, &v, msg, sizeof msg) < 0) {
        fprintf(stderr, "%s: %s\n", clip, msg);
        return 0;
    }
    struct rr_rgbbuf buf = {0};
    int n = 0;
    for (; n < frames; n++) {
        int64_t t;
        double t0 = now_ms();
        if (video_next_into(v, &buf, &t, msg, sizeof msg) < 0)
            break;
        double t1 = now_ms();
        struct rr_image im = rr_rgbbuf_view(&buf);
        struct crop_rect r = roi_for(im.width, im.height);
        crop_rotated(&im, &r, OUT, OUT, CROP_BORDER_REPLICATE, 0.0f, 1.0f, out);
        *dec_ms += t1 - t0;
        *crop_ms += now_ms() - t1;
    }
    rr_rgbbuf_release(&buf);
    video_close(v);
    return n;
}

static int input_yuv(const char *clip, int frames, float *out, double *dec_ms, double *crop_ms)
{
    struct video *v = NULL;
    char msg[256];
    if (video_open(clip, NULL, &v, msg, sizeof msg) < 0) {
        fprintf(stderr, "%s: %s\n", clip, msg);
        return 0;
    }
    struct video_frame *f = video_frame_new();
    int n = 0;
    for (; f && n < frames; n++) {
        int64_t t;
        double t0 = now_ms();
        if (video_next_frame(v, f, &t, msg, sizeof msg) < 0)
            break;
        double t1 = now_ms();
        struct video_yuv y;
        if (video_frame_yuv(f, &y) < 0) {
            fprintf(stderr, "%s: not 8-bit 4:2:0\n", clip);
            break;
        }
        struct crop_yuv c = {y.width,    y.height,    y.y,        y.u,          y.v,
                             y.y_stride, y.uv_stride, y.rotation, y.full_range, (int)y.matrix};
        int w, h;
        crop_yuv_upright(&c, &w, &h);
        struct crop_rect r = roi_for(w, h);
        crop_rotated_yuv(&c, &r, OUT, OUT, CROP_BORDER_REPLICATE, 0.0f, 1.0f, out);
        *dec_ms += t1 - t0;
        *crop_ms += now_ms() - t1;
    }
    video_frame_free(f);
    video_close(v);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_input_path CLIP [FRAMES]\n");
        return 2;
    }
    int frames = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 120;
    if (frames < 1 || frames > 100000)
        frames = 120;
    static float out[OUT * OUT * 3];
    double d[2] = {0, 0}, c[2] = {0, 0};
    int n0 = input_rgb(argv[1], frames, out, &d[0], &c[0]);
    int n1 = input_yuv(argv[1], frames, out, &d[1], &c[1]);
    printf("%-4s %7s %14s %10s\n", "path", "frames", "decode ms/fr", "crop ms/fr");
    printf("%-4s %7d %14.2f %10.3f\n", "rgb", n0, n0 ? d[0] / n0 : 0, n0 ? c[0] / n0 : 0);
    printf("%-4s %7d %14.2f %10.3f\n", "yuv", n1, n1 ? d[1] / n1 : 0, n1 ? c[1] / n1 : 0);
    return n0 && n1 ? 0 : 1;
}
