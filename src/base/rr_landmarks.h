/*
 * rr_landmarks.h - the pose result shared by pose/ (which produces it) and analysis/ (which
 * consumes it). Plain data, no ownership, no I/O: analysis compiles to WebAssembly with this alone.
 *
 * Landmark order is BlazePose's 33 (blazepose.md 3.11). Image landmarks: x, y normalised to the
 * image width/height (may fall outside [0,1]), z in the same scale as x (relative depth).
 * World landmarks: metres, hip-centred, y down. visibility and presence are probabilities.
 *
 * Not every source measures everything: landmark files from other tools (docs/landmarks-format.md)
 * may carry image landmarks only (RR_POSE_NO_WORLD), no visibility (RR_POSE_NO_VISIBILITY: every
 * landmark with finite x and y counts as seen), an unknown image size (width = height = 0: x and
 * y were normalised per axis, so only ratios along one axis are meaningful), or single landmarks
 * that were not found (x = y = NAN, visibility 0). The pose engine always fills everything and
 * leaves flags at 0.
 */
#ifndef RR_LANDMARKS_H
#define RR_LANDMARKS_H

#include <stdint.h>

#define RR_NUM_LANDMARKS 33

enum rr_landmark_id {
    RR_LM_NOSE = 0,
    RR_LM_LEFT_EYE_INNER,
    RR_LM_LEFT_EYE,
    RR_LM_LEFT_EYE_OUTER,
    RR_LM_RIGHT_EYE_INNER,
    RR_LM_RIGHT_EYE,
    RR_LM_RIGHT_EYE_OUTER,
    RR_LM_LEFT_EAR,
    RR_LM_RIGHT_EAR,
    RR_LM_MOUTH_LEFT,
    RR_LM_MOUTH_RIGHT,
    RR_LM_LEFT_SHOULDER,
    RR_LM_RIGHT_SHOULDER,
    RR_LM_LEFT_ELBOW,
    RR_LM_RIGHT_ELBOW,
    RR_LM_LEFT_WRIST,
    RR_LM_RIGHT_WRIST,
    RR_LM_LEFT_PINKY,
    RR_LM_RIGHT_PINKY,
    RR_LM_LEFT_INDEX,
    RR_LM_RIGHT_INDEX,
    RR_LM_LEFT_THUMB,
    RR_LM_RIGHT_THUMB,
    RR_LM_LEFT_HIP,
    RR_LM_RIGHT_HIP,
    RR_LM_LEFT_KNEE,
    RR_LM_RIGHT_KNEE,
    RR_LM_LEFT_ANKLE,
    RR_LM_RIGHT_ANKLE,
    RR_LM_LEFT_HEEL,
    RR_LM_RIGHT_HEEL,
    RR_LM_LEFT_FOOT_INDEX,
    RR_LM_RIGHT_FOOT_INDEX
};

struct rr_landmark {
    float x, y, z;
    float visibility;
    float presence;
};

/* rr_pose_frame.flags */
#define RR_POSE_NO_WORLD 1u      /* world[] was not measured */
#define RR_POSE_NO_VISIBILITY 2u /* visibility was not measured */

struct rr_pose_frame {
    int64_t t_us;      /* presentation time of the frame, microseconds */
    int width, height; /* image size in pixels (after rotation); 0 when unknown */
    int has_pose;      /* 0: nothing below is meaningful */
    unsigned flags;    /* RR_POSE_NO_* bits; 0 from the pose engine */
    float score;       /* pose presence flag of the landmark model, 0..1 */
    struct rr_landmark image[RR_NUM_LANDMARKS];
    struct rr_landmark world[RR_NUM_LANDMARKS];
};

/* Name of a landmark id ("left_knee"), or "unknown". */
const char *rr_landmark_name(int id);

#endif
