/*
 * exif.c - EXIF orientation: a bounds-checked read of IFD0's tag 0x0112 and the eight
 * upright transforms (see exif.h).
 *
 * Layout read: "Exif\0\0", then TIFF: byte order "II" (little) or "MM" (big), the number 42,
 * a 4-byte offset of IFD0 from the TIFF start; IFD0 = 2-byte entry count, 12-byte entries
 * (tag, type, count, value-or-offset). Orientation is type SHORT (3), count 1, its value in
 * the first two bytes of the value field. Only IFD0 is looked at, once: no pointers followed.
 */
#include "video/exif.h"

#include "base/rr_error.h"

#include <string.h>

#define EXIF_TAG_ORIENTATION 0x0112
#define EXIF_TYPE_SHORT 3

static unsigned exif_u16(const uint8_t *p, int le)
{
    return le ? (unsigned)p[0] | ((unsigned)p[1] << 8) : ((unsigned)p[0] << 8) | (unsigned)p[1];
}

static uint32_t exif_u32(const uint8_t *p, int le)
{
    return le ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                    ((uint32_t)p[3] << 24)
              : ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
                    (uint32_t)p[3];
}

int exif_orientation(const uint8_t *app1, size_t len)
{
    if (!app1 || len < 6 + 8 || memcmp(app1, "Exif\0\0", 6) != 0)
        return 0;
    const uint8_t *t = app1 + 6; /* TIFF header; offsets below are relative to it */
    size_t n = len - 6;
    int le;
    if (t[0] == 'I' && t[1] == 'I')
        le = 1;
    else if (t[0] == 'M' && t[1] == 'M')
        le = 0;
    else
        return 0;
    if (exif_u16(t + 2, le) != 42)
        return 0;
    uint32_t ifd = exif_u32(t + 4, le);
    if (ifd < 8 || ifd > n || n - ifd < 2)
        return 0;
    unsigned count = exif_u16(t + ifd, le);
    size_t pos = (size_t)ifd + 2;
    if (count > (n - pos) / 12)
        return 0; /* entries past the end: the whole directory is suspect */
    for (unsigned i = 0; i < count; i++, pos += 12) {
        const uint8_t *e = t + pos;
        if (exif_u16(e, le) != EXIF_TAG_ORIENTATION)
            continue;
        if (exif_u16(e + 2, le) != EXIF_TYPE_SHORT || exif_u32(e + 4, le) != 1)
            return 0;
        unsigned v = exif_u16(e + 8, le);
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

void exif_oriented_size(int o, int w, int h, int *ow, int *oh)
{
    int swap = o >= 5 && o <= 8;
    *ow = swap ? h : w;
    *oh = swap ? w : h;
}

int exif_orient(const uint8_t *src, int w, int h, int o, struct rr_rgbbuf *dst)
{
    if (!src || !dst || w < 1 || h < 1 || o < 0 || o > 8)
        return RR_ERR_INVAL;
    int ow, oh;
    exif_oriented_size(o, w, h, &ow, &oh);
    int ret = rr_rgbbuf_reserve(dst, ow, oh);
    if (ret < 0)
        return ret;
    const size_t sstride = (size_t)w * 3u, dstride = (size_t)ow * 3u;
    for (int Y = 0; Y < oh; Y++) {
        uint8_t *d = dst->data + (size_t)Y * dstride;
        for (int X = 0; X < ow; X++, d += 3) {
            int x, y; /* source pixel shown at display (X, Y) */
            switch (o) {
            case 2: /* mirrored left-right */
                x = w - 1 - X;
                y = Y;
                break;
            case 3: /* turned 180 */
                x = w - 1 - X;
                y = h - 1 - Y;
                break;
            case 4: /* mirrored top-bottom */
                x = X;
                y = h - 1 - Y;
                break;
            case 5: /* transposed */
                x = Y;
                y = X;
                break;
            case 6: /* turn 90 clockwise */
                x = Y;
                y = h - 1 - X;
                break;
            case 7: /* transversed */
                x = w - 1 - Y;
                y = h - 1 - X;
                break;
            case 8: /* turn 90 counter-clockwise */
                x = w - 1 - Y;
                y = X;
                break;
            default: /* 0, 1: as stored */
                x = X;
                y = Y;
                break;
            }
            memcpy(d, src + (size_t)y * sstride + (size_t)x * 3u, 3);
        }
    }
    return 0;
}
