/*
 * render.c - overlay video and thumbnails (see render.h).
 *
 * Colour code: skeleton green during a good rep, red during a bad one, grey when the rep could
 * not be judged, white between reps. The top bar shows the exercise and the rep counter; after
 * a rep ends its verdict and first cue stay on screen for CUE_SECONDS.
 */
#include "pipeline/render.h"

#include "base/rr_error.h"
#include "video/draw.h"
#include "video/encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUE_SECONDS 2.5
/* Overlay and thumbnails are drawn at most this large (1920 x 1080 worth of pixels, aspect
 * kept): a 4096 x 4096 upload would otherwise be converted, drawn and H.264-encoded at 16
 * megapixels a frame (~0.5 s each on one core). Clips up to 1080p are drawn at their own size,
 * so their renders are unchanged. */
#define RENDER_MAX_PIXELS (1920LL * 1080LL)

int render_rep_at(const struct analysis_report *r, size_t i)
{
    for (size_t k = 0; r && k < r->n_reps; k++)
        if (i >= r->reps[k].frame_start && i <= r->reps[k].frame_end)
            return (int)k;
    return -1;
}

static struct draw_color verdict_color(enum analysis_verdict v)
{
    return v == ANALYSIS_GOOD ? DRAW_GREEN : v == ANALYSIS_BAD ? DRAW_RED : DRAW_GREY;
}

static const char *first_cue(const struct analysis_rep *rep)
{
    for (int c = 0; c < rep->n_checks; c++)
        if (rep->checks[c].outcome == ANALYSIS_FAULT)
            return rep->checks[c].cue;
    return NULL;
}

/* Skeleton colour and HUD text for decoded frame i at t_us; f is its pose (NULL: none). */
static void decorate(struct draw_canvas *cv, struct draw_font *font, const struct pipeline_result *res,
                     size_t i, const struct rr_pose_frame *f, int64_t t_us)
{
    const struct analysis_report *r = res->report;
    int k = render_rep_at(r, i);
    struct draw_color col = DRAW_WHITE;
    if (k >= 0)
        col = verdict_color(r->reps[k].verdict);
    if (f && f->has_pose)
        draw_skeleton(cv, f->image, col, 0.5f);
    if (!font)
        return;
    int done = 0;
    const struct analysis_rep *last = NULL;
    for (size_t q = 0; q < r->n_reps; q++)
        if (r->reps[q].frame_end <= i) {
            done++;
            last = &r->reps[q];
        }
    int bar = cv->height / 12 < 24 ? 24 : cv->height / 12;
    draw_box(cv, 0, 0, cv->width, bar, DRAW_BLACK, 0.55f);
    char line[256], name[64];
    /* the exercise as a person writes it: "Biceps curl", not "biceps_curl" */
    snprintf(name, sizeof name, "%s", r->exercise ? r->exercise : "no exercise recognised");
    for (char *c = name; *c; c++)
        if (*c == '_')
            *c = ' ';
    if (name[0] >= 'a' && name[0] <= 'z')
        name[0] = (char)(name[0] - 'a' + 'A');
    if (r->is_hold)
        snprintf(line, sizeof line, "%s   hold %.1f s", name,
                 (double)(t_us - (res->n_frames ? res->frames[0].t_us : 0)) / 1e6);
    else
        snprintf(line, sizeof line, "%s   %d / %zu reps", name, done, r->n_reps);
    draw_text(cv, font, bar / 4, bar / 6, line, DRAW_WHITE);
    if (last && (double)(t_us - last->t_end_us) / 1e6 < CUE_SECONDS) {
        const char *cue = first_cue(last), *what = "good";
        if (last->verdict == ANALYSIS_BAD)
            what = cue ? cue : "fix your form";
        else if (last->verdict == ANALYSIS_CANNOT_JUDGE) /* no score: say why instead */
            what = last->cannot_judge_reason &&
                           strcmp(last->cannot_judge_reason, "no_checks_for_view") == 0
                       ? "can't judge from this camera angle"
                       : "can't judge: body hidden";
        snprintf(line, sizeof line, "Rep %d: %s", last->index, what);
        int y = cv->height - bar - bar / 4;
        draw_box(cv, 0, y, cv->width, bar, DRAW_BLACK, 0.55f);
        draw_text(cv, font, bar / 4, y + bar / 6, line, verdict_color(last->verdict));
    }
}

/* The reps with the highest and lowest score among judged ones (-1 when none). A rep that
 * cannot be judged has no score (NAN) and is neither. */
static void best_worst(const struct analysis_report *r, int *best, int *worst)
{
    *best = *worst = -1;
    for (size_t k = 0; k < r->n_reps; k++) {
        if (r->reps[k].verdict == ANALYSIS_CANNOT_JUDGE || isnan(r->reps[k].score))
            continue;
        if (*best < 0 || r->reps[k].score > r->reps[*best].score)
            *best = (int)k;
        if (*worst < 0 || r->reps[k].score < r->reps[*worst].score)
            *worst = (int)k;
    }
}

#define THUMB_QUALITY 88

/* Write dir/name.jpg (or hand its bytes to o->thumb_sink) when `now`; 0 when nothing to do or
 * written. */
static int write_thumb(const struct pipeline_opts *o, const char *name, int now,
                       const struct rr_image *im, char *path, size_t path_len, char *msg,
                       size_t msg_len)
{
    if (!now)
        return 0;
    char m[256] = "";
    if (o->thumb_sink) {
        uint8_t *jpeg = NULL;
        size_t len = 0;
        int rc = jpeg_encode(im, THUMB_QUALITY, &jpeg, &len, m, sizeof m);
        if (rc == 0)
            rc = o->thumb_sink(o->thumb_ud, name, jpeg, len);
        free(jpeg);
        if (rc < 0)
            snprintf(msg, msg_len, "thumbnail %s: %s", name, m[0] ? m : rr_strerror(rc));
        snprintf(path, path_len, "%s", name);
        return rc;
    }
    snprintf(path, path_len, "%s/%s.jpg", o->thumbs_dir, name);
    int rc = jpeg_write(path, im, THUMB_QUALITY, m, sizeof m);
    if (rc < 0)
        snprintf(msg, msg_len, "thumbnail %s: %s", path, m);
    return rc;
}

int render_pass(const char *video_path, const struct pipeline_opts *o,
                struct pipeline_result *res, char *msg, size_t msg_len)
{
    struct video *v = NULL;
    struct video_writer *w = NULL;
    struct draw_font *font = NULL, *own_font = NULL;
    struct rr_rgbbuf canvas = {0};
    char m[256] = "";
    int best = -1, worst = -1;
    size_t decoded = 0; /* frames decoded so far (read at `out`, reached from the writer too) */
    best_worst(res->report, &best, &worst);
    size_t best_frame = best >= 0 ? res->report->reps[best].frame_turn : (size_t)-1;
    size_t worst_frame = worst >= 0 ? res->report->reps[worst].frame_turn : (size_t)-1;
    int rc = o->input_fd > 2 ? video_open_fd(o->input_fd, video_path, &o->limits, &v, m, sizeof m)
                             : video_open(video_path, &o->limits, &v, m, sizeof m);
    if (rc < 0) {
        snprintf(msg, msg_len, "overlay: cannot decode %s: %s", video_path, m);
        return rc;
    }
    const struct video_info *info = video_get_info(v);
    int out_w, out_h;
    video_set_max_pixels(v, RENDER_MAX_PIXELS);
    video_output_size(v, &out_w, &out_h);
    int fpx = out_h / 24 < 14 ? 14 : out_h / 24 > 96 ? 96 : out_h / 24;
    if (o->font)
        font = draw_font_set_px(o->font, fpx) == 0 ? o->font : NULL;
    else if (draw_font_open(NULL, fpx, &own_font) == 0)
        font = own_font;
    /* else no font installed: skeleton only */
    if (o->overlay_fd > 2 || o->overlay_path) {
        double fps = info->fps > 0 && info->fps <= 240 ? info->fps : 30.0;
        rc = o->overlay_fd > 2
                 ? video_writer_open_fd(o->overlay_fd, out_w, out_h, fps, &w, m, sizeof m)
                 : video_writer_open(o->overlay_path, out_w, out_h, fps, &w, m, sizeof m);
        if (rc < 0) {
            snprintf(msg, msg_len, "overlay %s: %s",
                     o->overlay_fd > 2 ? "file" : o->overlay_path, m);
            goto out;
        }
    }
    /* The poses are one per decoded frame (the analysis pass), or a stored track
     * (pipeline_render) that may keep only every k-th frame: then each decoded frame takes the
     * track's latest pose at or before its time, and decoding goes on to the end of the video. */
    size_t j = 0;
    size_t last_frame = res->from_landmarks ? ANALYSIS_MAX_FRAMES : res->n_frames;
    for (size_t i = 0; i < last_frame; i++) {
        struct rr_image fr;
        int64_t t;
        rc = video_next(v, &fr, &t, m, sizeof m);
        if (rc == RR_ERR_EOF && res->from_landmarks && i > 0) {
            rc = 0;
            break;
        }
        if (rc < 0) {
            snprintf(msg, msg_len, "overlay: second decoding pass failed at frame %zu: %s", i,
                     m[0] ? m : rr_strerror(rc));
            goto out;
        }
        decoded++;
        const struct rr_pose_frame *pose = NULL;
        if (!res->from_landmarks) {
            pose = &res->frames[i];
        } else if (res->n_frames) {
            while (j + 1 < res->n_frames && res->frames[j + 1].t_us <= t + 1000)
                j++;
            pose = res->frames[j].t_us <= t + 1000 ? &res->frames[j] : NULL;
        }
        rc = rr_rgbbuf_reserve(&canvas, fr.width, fr.height);
        if (rc < 0)
            goto out;
        for (int y = 0; y < fr.height; y++)
            memcpy(canvas.data + (size_t)y * (size_t)fr.width * 3, fr.rgb + (size_t)y * fr.stride,
                   (size_t)fr.width * 3);
        struct draw_canvas cv = {canvas.data, fr.width, fr.height, (size_t)fr.width * 3};
        decorate(&cv, font, res, i, pose, t);
        struct rr_image out_im = rr_rgbbuf_view(&canvas);
        if (w) {
            rc = video_writer_write(w, &out_im, t, m, sizeof m);
            if (rc < 0) {
                snprintf(msg, msg_len, "overlay: %s", m);
                goto out;
            }
        }
        if (o->thumbs_dir || o->thumb_sink) {
            rc = write_thumb(o, "best", i == best_frame, &out_im, res->thumb_best,
                             sizeof res->thumb_best, msg, msg_len);
            if (rc == 0)
                rc = write_thumb(o, "worst", i == worst_frame, &out_im, res->thumb_worst,
                                 sizeof res->thumb_worst, msg, msg_len);
            if (rc < 0)
                goto out;
            res->has_thumbs |= i == best_frame || i == worst_frame;
        }
        if (o->progress && i % 10 == 0) {
            double done = res->from_landmarks ? (double)(j + 1) : (double)i;
            double frac = res->n_frames ? done / (double)res->n_frames : 0;
            o->progress(o->progress_ud, "overlay", frac > 1 ? 1 : frac);
        }
    }
    if (w) {
        struct video_writer *tmp = w;
        w = NULL;
        rc = video_writer_close(tmp, m, sizeof m);
        if (rc < 0)
            snprintf(msg, msg_len, "overlay: %s", m);
    }
out:
    if (res->from_landmarks)
        res->stats.frames = decoded;
    video_writer_abort(w);
    draw_font_free(own_font);
    rr_rgbbuf_release(&canvas);
    video_close(v);
    return rc;
}
