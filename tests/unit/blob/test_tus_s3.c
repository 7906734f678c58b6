/*
 * test_tus_s3.c - tus over an S3 blob store (remote mode, tus.c): partial data lives in the
 * bucket as segments, so an upload begun on one instance continues on another. Two struct tus
 * with their own upload directories share one SQLite store and one bucket (s3rver behind our
 * SigV4 check, tests/support/s3test.h), as two `serve` processes on two hosts would.
 * Cases: a PATCH continues on the other instance and the finished object is whole with the
 * right SHA-256, segments removed, nothing local; two PATCHes racing from one offset: one wins,
 * the other gets 409, and the upload finishes with the winner's bytes; a finish interrupted
 * after the object was assembled is completed by HEAD; DELETE and the expiry sweep remove the
 * segments; a zero-length upload completes at creation. SKIP (77) without node or s3rver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/rr_error.h"
#include "blob/blob.h"
#include "blob/tus.h"
#include "store/store.h"
#include "support/rrtest.h"
#include "support/s3test.h"

#define MIB (1 << 20)

static struct s3test server;
static struct blob *bs;
static struct store *db;
static struct tus *ta, *tb; /* two "instances" */
static char root[256], dir_a[300], dir_b[300], U[STORE_ID_LEN + 1];
static int64_t fake_now = 1700000000000LL;

static int64_t clock_fake(void *ud)
{
    (void)ud;
    return fake_now;
}

static struct tus *open_tus(const char *dir)
{
    struct tus_config cfg = {.store = db, .dir = dir, .checkpoint_bytes = MIB, .sweep_seconds = -1};
    struct tus *t = NULL;
    assert_int_equal(tus_open(bs, &cfg, &t), 0);
    return t;
}

static int setup(void **state)
{
    (void)state;
    char url[600], msg[256];
    struct store_user a;
    snprintf(root, sizeof root, "/tmp/rr_test_tus_s3_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(dir_a, sizeof dir_a, "%s/a", root);
    snprintf(dir_b, sizeof dir_b, "%s/b", root);
    snprintf(url, sizeof url, "sqlite:%s/db.sqlite", root);
    if (store_open(url, &db, msg, sizeof msg) < 0 || store_migrate(db, NULL, msg, sizeof msg) < 0)
        return -1;
    store_set_clock(db, clock_fake, NULL);
    if (store_user_create(db, "up@example.com", "h", "user", &a) < 0)
        return -1;
    memcpy(U, a.id, sizeof U);
    snprintf(url, sizeof url, "%s&part_mib=5", server.url);
    if (blob_open(url, NULL, &bs) < 0)
        return -1;
    ta = open_tus(dir_a);
    tb = open_tus(dir_b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tus_close(ta);
    tus_close(tb);
    blob_close(bs);
    store_close(db);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

static struct tus_upload create(struct tus *t, int64_t length)
{
    char len[32];
    snprintf(len, sizeof len, "%lld", (long long)length);
    struct tus_headers h = {.tus_resumable = TUS_VERSION, .upload_length = len};
    struct tus_reply r;
    struct tus_upload u;
    assert_int_equal(tus_create(t, U, &h, &r, &u), 0);
    assert_int_equal(r.status, 201);
    return u;
}

static struct tus_patch *begin(struct tus *t, const char *id, int64_t offset)
{
    char off[32];
    snprintf(off, sizeof off, "%lld", (long long)offset);
    struct tus_headers h = {.tus_resumable = TUS_VERSION,
                            .upload_offset = off,
                            .content_type = "application/offset+octet-stream"};
    struct tus_reply r;
    struct tus_patch *p = NULL;
    assert_int_equal(tus_patch_begin(t, U, id, &h, &r, &p), 0);
    assert_non_null(p);
    return p;
}

/* PATCH data[from..to) on t in 100 KiB chunks; returns tus_patch_end's code. */
static int patch(struct tus *t, const char *id, const unsigned char *data, int64_t from, int64_t to,
                 struct tus_upload *out)
{
    struct tus_patch *p = begin(t, id, from);
    for (int64_t o = from; o < to; o += 100 * 1024) {
        size_t k = (size_t)(to - o < 100 * 1024 ? to - o : 100 * 1024);
        assert_int_equal(tus_patch_chunk(p, data + o, k), 0);
    }
    struct tus_reply r;
    return tus_patch_end(p, &r, out);
}

static int64_t head_offset(struct tus *t, const char *id, struct tus_upload *out)
{
    struct tus_headers h = {.tus_resumable = TUS_VERSION};
    struct tus_reply r;
    assert_int_equal(tus_head(t, U, id, &h, &r, out), 0);
    return out->offset;
}

static int seg_exists(const char *id, int64_t end)
{
    char key[BLOB_KEY_MAX + 1];
    struct blob_info info;
    snprintf(key, sizeof key, "tus/%s/%020lld", id, (long long)end);
    return blob_stat(bs, key, &info) == 0;
}

static void expect_object(const char *key, const unsigned char *data, size_t n, const char *sha)
{
    struct blob_reader *r = NULL;
    unsigned char digest[32];
    char want[65];
    crypto_hash_sha256(digest, data, n);
    blob_sha256_hex(digest, want);
    assert_string_equal(sha, want);
    assert_int_equal(blob_get(bs, key, &r), 0);
    assert_int_equal(blob_reader_size(r), (int64_t)n);
    unsigned char *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    int64_t got = 0, k;
    while ((k = blob_reader_read(r, buf + got, n - (size_t)got)) > 0)
        got += k;
    assert_int_equal(got, (int64_t)n);
    assert_memory_equal(buf, data, n);
    free(buf);
    blob_reader_close(r);
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    for (const struct dirent *e = readdir(d); e; e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void tus_s3__a_patch_continues_on_another_instance(void **state)
{
    (void)state;
    size_t n = 5 * MIB + 12345;
    unsigned char *data = pattern(n, 1);
    struct tus_upload u = create(ta, (int64_t)n), out;
    /* 3 MiB on A: a segment per checkpoint (every ~1 MiB) */
    assert_int_equal(patch(ta, u.id, data, 0, 3 * MIB, &out), 0);
    assert_int_equal(out.offset, 3 * MIB);
    assert_true(seg_exists(u.id, 3 * MIB)); /* the last of its segments */
    assert_int_equal(files_in(dir_a), 0);   /* nothing of it stayed local */
    /* B has never seen the upload; it reports and continues it */
    assert_int_equal(head_offset(tb, u.id, &out), 3 * MIB);
    assert_int_equal(patch(tb, u.id, data, 3 * MIB, (int64_t)n, &out), 0);
    assert_int_equal(out.complete, 1);
    expect_object(u.key, data, n, out.sha256);
    assert_false(seg_exists(u.id, 3 * MIB));
    assert_false(seg_exists(u.id, (int64_t)n));
    assert_int_equal(head_offset(ta, u.id, &out), (int64_t)n);
    assert_int_equal(out.complete, 1);
    free(data);
}

static void tus_s3__racing_patches_one_wins(void **state)
{
    (void)state;
    size_t n = 600000;
    unsigned char *data = pattern(n, 2), *other = pattern(n, 3);
    struct tus_upload u = create(ta, (int64_t)n), out;
    struct tus_patch *p1 = begin(ta, u.id, 0), *p2 = begin(tb, u.id, 0);
    assert_int_equal(tus_patch_chunk(p1, data, 200000), 0);
    assert_int_equal(tus_patch_chunk(p2, other, 300000), 0);
    struct tus_reply r;
    assert_int_equal(tus_patch_end(p1, &r, &out), 0);
    assert_int_equal(r.status, 204);
    assert_int_equal(tus_patch_end(p2, &r, &out), RR_ERR_CONFLICT);
    assert_int_equal(r.status, 409);
    assert_int_equal(head_offset(tb, u.id, &out), 200000);
    assert_int_equal(patch(tb, u.id, data, 200000, (int64_t)n, &out), 0);
    assert_int_equal(out.complete, 1);
    expect_object(u.key, data, n, out.sha256);
    free(data);
    free(other);
}

static void tus_s3__head_completes_an_interrupted_finish(void **state)
{
    (void)state;
    size_t n = 2 * MIB;
    unsigned char *data = pattern(n, 4);
    struct tus_upload u = create(ta, (int64_t)n), out;
    /* A records every byte (two 1 MiB checkpoints) but has not finished yet, as if it died */
    struct tus_patch *p = begin(ta, u.id, 0);
    assert_int_equal(tus_patch_chunk(p, data, MIB), 0);
    assert_int_equal(tus_patch_chunk(p, data + MIB, MIB), 0);
    assert_true(seg_exists(u.id, (int64_t)n));
    /* B's HEAD finds offset == length and finishes it */
    assert_int_equal(head_offset(tb, u.id, &out), (int64_t)n);
    assert_int_equal(out.complete, 1);
    expect_object(u.key, data, n, out.sha256);
    assert_false(seg_exists(u.id, (int64_t)n));
    /* A's late end finds the work done */
    struct tus_reply r;
    assert_int_equal(tus_patch_end(p, &r, &out), 0);
    assert_int_equal(out.complete, 1);
    expect_object(u.key, data, n, out.sha256);
    free(data);
}

static void tus_s3__delete_and_expiry_remove_segments(void **state)
{
    (void)state;
    size_t n = 3 * MIB;
    unsigned char *data = pattern(n, 5);
    struct tus_upload u = create(ta, (int64_t)n), out;
    assert_int_equal(patch(ta, u.id, data, 0, 2 * MIB, &out), 0);
    assert_true(seg_exists(u.id, 2 * MIB));
    struct tus_headers h = {.tus_resumable = TUS_VERSION};
    struct tus_reply r;
    assert_int_equal(tus_delete(tb, U, u.id, &h, &r), 0);
    assert_int_equal(r.status, 204);
    assert_false(seg_exists(u.id, 1 * MIB));
    assert_false(seg_exists(u.id, 2 * MIB));
    assert_int_equal(tus_head(ta, U, u.id, &h, &r, &out), RR_ERR_NOTFOUND);

    struct tus_upload v = create(ta, (int64_t)n);
    assert_int_equal(patch(ta, v.id, data, 0, MIB, &out), 0);
    assert_true(seg_exists(v.id, MIB));
    fake_now += 2LL * TUS_DEFAULT_EXPIRE_SECONDS * 1000;
    assert_true(tus_sweep_expired(tb) >= 1);
    assert_false(seg_exists(v.id, MIB));
    free(data);
}

static void tus_s3__zero_length_completes_at_creation(void **state)
{
    (void)state;
    struct tus_upload u = create(ta, 0);
    assert_int_equal(u.complete, 1);
    expect_object(u.key, (const unsigned char *)"", 0, u.sha256);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    int rc = s3test_start(&server, "test_tus_s3", 1);
    if (rc != 0)
        return rc == RRTEST_SKIP_CODE ? rrtest_status(0) : 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tus_s3__a_patch_continues_on_another_instance),
        cmocka_unit_test(tus_s3__racing_patches_one_wins),
        cmocka_unit_test(tus_s3__head_completes_an_interrupted_finish),
        cmocka_unit_test(tus_s3__delete_and_expiry_remove_segments),
        cmocka_unit_test(tus_s3__zero_length_completes_at_creation),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    s3test_stop(&server);
    return rrtest_status(failed);
}
