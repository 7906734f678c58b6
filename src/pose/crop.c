/*
 * crop.c - rotated crop with OpenCV's fixed-point bilinear warp (see crop.h).
 *
 * DESIGN: cv::warpPerspective on 8UC3 computes, per output pixel, the source point in double,
 * rounds 32*x to an int (cvRound), splits it into an integer pixel (>> 5) and a 1/32 fraction,
 * and blends the four neighbours with weights (32-fx)(32-fy)*32 ... summing to 1 << 15, rounding
 * the result to uint8. The converter then maps uint8 to float with convertTo(scale, offset).
 * The rect is a parallelogram, so the map is affine: we step it incrementally, no trig per pixel.
 */
#include "pose/crop.h"
#include "base/rr_error.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define CROP_SSE2 1
#endif

#define CROP_PI 3.14159265358979323846

void crop_affine(const struct crop_rect *r, int out_w, int out_h, double m[6])
{
    /* cv::boxPoints on a cv::RotatedRect whose angle is in float degrees. */
    float deg = r->rotation * 180.0f / (float)CROP_PI;
    double ang = deg * CROP_PI / 180.0;
    float b = (float)cos(ang) * 0.5f;
    float a = (float)sin(ang) * 0.5f;
    float p0x = r->cx - a * r->h - b * r->w; /* -> output (0, H) */
    float p0y = r->cy + b * r->h - a * r->w;
    float p1x = r->cx + a * r->h - b * r->w; /* -> output (0, 0) */
    float p1y = r->cy - b * r->h - a * r->w;
    float p2x = 2 * r->cx - p0x;             /* -> output (W, 0) */
    float p2y = 2 * r->cy - p0y;
    double W = out_w, H = out_h;
    m[0] = (p2x - (double)p1x) / W;
    m[1] = (p0x - (double)p1x) / H;
    m[2] = p1x;
    m[3] = (p2y - (double)p1y) / W;
    m[4] = (p0y - (double)p1y) / H;
    m[5] = p1y;
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Round half to even like cvRound (default FP rounding mode), without a libm call: adding
 * 1.5 * 2^52 leaves the rounded integer in the low mantissa bits. Callers clamp |v| < 2^30. */
static inline int round_fixed(double v)
{
    union {
        double d;
        int64_t i;
    } u;
    u.d = v + 6755399441055744.0;
    return (int)(int32_t)(uint32_t)(uint64_t)u.i;
}

static inline double clamp_coord(double v)
{
    return v < -1073741824.0 ? -1073741824.0 : v > 1073741823.0 ? 1073741823.0 : v;
}

int crop_rotated(const struct rr_image *img, const struct crop_rect *r, int out_w, int out_h,
                 enum crop_border border, float lo, float hi, float *out)
{
    if (!img || !img->rgb || img->width < 1 || img->height < 1 || out_w < 1 || out_h < 1 || !out)
        return RR_ERR_INVAL;
    float lut[256];
    float scale = (hi - lo) / 255.0f;
    for (int i = 0; i < 256; i++)
        lut[i] = (float)i * scale + lo;

    double m[6];
    crop_affine(r, out_w, out_h, m);
    const int iw = img->width, ih = img->height;
    const size_t stride = img->stride;
    const uint8_t *src = img->rgb;
    const unsigned w1 = (unsigned)(iw - 1), h1 = (unsigned)(ih - 1);
    const int replicate = border == CROP_BORDER_REPLICATE;

    /* everything in units of 1/32 pixel */
    const double dx = m[0] * 32.0, dy = m[3] * 32.0;
    for (int v = 0; v < out_h; v++) {
        double xr = (m[1] * v + m[2]) * 32.0, yr = (m[4] * v + m[5]) * 32.0;
        float *o = out + (size_t)v * (size_t)out_w * 3;
        for (int u = 0; u < out_w; u++, o += 3) {
            int X = round_fixed(clamp_coord(xr + dx * u));
            int Y = round_fixed(clamp_coord(yr + dy * u));
            int sx = X >> 5, sy = Y >> 5; /* arithmetic shift = floor */
            int fx = X & 31, fy = Y & 31;
            int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy);
            int w10 = (32 - fx) * fy, w11 = fx * fy;
            if ((unsigned)sx < w1 && (unsigned)sy < h1) {
                const uint8_t *p = src + (size_t)sy * stride + (size_t)sx * 3;
                const uint8_t *q = p + stride;
                for (int c = 0; c < 3; c++) {
                    int s = p[c] * w00 + p[c + 3] * w01 + q[c] * w10 + q[c + 3] * w11;
                    o[c] = lut[(s + 512) >> 10];
                }
                continue;
            }
            if (!replicate && (sx >= iw || sx + 1 < 0 || sy >= ih || sy + 1 < 0)) {
                o[0] = o[1] = o[2] = lut[0];
                continue;
            }
            int x0, x1, y0, y1;
            if (replicate) {
                x0 = clampi(sx, 0, iw - 1);
                x1 = clampi(sx + 1, 0, iw - 1);
                y0 = clampi(sy, 0, ih - 1);
                y1 = clampi(sy + 1, 0, ih - 1);
            } else {
                x0 = sx >= 0 && sx < iw ? sx : -1;
                x1 = sx + 1 >= 0 && sx + 1 < iw ? sx + 1 : -1;
                y0 = sy >= 0 && sy < ih ? sy : -1;
                y1 = sy + 1 >= 0 && sy + 1 < ih ? sy + 1 : -1;
            }
            for (int c = 0; c < 3; c++) {
                int v00 = x0 >= 0 && y0 >= 0 ? src[(size_t)y0 * stride + (size_t)x0 * 3 + c] : 0;
                int v01 = x1 >= 0 && y0 >= 0 ? src[(size_t)y0 * stride + (size_t)x1 * 3 + c] : 0;
                int v10 = x0 >= 0 && y1 >= 0 ? src[(size_t)y1 * stride + (size_t)x0 * 3 + c] : 0;
                int v11 = x1 >= 0 && y1 >= 0 ? src[(size_t)y1 * stride + (size_t)x1 * 3 + c] : 0;
                int s = v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11;
                o[c] = lut[(s + 512) >> 10];
            }
        }
    }
    return 0;
}

/* ---- YUV 4:2:0 source ---- */

void crop_yuv_upright(const struct crop_yuv *img, int *w, int *h)
{
    int swap = img->rotation == 90 || img->rotation == 270;
    *w = swap ? img->height : img->width;
    *h = swap ? img->width : img->height;
}

int crop_yuv_valid(const struct crop_yuv *im)
{
    return im && im->y && im->u && im->v && im->width >= 1 && im->height >= 1 &&
           im->width <= RR_IMAGE_MAX_SIDE && im->height <= RR_IMAGE_MAX_SIDE &&
           im->y_stride >= (size_t)im->width && im->uv_stride >= (size_t)(im->width + 1) / 2 &&
           (im->rotation == 0 || im->rotation == 90 || im->rotation == 180 ||
            im->rotation == 270) &&
           im->matrix >= 0 && im->matrix <= 2;
}

/* YUV -> RGB on values scaled by 1024 (bilinear sums): rgb = ky * (Y - yoff * wsum) + chroma. */
struct yuv_coef {
    float ky, yoff, kc;   /* range expansion */
    float rv, gu, gv, bu; /* matrix */
};

static struct yuv_coef yuv_coef_make(int full_range, int matrix)
{
    static const float kr[3] = {0.299f, 0.2126f, 0.2627f}, kb[3] = {0.114f, 0.0722f, 0.0593f};
    float r = kr[matrix], b = kb[matrix], g = 1.0f - r - b;
    struct yuv_coef c;
    c.ky = full_range ? 1.0f / 1024.0f : 255.0f / 219.0f / 1024.0f;
    c.yoff = full_range ? 0.0f : 16.0f;
    c.kc = full_range ? 1.0f / 1024.0f : 255.0f / 224.0f / 1024.0f;
    c.rv = 2.0f * (1.0f - r);
    c.bu = 2.0f * (1.0f - b);
    c.gu = 2.0f * b * (1.0f - b) / g;
    c.gv = 2.0f * r * (1.0f - r) / g;
    return c;
}

/* Bilinear chroma at 1/32-chroma-pixel point (X, Y), edges replicated; result scaled by 1024. */
static void chroma_at(const uint8_t *U, const uint8_t *V, size_t cs, int cw, int ch, int X, int Y,
                      int *u, int *v)
{
    int sx = X >> 5, sy = Y >> 5, fx = X & 31, fy = Y & 31;
    int x0 = clampi(sx, 0, cw - 1), x1 = clampi(sx + 1, 0, cw - 1);
    int y0 = clampi(sy, 0, ch - 1), y1 = clampi(sy + 1, 0, ch - 1);
    size_t r0 = (size_t)y0 * cs, r1 = (size_t)y1 * cs;
    int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy), w10 = (32 - fx) * fy, w11 = fx * fy;
    *u = U[r0 + (size_t)x0] * w00 + U[r0 + (size_t)x1] * w01 + U[r1 + (size_t)x0] * w10 +
         U[r1 + (size_t)x1] * w11;
    *v = V[r0 + (size_t)x0] * w00 + V[r0 + (size_t)x1] * w01 + V[r1 + (size_t)x0] * w10 +
         V[r1 + (size_t)x1] * w11;
}

/* The fixed-point bias of crop_rotated_yuv in 1/32 pixel (2^30): a multiple of 64, so it leaves
 * the luma and chroma fractions alone. */
#define BIAS_PX ((int64_t)1 << 30)

/* Everything one YUV crop needs per pixel (set up once per call). */
struct yuv_ctx {
    const uint8_t *y, *u, *v;
    size_t ys, cs;
    int iw, ih, cw, ch;
    int replicate;
    float ky, yoff, kc, rv, gu, gv, bu;
    const float *clamp_lut;
};

/* 8-bit rounding, clamping and the range transform in one lookup: entry i is the output for the
 * RGB value i - CLAMP_OFF clamped to 0..255. Converted values stay within about -300..600 (luma
 * -19..298, chroma terms at most 1.9 x 146), so OFF 384 and 1024 entries hold them; the index is
 * clamped anyway. CHUNK: output pixels per fast-path batch (divides 224 and 256). */
enum { CLAMP_OFF = 384, CLAMP_N = 1024, CHUNK = 32 };

/* One output pixel at 1/32-pixel luma point (X, Y), any position: borders per neighbour. */
static void yuv_pixel(const struct yuv_ctx *c, int X, int Y, float *o)
{
    int sx = X >> 5, sy = Y >> 5;
    int fx = X & 31, fy = Y & 31;
    int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy);
    int w10 = (32 - fx) * fy, w11 = fx * fy;
    int ysum, wsum = 1024;
    const int iw = c->iw, ih = c->ih;
    if ((unsigned)sx < (unsigned)(iw - 1) && (unsigned)sy < (unsigned)(ih - 1)) {
        const uint8_t *p = c->y + (size_t)sy * c->ys + (size_t)sx;
        ysum = p[0] * w00 + p[1] * w01 + p[c->ys] * w10 + p[c->ys + 1] * w11;
    } else {
        if (!c->replicate && (sx >= iw || sx + 1 < 0 || sy >= ih || sy + 1 < 0)) {
            o[0] = o[1] = o[2] = c->clamp_lut[CLAMP_OFF];
            return;
        }
        int x0i, x1i, y0i, y1i;
        if (c->replicate) {
            x0i = clampi(sx, 0, iw - 1);
            x1i = clampi(sx + 1, 0, iw - 1);
            y0i = clampi(sy, 0, ih - 1);
            y1i = clampi(sy + 1, 0, ih - 1);
        } else { /* outside neighbours are black RGB: they drop out of the sum */
            x0i = sx >= 0 && sx < iw ? sx : -1;
            x1i = sx + 1 >= 0 && sx + 1 < iw ? sx + 1 : -1;
            y0i = sy >= 0 && sy < ih ? sy : -1;
            y1i = sy + 1 >= 0 && sy + 1 < ih ? sy + 1 : -1;
        }
        const int xs[4] = {x0i, x1i, x0i, x1i}, yv[4] = {y0i, y0i, y1i, y1i};
        const int ws[4] = {w00, w01, w10, w11};
        ysum = 0;
        wsum = 0;
        for (int j = 0; j < 4; j++) {
            if (xs[j] < 0 || yv[j] < 0)
                continue;
            ysum += c->y[(size_t)yv[j] * c->ys + (size_t)xs[j]] * ws[j];
            wsum += ws[j];
        }
    }
    int CX = X >> 1, CY = (Y >> 1) - 8; /* floor halves: 1/64 pixel at most */
    int cu, cvv;
    chroma_at(c->u, c->v, c->cs, c->cw, c->ch, CX, CY, &cu, &cvv);
    /* Chroma sums are scaled by 1024 like ysum; weight them like this pixel's luma (wsum is below
     * 1024 only at a zero border). */
    float fw = (float)wsum * (1.0f / 1024.0f);
    float yy = ((float)ysum - c->yoff * (float)wsum) * c->ky + ((float)CLAMP_OFF + 0.5f);
    float uu = ((float)cu - 131072.0f) * c->kc * fw;
    float vv = ((float)cvv - 131072.0f) * c->kc * fw;
    o[0] = c->clamp_lut[clampi((int)(yy + c->rv * vv), 0, CLAMP_N - 1)];
    o[1] = c->clamp_lut[clampi((int)(yy - c->gu * uu - c->gv * vv), 0, CLAMP_N - 1)];
    o[2] = c->clamp_lut[clampi((int)(yy + c->bu * uu), 0, CLAMP_N - 1)];
}

/* 1 when the 2x2 luma and chroma neighbourhoods of 1/32-pixel point (X, Y) are inside. */
static inline int yuv_inside(const struct yuv_ctx *c, int X, int Y)
{
    int CY = (Y >> 1) - 8;
    return (unsigned)(X >> 5) < (unsigned)(c->iw - 1) &&
           (unsigned)(Y >> 5) < (unsigned)(c->ih - 1) &&
           (unsigned)(X >> 6) < (unsigned)(c->cw - 1) &&
           (unsigned)(CY >> 5) < (unsigned)(c->ch - 1);
}

#ifdef CROP_SSE2
/* Bilinear sums of 4 pixels: q holds per pixel the bytes p0 p1 q0 q1 (2x2 neighbourhood), h the
 * 16-bit pair (32 - fx, fx), v the pair (32 - fy, fy). Returns (32 - fy) a + fy b with
 * a = (32 - fx) p0 + fx p1, b likewise: the same integers as yuv_pixel()'s weighted sum. */
static inline __m128i bilinear4(__m128i q, __m128i h, __m128i v)
{
    const __m128i z = _mm_setzero_si128();
    __m128i lo = _mm_unpacklo_epi8(q, z), hi = _mm_unpackhi_epi8(q, z);
    __m128i hlo = _mm_shuffle_epi32(h, _MM_SHUFFLE(1, 1, 0, 0));
    __m128i hhi = _mm_shuffle_epi32(h, _MM_SHUFFLE(3, 3, 2, 2));
    __m128i ab = _mm_packs_epi32(_mm_madd_epi16(lo, hlo), _mm_madd_epi16(hi, hhi));
    return _mm_madd_epi16(ab, v);
}

/* (32 - f) | f << 16 per 32-bit lane, f in 0..31 */
static inline __m128i weight_pairs(__m128i f)
{
    return _mm_or_si128(_mm_sub_epi32(_mm_set1_epi32(32), f), _mm_slli_epi32(f, 16));
}

/* t (an RGB value + CLAMP_OFF + 0.5) -> range-transformed output: clamping in float to
 * [CLAMP_OFF, CLAMP_OFF + 255.5] before truncation gives the same integer as truncating and
 * clamping; the rest is the table's own expression (float)q * scale + lo. */
static inline __m128 out4(__m128 t, __m128 scale, __m128 lo)
{
    t = _mm_min_ps(_mm_max_ps(t, _mm_set1_ps((float)CLAMP_OFF)),
                   _mm_set1_ps((float)CLAMP_OFF + 255.5f));
    __m128i q = _mm_sub_epi32(_mm_cvttps_epi32(t), _mm_set1_epi32(CLAMP_OFF));
    return _mm_add_ps(_mm_mul_ps(_mm_cvtepi32_ps(q), scale), lo);
}

/* [a0 a1] [b0 b1] (64-bit lanes, 48.16 fixed point) -> the four integer parts as 32-bit lanes */
static inline __m128i fixed_to_int4(__m128i a, __m128i b)
{
    __m128i sa = _mm_shuffle_epi32(_mm_srli_epi64(a, 16), _MM_SHUFFLE(3, 3, 2, 0));
    __m128i sb = _mm_shuffle_epi32(_mm_srli_epi64(b, 16), _MM_SHUFFLE(3, 3, 2, 0));
    return _mm_unpacklo_epi64(sa, sb);
}

static inline __m128i load4(const uint32_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline uint32_t load_pair(const uint8_t *p)
{
    uint16_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* yuv_run_inside() with SSE2 (see the portable version below for the contract): a scalar loop
 * gathers each pixel's 2x2 neighbourhoods (two 16-bit loads per plane), then 4 pixels at a time
 * get their weights from the stepped points, are blended (pmaddwd), converted and interleaved in
 * registers. Bit-identical to the portable version (test_crop_yuv checks both against plain
 * per-pixel sampling; build with -U__SSE2__ for the portable one). */
static void yuv_run_inside(const struct yuv_ctx *c, int64_t xa, int64_t ya, int64_t dx, int64_t dy,
                           int n, float lo, float scale, float *o)
{
    uint32_t lq[CHUNK], uq[CHUNK], vq[CHUNK];
    const uint8_t *Yp = c->y, *Up = c->u, *Vp = c->v;
    const size_t ys = c->ys, cs = c->cs;
    /* all >= 0 inside the picture; yc: the chroma row point (Y - 16) / 2 one bit further */
    uint64_t x = (uint64_t)xa, y = (uint64_t)ya, yc = (uint64_t)(ya - ((int64_t)16 << 16));
    for (int i = 0; i < n; i++, x += (uint64_t)dx, y += (uint64_t)dy, yc += (uint64_t)dy) {
        const uint8_t *p = Yp + (size_t)(x >> 21) + (size_t)(y >> 21) * ys;
        lq[i] = load_pair(p) | load_pair(p + ys) << 16;
        size_t at = (size_t)(x >> 22) + (size_t)(yc >> 22) * cs;
        uq[i] = load_pair(Up + at) | load_pair(Up + at + cs) << 16;
        vq[i] = load_pair(Vp + at) | load_pair(Vp + at + cs) << 16;
    }
    int n4 = (n + 3) & ~3;
    for (int i = n; i < n4; i++) { /* pad the last group with copies of the last pixel */
        lq[i] = lq[n - 1];
        uq[i] = uq[n - 1];
        vq[i] = vq[n - 1];
    }
    const __m128i k31 = _mm_set1_epi32(31), k8 = _mm_set1_epi32(8);
    const __m128 ky = _mm_set1_ps(c->ky), kc = _mm_set1_ps(c->kc), rv = _mm_set1_ps(c->rv);
    const __m128 gu = _mm_set1_ps(c->gu), gv = _mm_set1_ps(c->gv), bu = _mm_set1_ps(c->bu);
    const __m128 yo = _mm_set1_ps(c->yoff * 1024.0f), half = _mm_set1_ps((float)CLAMP_OFF + 0.5f);
    const __m128 c128 = _mm_set1_ps(131072.0f), sc = _mm_set1_ps(scale), lov = _mm_set1_ps(lo);
    /* the points again, two per register (64-bit lanes), for the weights */
    __m128i x01 = _mm_set_epi64x(xa + dx, xa), x23 = _mm_set_epi64x(xa + 3 * dx, xa + 2 * dx);
    __m128i y01 = _mm_set_epi64x(ya + dy, ya), y23 = _mm_set_epi64x(ya + 3 * dy, ya + 2 * dy);
    const __m128i dx4 = _mm_set1_epi64x(4 * dx), dy4 = _mm_set1_epi64x(4 * dy);
    for (int i = 0; i < n4; i += 4) {
        __m128i X = fixed_to_int4(x01, x23), Y = fixed_to_int4(y01, y23);
        x01 = _mm_add_epi64(x01, dx4);
        x23 = _mm_add_epi64(x23, dx4);
        y01 = _mm_add_epi64(y01, dy4);
        y23 = _mm_add_epi64(y23, dy4);
        __m128i hx = weight_pairs(_mm_and_si128(X, k31)), vy = weight_pairs(_mm_and_si128(Y, k31));
        __m128i hg = weight_pairs(_mm_and_si128(_mm_srai_epi32(X, 1), k31));
        __m128i vg = weight_pairs(_mm_and_si128(_mm_sub_epi32(_mm_srai_epi32(Y, 1), k8), k31));
        __m128i ysum = bilinear4(load4(lq + i), hx, vy);
        __m128i usum = bilinear4(load4(uq + i), hg, vg), vsum = bilinear4(load4(vq + i), hg, vg);
        __m128 yy = _mm_add_ps(_mm_mul_ps(_mm_sub_ps(_mm_cvtepi32_ps(ysum), yo), ky), half);
        __m128 uu = _mm_mul_ps(_mm_sub_ps(_mm_cvtepi32_ps(usum), c128), kc);
        __m128 vv = _mm_mul_ps(_mm_sub_ps(_mm_cvtepi32_ps(vsum), c128), kc);
        __m128 r = out4(_mm_add_ps(yy, _mm_mul_ps(rv, vv)), sc, lov);
        __m128 g =
            out4(_mm_sub_ps(_mm_sub_ps(yy, _mm_mul_ps(gu, uu)), _mm_mul_ps(gv, vv)), sc, lov);
        __m128 b = out4(_mm_add_ps(yy, _mm_mul_ps(bu, uu)), sc, lov);
        /* r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3 */
        __m128 rg_lo = _mm_unpacklo_ps(r, g), rg_hi = _mm_unpackhi_ps(r, g);
        __m128 t0 = _mm_shuffle_ps(b, rg_lo, _MM_SHUFFLE(2, 2, 0, 0));
        __m128 v0 = _mm_shuffle_ps(rg_lo, t0, _MM_SHUFFLE(2, 0, 1, 0));
        __m128 t1 = _mm_shuffle_ps(rg_lo, b, _MM_SHUFFLE(1, 1, 3, 3));
        __m128 v1 = _mm_shuffle_ps(t1, rg_hi, _MM_SHUFFLE(1, 0, 2, 0));
        __m128 t2 = _mm_shuffle_ps(b, rg_hi, _MM_SHUFFLE(3, 2, 2, 2));
        __m128 t3 = _mm_shuffle_ps(rg_hi, b, _MM_SHUFFLE(3, 3, 3, 3));
        __m128 v2 = _mm_shuffle_ps(t2, t3, _MM_SHUFFLE(2, 0, 2, 0));
        if (i + 4 <= n) {
            _mm_storeu_ps(o + (size_t)i * 3, v0);
            _mm_storeu_ps(o + (size_t)i * 3 + 4, v1);
            _mm_storeu_ps(o + (size_t)i * 3 + 8, v2);
        } else {
            float tmp[12];
            _mm_storeu_ps(tmp, v0);
            _mm_storeu_ps(tmp + 4, v1);
            _mm_storeu_ps(tmp + 8, v2);
            memcpy(o + (size_t)i * 3, tmp, (size_t)(n - i) * 3 * sizeof *o);
        }
    }
}
#else
/* n <= CHUNK consecutive output pixels whose neighbourhoods are all inside (yuv_inside() at both
 * ends: the points lie on a line, so every one between is inside too). xa, ya: the first point in
 * 48.16 fixed point 1/32 pixels, bias removed (inside the picture they are >= 0, so shifts are
 * floors), dx, dy: the step. Same arithmetic as yuv_pixel() with wsum 1024 (a bilinear sum
 * p0 (32 - f) + p1 f written as 32 p0 + (p1 - p0) f), in three loops: luma sums, chroma sums,
 * then a conversion the compiler vectorises (the clamp to 0..255 happens after truncation as in
 * yuv_pixel(); the range transform is the table's own float expression). */
static void yuv_run_inside(const struct yuv_ctx *c, int64_t xa, int64_t ya, int64_t dx, int64_t dy,
                           int n, float lo, float scale, float *o)
{
    int32_t ysum[CHUNK], usum[CHUNK], vsum[CHUNK];
    float rr[CHUNK], gg[CHUNK], bb[CHUNK];
    {
        const uint8_t *Yp = c->y;
        const size_t ys = c->ys;
        int64_t x = xa, y = ya;
        for (int i = 0; i < n; i++, x += dx, y += dy) {
            int fx = (int)(x >> 16) & 31, fy = (int)(y >> 16) & 31;
            const uint8_t *p = Yp + (size_t)(x >> 21) + (size_t)(y >> 21) * ys;
            int a = p[0] * 32 + (p[1] - p[0]) * fx;
            int b = p[ys] * 32 + (p[ys + 1] - p[ys]) * fx;
            ysum[i] = a * 32 + (b - a) * fy;
        }
    }
    {
        const uint8_t *Up = c->u, *Vp = c->v;
        const size_t cs = c->cs;
        /* chroma (X/2, (Y - 16)/2) in 1/32 chroma pixel: the same shifts one bit further; the
         * row start is >= 0 inside the picture */
        int64_t x = xa, y = ya - ((int64_t)16 << 16);
        for (int i = 0; i < n; i++, x += dx, y += dy) {
            int gx = (int)(x >> 17) & 31, gy = (int)(y >> 17) & 31;
            size_t at = (size_t)(x >> 22) + (size_t)(y >> 22) * cs;
            const uint8_t *pu = Up + at, *pv = Vp + at;
            int w01 = gx * (32 - gy), w11 = gx * gy;
            int w00 = (32 - gy) * 32 - w01, w10 = gy * 32 - w11;
            usum[i] = pu[0] * w00 + pu[1] * w01 + pu[cs] * w10 + pu[cs + 1] * w11;
            vsum[i] = pv[0] * w00 + pv[1] * w01 + pv[cs] * w10 + pv[cs + 1] * w11;
        }
    }
    for (int i = n; i < CHUNK; i++) /* defined values for the unused tail of the batch */
        ysum[i] = usum[i] = vsum[i] = 0;
    const float ky = c->ky, kc = c->kc, rv = c->rv, gu = c->gu, gv = c->gv, bu = c->bu;
    const float yo = c->yoff * 1024.0f;
    for (int i = 0; i < CHUNK; i++) {
        float yy = ((float)ysum[i] - yo) * ky + ((float)CLAMP_OFF + 0.5f);
        float uu = ((float)usum[i] - 131072.0f) * kc;
        float vv = ((float)vsum[i] - 131072.0f) * kc;
        int qr = (int)(yy + rv * vv) - CLAMP_OFF;
        int qg = (int)(yy - gu * uu - gv * vv) - CLAMP_OFF;
        int qb = (int)(yy + bu * uu) - CLAMP_OFF;
        qr = qr < 0 ? 0 : qr > 255 ? 255 : qr;
        qg = qg < 0 ? 0 : qg > 255 ? 255 : qg;
        qb = qb < 0 ? 0 : qb > 255 ? 255 : qb;
        rr[i] = (float)qr * scale + lo;
        gg[i] = (float)qg * scale + lo;
        bb[i] = (float)qb * scale + lo;
    }
    for (int i = 0; i < n; i++, o += 3) {
        o[0] = rr[i];
        o[1] = gg[i];
        o[2] = bb[i];
    }
}
#endif

int crop_rotated_yuv(const struct crop_yuv *img, const struct crop_rect *r, int out_w, int out_h,
                     enum crop_border border, float lo, float hi, float *out)
{
    if (!crop_yuv_valid(img) || !r || out_w < 1 || out_h < 1 || !out)
        return RR_ERR_INVAL;
    const float scale = (hi - lo) / 255.0f;
    const struct yuv_coef k = yuv_coef_make(img->full_range, img->matrix);

    /* output -> upright (m), then upright -> stored (n): the turn is an exact pixel permutation */
    double m[6], n[6];
    crop_affine(r, out_w, out_h, m);
    const double w1d = img->width - 1, h1d = img->height - 1;
    switch (img->rotation) {
    case 90: /* upright (x, y) shows stored (y, h-1-x) */
        n[0] = m[3], n[1] = m[4], n[2] = m[5];
        n[3] = -m[0], n[4] = -m[1], n[5] = h1d - m[2];
        break;
    case 180:
        n[0] = -m[0], n[1] = -m[1], n[2] = w1d - m[2];
        n[3] = -m[3], n[4] = -m[4], n[5] = h1d - m[5];
        break;
    case 270: /* upright (x, y) shows stored (w-1-y, x) */
        n[0] = -m[3], n[1] = -m[4], n[2] = w1d - m[5];
        n[3] = m[0], n[4] = m[1], n[5] = m[2];
        break;
    default:
        for (int i = 0; i < 6; i++)
            n[i] = m[i];
        break;
    }
    float clamp_lut[CLAMP_N];
    for (int i = 0; i < CLAMP_N; i++) {
        int q = clampi(i - CLAMP_OFF, 0, 255);
        clamp_lut[i] = (float)q * scale + lo;
    }
    const struct yuv_ctx c = {.y = img->y,
                              .u = img->u,
                              .v = img->v,
                              .ys = img->y_stride,
                              .cs = img->uv_stride,
                              .iw = img->width,
                              .ih = img->height,
                              .cw = (img->width + 1) / 2,
                              .ch = (img->height + 1) / 2,
                              .replicate = border == CROP_BORDER_REPLICATE,
                              .ky = k.ky,
                              .yoff = k.yoff,
                              .kc = k.kc,
                              .rv = k.rv,
                              .gu = k.gu,
                              .gv = k.gv,
                              .bu = k.bu,
                              .clamp_lut = clamp_lut};

    /* Luma point in 1/32 pixel; chroma point (x/2, (y-0.5)/2) in 1/32 chroma pixel. Rows whose
     * ends stay within +-2^20 pixels step in 48.16 fixed point (no per-pixel rounding of doubles;
     * the accumulated step error is below 1/2^10 of a 1/32 pixel over a row); others take the
     * double path. BIAS keeps the fixed-point values positive so shifts are plain floors. Fixed
     * rows go in batches of CHUNK pixels: a batch whose two ends have all their neighbours inside
     * the picture takes yuv_run_inside(), any other pixel yuv_pixel(). */
    const int64_t BIAS = (int64_t)BIAS_PX << 16, FIX = 65536;
    const double lim = 1048576.0;
    for (int v = 0; v < out_h; v++) {
        double x0 = n[1] * v + n[2], y0 = n[4] * v + n[5];
        double x1 = x0 + n[0] * (out_w - 1), y1 = y0 + n[3] * (out_w - 1);
        float *o = out + (size_t)v * (size_t)out_w * 3;
        if (!(fabs(x0) < lim && fabs(x1) < lim && fabs(y0) < lim && fabs(y1) < lim)) {
            const double xr = x0 * 32.0, yr = y0 * 32.0, dx = n[0] * 32.0, dy = n[3] * 32.0;
            for (int u = 0; u < out_w; u++, o += 3)
                yuv_pixel(&c, round_fixed(clamp_coord(xr + dx * u)),
                          round_fixed(clamp_coord(yr + dy * u)), o);
            continue;
        }
        const int64_t xf = (int64_t)(x0 * 32.0 * (double)FIX + (double)BIAS + 0.5 * (double)FIX);
        const int64_t yf = (int64_t)(y0 * 32.0 * (double)FIX + (double)BIAS + 0.5 * (double)FIX);
        const int64_t dxf = (int64_t)(n[0] * 32.0 * (double)FIX);
        const int64_t dyf = (int64_t)(n[3] * 32.0 * (double)FIX);
        for (int u0 = 0; u0 < out_w; u0 += CHUNK) {
            int cnt = out_w - u0 < CHUNK ? out_w - u0 : CHUNK;
            int64_t xa = xf + dxf * u0, ya = yf + dyf * u0;
            int64_t xb = xa + dxf * (cnt - 1), yb = ya + dyf * (cnt - 1);
            if (yuv_inside(&c, (int)((xa >> 16) - BIAS_PX), (int)((ya >> 16) - BIAS_PX)) &&
                yuv_inside(&c, (int)((xb >> 16) - BIAS_PX), (int)((yb >> 16) - BIAS_PX))) {
                yuv_run_inside(&c, xa - BIAS, ya - BIAS, dxf, dyf, cnt, lo, scale,
                               o + (size_t)u0 * 3);
                continue;
            }
            for (int u = u0; u < u0 + cnt; u++)
                yuv_pixel(&c, (int)(((xf + dxf * u) >> 16) - BIAS_PX),
                          (int)(((yf + dyf * u) >> 16) - BIAS_PX), o + (size_t)u * 3);
        }
    }
    return 0;
}
