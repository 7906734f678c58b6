/*
 * render.h - second decoding pass of the pipeline: overlay video and best/worst thumbnails,
 * drawn from the stored landmarks and the finished report. Internal to pipeline/.
 * Errors: decoding and encoding codes, with `msg` naming the stage.
 */
#ifndef RR_PIPELINE_RENDER_H
#define RR_PIPELINE_RENDER_H

#include "pipeline/analyze.h"

int render_pass(const char *video_path, const struct pipeline_opts *o,
                struct pipeline_result *res, char *msg, size_t msg_len);

/* Index of the rep whose frames contain frame i, or -1. */
int render_rep_at(const struct analysis_report *r, size_t i);

#endif
