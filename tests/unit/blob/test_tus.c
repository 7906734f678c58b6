/*
 * test_tus.c - tus 1.0 resumable uploads over the local blob store: the create -> PATCH -> done
 * flow and its SHA-256, offset conflicts, header validation tables, interrupted and crashed
 * PATCHes resuming from the durable offset, locking, termination, expiry and sweeping, record
 * (sidecar) parsing, crash recovery while finishing, and bounded memory for a 200 MB upload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/rr_error.h"
#include "blob/blob.h"
#include "blob/tus.h"

static char root[256];
static char blob_dir[400];
static char up_dir[400];
static struct blob *store;
static int64_t fake_now = 1700000000;

static int64_t clock_fake(void)
{
    return fake_now;
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            for (;;) {
                const struct dirent *e = readdir(d);
                if (!e)
                    break;
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/rr_test_tus_XXXXXX");
    if (!mkdtemp(root) || sodium_init() < 0)
        return -1;
    snprintf(blob_dir, sizeof blob_dir, "%s/blobs", root);
    snprintf(up_dir, sizeof up_dir, "%s/blobs/uploads", root);
    char url[500];
    snprintf(url, sizeof url, "file:%s", blob_dir);
    return blob_open(url, NULL, &store);
}

static int group_teardown(void **state)
{
    (void)state;
    blob_close(store);
    rm_tree(root);
    return 0;
}

static struct tus *open_tus_in(const char *dir, int64_t max, int64_t checkpoint)
{
    struct tus_config cfg = {
        .dir = dir, .max_size = max, .checkpoint_bytes = checkpoint, .now = clock_fake};
    struct tus *t = NULL;
    assert_int_equal(tus_open(store, &cfg, &t), 0);
    return t;
}

static struct tus *open_tus(int64_t max, int64_t checkpoint)
{
    return open_tus_in(up_dir, max, checkpoint);
}

static struct tus_headers base_headers(void)
{
    struct tus_headers h = {.tus_resumable = "1.0.0"};
    return h;
}

static const char *hdr(const struct tus_reply *r, const char *name)
{
    return tus_reply_header(r, name);
}

static void fill_pattern(unsigned char *p, size_t n, size_t start)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((start + i) * 2654435761u >> 13);
}

static void sha_hex(const unsigned char *p, size_t n, char out[65])
{
    unsigned char d[32];
    crypto_hash_sha256(d, p, n);
    blob_sha256_hex(d, out);
}

static void create_upload(struct tus *t, const char *owner, int64_t length, const char *meta,
                          struct tus_upload *u)
{
    char len[32];
    struct tus_reply r;
    struct tus_headers h = base_headers();
    snprintf(len, sizeof len, "%lld", (long long)length);
    h.upload_length = len;
    h.upload_metadata = meta;
    assert_int_equal(tus_create(t, owner, &h, &r, u), 0);
    assert_int_equal(r.status, 201);
}

/* One PATCH request carrying data; returns the reply status. */
static int patch(struct tus *t, const char *owner, const char *id, int64_t offset,
                 const unsigned char *data, size_t len, struct tus_reply *r, struct tus_upload *u)
{
    char off[32];
    struct tus_headers h = base_headers();
    snprintf(off, sizeof off, "%lld", (long long)offset);
    h.upload_offset = off;
    h.content_type = "application/offset+octet-stream";
    struct tus_patch *p = NULL;
    if (tus_patch_begin(t, owner, id, &h, r, &p) < 0) {
        assert_null(p);
        return r->status;
    }
    assert_non_null(p);
    for (size_t o = 0; o < len; o += 1500) {
        size_t n = len - o < 1500 ? len - o : 1500;
        if (tus_patch_chunk(p, data + o, n) < 0)
            break;
    }
    tus_patch_end(p, r, u);
    return r->status;
}

static int64_t head_offset(struct tus *t, const char *owner, const char *id)
{
    struct tus_reply r;
    struct tus_headers h = base_headers();
    assert_int_equal(tus_head(t, owner, id, &h, &r, NULL), 0);
    assert_int_equal(r.status, 200);
    return strtoll(hdr(&r, "Upload-Offset"), NULL, 10);
}

static void part_path(const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.part", up_dir, id);
}

static void tus__options_advertise_version_extensions_and_max_size(void **state)
{
    (void)state;
    struct tus *t = open_tus(1000000, 0);
    struct tus_reply r;
    tus_options(t, &r);
    assert_int_equal(r.status, 204);
    assert_string_equal(hdr(&r, "Tus-Resumable"), "1.0.0");
    assert_string_equal(hdr(&r, "tus-version"), "1.0.0");
    assert_string_equal(hdr(&r, "Tus-Extension"), "creation,termination,expiration");
    assert_string_equal(hdr(&r, "Tus-Max-Size"), "1000000");
    assert_null(hdr(&r, "Upload-Metadata"));
    assert_null(hdr(&r, "X-Nope"));
    assert_int_equal(tus_max_size(t), 1000000);
    tus_close(t);
    /* The blob store's limit caps the configured one. */
    t = open_tus(INT64_MAX, 0);
    assert_int_equal(tus_max_size(t), blob_max_bytes(store));
    tus_close(t);
    tus_close(NULL);
    /* The real clock, and an expiry clamped to ten years. */
    struct tus_config cfg = {.dir = up_dir, .expire_seconds = INT64_MAX};
    assert_int_equal(tus_open(store, &cfg, &t), 0);
    struct tus_upload u;
    struct tus_headers h = base_headers();
    h.upload_length = "5";
    assert_int_equal(tus_create(t, "clock", &h, &r, &u), 0);
    int64_t now = (int64_t)time(NULL);
    assert_true(u.created >= now - 5 && u.created <= now);
    assert_int_equal(u.expires - u.created, 3650LL * 24 * 3600);
    /* A date beyond what gmtime can express still formats to a valid HTTP date. */
    u.expires = INT64_MAX / 2;
    assert_int_equal(tus_record_save(t, &u), 0);
    assert_int_equal(tus_head(t, "clock", u.id, &h, &r, NULL), 0);
    assert_string_equal(hdr(&r, "Upload-Expires"), "Thu, 01 Jan 1970 00:00:00 GMT");
    tus_close(t);
}

static void tus__create_then_three_patches_completes_with_the_right_sha256(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    enum { LEN = 30000 };
    static unsigned char data[LEN];
    fill_pattern(data, LEN, 0);
    char want[65];
    sha_hex(data, LEN, want);
    struct tus_upload u;
    create_upload(t, "user-1", LEN, "filename c3F1YXQubXA0,filetype dmlkZW8vbXA0", &u);
    assert_int_equal(strlen(u.id), TUS_ID_LEN);
    assert_int_equal(u.offset, 0);
    assert_int_equal(u.length, LEN);
    assert_int_equal(u.expires, fake_now + TUS_DEFAULT_EXPIRE_SECONDS);
    char key[300];
    snprintf(key, sizeof key, "uploads/%s", u.id);
    assert_string_equal(u.key, key);

    struct tus_reply r;
    struct tus_headers h = base_headers();
    assert_int_equal(tus_head(t, "user-1", u.id, &h, &r, NULL), 0);
    assert_string_equal(hdr(&r, "Upload-Offset"), "0");
    assert_string_equal(hdr(&r, "Upload-Length"), "30000");
    assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
    assert_string_equal(hdr(&r, "Upload-Metadata"), "filename c3F1YXQubXA0,filetype dmlkZW8vbXA0");
    assert_string_equal(hdr(&r, "Upload-Expires"), "Wed, 15 Nov 2023 22:13:20 GMT");

    struct tus_upload done;
    assert_int_equal(patch(t, "user-1", u.id, 0, data, 10000, &r, &done), 204);
    assert_string_equal(hdr(&r, "Upload-Offset"), "10000");
    assert_non_null(hdr(&r, "Upload-Expires"));
    assert_int_equal(patch(t, "user-1", u.id, 10000, data + 10000, 10000, &r, &done), 204);
    assert_false(done.complete);
    assert_int_equal(head_offset(t, "user-1", u.id), 20000);
    assert_int_equal(patch(t, "user-1", u.id, 20000, data + 20000, 10000, &r, &done), 204);
    assert_string_equal(hdr(&r, "Upload-Offset"), "30000");
    assert_null(hdr(&r, "Upload-Expires"));
    assert_true(done.complete);
    assert_string_equal(done.sha256, want);
    assert_string_equal(done.key, key);

    struct blob_info info;
    assert_int_equal(blob_stat(store, key, &info), 0);
    assert_int_equal(info.size, LEN);
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    assert_int_equal(access(pp, F_OK), -1); /* moved, not copied */
    struct blob_reader *rd = NULL;
    static unsigned char back[LEN];
    assert_int_equal(blob_get(store, key, &rd), 0);
    assert_int_equal(blob_reader_read(rd, back, LEN), LEN);
    assert_memory_equal(back, data, LEN);
    blob_reader_close(rd);

    struct tus_upload again;
    assert_int_equal(tus_head(t, "user-1", u.id, &h, &r, &again), 0);
    assert_string_equal(hdr(&r, "Upload-Offset"), "30000");
    assert_null(hdr(&r, "Upload-Expires"));
    assert_true(again.complete);
    assert_string_equal(again.sha256, want);
    /* Nothing more can be appended. */
    assert_int_equal(patch(t, "user-1", u.id, 30000, data, 1, &r, NULL), 409);
    assert_int_equal(r.err, RR_ERR_CONFLICT);
    /* Metadata values decode. */
    unsigned char val[64];
    size_t vlen = 0;
    assert_int_equal(tus_metadata_get(again.metadata, "filename", val, sizeof val, &vlen), 0);
    assert_int_equal(vlen, 9);
    assert_memory_equal(val, "squat.mp4", 9);
    tus_close(t);
}

static void tus__wrong_offset_is_a_conflict(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    unsigned char data[100];
    fill_pattern(data, sizeof data, 0);
    struct tus_upload u;
    struct tus_reply r;
    create_upload(t, "u", 100, NULL, &u);
    assert_int_equal(patch(t, "u", u.id, 5, data, 10, &r, NULL), 409);
    assert_int_equal(r.err, RR_ERR_CONFLICT);
    assert_string_equal(hdr(&r, "Upload-Offset"), "0");
    assert_int_equal(patch(t, "u", u.id, 0, data, 40, &r, NULL), 204);
    assert_int_equal(patch(t, "u", u.id, 0, data, 40, &r, NULL), 409); /* replayed */
    assert_int_equal(patch(t, "u", u.id, 41, data, 10, &r, NULL), 409);
    assert_string_equal(hdr(&r, "Upload-Offset"), "40");
    assert_int_equal(head_offset(t, "u", u.id), 40);
    /* More bytes than Upload-Length: 413, the fitting prefix is not taken. */
    assert_int_equal(patch(t, "u", u.id, 40, data, 61, &r, NULL), 413);
    assert_int_equal(r.err, RR_ERR_TOOBIG);
    assert_int_equal(head_offset(t, "u", u.id), 40);
    tus_close(t);
}

static void tus__validates_headers_from_a_table(void **state)
{
    (void)state;
    struct tus *t = open_tus(1000, 0);
    static const struct {
        const char *resumable, *length, *defer, *meta;
        int status;
    } create_cases[] = {
        {NULL, "10", NULL, NULL, 412},
        {"0.2.2", "10", NULL, NULL, 412},
        {"1.0.0 ", "10", NULL, NULL, 412},
        {"1.0.0", NULL, NULL, NULL, 400},
        {"1.0.0", "", NULL, NULL, 400},
        {"1.0.0", "-1", NULL, NULL, 400},
        {"1.0.0", "+5", NULL, NULL, 400},
        {"1.0.0", " 5", NULL, NULL, 400},
        {"1.0.0", "12abc", NULL, NULL, 400},
        {"1.0.0", "1e3", NULL, NULL, 400},
        {"1.0.0", "0x10", NULL, NULL, 400},
        {"1.0.0", "9223372036854775807", NULL, NULL, 413},
        {"1.0.0", "9223372036854775808", NULL, NULL, 400},
        {"1.0.0", "99999999999999999999999", NULL, NULL, 400},
        {"1.0.0", "1001", NULL, NULL, 413},
        {"1.0.0", "1000", NULL, NULL, 201},
        {"1.0.0", "007", NULL, NULL, 201},
        {"1.0.0", NULL, "1", NULL, 400},
        {"1.0.0", "10", NULL, "filename", 201},
        {"1.0.0", "10", NULL, "filename d29ybGQ=", 201},
        {"1.0.0", "10", NULL, "a YQ==, b Yg==,c", 201},
        {"1.0.0", "10", NULL, "k YQ", 201},
        {"1.0.0", "10", NULL, " a YQ== ,\tb Yg==\t", 201},
        {"1.0.0", "10", NULL, "", 201},
        {"1.0.0", "10", NULL, "a YQ==,a Yg==", 400},
        {"1.0.0", "10", NULL, "k !!!!", 400},
        {"1.0.0", "10", NULL, "k YR==", 400},
        {"1.0.0", "10", NULL, "k Y", 400},
        {"1.0.0", "10", NULL, "k YQ== extra", 400},
        {"1.0.0", "10", NULL, ",", 400},
        {"1.0.0", "10", NULL, "a YQ==,", 400},
        {"1.0.0", "10", NULL, "a YQ==,,b Yg==", 400},
        {"1.0.0", "10", NULL, "k\x01 YQ==", 400},
        {"1.0.0", "10", NULL, "k\" YQ==", 400},
        {"1.0.0", "10", NULL, "k\r\nX-Injected: 1", 400},
        {"1.0.0", "10", NULL,
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa YQ==", 400},
    };
    for (size_t i = 0; i < sizeof create_cases / sizeof create_cases[0]; i++) {
        struct tus_headers h = {.tus_resumable = create_cases[i].resumable,
                                .upload_length = create_cases[i].length,
                                .upload_defer_length = create_cases[i].defer,
                                .upload_metadata = create_cases[i].meta};
        struct tus_reply r;
        int rc = tus_create(t, "owner", &h, &r, NULL);
        if (r.status != create_cases[i].status)
            fail_msg("create case %zu: status %d, want %d", i, r.status, create_cases[i].status);
        assert_int_equal(rc == 0, create_cases[i].status == 201);
        if (r.status >= 400)
            assert_non_null(r.reason);
        if (r.status == 412)
            assert_string_equal(hdr(&r, "Tus-Version"), "1.0.0");
    }
    /* Too many metadata pairs, and a header over the byte limit. */
    char many[1024] = "";
    for (int i = 0; i <= TUS_METADATA_MAX_PAIRS; i++) {
        char pair[16];
        snprintf(pair, sizeof pair, "%sk%d YQ==", i ? "," : "", i);
        strncat(many, pair, sizeof many - strlen(many) - 1);
    }
    assert_int_equal(tus_metadata_validate(many), RR_ERR_TOOBIG);
    static char huge[TUS_METADATA_MAX + 10];
    memset(huge, 'A', sizeof huge - 1);
    memcpy(huge, "k ", 2);
    assert_int_equal(tus_metadata_validate(huge), RR_ERR_TOOBIG);
    assert_int_equal(tus_metadata_validate(NULL), RR_ERR_INVAL);
    struct tus_reply r;
    struct tus_headers h = base_headers();
    h.upload_length = "10";
    h.upload_metadata = many;
    assert_int_equal(tus_create(t, "owner", &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(r.status, 400);
    /* Owners come from the auth layer; a bad one is refused. */
    h.upload_metadata = NULL;
    assert_int_equal(tus_create(t, "bad owner", &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(tus_create(t, NULL, &h, &r, NULL), RR_ERR_INVAL);

    /* PATCH headers. */
    struct tus_upload u;
    create_upload(t, "owner", 100, NULL, &u);
    static const struct {
        const char *resumable, *ctype, *offset, *clen;
        int status;
    } patch_cases[] = {
        {NULL, "application/offset+octet-stream", "0", NULL, 412},
        {"1.0.0", NULL, "0", NULL, 415},
        {"1.0.0", "application/octet-stream", "0", NULL, 415},
        {"1.0.0", "application/offset+octet-streamx", "0", NULL, 415},
        {"1.0.0", "application/offset+octet-stream", NULL, NULL, 400},
        {"1.0.0", "application/offset+octet-stream", "abc", NULL, 400},
        {"1.0.0", "application/offset+octet-stream", "-0", NULL, 400},
        {"1.0.0", "application/offset+octet-stream", "0", "x", 400},
        {"1.0.0", "application/offset+octet-stream", "0", "101", 413},
        {"1.0.0", "application/offset+octet-stream", "1", NULL, 409},
        {"1.0.0", "Application/Offset+Octet-Stream; charset=x", "0", "100", 204},
        {"1.0.0", "application/offset+octet-stream ;x", "0", "0", 204},
    };
    for (size_t i = 0; i < sizeof patch_cases / sizeof patch_cases[0]; i++) {
        struct tus_headers ph = {.tus_resumable = patch_cases[i].resumable,
                                 .content_type = patch_cases[i].ctype,
                                 .upload_offset = patch_cases[i].offset,
                                 .content_length = patch_cases[i].clen};
        struct tus_patch *p = (struct tus_patch *)&p;
        int rc = tus_patch_begin(t, "owner", u.id, &ph, &r, &p);
        if (r.status != patch_cases[i].status)
            fail_msg("patch case %zu: status %d, want %d", i, r.status, patch_cases[i].status);
        if (rc == 0) {
            assert_non_null(p);
            assert_int_equal(tus_patch_end(p, &r, NULL), 0);
        } else {
            assert_null(p);
        }
    }
    assert_int_equal(tus_patch_begin(t, "owner", u.id, &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(tus_patch_chunk(NULL, "x", 1), RR_ERR_INVAL);
    assert_int_equal(tus_patch_end(NULL, &r, NULL), RR_ERR_INVAL);

    /* Ids: unknown, malformed, someone else's: all 404. */
    static const char *const bad_ids[] = {"00000000000000000000000000000000", "../../etc/passwd",
                                          "", "0123456789ABCDEF0123456789ABCDEF", NULL};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        assert_int_equal(tus_head(t, "owner", bad_ids[i], &h, &r, NULL), RR_ERR_NOTFOUND);
        assert_int_equal(r.status, 404);
    }
    assert_int_equal(tus_head(t, "intruder", u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 404);
    assert_int_equal(tus_head(t, NULL, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(tus_delete(t, "intruder", u.id, &h, &r), RR_ERR_NOTFOUND);
    struct tus_headers no_version = {0};
    assert_int_equal(tus_head(t, "owner", u.id, &no_version, &r, NULL), RR_ERR_UNSUPPORTED);
    assert_int_equal(r.status, 412);
    assert_int_equal(tus_delete(t, "owner", u.id, &no_version, &r), RR_ERR_UNSUPPORTED);
    tus_close(t);

    /* Configuration. */
    struct tus *bad = NULL;
    struct tus_config cfg = {.dir = up_dir, .key_prefix = "Bad/"};
    assert_int_equal(tus_open(store, &cfg, &bad), RR_ERR_INVAL);
    cfg.key_prefix = "/abs/";
    assert_int_equal(tus_open(store, &cfg, &bad), RR_ERR_INVAL);
    cfg.key_prefix = NULL;
    cfg.dir = "";
    assert_int_equal(tus_open(store, &cfg, &bad), RR_ERR_INVAL);
    assert_int_equal(tus_open(NULL, &cfg, &bad), RR_ERR_INVAL);
    cfg.dir = "/proc/self/rr-no/such";
    assert_int_equal(tus_open(store, &cfg, &bad), RR_ERR_IO);
    assert_null(bad);
}

static void tus__interrupted_patch_reports_durable_offset_and_resumes(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    enum { LEN = 20000 };
    static unsigned char data[LEN];
    fill_pattern(data, LEN, 7);
    char want[65];
    sha_hex(data, LEN, want);
    struct tus_upload u, done;
    struct tus_reply r;
    create_upload(t, "u", LEN, NULL, &u);

    /* The client goes away after 3000 of 20000 bytes: the HTTP layer still calls end. */
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    h.content_length = "20000";
    struct tus_patch *p = NULL;
    assert_int_equal(tus_patch_begin(t, "u", u.id, &h, &r, &p), 0);
    assert_int_equal(tus_patch_chunk(p, data, 1000), 0);
    assert_int_equal(tus_patch_chunk(p, data + 1000, 2000), 0);
    tus_patch_end(p, &r, &done);
    assert_int_equal(done.offset, 3000);
    assert_int_equal(head_offset(t, "u", u.id), 3000);

    /* A crash leaves unacknowledged bytes past the durable offset: HEAD ignores them and the
     * next PATCH cuts them off. */
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    int fd = open(pp, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "GARBAGE-GARBAGE", 15), 15);
    close(fd);
    assert_int_equal(head_offset(t, "u", u.id), 3000);
    assert_int_equal(patch(t, "u", u.id, 3015, data + 3015, 100, &r, NULL), 409);
    struct stat st;
    assert_int_equal(stat(pp, &st), 0);
    assert_int_equal(st.st_size, 3000);

    /* Resume from HEAD's offset and finish. */
    int64_t off = head_offset(t, "u", u.id);
    assert_int_equal(patch(t, "u", u.id, off, data + off, (size_t)(LEN - off), &r, &done), 204);
    assert_true(done.complete);
    assert_string_equal(done.sha256, want);
    tus_close(t);
}

static void tus__killed_patch_resumes_from_the_last_checkpoint(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 4096);
    enum { LEN = 12000 };
    static unsigned char data[LEN];
    fill_pattern(data, LEN, 99);
    char want[65];
    sha_hex(data, LEN, want);
    struct tus_upload u, done;
    struct tus_reply r;
    create_upload(t, "u", LEN, NULL, &u);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct tus_headers h = base_headers();
        h.upload_offset = "0";
        h.content_type = "application/offset+octet-stream";
        struct tus_patch *p = NULL;
        if (tus_patch_begin(t, "u", u.id, &h, &r, &p) < 0)
            _exit(2);
        for (int i = 0; i < 9; i++) {
            if (tus_patch_chunk(p, data + i * 1000, 1000) < 0)
                _exit(3);
        }
        _exit(0); /* dies mid-request, as kill -9 would: no tus_patch_end */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    struct stat st;
    assert_int_equal(stat(pp, &st), 0);
    assert_int_equal(st.st_size, 9000);                /* on disk, never acknowledged */
    assert_int_equal(head_offset(t, "u", u.id), 5000); /* checkpoint after 5 chunks */
    assert_int_equal(patch(t, "u", u.id, 9000, data + 9000, 3000, &r, NULL), 409);
    assert_int_equal(patch(t, "u", u.id, 5000, data + 5000, LEN - 5000, &r, &done), 204);
    assert_true(done.complete);
    assert_string_equal(done.sha256, want);

    /* Lost data (part shorter than the record): report what is really there. */
    struct tus_upload v;
    create_upload(t, "u", 100, NULL, &v);
    assert_int_equal(patch(t, "u", v.id, 0, data, 60, &r, NULL), 204);
    part_path(v.id, pp, sizeof pp);
    assert_int_equal(truncate(pp, 25), 0);
    assert_int_equal(head_offset(t, "u", v.id), 25);
    assert_int_equal(patch(t, "u", v.id, 60, data + 60, 40, &r, NULL), 409);
    assert_int_equal(patch(t, "u", v.id, 25, data + 25, 75, &r, &done), 204);
    assert_true(done.complete);
    char want2[65];
    sha_hex(data, 100, want2);
    assert_string_equal(done.sha256, want2);
    tus_close(t);
}

static void tus__second_patch_on_the_same_upload_is_locked(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    struct tus_upload u;
    struct tus_reply r, r2;
    create_upload(t, "u", 10, NULL, &u);
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    struct tus_patch *p1 = NULL, *p2 = NULL;
    assert_int_equal(tus_patch_begin(t, "u", u.id, &h, &r, &p1), 0);
    assert_int_equal(tus_patch_chunk(p1, "01234", 5), 0);
    assert_int_equal(tus_patch_begin(t, "u", u.id, &h, &r2, &p2), RR_ERR_BUSY);
    assert_int_equal(r2.status, 423);
    assert_int_equal(tus_delete(t, "u", u.id, &h, &r2), RR_ERR_BUSY);
    /* HEAD works meanwhile and reports only the durable offset. */
    assert_int_equal(head_offset(t, "u", u.id), 0);
    assert_int_equal(tus_patch_chunk(p1, "56789X", 6), RR_ERR_TOOBIG);
    assert_int_equal(tus_patch_chunk(p1, "5", 1), RR_ERR_TOOBIG); /* sticky */
    assert_int_equal(tus_patch_end(p1, &r, NULL), RR_ERR_TOOBIG);
    assert_int_equal(r.status, 413);
    assert_string_equal(hdr(&r, "Upload-Offset"), "5");
    assert_int_equal(head_offset(t, "u", u.id), 5);
    tus_close(t);
}

static void tus__delete_terminates_an_upload(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    struct tus_upload u;
    struct tus_reply r;
    create_upload(t, "u", 10, NULL, &u);
    assert_int_equal(patch(t, "u", u.id, 0, (const unsigned char *)"abc", 3, &r, NULL), 204);
    struct tus_headers h = base_headers();
    assert_int_equal(tus_delete(t, "u", u.id, &h, &r), 0);
    assert_int_equal(r.status, 204);
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    assert_int_equal(access(pp, F_OK), -1);
    assert_int_equal(tus_head(t, "u", u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(tus_delete(t, "u", u.id, &h, &r), RR_ERR_NOTFOUND);
    /* Deleting a finished upload drops the record; the blob stays for its database row. */
    create_upload(t, "u", 3, NULL, &u);
    struct tus_upload done;
    assert_int_equal(patch(t, "u", u.id, 0, (const unsigned char *)"abc", 3, &r, &done), 204);
    assert_true(done.complete);
    assert_int_equal(tus_delete(t, "u", u.id, &h, &r), 0);
    struct blob_info info;
    assert_int_equal(blob_stat(store, done.key, &info), 0);
    assert_int_equal(info.size, 3);
    tus_close(t);
}

static void tus__zero_length_upload_completes_at_creation(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    struct tus_upload u;
    create_upload(t, "u", 0, NULL, &u);
    assert_true(u.complete);
    assert_string_equal(u.sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    struct blob_info info;
    assert_int_equal(blob_stat(store, u.key, &info), 0);
    assert_int_equal(info.size, 0);
    tus_close(t);
}

static void tus__expired_uploads_answer_410_and_are_swept(void **state)
{
    (void)state;
    char dir[500];
    snprintf(dir, sizeof dir, "%s/uploads-expiry", blob_dir);
    struct tus *t = open_tus_in(dir, 0, 0);
    struct tus_upload u, keep, done;
    struct tus_reply r;
    create_upload(t, "u", 10, NULL, &u);
    fake_now += 3600;
    create_upload(t, "u", 10, NULL, &keep);
    create_upload(t, "u", 1, NULL, &done);
    assert_int_equal(patch(t, "u", done.id, 0, (const unsigned char *)"x", 1, &r, NULL), 204);
    /* An upload with a PATCH in progress is not swept even when its time is up. */
    struct tus_upload busy;
    create_upload(t, "u", 10, NULL, &busy);
    struct tus_headers ph = base_headers();
    ph.upload_offset = "0";
    ph.content_type = "application/offset+octet-stream";
    struct tus_patch *inflight = NULL;
    assert_int_equal(tus_patch_begin(t, "u", busy.id, &ph, &r, &inflight), 0);
    fake_now += TUS_DEFAULT_EXPIRE_SECONDS - 1800; /* u expired, keep not */
    struct tus_headers h = base_headers();
    assert_int_equal(tus_head(t, "u", u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 410);
    assert_int_equal(patch(t, "u", u.id, 0, (const unsigned char *)"x", 1, &r, NULL), 410);
    assert_int_equal(head_offset(t, "u", keep.id), 0);

    /* Leftovers: an old part without a record, an old sidecar temp, a corrupt record. */
    char p[800];
    snprintf(p, sizeof p, "%s/0123456789abcdef0123456789abcdef.part", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    close(fd);
    struct timespec old[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
    assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    snprintf(p, sizeof p, "%s/%s.json.0011223344556677.tmp", dir, keep.id);
    fd = open(p, O_WRONLY | O_CREAT, 0600);
    close(fd);
    assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    snprintf(p, sizeof p, "%s/fedcba9876543210fedcba9876543210.json", dir);
    fd = open(p, O_WRONLY | O_CREAT, 0600);
    assert_int_equal(write(fd, "{oops", 5), 5);
    close(fd);

    /* A live upload whose part has not been touched for long stays. */
    snprintf(p, sizeof p, "%s/%s.part", dir, keep.id);
    assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    fake_now += 24 * 3600; /* busy expired too, but its PATCH holds the lock */
    keep.expires = fake_now + 100;
    assert_int_equal(tus_record_save(t, &keep), 0);
    done.expires = fake_now + 100;
    done.complete = 1;
    done.offset = 1;
    snprintf(done.sha256, sizeof done.sha256, "%s",
             "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    assert_int_equal(tus_record_save(t, &done), 0);
    int removed = tus_sweep_expired(t);
    assert_int_equal(removed, 2); /* the expired upload and the corrupt record */
    snprintf(p, sizeof p, "%s/%s.part", dir, keep.id);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(tus_patch_end(inflight, &r, NULL), 0);
    assert_int_equal(tus_head(t, "u", u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 404);
    assert_int_equal(head_offset(t, "u", keep.id), 0);
    assert_int_equal(head_offset(t, "u", done.id), 1); /* complete: not expired yet */
    snprintf(p, sizeof p, "%s/0123456789abcdef0123456789abcdef.part", dir);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/%s.json.0011223344556677.tmp", dir, keep.id);
    assert_int_equal(access(p, F_OK), -1);
    /* Expired and finished: the record goes, the blob stays. */
    fake_now += 2 * TUS_DEFAULT_EXPIRE_SECONDS;
    assert_true(tus_sweep_expired(t) >= 2);
    assert_int_equal(tus_head(t, "u", done.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    struct blob_info info;
    assert_int_equal(blob_stat(store, done.key, &info), 0);
    tus_close(t);
}

static void tus__record_round_trips_and_rejects_corruption(void **state)
{
    (void)state;
    struct tus_upload u = {.length = 100, .offset = 40, .created = 5, .expires = 9};
    snprintf(u.id, sizeof u.id, "0123456789abcdef0123456789abcdef");
    snprintf(u.owner, sizeof u.owner, "user_1");
    snprintf(u.key, sizeof u.key, "uploads/x");
    snprintf(u.metadata, sizeof u.metadata, "filename YQ==");
    char buf[8192];
    int n = tus_record_encode(&u, buf, sizeof buf);
    assert_true(n > 0);
    struct tus_upload back;
    assert_int_equal(tus_record_decode(buf, (size_t)n, &back), 0);
    assert_string_equal(back.id, u.id);
    assert_string_equal(back.owner, u.owner);
    assert_string_equal(back.key, u.key);
    assert_string_equal(back.metadata, u.metadata);
    assert_string_equal(back.sha256, "");
    assert_int_equal(back.length, 100);
    assert_int_equal(back.offset, 40);
    assert_int_equal(back.created, 5);
    assert_int_equal(back.expires, 9);
    assert_int_equal(back.complete, 0);
    assert_int_equal(tus_record_encode(&u, buf, 20), RR_ERR_TOOBIG);
    assert_int_equal(tus_record_decode(NULL, 0, &back), RR_ERR_INVAL);

    static const char *const good_prefix = "{\"v\":1,\"id\":\"0123456789abcdef0123456789abcdef\","
                                           "\"owner\":\"o\",\"key\":\"k\",";
    static const struct {
        const char *tail;
        int ok;
    } cases[] = {
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\"}",
         1},
        {" \"length\" : 1 , \"offset\":1,\"created\":0,\"expires\":0,\"complete\":1,"
         "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
         "\"metadata\":\"\"}\n",
         1},
        {"\"length\":1,\"offset\":2,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\"}",
         0}, /* offset > length */
        {"\"length\":-1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\"}",
         0},
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":1,\"sha256\":\"\","
         "\"metadata\":\"\"}",
         0}, /* complete without a hash */
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":2,\"sha256\":\"\","
         "\"metadata\":\"\"}",
         0},
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"a,,b\"}",
         0},
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"a\\\"\"}",
         0}, /* escapes */
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\"}",
         0}, /* missing field */
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\",\"extra\":1}",
         0},
        {"\"length\":1,\"length\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\"}",
         0}, /* duplicate */
        {"\"length\":\"1\",\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,"
         "\"sha256\":\"\",\"metadata\":\"\"}",
         0}, /* wrong type */
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\"} trailing",
         0},
        {"\"length\":123456789012345678901,\"offset\":0,\"created\":0,\"expires\":0,"
         "\"complete\":0,\"sha256\":\"\",\"metadata\":\"\"}",
         0},
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\"",
         0}, /* truncated */
        {"\"length\":1 \"offset\":0}", 0},
        {"\"length\" 1}", 0},
        {"\"unterminated", 0},
        {"\"length\":1,\"offset\":0,\"created\":0,\"expires\":0,\"complete\":0,\"sha256\":\"\","
         "\"metadata\":\"\xc3\xa9\"}",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char doc[1024];
        int len = snprintf(doc, sizeof doc, "%s%s", good_prefix, cases[i].tail);
        int rc = tus_record_decode(doc, (size_t)len, &back);
        if ((rc == 0) != cases[i].ok)
            fail_msg("record case %zu: rc %d, want ok=%d", i, rc, cases[i].ok);
        if (!cases[i].ok)
            assert_int_equal(rc, RR_ERR_CORRUPT);
    }
    assert_int_equal(tus_record_decode("[]", 2, &back), RR_ERR_CORRUPT);
    assert_int_equal(tus_record_decode("{}", 2, &back), RR_ERR_CORRUPT);
    assert_int_equal(tus_record_decode("", 0, &back), RR_ERR_CORRUPT);
    /* Bad ids, owners, keys. */
    static const char *const bad_heads[] = {
        "{\"v\":2,\"id\":\"0123456789abcdef0123456789abcdef\",\"owner\":\"o\",\"key\":\"k\",",
        "{\"v\":1,\"id\":\"0123\",\"owner\":\"o\",\"key\":\"k\",",
        "{\"v\":1,\"id\":\"0123456789abcdef0123456789abcdef\",\"owner\":\"o o\",\"key\":\"k\",",
        "{\"v\":1,\"id\":\"0123456789abcdef0123456789abcdef\",\"owner\":\"o\",\"key\":\"../k\",",
    };
    for (size_t i = 0; i < sizeof bad_heads / sizeof bad_heads[0]; i++) {
        char doc[1024];
        int len = snprintf(doc, sizeof doc, "%s%s", bad_heads[i], cases[0].tail);
        assert_int_equal(tus_record_decode(doc, (size_t)len, &back), RR_ERR_CORRUPT);
    }

    /* A sidecar that names another id, or is oversized, is corrupt. */
    struct tus *t = open_tus(0, 0);
    struct tus_upload v;
    create_upload(t, "u", 10, NULL, &v);
    assert_int_equal(tus_record_load(t, v.id, &back), 0);
    assert_string_equal(back.id, v.id);
    char other[800];
    snprintf(other, sizeof other, "%s/ffffffffffffffffffffffffffffffff.json", up_dir);
    char mine[800];
    snprintf(mine, sizeof mine, "%s/%s.json", up_dir, v.id);
    assert_int_equal(link(mine, other), 0);
    assert_int_equal(tus_record_load(t, "ffffffffffffffffffffffffffffffff", &back), RR_ERR_CORRUPT);
    unlink(other);
    int fd = open(other, O_WRONLY | O_CREAT, 0600);
    static char big[TUS_METADATA_MAX + 2048];
    memset(big, ' ', sizeof big);
    assert_int_equal(write(fd, big, sizeof big), (ssize_t)sizeof big);
    close(fd);
    assert_int_equal(tus_record_load(t, "ffffffffffffffffffffffffffffffff", &back), RR_ERR_CORRUPT);
    unlink(other);
    assert_int_equal(tus_record_load(t, "nope", &back), RR_ERR_NOTFOUND);
    /* A corrupt record answers 500, not 404. */
    fd = open(mine, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "{", 1), 1);
    close(fd);
    struct tus_reply r;
    struct tus_headers h = base_headers();
    assert_int_equal(tus_head(t, "u", v.id, &h, &r, NULL), RR_ERR_CORRUPT);
    assert_int_equal(r.status, 500);
    tus_close(t);
}

static void tus__metadata_get_decodes_values(void **state)
{
    (void)state;
    const char *raw = "filename d29ybGQ=, empty,bin AAEC/w==,unpadded YWI";
    unsigned char out[16];
    size_t len = 99;
    assert_int_equal(tus_metadata_get(raw, "filename", out, sizeof out, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "world", 5);
    assert_int_equal(tus_metadata_get(raw, "empty", out, sizeof out, &len), 0);
    assert_int_equal(len, 0);
    assert_int_equal(tus_metadata_get(raw, "bin", out, sizeof out, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "\x00\x01\x02\xff", 4);
    assert_int_equal(tus_metadata_get(raw, "unpadded", out, sizeof out, &len), 0);
    assert_memory_equal(out, "ab", 2);
    assert_int_equal(tus_metadata_get(raw, "missing", out, sizeof out, &len), RR_ERR_NOTFOUND);
    assert_int_equal(tus_metadata_get(raw, "filename", out, 2, &len), RR_ERR_TOOBIG);
    assert_int_equal(tus_metadata_get("a,a", "a", out, sizeof out, &len), RR_ERR_INVAL);
    assert_int_equal(tus_metadata_get(NULL, "a", out, sizeof out, &len), RR_ERR_INVAL);
}

static void tus__finishing_recovers_after_a_crash(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    unsigned char data[5000];
    fill_pattern(data, sizeof data, 3);
    char want[65];
    sha_hex(data, sizeof data, want);
    struct tus_reply r;
    struct tus_headers h = base_headers();

    /* Crash after the part moved into the blob store, before the record said complete. */
    struct tus_upload u, got;
    create_upload(t, "u", sizeof data, NULL, &u);
    assert_int_equal(patch(t, "u", u.id, 0, data, sizeof data, &r, &got), 204);
    assert_true(got.complete);
    got.complete = 0;
    got.sha256[0] = '\0';
    assert_int_equal(tus_record_save(t, &got), 0);
    assert_int_equal(tus_head(t, "u", u.id, &h, &r, &got), 0);
    assert_true(got.complete);
    assert_string_equal(got.sha256, want);
    assert_int_equal(tus_record_load(t, u.id, &got), 0);
    assert_true(got.complete); /* repaired on disk too */
    /* The same crash found by a PATCH instead of a HEAD. */
    got.complete = 0;
    got.sha256[0] = '\0';
    assert_int_equal(tus_record_save(t, &got), 0);
    assert_int_equal(patch(t, "u", u.id, sizeof data, NULL, 0, &r, NULL), 409);
    assert_int_equal(tus_record_load(t, u.id, &got), 0);
    assert_true(got.complete);
    assert_string_equal(got.sha256, want);

    /* Crash after the last byte was durable, before the move: a PATCH finishes it. */
    create_upload(t, "u", sizeof data, NULL, &u);
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    int fd = open(pp, O_WRONLY);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    u.offset = sizeof data;
    assert_int_equal(tus_record_save(t, &u), 0);
    assert_int_equal(patch(t, "u", u.id, sizeof data, NULL, 0, &r, NULL), 409);
    assert_string_equal(r.reason, "upload is already complete");
    assert_int_equal(tus_record_load(t, u.id, &got), 0);
    assert_true(got.complete);
    assert_string_equal(got.sha256, want);

    /* Same, found by HEAD. */
    create_upload(t, "u", sizeof data, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    fd = open(pp, O_WRONLY);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    u.offset = sizeof data;
    assert_int_equal(tus_record_save(t, &u), 0);
    assert_int_equal(tus_head(t, "u", u.id, &h, &r, &got), 0);
    assert_true(got.complete);
    assert_string_equal(got.sha256, want);

    /* Moved but then the blob vanished: not found, never success. */
    create_upload(t, "u", 10, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    unlink(pp);
    u.offset = 10;
    assert_int_equal(tus_record_save(t, &u), 0);
    assert_int_equal(tus_head(t, "u", u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 404);
    /* And a part that vanished mid-upload. */
    create_upload(t, "u", 10, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    unlink(pp);
    assert_int_equal(patch(t, "u", u.id, 0, data, 5, &r, NULL), 404);
    tus_close(t);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &resident), 2);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void tus__memory_stays_bounded_for_a_200_mb_upload(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    const int64_t total = 200LL << 20;
    enum { CHUNK = 64 * 1024 };
    static unsigned char buf[CHUNK];
    struct tus_upload u, done;
    struct tus_reply r;
    create_upload(t, "u", total, NULL, &u);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    long base = rss_kb(), peak = base;
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    struct tus_patch *p = NULL;
    assert_int_equal(tus_patch_begin(t, "u", u.id, &h, &r, &p), 0);
    for (int64_t off = 0; off < total; off += CHUNK) {
        memset(buf, (int)(off / CHUNK), CHUNK);
        buf[0] = (unsigned char)(off >> 24);
        crypto_hash_sha256_update(&sha, buf, CHUNK);
        assert_int_equal(tus_patch_chunk(p, buf, CHUNK), 0);
        if ((off & ((16 << 20) - 1)) == 0) {
            long now = rss_kb();
            peak = now > peak ? now : peak;
        }
    }
    assert_int_equal(tus_patch_end(p, &r, &done), 0);
    long after = rss_kb();
    peak = after > peak ? after : peak;
    unsigned char digest[32];
    char want[65];
    crypto_hash_sha256_final(&sha, digest);
    blob_sha256_hex(digest, want);
    assert_true(done.complete);
    assert_int_equal(done.length, total);
    assert_string_equal(done.sha256, want);
    print_message("200 MB upload: RSS %ld KiB before, peak %ld KiB (+%ld KiB)\n", base, peak,
                  peak - base);
    assert_true(peak - base < 16 * 1024);
    assert_int_equal(blob_delete(store, done.key), 0);
    tus_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tus__memory_stays_bounded_for_a_200_mb_upload),
        cmocka_unit_test(tus__options_advertise_version_extensions_and_max_size),
        cmocka_unit_test(tus__create_then_three_patches_completes_with_the_right_sha256),
        cmocka_unit_test(tus__wrong_offset_is_a_conflict),
        cmocka_unit_test(tus__validates_headers_from_a_table),
        cmocka_unit_test(tus__interrupted_patch_reports_durable_offset_and_resumes),
        cmocka_unit_test(tus__killed_patch_resumes_from_the_last_checkpoint),
        cmocka_unit_test(tus__second_patch_on_the_same_upload_is_locked),
        cmocka_unit_test(tus__delete_terminates_an_upload),
        cmocka_unit_test(tus__zero_length_upload_completes_at_creation),
        cmocka_unit_test(tus__expired_uploads_answer_410_and_are_swept),
        cmocka_unit_test(tus__record_round_trips_and_rejects_corruption),
        cmocka_unit_test(tus__metadata_get_decodes_values),
        cmocka_unit_test(tus__finishing_recovers_after_a_crash),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
