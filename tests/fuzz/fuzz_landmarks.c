/*
 * fuzz_landmarks.c - libFuzzer target for landmarks_file_parse: arbitrary bytes as a landmark
 * file (repright.pose/1 or a MediaPipe dump).
 *
 * Any input must be refused with CORRUPT or TOOBIG and a message, with nothing allocated, or
 * accepted with frames that keep every documented invariant (checked here, so a reader bug
 * aborts instead of passing silently). An accepted series is then written and read back: the
 * result must equal it in every field the format carries, and writing that again must give the
 * same text; its replay track (the compact style) must read back with the same frames, times
 * and poses. Seeds: tests/fuzz/corpus/fuzz_landmarks (each variant, nulls, labels, a track, a
 * few broken files).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "base/rr_error.h"
#include "pipeline/landmarks_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef char label_t[LANDMARKS_FILE_LABEL_MAX + 1];

static void check(int cond)
{
    if (!cond)
        abort();
}

static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static int same_landmark(const struct rr_landmark *a, const struct rr_landmark *b)
{
    return same_float(a->x, b->x) && same_float(a->y, b->y) && same_float(a->z, b->z) &&
           same_float(a->visibility, b->visibility) && same_float(a->presence, b->presence);
}

static int not_found(const struct rr_landmark *l)
{
    return isnan(l->x) && isnan(l->y) && isnan(l->z) && l->visibility == 0.0f &&
           l->presence == 0.0f;
}

static void check_series(const struct rr_pose_frame *f, size_t n, label_t *labels,
                         const struct landmarks_file_info *info)
{
    size_t with_pose = 0;
    check(n <= ANALYSIS_MAX_FRAMES);
    check(info->n_frames == n);
    check(memchr(info->schema, 0, sizeof info->schema) != NULL && info->schema[0]);
    check(memchr(info->model, 0, sizeof info->model) != NULL);
    check(memchr(info->file, 0, sizeof info->file) != NULL);
    check(info->width >= 0 && info->width <= LANDMARKS_FILE_MAX_SIZE);
    check(info->height >= 0 && info->height <= LANDMARKS_FILE_MAX_SIZE);
    check(info->fps >= 0 && isfinite(info->fps));
    for (size_t i = 0; i < n; i++) {
        check(f[i].t_us >= 0 && (i == 0 || f[i].t_us >= f[i - 1].t_us));
        check(f[i].width >= 0 && f[i].height >= 0);
        check((f[i].flags & ~(RR_POSE_NO_WORLD | RR_POSE_NO_VISIBILITY)) == 0);
        check(f[i].has_pose == 0 || f[i].has_pose == 1);
        if (labels)
            check(memchr(labels[i], '\0', sizeof labels[i]) != NULL);
        if (!f[i].has_pose)
            continue;
        with_pose++;
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            const struct rr_landmark *im = &f[i].image[k], *w = &f[i].world[k];
            check(not_found(im) || (isfinite(im->x) && isfinite(im->y)));
            check(not_found(w) || (isfinite(w->x) && isfinite(w->y)));
            if (f[i].flags & RR_POSE_NO_WORLD)
                check(not_found(w));
            if ((f[i].flags & RR_POSE_NO_VISIBILITY) && !not_found(im))
                check(im->visibility == 1.0f && im->presence == 1.0f);
        }
    }
    check(with_pose == info->n_with_pose);
}

static void check_same(const struct rr_pose_frame *a, const struct rr_pose_frame *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        check(a[i].t_us == b[i].t_us && a[i].width == b[i].width && a[i].height == b[i].height);
        check(a[i].has_pose == b[i].has_pose && a[i].flags == b[i].flags);
        if (!a[i].has_pose)
            continue;
        check(same_float(a[i].score, b[i].score));
        for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
            check(same_landmark(&a[i].image[k], &b[i].image[k]));
            check(same_landmark(&a[i].world[k], &b[i].world[k]));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy with no terminator, so a read past size is caught by ASan */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    struct rr_pose_frame *f = NULL, *g = NULL;
    size_t n = 0, m = 0;
    label_t *labels = NULL, *labels2 = NULL;
    struct landmarks_file_info info, info2;
    char msg[256];
    int rc = landmarks_file_parse(text, size, &f, &n, &labels, &info, msg, sizeof msg);
    free(text);
    if (rc < 0) {
        check(rc == RR_ERR_CORRUPT || rc == RR_ERR_TOOBIG || rc == RR_ERR_NOMEM);
        check(msg[0] != '\0' && f == NULL && n == 0 && labels == NULL);
        return 0;
    }
    check(rc == 0);
    check_series(f, n, labels, &info);

    char *out = landmarks_file_write(f, n, labels, &info);
    check(out != NULL);
    rc = landmarks_file_parse(out, strlen(out), &g, &m, &labels2, &info2, msg, sizeof msg);
    check(rc == 0 && m == n);
    check_same(f, g, n);
    check(info2.width == info.width && info2.height == info.height && info2.fps == info.fps);
    check(strcmp(info2.model, info.model) == 0 && strcmp(info2.file, info.file) == 0);
    check(info2.n_with_pose == info.n_with_pose && info2.has_world == info.has_world &&
          info2.has_visibility == info.has_visibility);
    for (size_t i = 0; i < n; i++)
        check(strcmp(labels ? labels[i] : "", labels2 ? labels2[i] : "") == 0);
    char *again = landmarks_file_write(g, m, labels2, &info2);
    check(again != NULL && strcmp(again, out) == 0);
    free(again);
    free(g);
    g = NULL;
    char *track = landmarks_file_write_track(f, n, info.fps, info.width, info.height);
    check(track != NULL);
    rc = landmarks_file_parse(track, strlen(track), &g, &m, NULL, NULL, msg, sizeof msg);
    size_t stride = n > LANDMARKS_FILE_TRACK_MAX_FRAMES
                        ? (n + LANDMARKS_FILE_TRACK_MAX_FRAMES - 1) / LANDMARKS_FILE_TRACK_MAX_FRAMES
                        : 1;
    check(rc == 0 && m == (n + stride - 1) / stride);
    for (size_t i = 0; i < m; i++)
        check(g[i].t_us == f[i * stride].t_us && g[i].has_pose == f[i * stride].has_pose);
    free(track);
    free(out);
    free(g);
    free(labels2);
    free(f);
    free(labels);
    return 0;
}
