/*
 * landmarks_json.h - the compact landmark track of an analysed video, "repright.landmarks/1",
 * stored by the analyze job as videos/<id>/landmarks.json and served by
 * GET /v1/videos/{id}/landmarks so the dashboard can draw the skeleton over the replay.
 *
 * Format (docs/internals/web.md "Landmark track"):
 *   {"schema":"repright.landmarks/1","fps":29.97,"width":1080,"height":1920,"stride":1,
 *    "frames":[[t_ms,[x0,y0,v0,x1,y1,v1,...,x32,y32,v32]],[t_ms,null],...]}
 *  - t_ms: the frame's presentation time in integer milliseconds from the stream start;
 *  - 33 BlazePose landmarks in image coordinates normalised to 0..1 (x to the right, y down,
 *    may be slightly outside the frame), 3 decimals; v = visibility 0..1, 2 decimals;
 *  - null when no pose was found in that frame; non-finite numbers are written as 0;
 *  - at most LANDMARKS_JSON_MAX_FRAMES frames: a longer track keeps every stride-th frame
 *    ("stride" > 1), so the document stays below ~10 MB whatever the video length.
 *
 * Ownership: landmarks_json_dumps() returns a malloc'd NUL-terminated string (free it).
 * Errors: NULL on allocation failure or bad arguments (frames NULL with n > 0).
 * Thread-safety: reentrant (no shared state).
 */
#ifndef RR_PIPELINE_LANDMARKS_JSON_H
#define RR_PIPELINE_LANDMARKS_JSON_H

#include <stddef.h>

#include "../base/rr_landmarks.h"

#define LANDMARKS_JSON_SCHEMA "repright.landmarks/1"
#define LANDMARKS_JSON_MAX_FRAMES 18000 /* 10 min at 30 fps */

char *landmarks_json_dumps(const struct rr_pose_frame *frames, size_t n, double fps, int width,
                           int height);

#endif
