/*
 * test_tus.c - tus 1.0 resumable uploads over the local blob store: the create -> PATCH -> done
 * flow and its SHA-256, offset conflicts, header validation tables, interrupted and crashed
 * PATCHes resuming from the durable offset, the offset's compare-and-set, locking, termination,
 * expiry and sweeping (explicit and from tus_create), rows a crash or another writer left,
 * crash recovery while finishing, and bounded memory for a 200 MB upload. Records live in a
 * real SQLite store; crash states are written into it with SQL.
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
#include <sqlite3.h>

#include "base/rr_error.h"
#include "blob/blob.h"
#include "blob/tus.h"
#include "store/store.h"

static char root[256];
static char blob_dir[400];
static char up_dir[400];
static char db_path[400];
static struct blob *store;
static struct store *db;
static char U[STORE_ID_LEN + 1];     /* the uploading user */
static char OTHER[STORE_ID_LEN + 1]; /* someone else */
static int64_t fake_now = 1700000000; /* seconds */

static int64_t clock_fake(void *ctx)
{
    (void)ctx;
    return fake_now * 1000;
}

/* Run SQL against the database file with a connection of its own: how the tests put a row into
 * the state a crash or an older version would leave. */
static void db_exec(const char *sql)
{
    sqlite3 *h = NULL;
    char *err = NULL;
    assert_int_equal(sqlite3_open(db_path, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
    sqlite3_close(h);
}

/* UPDATE uploads SET <set> WHERE id = <id>. */
static void row_set(const char *id, const char *set)
{
    char sql[512];
    snprintf(sql, sizeof sql, "UPDATE uploads SET %s WHERE id = '%s'", set, id);
    db_exec(sql);
}

static struct store_upload row_of(const char *id)
{
    struct store_upload r;
    assert_int_equal(store_upload_get(db, NULL, id, &r), 0);
    return r;
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
    char url[500], msg[256];
    struct store_user a, b;
    snprintf(root, sizeof root, "/tmp/rr_test_tus_XXXXXX");
    if (!mkdtemp(root) || sodium_init() < 0)
        return -1;
    snprintf(blob_dir, sizeof blob_dir, "%s/blobs", root);
    snprintf(up_dir, sizeof up_dir, "%s/blobs/uploads", root);
    snprintf(db_path, sizeof db_path, "%s/db.sqlite", root);
    snprintf(url, sizeof url, "sqlite:%s", db_path);
    if (store_open(url, &db, msg, sizeof msg) < 0 || store_migrate(db, NULL, msg, sizeof msg) < 0)
        return -1;
    store_set_clock(db, clock_fake, NULL);
    if (store_user_create(db, "up@example.com", "h", "user", &a) < 0 ||
        store_user_create(db, "other@example.com", "h", "user", &b) < 0)
        return -1;
    memcpy(U, a.id, sizeof U);
    memcpy(OTHER, b.id, sizeof OTHER);
    snprintf(url, sizeof url, "file:%s", blob_dir);
    return blob_open(url, NULL, &store);
}

static int group_teardown(void **state)
{
    (void)state;
    blob_close(store);
    store_close(db);
    rm_tree(root);
    return 0;
}

static struct tus *open_tus_in(const char *dir, int64_t max, int64_t checkpoint)
{
    struct tus_config cfg = {.store = db,
                             .dir = dir,
                             .max_size = max,
                             .checkpoint_bytes = checkpoint,
                             .sweep_seconds = -1};
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
    /* The store's clock (here the real one), and an expiry clamped to ten years. */
    store_set_clock(db, NULL, NULL);
    struct tus_config cfg = {
        .store = db, .dir = up_dir, .expire_seconds = INT64_MAX, .sweep_seconds = -1};
    assert_int_equal(tus_open(store, &cfg, &t), 0);
    struct tus_upload u;
    struct tus_headers h = base_headers();
    h.upload_length = "5";
    assert_int_equal(tus_create(t, U, &h, &r, &u), 0);
    int64_t now = (int64_t)time(NULL);
    store_set_clock(db, clock_fake, NULL);
    /* time() is the coarse clock (up to a tick behind CLOCK_REALTIME, which the store reads):
     * just after a second boundary the row can be a second ahead of it */
    assert_true(u.created >= now - 5 && u.created <= now + 1);
    assert_int_equal(u.expires - u.created, 3650LL * 24 * 3600);
    /* Dates past what an HTTP-date can say are clamped to the year 9999. */
    row_set(u.id, "expires_at = 9223372036854775807");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), 0);
    assert_string_equal(hdr(&r, "Upload-Expires"), "Fri, 31 Dec 9999 23:59:59 GMT");
    assert_int_equal(tus_delete(t, U, u.id, &h, &r), 0);
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
    create_upload(t, U, LEN, "filename c3F1YXQubXA0,filetype dmlkZW8vbXA0", &u);
    assert_int_equal(strlen(u.id), TUS_ID_LEN);
    assert_int_equal(u.offset, 0);
    assert_int_equal(u.length, LEN);
    assert_int_equal(u.expires, fake_now + TUS_DEFAULT_EXPIRE_SECONDS);
    char key[300];
    snprintf(key, sizeof key, "uploads/%s", u.id);
    assert_string_equal(u.key, key);

    struct tus_reply r;
    struct tus_headers h = base_headers();
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), 0);
    assert_string_equal(hdr(&r, "Upload-Offset"), "0");
    assert_string_equal(hdr(&r, "Upload-Length"), "30000");
    assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
    assert_string_equal(hdr(&r, "Upload-Metadata"), "filename c3F1YXQubXA0,filetype dmlkZW8vbXA0");
    assert_string_equal(hdr(&r, "Upload-Expires"), "Wed, 15 Nov 2023 22:13:20 GMT");

    struct tus_upload done;
    assert_int_equal(patch(t, U, u.id, 0, data, 10000, &r, &done), 204);
    assert_string_equal(hdr(&r, "Upload-Offset"), "10000");
    assert_non_null(hdr(&r, "Upload-Expires"));
    assert_int_equal(patch(t, U, u.id, 10000, data + 10000, 10000, &r, &done), 204);
    assert_false(done.complete);
    assert_int_equal(head_offset(t, U, u.id), 20000);
    assert_int_equal(patch(t, U, u.id, 20000, data + 20000, 10000, &r, &done), 204);
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
    assert_int_equal(tus_head(t, U, u.id, &h, &r, &again), 0);
    assert_string_equal(hdr(&r, "Upload-Offset"), "30000");
    assert_null(hdr(&r, "Upload-Expires"));
    assert_true(again.complete);
    assert_string_equal(again.sha256, want);
    /* Nothing more can be appended. */
    assert_int_equal(patch(t, U, u.id, 30000, data, 1, &r, NULL), 409);
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
    create_upload(t, U, 100, NULL, &u);
    assert_int_equal(patch(t, U, u.id, 5, data, 10, &r, NULL), 409);
    assert_int_equal(r.err, RR_ERR_CONFLICT);
    assert_string_equal(hdr(&r, "Upload-Offset"), "0");
    assert_int_equal(patch(t, U, u.id, 0, data, 40, &r, NULL), 204);
    assert_int_equal(patch(t, U, u.id, 0, data, 40, &r, NULL), 409); /* replayed */
    assert_int_equal(patch(t, U, u.id, 41, data, 10, &r, NULL), 409);
    assert_string_equal(hdr(&r, "Upload-Offset"), "40");
    assert_int_equal(head_offset(t, U, u.id), 40);
    /* More bytes than Upload-Length: 413, the fitting prefix is not taken. */
    assert_int_equal(patch(t, U, u.id, 40, data, 61, &r, NULL), 413);
    assert_int_equal(r.err, RR_ERR_TOOBIG);
    assert_int_equal(head_offset(t, U, u.id), 40);
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
        int rc = tus_create(t, U, &h, &r, NULL);
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
    assert_int_equal(tus_create(t, U, &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(r.status, 400);
    /* Owners come from the auth layer; a bad one is refused. */
    h.upload_metadata = NULL;
    assert_int_equal(tus_create(t, "bad owner", &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(tus_create(t, NULL, &h, &r, NULL), RR_ERR_INVAL);
    char ghost[STORE_ID_LEN + 1]; /* well-formed, but no such user */
    store_new_id(ghost);
    assert_int_equal(tus_create(t, ghost, &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(r.status, 400);

    /* PATCH headers. */
    struct tus_upload u;
    create_upload(t, U, 100, NULL, &u);
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
        int rc = tus_patch_begin(t, U, u.id, &ph, &r, &p);
        if (r.status != patch_cases[i].status)
            fail_msg("patch case %zu: status %d, want %d", i, r.status, patch_cases[i].status);
        if (rc == 0) {
            assert_non_null(p);
            assert_int_equal(tus_patch_end(p, &r, NULL), 0);
        } else {
            assert_null(p);
        }
    }
    assert_int_equal(tus_patch_begin(t, U, u.id, &h, &r, NULL), RR_ERR_INVAL);
    assert_int_equal(tus_patch_chunk(NULL, "x", 1), RR_ERR_INVAL);
    assert_int_equal(tus_patch_end(NULL, &r, NULL), RR_ERR_INVAL);

    /* Ids: unknown, malformed, someone else's: all 404. */
    static const char *const bad_ids[] = {"00000000000000000000000000000000", "../../etc/passwd",
                                          "", "0123456789ABCDEF0123456789ABCDEF", NULL};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        assert_int_equal(tus_head(t, U, bad_ids[i], &h, &r, NULL), RR_ERR_NOTFOUND);
        assert_int_equal(r.status, 404);
    }
    assert_int_equal(tus_head(t, OTHER, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 404);
    assert_int_equal(tus_head(t, NULL, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(tus_delete(t, OTHER, u.id, &h, &r), RR_ERR_NOTFOUND);
    struct tus_headers no_version = {0};
    assert_int_equal(tus_head(t, U, u.id, &no_version, &r, NULL), RR_ERR_UNSUPPORTED);
    assert_int_equal(r.status, 412);
    assert_int_equal(tus_delete(t, U, u.id, &no_version, &r), RR_ERR_UNSUPPORTED);
    /* A row that breaks the record's rules (written by something else) is a 500, not a 404. */
    row_set(u.id, "upload_offset = length + 1");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_CORRUPT);
    assert_int_equal(r.status, 500);
    row_set(u.id, "upload_offset = 0, blob_key = '../x'");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_CORRUPT);
    row_set(u.id, "blob_key = 'uploads/x', complete = 1, sha256 = ''");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_CORRUPT);
    assert_int_equal(tus_delete(t, U, u.id, &h, &r), RR_ERR_CORRUPT);
    row_set(u.id, "complete = 0");
    assert_int_equal(tus_delete(t, U, u.id, &h, &r), 0);
    tus_close(t);

    /* Configuration. */
    struct tus *bad = NULL;
    struct tus_config cfg = {.dir = up_dir};
    assert_int_equal(tus_open(store, &cfg, &bad), RR_ERR_INVAL); /* no store */
    cfg.store = db;
    cfg.key_prefix = "Bad/";
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
    create_upload(t, U, LEN, NULL, &u);

    /* The client goes away after 3000 of 20000 bytes: the HTTP layer still calls end. */
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    h.content_length = "20000";
    struct tus_patch *p = NULL;
    assert_int_equal(tus_patch_begin(t, U, u.id, &h, &r, &p), 0);
    assert_int_equal(tus_patch_chunk(p, data, 1000), 0);
    assert_int_equal(tus_patch_chunk(p, data + 1000, 2000), 0);
    tus_patch_end(p, &r, &done);
    assert_int_equal(done.offset, 3000);
    assert_int_equal(head_offset(t, U, u.id), 3000);

    /* A crash leaves unacknowledged bytes past the durable offset: HEAD ignores them and the
     * next PATCH cuts them off. */
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    int fd = open(pp, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "GARBAGE-GARBAGE", 15), 15);
    close(fd);
    assert_int_equal(head_offset(t, U, u.id), 3000);
    assert_int_equal(patch(t, U, u.id, 3015, data + 3015, 100, &r, NULL), 409);
    struct stat st;
    assert_int_equal(stat(pp, &st), 0);
    assert_int_equal(st.st_size, 3000);

    /* Resume from HEAD's offset and finish. */
    int64_t off = head_offset(t, U, u.id);
    assert_int_equal(patch(t, U, u.id, off, data + off, (size_t)(LEN - off), &r, &done), 204);
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
    create_upload(t, U, LEN, NULL, &u);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Another process: its own database connection and tus, the same files. */
        char url[500];
        struct store *mine = NULL;
        snprintf(url, sizeof url, "sqlite:%s", db_path);
        if (store_open(url, &mine, NULL, 0) < 0)
            _exit(4);
        store_set_clock(mine, clock_fake, NULL);
        struct tus_config cfg = {
            .store = mine, .dir = up_dir, .checkpoint_bytes = 4096, .sweep_seconds = -1};
        struct tus *tc = NULL;
        if (tus_open(store, &cfg, &tc) < 0)
            _exit(5);
        struct tus_headers h = base_headers();
        h.upload_offset = "0";
        h.content_type = "application/offset+octet-stream";
        struct tus_patch *p = NULL;
        if (tus_patch_begin(tc, U, u.id, &h, &r, &p) < 0)
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
    assert_int_equal(head_offset(t, U, u.id), 5000); /* checkpoint after 5 chunks */
    assert_int_equal(patch(t, U, u.id, 9000, data + 9000, 3000, &r, NULL), 409);
    assert_int_equal(patch(t, U, u.id, 5000, data + 5000, LEN - 5000, &r, &done), 204);
    assert_true(done.complete);
    assert_string_equal(done.sha256, want);

    /* Lost data (part shorter than the record): report what is really there. */
    struct tus_upload v;
    create_upload(t, U, 100, NULL, &v);
    assert_int_equal(patch(t, U, v.id, 0, data, 60, &r, NULL), 204);
    part_path(v.id, pp, sizeof pp);
    assert_int_equal(truncate(pp, 25), 0);
    assert_int_equal(head_offset(t, U, v.id), 25);
    assert_int_equal(patch(t, U, v.id, 60, data + 60, 40, &r, NULL), 409);
    assert_int_equal(patch(t, U, v.id, 25, data + 25, 75, &r, &done), 204);
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
    create_upload(t, U, 10, NULL, &u);
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    struct tus_patch *p1 = NULL, *p2 = NULL;
    assert_int_equal(tus_patch_begin(t, U, u.id, &h, &r, &p1), 0);
    assert_int_equal(tus_patch_chunk(p1, "01234", 5), 0);
    assert_int_equal(tus_patch_begin(t, U, u.id, &h, &r2, &p2), RR_ERR_BUSY);
    assert_int_equal(r2.status, 423);
    assert_int_equal(tus_delete(t, U, u.id, &h, &r2), RR_ERR_BUSY);
    /* HEAD works meanwhile and reports only the durable offset. */
    assert_int_equal(head_offset(t, U, u.id), 0);
    assert_int_equal(tus_patch_chunk(p1, "56789X", 6), RR_ERR_TOOBIG);
    assert_int_equal(tus_patch_chunk(p1, "5", 1), RR_ERR_TOOBIG); /* sticky */
    assert_int_equal(tus_patch_end(p1, &r, NULL), RR_ERR_TOOBIG);
    assert_int_equal(r.status, 413);
    assert_string_equal(hdr(&r, "Upload-Offset"), "5");
    assert_int_equal(head_offset(t, U, u.id), 5);
    tus_close(t);
}

static void tus__delete_terminates_an_upload(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    struct tus_upload u;
    struct tus_reply r;
    create_upload(t, U, 10, NULL, &u);
    assert_int_equal(patch(t, U, u.id, 0, (const unsigned char *)"abc", 3, &r, NULL), 204);
    struct tus_headers h = base_headers();
    assert_int_equal(tus_delete(t, U, u.id, &h, &r), 0);
    assert_int_equal(r.status, 204);
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    assert_int_equal(access(pp, F_OK), -1);
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(tus_delete(t, U, u.id, &h, &r), RR_ERR_NOTFOUND);
    /* Deleting a finished upload drops the record; the blob stays for its database row. */
    create_upload(t, U, 3, NULL, &u);
    struct tus_upload done;
    assert_int_equal(patch(t, U, u.id, 0, (const unsigned char *)"abc", 3, &r, &done), 204);
    assert_true(done.complete);
    assert_int_equal(tus_delete(t, U, u.id, &h, &r), 0);
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
    create_upload(t, U, 0, NULL, &u);
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
    db_exec("DELETE FROM uploads"); /* what earlier tests left would expire along */
    create_upload(t, U, 10, NULL, &u);
    fake_now += 3600;
    create_upload(t, U, 10, NULL, &keep);
    create_upload(t, U, 1, NULL, &done);
    assert_int_equal(patch(t, U, done.id, 0, (const unsigned char *)"x", 1, &r, NULL), 204);
    /* An upload with a PATCH in progress is not swept even when its time is up. */
    struct tus_upload busy;
    create_upload(t, U, 10, NULL, &busy);
    struct tus_headers ph = base_headers();
    ph.upload_offset = "0";
    ph.content_type = "application/offset+octet-stream";
    struct tus_patch *inflight = NULL;
    assert_int_equal(tus_patch_begin(t, U, busy.id, &ph, &r, &inflight), 0);
    fake_now += TUS_DEFAULT_EXPIRE_SECONDS - 1800; /* u expired, keep not */
    struct tus_headers h = base_headers();
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 410);
    assert_int_equal(patch(t, U, u.id, 0, (const unsigned char *)"x", 1, &r, NULL), 410);
    assert_int_equal(head_offset(t, U, keep.id), 0);

    /* Leftovers: an old part without a row, and side files of the earlier file-based records
     * (a record and a temp of one); a young part without a row stays (its row may be coming). */
    char p[800];
    struct timespec old[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
    static const char *const leftovers[] = {"0123456789abcdef0123456789abcdef.part",
                                            "fedcba9876543210fedcba9876543210.json",
                                            "fedcba9876543210fedcba9876543210.json.0011.tmp"};
    for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, leftovers[i]);
        int fd = open(p, O_WRONLY | O_CREAT, 0600);
        assert_int_equal(write(fd, "{oops", 5), 5);
        close(fd);
        assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    }
    snprintf(p, sizeof p, "%s/00000000000000000000000000000001.part", dir);
    close(open(p, O_WRONLY | O_CREAT, 0600));

    /* A live upload whose part has not been touched for long stays. */
    snprintf(p, sizeof p, "%s/%s.part", dir, keep.id);
    assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
    fake_now += 24 * 3600; /* busy expired too, but its PATCH holds the lock */
    char set[128];
    snprintf(set, sizeof set, "expires_at = %lld", (long long)(fake_now + 100) * 1000);
    row_set(keep.id, set);
    row_set(done.id, set);
    int removed = tus_sweep_expired(t);
    assert_int_equal(removed, 1); /* the expired upload */
    snprintf(p, sizeof p, "%s/%s.part", dir, keep.id);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(tus_patch_end(inflight, &r, NULL), 0);
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 404);
    assert_int_equal(head_offset(t, U, keep.id), 0);
    assert_int_equal(head_offset(t, U, done.id), 1); /* complete: not expired yet */
    for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, leftovers[i]);
        assert_int_equal(access(p, F_OK), -1);
    }
    snprintf(p, sizeof p, "%s/00000000000000000000000000000001.part", dir);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/%s.part", dir, u.id);
    assert_int_equal(access(p, F_OK), -1); /* the expired upload's part went with its row */
    /* Expired and finished: the record goes, the blob stays. */
    fake_now += 2 * TUS_DEFAULT_EXPIRE_SECONDS;
    assert_true(tus_sweep_expired(t) >= 2);
    assert_int_equal(tus_head(t, U, done.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    struct blob_info info;
    assert_int_equal(blob_stat(store, done.key, &info), 0);
    tus_close(t);
}

static void tus__offset_moves_by_compare_and_set_only(void **state)
{
    (void)state;
    struct tus *t = open_tus(0, 0);
    unsigned char data[100];
    fill_pattern(data, sizeof data, 11);
    char want[65];
    sha_hex(data, sizeof data, want);
    struct tus_upload u, done;
    struct tus_reply r;
    create_upload(t, U, sizeof data, NULL, &u);
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    struct tus_patch *p = NULL;
    assert_int_equal(tus_patch_begin(t, U, u.id, &h, &r, &p), 0);
    assert_int_equal(tus_patch_chunk(p, data, 30), 0);
    /* Someone else moved the row meanwhile (a writer that ignored the lock): this PATCH may
     * not record its bytes on top. */
    assert_int_equal(store_upload_set_offset(db, u.id, 0, 10), 0);
    assert_int_equal(tus_patch_end(p, &r, &done), RR_ERR_CONFLICT);
    assert_int_equal(r.status, 409);
    assert_string_equal(hdr(&r, "Upload-Offset"), "0");
    assert_int_equal(row_of(u.id).offset, 10);
    /* The next PATCH continues from the row: the 20 unrecorded bytes are cut off. */
    assert_int_equal(head_offset(t, U, u.id), 10);
    assert_int_equal(patch(t, U, u.id, 10, data + 10, 90, &r, &done), 204);
    assert_true(done.complete);
    assert_string_equal(done.sha256, want);
    tus_close(t);
}

static void tus__create_sweeps_expired_uploads_now_and_then(void **state)
{
    (void)state;
    char dir[500];
    snprintf(dir, sizeof dir, "%s/uploads-lazy", blob_dir);
    struct tus_config cfg = {
        .store = db, .dir = dir, .expire_seconds = 100, .sweep_seconds = 60};
    struct tus *t = NULL;
    assert_int_equal(tus_open(store, &cfg, &t), 0);
    db_exec("DELETE FROM uploads");
    struct tus_upload a, b, c;
    struct tus_reply r;
    struct tus_headers h = base_headers();
    create_upload(t, U, 10, NULL, &a); /* the first create sweeps: nothing to do */
    fake_now += 30;
    create_upload(t, U, 10, NULL, &b);
    fake_now += 90; /* a expired, b not; a sweep is due */
    create_upload(t, U, 10, NULL, &c);
    struct store_upload row;
    assert_int_equal(store_upload_get(db, NULL, a.id, &row), RR_ERR_NOTFOUND);
    char p[800];
    snprintf(p, sizeof p, "%s/%s.part", dir, a.id);
    assert_int_equal(access(p, F_OK), -1);
    fake_now += 10; /* b expired now, but the next sweep is not due yet */
    create_upload(t, U, 10, NULL, &c);
    assert_int_equal(tus_head(t, U, b.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 410);
    assert_int_equal(row_of(b.id).length, 10);
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

    /* Crash after the part moved into the blob store, before the row said complete. */
    struct tus_upload u, got;
    create_upload(t, U, sizeof data, NULL, &u);
    assert_int_equal(patch(t, U, u.id, 0, data, sizeof data, &r, &got), 204);
    assert_true(got.complete);
    row_set(u.id, "complete = 0, sha256 = ''");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, &got), 0);
    assert_true(got.complete);
    assert_string_equal(got.sha256, want);
    assert_true(row_of(u.id).complete); /* repaired in the store too */
    assert_string_equal(row_of(u.id).sha256, want);
    /* The same crash found by a PATCH instead of a HEAD. */
    row_set(u.id, "complete = 0, sha256 = ''");
    assert_int_equal(patch(t, U, u.id, sizeof data, NULL, 0, &r, NULL), 409);
    assert_true(row_of(u.id).complete);
    assert_string_equal(row_of(u.id).sha256, want);

    /* Crash after the last byte was durable and recorded, before the move: a PATCH finishes
     * it. */
    create_upload(t, U, sizeof data, NULL, &u);
    char pp[700];
    part_path(u.id, pp, sizeof pp);
    int fd = open(pp, O_WRONLY);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    row_set(u.id, "upload_offset = length");
    assert_int_equal(patch(t, U, u.id, sizeof data, NULL, 0, &r, NULL), 409);
    assert_string_equal(r.reason, "upload is already complete");
    assert_true(row_of(u.id).complete);
    assert_string_equal(row_of(u.id).sha256, want);

    /* Same, found by HEAD. */
    create_upload(t, U, sizeof data, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    fd = open(pp, O_WRONLY);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    row_set(u.id, "upload_offset = length");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, &got), 0);
    assert_true(got.complete);
    assert_string_equal(got.sha256, want);

    /* The blob already holds other bytes than the row's length: never complete. */
    create_upload(t, U, 7, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    unlink(pp);
    row_set(u.id, "upload_offset = length");
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(store, u.key, &w), 0);
    assert_int_equal(blob_writer_write(w, "abc", 3), 0);
    assert_int_equal(blob_writer_commit(w, NULL), 0);
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_CORRUPT);
    assert_int_equal(r.status, 500);
    assert_false(row_of(u.id).complete);

    /* Moved but then the blob vanished: not found, never success. */
    create_upload(t, U, 10, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    unlink(pp);
    row_set(u.id, "upload_offset = length");
    assert_int_equal(tus_head(t, U, u.id, &h, &r, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(r.status, 404);
    /* And a part that vanished mid-upload. */
    create_upload(t, U, 10, NULL, &u);
    part_path(u.id, pp, sizeof pp);
    unlink(pp);
    assert_int_equal(patch(t, U, u.id, 0, data, 5, &r, NULL), 404);
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
    create_upload(t, U, total, NULL, &u);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    long base = rss_kb(), peak = base;
    struct tus_headers h = base_headers();
    h.upload_offset = "0";
    h.content_type = "application/offset+octet-stream";
    struct tus_patch *p = NULL;
    assert_int_equal(tus_patch_begin(t, U, u.id, &h, &r, &p), 0);
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
        cmocka_unit_test(tus__offset_moves_by_compare_and_set_only),
        cmocka_unit_test(tus__create_sweeps_expired_uploads_now_and_then),
        cmocka_unit_test(tus__metadata_get_decodes_values),
        cmocka_unit_test(tus__finishing_recovers_after_a_crash),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
