/*
 * anchors.h - SSD anchor generation, as MediaPipe's SsdAnchorsCalculator (blazepose.md 3.2).
 *
 * Pure math: no allocation, no global state. The caller owns the output array.
 * Thread-safety: all functions are reentrant.
 */
#ifndef RR_POSE_ANCHORS_H
#define RR_POSE_ANCHORS_H

#define ANCHORS_MAX_LAYERS 8
#define ANCHORS_MAX_ASPECTS 4
/* The BlazePose detector's anchor count: 28*28*2 + 14*14*2 + 7*7*6. */
#define ANCHORS_POSE_COUNT 2254

struct anchor {
    float cx, cy; /* centre, normalised to the input tensor */
    float w, h;   /* size, normalised (1.0 with fixed_anchor_size) */
};

struct anchors_opts {
    int num_layers;                  /* 1..ANCHORS_MAX_LAYERS */
    float min_scale, max_scale;
    int input_w, input_h;
    float offset_x, offset_y;        /* anchor_offset_x/y */
    int strides[ANCHORS_MAX_LAYERS];
    int num_aspects;                 /* 0..ANCHORS_MAX_ASPECTS */
    float aspects[ANCHORS_MAX_ASPECTS];
    float interpolated_scale_aspect; /* > 0 adds one anchor per layer */
    int fixed_anchor_size;
    int reduce_boxes_in_lowest_layer;
};

/* The options of pose_detection_cpu.pbtxt. */
struct anchors_opts anchors_opts_pose(void);

/* Number of anchors `o` yields (or RR_ERR_INVAL for invalid options). */
int anchors_count(const struct anchors_opts *o);

/* Fill out[0..count-1] in MediaPipe's order (layer group, row, column, anchor). Returns the count,
 * RR_ERR_INVAL for invalid options or RR_ERR_TOOBIG when more than `max` anchors would result. */
int anchors_generate(const struct anchors_opts *o, struct anchor *out, int max);

#endif
