/*
 * rr_features.c - per-frame measures of a landmark file, computed by the analysis core's own
 * code, as CSV: what tools/train_analysis/train.py fits the core's constants on (the same C
 * functions measure training data and live frames, so there is no train/serve skew).
 *
 *   rr_features [--stills] [--size WxH] LANDMARKS.pose.json > features.csv
 *
 * One row per input frame: label (the frame's label, "" when none), frame (index), t_ms, used
 * (1 when the core would use the frame: a valid pose of a tracked person), then for every
 * registered exercise, in registry order, NAME_signal (its phase signal, exercise_at(i)->signal),
 * NAME_env (envelope: reps can happen in this posture), NAME_rest and NAME_far (rest and far-end
 * poses; 0/1), then the form measures of form.h: form_elbow_img, form_knee_track_ratio,
 * form_torso_incl, form_hip_line_offset_l/_r, form_neck_flexion_l/_r, form_knee_over_toe_l/_r
 * (side 0 = left, 1 = right), then pos_torso_y, hip_height ((ankle - hip) / (ankle - shoulder)
 * along gravity with the lower ankle: about 0.6 standing, 0.4 at the bottom of a squat or lunge;
 * for telling from geometry which label is the standing one), roll_deg and iso (1 when the
 * frame's image size is known or given). Empty cells: NAN, or a
 * frame the core would not use, or an exercise without that function (the plank has no signal).
 * Numbers are printed with "%.9g" (a float round-trips exactly).
 *
 * Sequences (default) go through one struct tracker, frame after frame, as the stream does (roll
 * correction, identity, bridging of briefly hidden sides). --stills treats every frame as an
 * independent still (ML Kit samples): geom_frame_compute(frame, index, 0, &g) per frame, no roll,
 * no tracking; a frame is used when its pose is valid.
 *
 * --size WxH gives frames whose image size is unknown (0, e.g. Exercise-Correction) that size,
 * so the measures that need isotropic image coordinates are defined; it is an assumption about
 * the source and train.py says where it uses it. Frames with a known size keep theirs.
 *
 * Exit 0, 2 unreadable or malformed landmark file, 64 bad usage, 70 out of memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exercise.h"
#include "analysis/form.h"
#include "analysis/posture.h"
#include "analysis/track.h"
#include "base/rr_error.h"
#include "pipeline/landmarks_file.h"

typedef float (*side_fn)(const struct geom_frame *g, int side);

/* Form measures printed for both sides. */
static const struct {
    const char *name;
    side_fn fn;
} sided[] = {
    {"form_hip_line_offset", form_hip_line_offset},
    {"form_neck_flexion", form_neck_flexion},
    {"form_knee_over_toe", form_knee_over_toe},
};
#define N_SIDED (sizeof sided / sizeof sided[0])

static void put_num(float v)
{
    if (isfinite(v))
        printf(",%.9g", (double)v);
    else
        fputs(",", stdout);
}

static void put_flag(int known, int v)
{
    if (known)
        printf(",%d", v ? 1 : 0);
    else
        fputs(",", stdout);
}

/* Labels are written as they are unless they hold a CSV special character (quoted then). */
static void put_label(const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* Hips' height over the (lower) ankle as a share of the shoulders'. */
static float hip_height(const struct geom_frame *g)
{
    float a = pos_ylow(g, RR_LM_LEFT_ANKLE);
    return pos_ratio(a - pos_y(g, RR_LM_LEFT_HIP), a - pos_y(g, RR_LM_LEFT_SHOULDER));
}

static void header(void)
{
    fputs("label,frame,t_ms,used", stdout);
    for (int e = 0; e < exercise_count(); e++) {
        const char *n = exercise_at(e)->name;
        printf(",%s_signal,%s_env,%s_rest,%s_far", n, n, n, n);
    }
    fputs(",form_elbow_img,form_knee_track_ratio,form_torso_incl", stdout);
    for (size_t k = 0; k < N_SIDED; k++)
        printf(",%s_l,%s_r", sided[k].name, sided[k].name);
    fputs(",pos_torso_y,hip_height,roll_deg,iso\n", stdout);
}

static void row(const char *label, size_t i, const struct geom_frame *g, int used, float roll)
{
    put_label(label);
    printf(",%zu,%.3f,%d", i, (double)g->t_us / 1000.0, used);
    for (int e = 0; e < exercise_count(); e++) {
        const struct exercise_def *ex = exercise_at(e);
        put_num(used && ex->signal ? ex->signal(g) : NAN);
        put_flag(used && ex->envelope, used && ex->envelope ? ex->envelope(g) : 0);
        put_flag(used && ex->rest_pose, used && ex->rest_pose ? ex->rest_pose(g) : 0);
        put_flag(used && ex->far_pose, used && ex->far_pose ? ex->far_pose(g) : 0);
    }
    put_num(used ? form_elbow_img(g, -1) : NAN);
    put_num(used ? form_knee_track_ratio(g, -1) : NAN);
    put_num(used ? form_torso_incl(g, -1) : NAN);
    for (size_t k = 0; k < N_SIDED; k++) {
        put_num(used ? sided[k].fn(g, GEOM_LEFT) : NAN);
        put_num(used ? sided[k].fn(g, GEOM_RIGHT) : NAN);
    }
    put_num(used ? pos_torso_y(g) : NAN);
    put_num(used ? hip_height(g) : NAN);
    put_num(roll);
    printf(",%d\n", g->iso);
}

static int parse_size(const char *s, int *w, int *h)
{
    char *end = NULL;
    long a = strtol(s, &end, 10);
    if (end == s || *end != 'x')
        return -1;
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || *end != '\0' || a <= 0 || b <= 0 || a > LANDMARKS_FILE_MAX_SIZE ||
        b > LANDMARKS_FILE_MAX_SIZE)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

static int usage(void)
{
    fputs("usage: rr_features [--stills] [--size WxH] LANDMARKS.pose.json\n", stderr);
    return 64;
}

int main(int argc, char **argv)
{
    int stills = 0, size_w = 0, size_h = 0;
    const char *path = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--stills") == 0) {
            stills = 1;
        } else if (strcmp(argv[a], "--size") == 0 && a + 1 < argc) {
            if (parse_size(argv[++a], &size_w, &size_h) != 0)
                return usage();
        } else if (argv[a][0] == '-' || path) {
            return usage();
        } else {
            path = argv[a];
        }
    }
    if (!path)
        return usage();

    struct rr_pose_frame *fr = NULL;
    char (*labels)[LANDMARKS_FILE_LABEL_MAX + 1] = NULL;
    size_t n = 0;
    char msg[256] = "";
    int err = landmarks_file_load(path, &fr, &n, &labels, NULL, msg, sizeof msg);
    if (err) {
        fprintf(stderr, "rr_features: %s: %s\n", path, msg[0] ? msg : rr_strerror(err));
        return err == RR_ERR_NOMEM ? 70 : 2;
    }
    struct tracker *tr = malloc(sizeof *tr);
    if (!tr) {
        free(fr);
        free(labels);
        fputs("rr_features: out of memory\n", stderr);
        return 70;
    }
    tracker_init(tr);
    header();
    for (size_t i = 0; i < n; i++) {
        struct rr_pose_frame *f = &fr[i];
        if (size_w > 0 && (f->width <= 0 || f->height <= 0)) {
            f->width = size_w;
            f->height = size_h;
        }
        struct geom_frame g;
        int used;
        float roll = 0.0f;
        if (stills) {
            geom_frame_compute(f, i, 0.0f, &g);
            used = g.valid;
        } else {
            tracker_push(tr, f, i, &g);
            used = g.track >= 0;
            roll = tr->roll_deg;
        }
        row(labels ? labels[i] : "", i, &g, used, roll);
    }
    free(tr);
    free(fr);
    free(labels);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("rr_features: write error\n", stderr);
        return 70;
    }
    return 0;
}
