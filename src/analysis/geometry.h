/*
 * geometry.h - body geometry of one pose frame, in a camera corrected for roll: image
 * coordinates (isotropic when the image size is known), world landmarks (metres) when measured,
 * 3-D joint angles, torso inclination, body yaw and camera view, and landmark gating.
 *
 * Coordinates: x to the right, y DOWN (image convention), both rotated by -roll so that gravity
 * points along +y (roll is the camera's tilt estimated by track.c). With a known image size, x
 * is scaled by width/height so image distances are isotropic ("iso"); without it (landmark files
 * whose x and y were normalised per axis) only ratios along one axis mean anything, and the
 * exercise signals are written so that they use nothing else.
 *
 * Gating: a landmark is "usable" when its coordinates are finite, it lies inside the image
 * (small margin; not checked without a known image size) and its visibility is at least
 * GEOM_VIS_SIGNAL (any visibility counts when the source has none); "trusted" at GEOM_VIS_RULE.
 * Signals need usable landmarks; form rules need trusted ones. Anything that cannot be measured
 * is NAN: callers turn NAN into "cannot judge", never a guess.
 *
 * Internal to src/analysis. Pure functions, no allocation, thread-safe.
 */
#ifndef RR_ANALYSIS_GEOMETRY_H
#define RR_ANALYSIS_GEOMETRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_landmarks.h"
#include "analysis/analysis.h"

#define GEOM_VIS_SIGNAL 0.3f
#define GEOM_VIS_RULE 0.5f
#define GEOM_FRAME_MARGIN 0.02f

enum { GEOM_LEFT = 0, GEOM_RIGHT = 1 };

/* Body segments with a reference length (geom_frame.ref_len). */
enum geom_segment {
    GEOM_SEG_UPPER_ARM = 0,
    GEOM_SEG_FOREARM,
    GEOM_SEG_THIGH,
    GEOM_SEG_SHIN,
    GEOM_SEG_TORSO,
    GEOM_SEGMENTS
};


/* Per-frame geometry, self-contained (no pointer to the input frame). */
struct geom_frame {
    int64_t t_us;
    size_t index;               /* index of the input frame */
    int valid;                  /* pose present, a shoulder and a hip or an elbow usable, torso
                                 * not upside down */
    int iso;                    /* image size known: x and y in one unit (image height = 1) */
    int has_world;              /* world landmarks measured */
    uint64_t usable;            /* bit i: landmark i usable */
    uint64_t trusted;           /* bit i: landmark i trusted */
    float x[RR_NUM_LANDMARKS], y[RR_NUM_LANDMARKS];    /* corrected image coordinates */
    float wx[RR_NUM_LANDMARKS], wy[RR_NUM_LANDMARKS], wz[RR_NUM_LANDMARKS]; /* corrected world */
    float vis[RR_NUM_LANDMARKS];
    float incl_deg;             /* torso from vertical: 0 upright, 90 lying (NAN unknown) */
    float yaw_deg;              /* body yaw vs camera: 0 facing, +-90 side, 180 back (world) */
    float knee[2], hip[2], elbow[2], shoulder[2]; /* joint angles, deg; NAN when not usable */
    float torso_img;            /* shoulder-to-hip distance, image units (iso only, else NAN) */
    int track;                  /* identity the frame was assigned to (track.c), -1 none */
    /* The person's usual image length of each segment (track.c: 90th percentile of what was
     * seen so far, longer of the two sides; NAN without a known image size or before any):
     * foreshortening-proof yardsticks for signals and occlusion checks. */
    float ref_len[GEOM_SEGMENTS];
};

/* Landmark ids (left side) of a segment's two ends. */
void geom_segment_ends(enum geom_segment s, int *a, int *b);
/* Image length of segment s on side sd (NAN unless both ends are usable and the size known). */
float geom_segment_len(const struct geom_frame *g, enum geom_segment s, int sd);

/* Angle ABC in degrees (0..180) between BA and BC; NAN when a vector has zero length. */
float geom_angle3(const float a[3], const float b[3], const float c[3]);
float geom_angle2(const float a[2], const float b[2], const float c[2]);

/* Fill g from f, rotating image and world coordinates by -roll_deg (pure). */
void geom_frame_compute(const struct rr_pose_frame *f, size_t index, float roll_deg,
                        struct geom_frame *g);

/* 1 when landmark id is usable / trusted in this frame. */
int geom_usable(const struct geom_frame *g, int id);
int geom_trusted(const struct geom_frame *g, int id);

/* World position (metres) and corrected image position of a landmark. */
void geom_world(const struct geom_frame *g, int id, float out[3]);
void geom_img(const struct geom_frame *g, int id, float out[2]);

/* Midpoint of a left/right landmark pair, in world or image space. */
void geom_world_mid(const struct geom_frame *g, int left_id, float out[3]);
void geom_img_mid(const struct geom_frame *g, int left_id, float out[2]);

/* Image y of a left/right pair: mean of the usable sides; NAN when neither is usable. */
float geom_pair_y(const struct geom_frame *g, int left_id);
/* Lower (larger y) / higher (smaller y) of the usable sides of a pair; NAN when neither. */
float geom_pair_ymax(const struct geom_frame *g, int left_id);
float geom_pair_ymin(const struct geom_frame *g, int left_id);

/* Mean of the usable sides of a left/right angle pair; NAN when neither side is usable. */
float geom_pair_mean(const float v[2]);

/* Camera view from a body yaw in degrees. */
enum analysis_view geom_view_from_yaw(float yaw_deg);

#endif
