/*
 * draw.c - raster primitives for thumbnails and the overlay video (see draw.h).
 *
 * Lines are drawn as a row of discs along the segment (simple, thick-line correct, fast enough
 * for a skeleton of 35 bones per frame). Text uses FreeType's 8-bit anti-aliased bitmaps blended
 * onto the frame.
 */
#include "video/draw.h"
#include "base/rr_error.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <stdlib.h>

#define DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

const uint8_t draw_pose_connections[][2] = {
    {0, 1},   {1, 2},   {2, 3},   {3, 7},   {0, 4},   {4, 5},   {5, 6},   {6, 8},   {9, 10},
    {11, 12}, {11, 13}, {13, 15}, {15, 17}, {15, 19}, {15, 21}, {17, 19}, {12, 14}, {14, 16},
    {16, 18}, {16, 20}, {16, 22}, {18, 20}, {11, 23}, {12, 24}, {23, 24}, {23, 25}, {24, 26},
    {25, 27}, {26, 28}, {27, 29}, {28, 30}, {29, 31}, {30, 32}, {27, 31}, {28, 32},
};
const int draw_pose_connection_count =
    (int)(sizeof draw_pose_connections / sizeof draw_pose_connections[0]);

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void put(struct draw_canvas *c, int x, int y, struct draw_color col, int a /*0..255*/)
{
    uint8_t *p = c->rgb + (size_t)y * c->stride + (size_t)x * 3;
    p[0] = (uint8_t)((p[0] * (255 - a) + col.r * a) / 255);
    p[1] = (uint8_t)((p[1] * (255 - a) + col.g * a) / 255);
    p[2] = (uint8_t)((p[2] * (255 - a) + col.b * a) / 255);
}

void draw_disc(struct draw_canvas *c, float cx, float cy, float r, struct draw_color col)
{
    if (!isfinite(cx) || !isfinite(cy) || !isfinite(r) || r <= 0 || r > 4096)
        return;
    if (cx < -r || cy < -r || cx > c->width + r || cy > c->height + r)
        return;
    int x0 = clampi((int)floorf(cx - r), 0, c->width - 1);
    int x1 = clampi((int)ceilf(cx + r), 0, c->width - 1);
    int y0 = clampi((int)floorf(cy - r), 0, c->height - 1);
    int y1 = clampi((int)ceilf(cy + r), 0, c->height - 1);
    float r2 = r * r;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            float dx = (float)x - cx, dy = (float)y - cy;
            if (dx * dx + dy * dy <= r2)
                put(c, x, y, col, 255);
        }
}

void draw_line(struct draw_canvas *c, float x0, float y0, float x1, float y1, float thickness,
               struct draw_color col)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    float dx = x1 - x0, dy = y1 - y0;
    float len = sqrtf(dx * dx + dy * dy);
    float r = thickness > 1 ? thickness / 2 : 0.5f;
    if (len > 16384)
        return; /* a landmark far outside the image: nothing sensible to draw */
    int steps = (int)(len / (r > 1 ? r * 0.5f : 0.5f)) + 1;
    for (int i = 0; i <= steps; i++) {
        float t = (float)i / (float)steps;
        draw_disc(c, x0 + dx * t, y0 + dy * t, r, col);
    }
}

void draw_box(struct draw_canvas *c, int x, int y, int w, int h, struct draw_color col, float alpha)
{
    int a = (int)lroundf((alpha < 0 ? 0 : alpha > 1 ? 1 : alpha) * 255);
    int xa = clampi(x, 0, c->width), xb = clampi(x + w, 0, c->width);
    int ya = clampi(y, 0, c->height), yb = clampi(y + h, 0, c->height);
    for (int yy = ya; yy < yb; yy++)
        for (int xx = xa; xx < xb; xx++)
            put(c, xx, yy, col, a);
}

struct draw_font {
    FT_Library lib;
    FT_Face face;
    int px;
};

int draw_font_open(const char *path, int px, struct draw_font **out)
{
    if (px < 8 || px > 256)
        return RR_ERR_INVAL;
    struct draw_font *f = calloc(1, sizeof *f);
    if (!f)
        return RR_ERR_NOMEM;
    if (FT_Init_FreeType(&f->lib)) {
        free(f);
        return RR_ERR_NOMEM;
    }
    if (FT_New_Face(f->lib, path ? path : DEFAULT_FONT, 0, &f->face) ||
        FT_Set_Pixel_Sizes(f->face, 0, (FT_UInt)px)) {
        FT_Done_FreeType(f->lib);
        free(f);
        return RR_ERR_NOTFOUND;
    }
    f->px = px;
    *out = f;
    return 0;
}

int draw_font_set_px(struct draw_font *f, int px)
{
    if (!f || px < 8 || px > 256 || FT_Set_Pixel_Sizes(f->face, 0, (FT_UInt)px))
        return RR_ERR_INVAL;
    f->px = px;
    return 0;
}

void draw_font_free(struct draw_font *f)
{
    if (!f)
        return;
    FT_Done_Face(f->face);
    FT_Done_FreeType(f->lib);
    free(f);
}

/* Next code point of a UTF-8 string (Latin-1 range kept, others become '?'). */
static unsigned next_char(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    unsigned cp = p[0];
    int n = 1;
    if (cp >= 0xC0 && cp < 0xE0 && (p[1] & 0xC0) == 0x80) {
        cp = ((cp & 0x1F) << 6) | (p[1] & 0x3F);
        n = 2;
    } else if (cp >= 0x80) {
        cp = '?';
        while (p[n] && (p[n] & 0xC0) == 0x80)
            n++;
    }
    *s += n;
    return cp > 0xFF ? '?' : cp;
}

static int text_run(struct draw_canvas *c, struct draw_font *f, int x, int y, const char *text,
                    struct draw_color col)
{
    int pen = x;
    int ascender = (int)(f->face->size->metrics.ascender >> 6);
    while (*text) {
        unsigned cp = next_char(&text);
        if (FT_Load_Char(f->face, cp, c ? FT_LOAD_RENDER : FT_LOAD_DEFAULT))
            continue;
        FT_GlyphSlot g = f->face->glyph;
        if (c) {
            const FT_Bitmap *bm = &g->bitmap;
            int gx = pen + g->bitmap_left, gy = y + ascender - g->bitmap_top;
            for (unsigned r = 0; r < bm->rows; r++)
                for (unsigned q = 0; q < bm->width; q++) {
                    int px = gx + (int)q, py = gy + (int)r;
                    int a = bm->buffer[r * (unsigned)bm->pitch + q];
                    if (a && px >= 0 && py >= 0 && px < c->width && py < c->height)
                        put(c, px, py, col, a);
                }
        }
        pen += (int)(g->advance.x >> 6);
    }
    return pen - x;
}

int draw_text(struct draw_canvas *c, struct draw_font *f, int x, int y, const char *text,
              struct draw_color col)
{
    return text_run(c, f, x, y, text, col);
}

int draw_text_width(struct draw_font *f, const char *text)
{
    return text_run(NULL, f, 0, 0, text, DRAW_WHITE);
}

void draw_skeleton(struct draw_canvas *c, const struct rr_landmark lm[RR_NUM_LANDMARKS],
                   struct draw_color col, float min_vis)
{
    float scale = (float)(c->width > c->height ? c->width : c->height);
    float thick = scale / 240.0f < 2 ? 2 : scale / 240.0f;
    for (int i = 0; i < draw_pose_connection_count; i++) {
        const struct rr_landmark *a = &lm[draw_pose_connections[i][0]];
        const struct rr_landmark *b = &lm[draw_pose_connections[i][1]];
        if (a->visibility < min_vis || b->visibility < min_vis)
            continue;
        draw_line(c, a->x * (float)c->width, a->y * (float)c->height, b->x * (float)c->width,
                  b->y * (float)c->height, thick, col);
    }
    for (int i = 0; i < RR_NUM_LANDMARKS; i++)
        if (lm[i].visibility >= min_vis)
            draw_disc(c, lm[i].x * (float)c->width, lm[i].y * (float)c->height, thick * 1.4f,
                      DRAW_WHITE);
}
