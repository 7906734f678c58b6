/*
 * rr_trace.c - one exercise's phase signal through the analysis core, frame by frame, as CSV:
 * for looking at why a clip counts what it counts (tools/eval/plot_trace.py draws it).
 *
 *   rr_trace LANDMARKS.pose.json EXERCISE > trace.csv
 *
 * Columns: frame, t_s, track, roll_deg, envelope, signal (raw), filtered, phase (0 unknown,
 * 1 out, 2 back), amplitude (typical), rest_pose, far_pose, event (rep / partial).
 * The counter sees the frames of every person in order, as the stream does for one person;
 * frames of other people are marked by their track.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/counter.h"
#include "analysis/exercise.h"
#include "analysis/params.h"
#include "analysis/track.h"
#include "base/rr_error.h"
#include "pipeline/landmarks_file.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rr_trace LANDMARKS.pose.json EXERCISE\n");
        return 64;
    }
    const struct exercise_def *ex = exercise_find(argv[2]);
    if (!ex || ex->is_hold) {
        fprintf(stderr, "rr_trace: %s is not a rep exercise\n", argv[2]);
        return 64;
    }
    struct rr_pose_frame *fr = NULL;
    size_t n = 0;
    char msg[256] = "";
    int err = landmarks_file_load(argv[1], &fr, &n, NULL, NULL, msg, sizeof msg);
    if (err) {
        fprintf(stderr, "rr_trace: %s: %s\n", argv[1], msg[0] ? msg : rr_strerror(err));
        return 2;
    }
    struct tracker tr;
    tracker_init(&tr);
    struct counter c;
    counter_init(&c, &analysis_params_default()->counter, &ex->seg);
    printf("frame,t_s,track,roll_deg,envelope,signal,filtered,phase,amplitude,rest_pose,far_pose,"
           "event\n");
    for (size_t i = 0; i < n; i++) {
        struct geom_frame g;
        tracker_push(&tr, &fr[i], i, &g);
        int env = g.track >= 0 && (!ex->envelope || ex->envelope(&g));
        float v = g.track >= 0 ? ex->signal(&g) : NAN;
        struct counter_event ev;
        int got = g.track == 0 && counter_push(&c, i, g.t_us, env ? v : NAN, &ev);
        printf("%zu,%.4f,%d,%.0f,%d,%.5f,%.5f,%d,%.5f,%d,%d,%s\n", i, (double)g.t_us * 1e-6,
               g.track, (double)tr.roll_deg, env, (double)v, (double)counter_value(&c),
               (int)c.phase, (double)counter_amplitude(&c),
               g.track >= 0 && ex->rest_pose ? ex->rest_pose(&g) : -1,
               g.track >= 0 && ex->far_pose ? ex->far_pose(&g) : -1,
               got ? (ev.kind == COUNTER_REP ? "rep" : "partial") : "");
    }
    free(fr);
    return 0;
}
