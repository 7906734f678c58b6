/*
 * track.h - who is in the frame and how the camera is held: identity of the person the pose
 * engine follows (it follows one person and may jump to another), the camera's roll, and
 * bridging of one side's landmarks while they are briefly hidden.
 *
 * Identity: between neighbouring frames of one person the landmarks move little (the median
 * landmark moved at most 0.4 body scales per 1/30 s in every dev clip, sped-up ones included,
 * and 1.04 when an athlete dropped off a pull-up bar); a
 * median displacement beyond TRACK_SWITCH + TRACK_SWITCH_PER_S * dt body scales (kept within
 * TRACK_SWITCH_MIN..MAX), or a halving/doubling of the body scale, means the pose engine jumped
 * to someone else (a spectator two body widths away is caught: all of their landmarks are
 * elsewhere). A new segment joins the identity whose last pose it is closest to (the same
 * test, the allowance growing with the time since that identity was seen), else the one whose
 * body proportions (bone lengths over torso length, world landmarks) are closest within
 * TRACK_SIG_MATCH, else it opens a new identity (at most TRACK_MAX; then the closest one).
 * Without a known image size the frames carry no position, and everything is one identity.
 *
 * Roll: gravity points along the body axis of a person standing (balance keeps the shoulders
 * over the feet) and across the floor line of one lying on the floor (hands or forearms and
 * feet). The camera roll is the median of those per-frame estimates (1-degree histogram, at
 * most TRACK_ROLL_MAX either way); 0 until TRACK_ROLL_MIN_FRAMES frames voted or without a
 * known image size.
 *
 * Reference lengths: each segment's image length (longer side) goes into a per-person histogram
 * (64 log-spaced bins, 0.005 to 2 image heights, 10 % wide); its 90th percentile is the
 * segment's usual length, written into every frame (geometry.h ref_len). In a side view a
 * sagittal segment much shorter than that is hidden behind something the model still calls
 * visible (a barbell's plates): its landmarks lose their trusted status (TRACK_OCCLUDED).
 *
 * Bridging: for each left/right landmark pair the tracker keeps a running left-minus-right
 * offset while both are seen; when one side drops out for at most TRACK_BRIDGE_S, its position
 * is the other side's minus that offset, so that a signal built on the pair's mean does not
 * step. Bridged landmarks are usable for signals, never trusted for form rules.
 *
 * Internal to src/analysis. No allocation; O(1) per frame; one tracker per stream.
 */
#ifndef RR_ANALYSIS_TRACK_H
#define RR_ANALYSIS_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_landmarks.h"
#include "analysis/geometry.h"

#define TRACK_MAX 3
#define TRACK_SWITCH 0.6f
#define TRACK_SWITCH_PER_S 9.0f
#define TRACK_SWITCH_MIN 1.3f
#define TRACK_SWITCH_MAX 1.8f
#define TRACK_GROW_RATE 24.0 /* size steps of 1.5x per second of gap, compounded... */
#define TRACK_GROW_MAX 2.5f  /* ...up to this factor */
#define TRACK_SIG_LEN 6
#define TRACK_SIG_MATCH 0.12f
#define TRACK_ROLL_MAX 40
#define TRACK_ROLL_MIN_FRAMES 5
#define TRACK_BRIDGE_S 2.0f
#define TRACK_OCCLUDED 0.6f
#define TRACK_PAIRS 11
#define TRACK_LEN_BINS 64

struct track_identity {
    int used;
    size_t frames;
    int64_t t_last;           /* time of its last frame */
    float cx, cy, scale;      /* last seen hip centre and body scale (image units) */
    float last_x[RR_NUM_LANDMARKS], last_y[RR_NUM_LANDMARKS]; /* its last pose (NAN: unseen) */
    double sig_sum[TRACK_SIG_LEN];
    int sig_n;
    /* reference segment lengths: log-spaced histograms of the image lengths seen */
    uint32_t len_hist[GEOM_SEGMENTS][TRACK_LEN_BINS];
    uint32_t len_n[GEOM_SEGMENTS];
    /* bridging, per left/right pair */
    float off_x[TRACK_PAIRS], off_y[TRACK_PAIRS];
    int64_t both_t[TRACK_PAIRS]; /* last time both sides were seen (-1: never) */
};

struct tracker {
    struct track_identity id[TRACK_MAX];
    int n_ids;
    int cur;                  /* identity of the previous frame with a pose, -1 none */
    float prev_cx, prev_cy, prev_scale;
    int have_prev;
    uint32_t roll_hist[2 * TRACK_ROLL_MAX + 1];
    uint32_t roll_votes;
    float roll_deg;
};

void tracker_init(struct tracker *t);

/* Process input frame f (index `index`): assign an identity, update the roll, bridge hidden
 * sides, and fill *g (geometry.h) with the corrected frame. g->track is the identity (-1 when
 * the frame has no valid pose). */
void tracker_push(struct tracker *t, const struct rr_pose_frame *f, size_t index,
                  struct geom_frame *g);

#endif
