/*
 * draw.h - draw on an RGB frame: anti-alias-free thick lines, discs, translucent boxes, text
 * (FreeType with a Debian font) and the BlazePose skeleton. Used for thumbnails and the overlay.
 *
 * Ownership: struct draw_canvas is a view of caller-owned pixels. struct draw_font owns a
 * FreeType face; open it once per thread (FreeType faces are not thread-safe).
 * Every primitive clips to the canvas, so any coordinates (even NaN or huge) are safe.
 * Errors: draw_font_open returns RR_ERR_NOTFOUND when no font file is usable.
 */
#ifndef RR_VIDEO_DRAW_H
#define RR_VIDEO_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_landmarks.h"

struct draw_canvas {
    uint8_t *rgb;
    int width, height;
    size_t stride;
};

struct draw_color {
    uint8_t r, g, b;
};

#define DRAW_GREEN ((struct draw_color){40, 200, 90})
#define DRAW_RED ((struct draw_color){230, 50, 50})
#define DRAW_GREY ((struct draw_color){160, 160, 160})
#define DRAW_WHITE ((struct draw_color){255, 255, 255})
#define DRAW_BLACK ((struct draw_color){0, 0, 0})

void draw_line(struct draw_canvas *c, float x0, float y0, float x1, float y1, float thickness,
               struct draw_color col);
void draw_disc(struct draw_canvas *c, float cx, float cy, float r, struct draw_color col);
/* Box blended with alpha 0..1. */
void draw_box(struct draw_canvas *c, int x, int y, int w, int h, struct draw_color col, float alpha);

struct draw_font;
/* path NULL: DejaVu Sans Bold from fonts-dejavu-core. px: glyph height in pixels (8..256). */
int draw_font_open(const char *path, int px, struct draw_font **out);
/* Change the glyph height of an open face (8..256): a sandbox opens the font file before its
 * filter and sizes it once the video's size is known. 0, RR_ERR_INVAL. */
int draw_font_set_px(struct draw_font *f, int px);
void draw_font_free(struct draw_font *f);
/* Draw UTF-8 text with its top-left corner at (x, y); returns the advance width in pixels.
 * Characters outside Latin-1 are drawn as '?'. */
int draw_text(struct draw_canvas *c, struct draw_font *f, int x, int y, const char *text,
              struct draw_color col);
/* Width in pixels text would take. */
int draw_text_width(struct draw_font *f, const char *text);

/* BlazePose body connections (pairs of landmark ids). */
extern const uint8_t draw_pose_connections[][2];
extern const int draw_pose_connection_count;

/* Skeleton of normalised image landmarks; joints with visibility < min_vis are skipped. */
void draw_skeleton(struct draw_canvas *c, const struct rr_landmark lm[RR_NUM_LANDMARKS],
                   struct draw_color col, float min_vis);

#endif
