/*
 * test_fdio.c - the descriptor-backed reader FFmpeg gets instead of a file name: bounds, seeks,
 * size limit, whole-file reads, the refusing io_open. No shared media needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavformat/avio.h>

#include "base/rr_error.h"
#include "video/fdio.h"

static char tmpdir[256];
static char datafile[512];
#define DATA_LEN 10000

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr_test_fdio_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(datafile, sizeof datafile, "%s/data.bin", tmpdir);
    FILE *f = fopen(datafile, "wb");
    if (!f)
        return -1;
    for (int i = 0; i < DATA_LEN; i++)
        fputc(i % 251, f);
    return fclose(f);
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(datafile);
    return rmdir(tmpdir);
}

static void fdio__reads_within_bounds_and_seeks_like_a_file(void **state)
{
    (void)state;
    struct fdio f;
    char msg[256];
    assert_int_equal(fdio_open(&f, datafile, DATA_LEN, msg, sizeof msg), 0);
    assert_int_equal(f.size, DATA_LEN);
    assert_int_equal(f.head_len, 4096);
    assert_int_equal(f.head[300], 300 % 251);
    AVIOContext *pb = NULL;
    assert_int_equal(fdio_avio(&f, &pb), 0);
    assert_non_null(pb);
    AVIOContext *again = NULL;
    assert_int_equal(fdio_avio(&f, &again), 0);
    assert_ptr_equal(again, pb);
    assert_int_equal(avio_size(pb), DATA_LEN);
    uint8_t buf[DATA_LEN + 100];
    assert_int_equal(avio_read(pb, buf, sizeof buf), DATA_LEN);
    for (int i = 0; i < DATA_LEN; i++)
        assert_int_equal(buf[i], i % 251);
    assert_true(avio_feof(pb));
    /* avio_seek() only passes SEEK_SET/SEEK_CUR on; the callback also serves SEEK_END. */
    assert_int_equal(pb->seek(pb->opaque, -100, SEEK_END), DATA_LEN - 100);
    assert_int_equal(pb->seek(pb->opaque, 0, AVSEEK_SIZE), DATA_LEN);
    assert_int_equal(avio_seek(pb, DATA_LEN - 100, SEEK_SET), DATA_LEN - 100);
    assert_int_equal(avio_r8(pb), (DATA_LEN - 100) % 251);
    assert_int_equal(avio_seek(pb, 5000, SEEK_SET), 5000);
    assert_int_equal(avio_seek(pb, -10, SEEK_CUR), 4990);
    assert_int_equal(avio_r8(pb), 4990 % 251);
    /* Past either end, or an unknown whence: refused, position unchanged. */
    assert_true(pb->seek(pb->opaque, DATA_LEN + 1, SEEK_SET) < 0);
    assert_true(pb->seek(pb->opaque, -1, SEEK_SET) < 0);
    assert_true(pb->seek(pb->opaque, 1, SEEK_END | AVSEEK_FORCE) < 0);
    assert_true(pb->seek(pb->opaque, INT64_MIN, SEEK_CUR) < 0);
    assert_true(pb->seek(pb->opaque, INT64_MAX, SEEK_END) < 0);
    assert_true(pb->seek(pb->opaque, 0, 12345) < 0);
    assert_int_equal(pb->read_packet(pb->opaque, buf, 0), AVERROR(EINVAL));
    fdio_close(&f);
    fdio_close(&f); /* twice is harmless */
    assert_int_equal(f.opened, 0);
}

static void fdio__reads_the_whole_file_with_zero_padding(void **state)
{
    (void)state;
    struct fdio f;
    char msg[256];
    assert_int_equal(fdio_open(&f, datafile, DATA_LEN, msg, sizeof msg), 0);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(fdio_read_all(&f, &d, &n), 0);
    assert_int_equal(n, DATA_LEN);
    assert_int_equal(d[DATA_LEN - 1], (DATA_LEN - 1) % 251);
    for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; i++)
        assert_int_equal(d[DATA_LEN + i], 0);
    av_free(d);
    fdio_close(&f);
}

static void fdio__refuses_oversize_missing_directories_and_no_name(void **state)
{
    (void)state;
    struct fdio f;
    char msg[256];
    assert_int_equal(fdio_open(&f, datafile, DATA_LEN - 1, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_non_null(strstr(msg, "over the limit"));
    assert_int_equal(f.opened, 0);
    assert_int_equal(fdio_open(&f, "/nonexistent/dir/x.mp4", DATA_LEN, msg, sizeof msg),
                     RR_ERR_NOTFOUND);
    assert_int_equal(fdio_open(&f, tmpdir, DATA_LEN, msg, sizeof msg), RR_ERR_IO);
    assert_non_null(strstr(msg, "not a regular file"));
    assert_int_equal(fdio_open(&f, "", DATA_LEN, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(fdio_open(&f, NULL, DATA_LEN, msg, sizeof msg), RR_ERR_INVAL);
    struct fdio zero = {0};
    fdio_close(&zero); /* a zeroed struct does not own descriptor 0 */
    assert_true(fcntl(0, F_GETFD) >= 0 || errno == EBADF);
}

static void fdio__io_open_refuses_everything(void **state)
{
    (void)state;
    AVIOContext *pb = (AVIOContext *)&pb;
    assert_int_equal(fdio_refuse_io_open(NULL, &pb, "file:///etc/passwd", AVIO_FLAG_READ, NULL),
                     AVERROR(EPERM));
    assert_null(pb);
    char e[64];
    assert_true(strlen(fdio_averr(AVERROR_INVALIDDATA, e, sizeof e)) > 0);
    assert_true(strlen(fdio_averr(-123456789, e, sizeof e)) > 0);
    fdio_ffmpeg_init();
    fdio_ffmpeg_init(); /* once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fdio__reads_within_bounds_and_seeks_like_a_file),
        cmocka_unit_test(fdio__reads_the_whole_file_with_zero_padding),
        cmocka_unit_test(fdio__refuses_oversize_missing_directories_and_no_name),
        cmocka_unit_test(fdio__io_open_refuses_everything),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
