/*
 * test_exif.c - EXIF orientation of JPEG stills: the APP1 parser on well-formed payloads (both
 * byte orders, all eight values), on every malformed shape we can think of and on every
 * truncation and thousands of byte mutations of a valid payload (never a read out of bounds,
 * never a value outside 0..8); the eight upright transforms on a tiny image; and image_load()
 * end to end on JPEGs written here with a hand-made APP1 segment spliced in after SOI.
 * No shared media needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_image.h"
#include "video/decode.h"
#include "video/encode.h"
#include "video/exif.h"

/* ---- APP1 payload builder ("Exif\0\0" + TIFF + IFD0 with a Make entry and Orientation) ---- */

struct app1 {
    uint8_t b[128];
    size_t n;
};

static void put16(uint8_t *p, unsigned v, int le)
{
    p[le ? 0 : 1] = (uint8_t)(v & 0xFF);
    p[le ? 1 : 0] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v, int le)
{
    for (int i = 0; i < 4; i++)
        p[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

/* type/count let tests break the entry; orientation is the SHORT value written. */
static void app1_build(struct app1 *a, int le, unsigned orientation, unsigned type, uint32_t count)
{
    memset(a, 0, sizeof *a);
    memcpy(a->b, "Exif\0\0", 6);
    uint8_t *t = a->b + 6;
    t[0] = t[1] = le ? 'I' : 'M';
    put16(t + 2, 42, le);
    put32(t + 4, 8, le);
    put16(t + 8, 2, le); /* two entries */
    uint8_t *e = t + 10;
    put16(e, 0x010F, le); /* Make, ASCII, 4 bytes inline */
    put16(e + 2, 2, le);
    put32(e + 4, 4, le);
    memcpy(e + 8, "abc", 4);
    e += 12;
    put16(e, 0x0112, le);
    put16(e + 2, type, le);
    put32(e + 4, count, le);
    put16(e + 8, orientation, le);
    e += 12;
    put32(e, 0, le); /* no next IFD */
    a->n = (size_t)(e + 4 - a->b);
}

static void exif_orientation__reads_every_value_in_both_byte_orders(void **state)
{
    (void)state;
    struct app1 a;
    for (int le = 0; le <= 1; le++) {
        for (unsigned o = 1; o <= 8; o++) {
            app1_build(&a, le, o, 3, 1);
            assert_int_equal(exif_orientation(a.b, a.n), (int)o);
        }
    }
}

static void exif_orientation__answers_zero_for_malformed_payloads(void **state)
{
    (void)state;
    struct app1 a;
    assert_int_equal(exif_orientation(NULL, 10), 0);
    app1_build(&a, 1, 6, 3, 1);
    assert_int_equal(exif_orientation(a.b, 0), 0);

    app1_build(&a, 1, 0, 3, 1); /* value 0 */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 0, 9, 3, 1); /* value 9 */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 4, 1); /* LONG instead of SHORT */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 2); /* two values */
    assert_int_equal(exif_orientation(a.b, a.n), 0);

    app1_build(&a, 1, 6, 3, 1);
    a.b[0] = 'e'; /* not "Exif" */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    a.b[7] = 'M'; /* "IM": no byte order */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    put16(a.b + 8, 43, 1); /* not TIFF */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    put32(a.b + 10, 4, 1); /* IFD inside the TIFF header */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    put32(a.b + 10, 0xFFFFFFF0u, 1); /* IFD far past the end (no wrap-around) */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 0, 6, 3, 1);
    put32(a.b + 10, (uint32_t)(a.n - 6 - 1), 0); /* IFD count would straddle the end */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    put16(a.b + 14, 0xFFFF, 1); /* 65535 entries declared */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    put16(a.b + 14, 1, 1); /* only the Make entry: no orientation */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
    app1_build(&a, 1, 6, 3, 1);
    put16(a.b + 14, 0, 1); /* empty directory */
    assert_int_equal(exif_orientation(a.b, a.n), 0);
}

/* Every prefix of a valid payload, and random byte mutations: in bounds (ASan watches), 0..8,
 * and a prefix either still holds the whole entry (same value) or reads as absent. */
static void exif_orientation__survives_truncation_and_mutation(void **state)
{
    (void)state;
    struct app1 a;
    app1_build(&a, 0, 8, 3, 1);
    size_t entry_end = 6 + 10 + 24; /* the orientation entry ends here */
    for (size_t n = 0; n <= a.n; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees any over-read */
        assert_non_null(copy);
        memcpy(copy, a.b, n);
        int o = exif_orientation(copy, n);
        assert_int_equal(o, n >= entry_end ? 8 : 0);
        free(copy);
    }
    uint32_t seed = 12345u;
    int nonzero = 0;
    for (int round = 0; round < 5000; round++) {
        app1_build(&a, round & 1, 1u + (unsigned)(round % 8), 3, 1);
        int flips = 1 + round % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % a.n;
            seed = seed * 1103515245u + 12345u;
            a.b[at] = (uint8_t)(seed >> 16);
        }
        uint8_t *copy = malloc(a.n);
        assert_non_null(copy);
        memcpy(copy, a.b, a.n);
        int o = exif_orientation(copy, a.n);
        free(copy);
        assert_true(o >= 0 && o <= 8);
        nonzero += o != 0;
    }
    /* mutations that miss the header and the entry (about one in five) leave it readable: the
     * parser is not just saying 0 */
    printf("  %d of 5000 mutated payloads still read as an orientation\n", nonzero);
    assert_true(nonzero > 500);
}

/* ---- transforms ---- */

/* Which stored quadrant (0 TL, 1 TR, 2 BL, 3 BR) shows at display TL, TR, BL, BR. */
static const int quad_at[9][4] = {
    {0, 1, 2, 3}, /* 0: none */
    {0, 1, 2, 3}, /* 1: as stored */
    {1, 0, 3, 2}, /* 2: mirrored left-right */
    {3, 2, 1, 0}, /* 3: turned 180 */
    {2, 3, 0, 1}, /* 4: mirrored top-bottom */
    {0, 2, 1, 3}, /* 5: transposed */
    {2, 0, 3, 1}, /* 6: needs a quarter turn clockwise */
    {3, 1, 2, 0}, /* 7: transversed */
    {1, 3, 0, 2}, /* 8: needs a quarter turn counter-clockwise */
};

static void exif_orient__turns_a_tiny_image_upright_for_all_eight_values(void **state)
{
    (void)state;
    /* 3 x 2, every pixel distinct: corner pixels identify the quadrants */
    const int w = 3, h = 2;
    uint8_t src[3 * 2 * 3];
    for (int i = 0; i < w * h; i++)
        src[i * 3] = src[i * 3 + 1] = src[i * 3 + 2] = (uint8_t)(10 * i);
    const uint8_t corner[4] = {0, 20, 30, 50}; /* TL, TR, BL, BR values */
    struct rr_rgbbuf out = {0};
    for (int o = 0; o <= 8; o++) {
        assert_int_equal(exif_orient(src, w, h, o, &out), 0);
        int ow = o >= 5 ? h : w, oh = o >= 5 ? w : h;
        assert_int_equal(out.width, ow);
        assert_int_equal(out.height, oh);
        const size_t at[4] = {0, (size_t)(ow - 1) * 3, (size_t)(oh - 1) * (size_t)ow * 3,
                              ((size_t)(oh - 1) * (size_t)ow + (size_t)(ow - 1)) * 3};
        for (int c = 0; c < 4; c++)
            assert_int_equal(out.data[at[c]], corner[quad_at[o][c]]);
        /* a permutation: every source value appears once */
        int seen[6] = {0};
        for (int i = 0; i < w * h; i++)
            seen[out.data[i * 3] / 10]++;
        for (int i = 0; i < 6; i++)
            assert_int_equal(seen[i], 1);
    }
    assert_int_equal(exif_orient(src, w, h, 9, &out), RR_ERR_INVAL);
    assert_int_equal(exif_orient(NULL, w, h, 1, &out), RR_ERR_INVAL);
    assert_int_equal(exif_orient(src, 0, h, 1, &out), RR_ERR_INVAL);
    rr_rgbbuf_release(&out);
}

/* ---- image_load end to end ---- */

static char tmpdir[256];
static char base_path[512], case_path[512];
static uint8_t *base_jpg;
static size_t base_len;

#define IMG_W 32
#define IMG_H 16
static const uint8_t quad_rgb[4][3] = {
    {230, 30, 30}, {30, 200, 30}, {30, 30, 230}, {240, 240, 240}};

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr_test_exif_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(base_path, sizeof base_path, "%s/base.jpg", tmpdir);
    snprintf(case_path, sizeof case_path, "%s/case.jpg", tmpdir);
    static uint8_t px[IMG_W * IMG_H * 3];
    for (int y = 0; y < IMG_H; y++)
        for (int x = 0; x < IMG_W; x++)
            memcpy(px + ((size_t)y * IMG_W + (size_t)x) * 3,
                   quad_rgb[(y >= IMG_H / 2) * 2 + (x >= IMG_W / 2)], 3);
    struct rr_image im = {IMG_W, IMG_H, IMG_W * 3, px};
    char msg[256];
    if (jpeg_write(base_path, &im, 95, msg, sizeof msg) != 0) {
        fprintf(stderr, "jpeg_write: %s\n", msg);
        return -1;
    }
    FILE *f = fopen(base_path, "rb");
    if (!f)
        return -1;
    base_jpg = malloc(1 << 16);
    base_len = base_jpg ? fread(base_jpg, 1, 1 << 16, f) : 0;
    fclose(f);
    return base_len > 4 && base_jpg[0] == 0xFF && base_jpg[1] == 0xD8 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(base_jpg);
    unlink(base_path);
    unlink(case_path);
    return rmdir(tmpdir);
}

/* base JPEG with an APP1 segment (payload p, n bytes; declared length decl) right after SOI. */
static void write_with_app1(const uint8_t *p, size_t n, size_t decl)
{
    FILE *f = fopen(case_path, "wb");
    assert_non_null(f);
    uint8_t seg[4] = {0xFF, 0xE1, (uint8_t)(decl >> 8), (uint8_t)(decl & 0xFF)};
    assert_int_equal(fwrite(base_jpg, 1, 2, f), 2);
    assert_int_equal(fwrite(seg, 1, 4, f), 4);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fwrite(base_jpg + 2, 1, base_len - 2, f), base_len - 2);
    assert_int_equal(fclose(f), 0);
}

static int near(const uint8_t *px, const uint8_t *want)
{
    for (int c = 0; c < 3; c++)
        if (abs((int)px[c] - (int)want[c]) > 40)
            return 0;
    return 1;
}

/* Checks the quadrant centres of a loaded image against orientation o. */
static void assert_upright(const struct rr_rgbbuf *b, int o)
{
    int ow = o >= 5 ? IMG_H : IMG_W, oh = o >= 5 ? IMG_W : IMG_H;
    assert_int_equal(b->width, ow);
    assert_int_equal(b->height, oh);
    for (int c = 0; c < 4; c++) {
        int x = (c & 1) ? ow * 3 / 4 : ow / 4, y = (c & 2) ? oh * 3 / 4 : oh / 4;
        const uint8_t *px = b->data + ((size_t)y * (size_t)ow + (size_t)x) * 3;
        if (!near(px, quad_rgb[quad_at[o][c]]))
            fail_msg("orientation %d: display corner %d is (%d,%d,%d), want stored quadrant %d", o,
                     c, px[0], px[1], px[2], quad_at[o][c]);
    }
}

static void image_load__applies_exif_orientation(void **state)
{
    (void)state;
    struct app1 a;
    struct rr_rgbbuf out = {0};
    char msg[256];
    static const int cases[] = {1, 3, 6, 8, 2, 4, 5, 7};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int o = cases[i];
        app1_build(&a, (int)(i & 1), (unsigned)o, 3, 1);
        write_with_app1(a.b, a.n, a.n + 2);
        int ret = image_load(case_path, &out, msg, sizeof msg);
        printf("  orientation %d -> %s %dx%d\n", o, ret == 0 ? "ok" : rr_errname(ret), out.width,
               out.height);
        assert_int_equal(ret, 0);
        assert_upright(&out, o);
    }
    /* no EXIF at all: as stored */
    assert_int_equal(image_load(base_path, &out, msg, sizeof msg), 0);
    assert_upright(&out, 1);
    rr_rgbbuf_release(&out);
}

static void image_load__ignores_malformed_exif_safely(void **state)
{
    (void)state;
    struct app1 a;
    struct rr_rgbbuf out = {0};
    char msg[256];
    /* bad value, bad type, cut TIFF header, IFD offset past the end, a non-EXIF APP1 (XMP-like) */
    app1_build(&a, 1, 9, 3, 1);
    write_with_app1(a.b, a.n, a.n + 2);
    assert_int_equal(image_load(case_path, &out, msg, sizeof msg), 0);
    assert_upright(&out, 1);
    app1_build(&a, 0, 6, 5, 1);
    write_with_app1(a.b, a.n, a.n + 2);
    assert_int_equal(image_load(case_path, &out, msg, sizeof msg), 0);
    assert_upright(&out, 1);
    app1_build(&a, 1, 6, 3, 1);
    write_with_app1(a.b, 10, 12);
    assert_int_equal(image_load(case_path, &out, msg, sizeof msg), 0);
    assert_upright(&out, 1);
    app1_build(&a, 1, 6, 3, 1);
    put32(a.b + 10, 4000, 1);
    write_with_app1(a.b, a.n, a.n + 2);
    assert_int_equal(image_load(case_path, &out, msg, sizeof msg), 0);
    assert_upright(&out, 1);
    static const uint8_t xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>";
    write_with_app1(xmp, sizeof xmp, sizeof xmp + 2);
    assert_int_equal(image_load(case_path, &out, msg, sizeof msg), 0);
    assert_upright(&out, 1);
    /* an APP1 whose declared length runs past the file is a structural error, not a crash */
    app1_build(&a, 1, 6, 3, 1);
    FILE *f = fopen(case_path, "wb");
    assert_non_null(f);
    static const uint8_t head[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x7F, 0xFF};
    assert_int_equal(fwrite(head, 1, sizeof head, f), sizeof head);
    assert_int_equal(fwrite(a.b, 1, a.n, f), a.n);
    assert_int_equal(fclose(f), 0);
    int ret = image_load(case_path, &out, msg, sizeof msg);
    printf("  APP1 past the end -> %s: %s\n", rr_errname(ret), msg);
    assert_int_equal(ret, RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "truncated"));
    rr_rgbbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exif_orientation__reads_every_value_in_both_byte_orders),
        cmocka_unit_test(exif_orientation__answers_zero_for_malformed_payloads),
        cmocka_unit_test(exif_orientation__survives_truncation_and_mutation),
        cmocka_unit_test(exif_orient__turns_a_tiny_image_upright_for_all_eight_values),
        cmocka_unit_test(image_load__applies_exif_orientation),
        cmocka_unit_test(image_load__ignores_malformed_exif_safely),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
