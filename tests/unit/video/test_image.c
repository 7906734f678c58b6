/*
 * test_image.c - image_load() on hand-made broken JPEG and PNG files: every structural check
 * (header order, sizes, segment and chunk bounds, end markers) answers with a clear error before
 * the decoder runs, and a structurally fine file with garbage pixels fails in the decoder, not
 * in a crash. No shared media needed.
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

static char tmpdir[256];
static char path[512];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr_test_image_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(path, sizeof path, "%s/case.img", tmpdir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(tmpdir);
}

struct bad_image {
    const char *what;
    const uint8_t *bytes;
    size_t len;
    int want;          /* expected error; 1 = "CORRUPT or decodes" */
    const char *needle; /* in the message, or NULL */
};

#define PNG_SIG 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
/* IHDR chunk for w x h, 8-bit RGB (CRC not checked by the structure walk). */
#define IHDR(w0, w1, h0, h1)                                                                   \
    0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, w0, w1, 0, 0, h0, h1, 8, 2, 0, 0, 0, 0, 0, 0, 0
#define IEND 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82

static const uint8_t png_idat_first[] = {PNG_SIG, 0, 0, 0, 0, 'I', 'D', 'A', 'T', 0, 0, 0, 0, IEND};
static const uint8_t png_zero_width[] = {PNG_SIG, IHDR(0, 0, 0, 8), IEND};
static const uint8_t png_chunk_past_end[] = {PNG_SIG, IHDR(0, 8, 0, 8), 0x7f, 0, 0, 0, 'I', 'D', 'A', 'T', 0, 0, 0, 0};
static const uint8_t png_no_iend[] = {PNG_SIG, IHDR(0, 8, 0, 8)};
static const uint8_t png_garbage_idat[] = {PNG_SIG, IHDR(0, 8, 0, 8), 0, 0, 0, 4, 'I', 'D', 'A', 'T',
                                           0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, IEND};

static const uint8_t jpg_not_a_marker[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0x12, 0x34, 0, 0, 0, 0};
static const uint8_t jpg_eoi_first[] = {0xFF, 0xD8, 0xFF, 0xD9, 0, 0, 0, 0};
static const uint8_t jpg_segment_past_end[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0, 0};
static const uint8_t jpg_no_sof[] = {0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0x11, 0x22, 0xFF, 0xD9};
static const uint8_t jpg_short_sof[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 4, 8, 0, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9};
static const uint8_t jpg_zero_size[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 0, 0, 8, 1, 1, 0x11, 0,
                                        0xFF, 0xDA, 0, 2, 0xFF, 0xD9};
static const uint8_t jpg_no_eoi[] = {0xFF, 0xD8, 0xFF, 0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0,
                                     0xFF, 0xDA, 0, 2, 0x12, 0x34, 0x56};
static const uint8_t jpg_header_cut[] = {0xFF, 0xD8, 0xFF};
/* Frame header and scan fine, no tables, garbage entropy data: the decoder must say no (or
 * conceal), never crash. */
static const uint8_t jpg_garbage_scan[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0,
                                           0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0x56,
                                           0x78, 0xFF, 0xD9};

static const struct bad_image bad_images[] = {
    {"png: data before the header", png_idat_first, sizeof png_idat_first, RR_ERR_CORRUPT, "header chunk"},
    {"png: zero width", png_zero_width, sizeof png_zero_width, RR_ERR_CORRUPT, "empty image"},
    {"png: chunk past the end", png_chunk_past_end, sizeof png_chunk_past_end, RR_ERR_CORRUPT, "truncated"},
    {"png: no end chunk", png_no_iend, sizeof png_no_iend, RR_ERR_CORRUPT, "no end chunk"},
    {"png: garbage pixels", png_garbage_idat, sizeof png_garbage_idat, RR_ERR_CORRUPT, "cannot decode"},
    {"jpeg: bytes that are no marker", jpg_not_a_marker, sizeof jpg_not_a_marker, RR_ERR_CORRUPT, "malformed"},
    {"jpeg: end marker first", jpg_eoi_first, sizeof jpg_eoi_first, RR_ERR_CORRUPT, "before any image"},
    {"jpeg: segment past the end", jpg_segment_past_end, sizeof jpg_segment_past_end, RR_ERR_CORRUPT, "truncated"},
    {"jpeg: scan without frame header", jpg_no_sof, sizeof jpg_no_sof, RR_ERR_CORRUPT, "no frame header"},
    {"jpeg: short frame header", jpg_short_sof, sizeof jpg_short_sof, RR_ERR_CORRUPT, "too short"},
    {"jpeg: zero size", jpg_zero_size, sizeof jpg_zero_size, RR_ERR_CORRUPT, "empty image"},
    {"jpeg: no end marker", jpg_no_eoi, sizeof jpg_no_eoi, RR_ERR_CORRUPT, "no end-of-image"},
    {"jpeg: cut inside the header", jpg_header_cut, sizeof jpg_header_cut, RR_ERR_CORRUPT, NULL},
    {"jpeg: garbage scan", jpg_garbage_scan, sizeof jpg_garbage_scan, 1, NULL},
};

static void image_load__answers_every_broken_header_with_a_clear_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_images / sizeof bad_images[0]; i++) {
        const struct bad_image *b = &bad_images[i];
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b->bytes, 1, b->len, f), b->len);
        assert_int_equal(fclose(f), 0);
        struct rr_rgbbuf out = {0};
        char msg[256] = "";
        int ret = image_load(path, &out, msg, sizeof msg);
        printf("  %-34s -> %s: %s\n", b->what, rr_errname(ret), msg);
        if (b->want == 1) {
            assert_true(ret == RR_ERR_CORRUPT || ret == 0);
        } else {
            assert_int_equal(ret, b->want);
            assert_true(msg[0] != '\0');
        }
        if (b->needle)
            assert_non_null(strstr(msg, b->needle));
        rr_rgbbuf_release(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_load__answers_every_broken_header_with_a_clear_error),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
