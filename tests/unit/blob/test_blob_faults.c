/*
 * test_blob_faults.c - every failure point of the blob store and of tus, one at a time: for each
 * blob.* and store.* site and N = 1, 2, ... the Nth hit fails while an operation runs (SQLite's
 * faultsim loop), until an N the operation never reaches. Each failure must come back as a
 * clean error (tus: a 5xx reply) and leave nothing half-written:
 *   - a blob write either publishes the whole object or leaves the key as it was, and no temp;
 *   - a tus create that fails leaves no row, no part and no blob;
 *   - a tus upload that fails anywhere never records an offset ahead of the bytes on disk, the
 *     recorded prefix is the client's data, a complete row has a blob with the right SHA-256;
 *   - after the failure, the client's normal recovery (HEAD, PATCH from that offset) finishes the
 *     upload with the right SHA-256.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "blob/blob.h"
#include "blob/tus.h"
#include "store/store.h"

#define MAX_HITS 400
#define LEN 5000

static char root[128], blob_dir[192], up_dir[192], db_path[192];
static struct blob *bs;
static struct store *db;
static struct tus *tus;
static char U[STORE_ID_LEN + 1];
static unsigned char data[LEN];
static char want[65];

static const enum rr_fault_site all_sites[] = {
    RR_FAULT_BLOB_ALLOC,  RR_FAULT_BLOB_OPEN,   RR_FAULT_BLOB_WRITE,  RR_FAULT_BLOB_FSYNC,
    RR_FAULT_BLOB_RENAME, RR_FAULT_STORE_ALLOC, RR_FAULT_STORE_BEGIN, RR_FAULT_STORE_PREPARE,
    RR_FAULT_STORE_STEP,  RR_FAULT_STORE_COMMIT};

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            const struct dirent *e;
            while ((e = readdir(d)) != NULL) {
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

static int setup(void **state)
{
    (void)state;
    char url[256], msg[256];
    struct store_user u;
    snprintf(root, sizeof root, "/tmp/rr-blob-faults-XXXXXX");
    if (!mkdtemp(root) || sodium_init() < 0)
        return -1;
    snprintf(blob_dir, sizeof blob_dir, "%s/blobs", root);
    snprintf(up_dir, sizeof up_dir, "%s/blobs/uploads", root);
    snprintf(db_path, sizeof db_path, "%s/db.sqlite", root);
    snprintf(url, sizeof url, "sqlite:%s", db_path);
    if (store_open(url, &db, msg, sizeof msg) < 0 || store_migrate(db, NULL, msg, sizeof msg) < 0 ||
        store_user_create(db, "f@example.com", "h", "user", &u) < 0)
        return -1;
    memcpy(U, u.id, sizeof U);
    snprintf(url, sizeof url, "file:%s", blob_dir);
    if (blob_open(url, NULL, &bs) < 0)
        return -1;
    struct tus_config cfg = {
        .store = db, .dir = up_dir, .checkpoint_bytes = 1024, .sweep_seconds = -1};
    if (tus_open(bs, &cfg, &tus) < 0)
        return -1;
    for (size_t i = 0; i < LEN; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    unsigned char d[32];
    crypto_hash_sha256(d, data, LEN);
    blob_sha256_hex(d, want);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rr_fault_clear();
    tus_close(tus);
    blob_close(bs);
    store_close(db);
    rm_tree(root);
    return 0;
}

static void arm(enum rr_fault_site site, int nth)
{
    char spec[64];
    snprintf(spec, sizeof spec, "%s:%d", rr_fault_name(site), nth);
    assert_int_equal(rr_fault_set(spec), 0);
}

static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t a = strlen(e->d_name), b = strlen(suffix);
        if (e->d_name[0] != '.' && a >= b && strcmp(e->d_name + a - b, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static int64_t count_rows(void)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM uploads", -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* The SHA-256 of the object under key, or "" when there is none. */
static void blob_sha(const char *key, char out[65])
{
    struct blob_reader *r = NULL;
    unsigned char buf[8192], d[32];
    crypto_hash_sha256_state sha;
    out[0] = '\0';
    if (blob_get(bs, key, &r) < 0)
        return;
    crypto_hash_sha256_init(&sha);
    for (;;) {
        int64_t n = blob_reader_read(r, buf, sizeof buf);
        assert_true(n >= 0);
        if (n == 0)
            break;
        crypto_hash_sha256_update(&sha, buf, (unsigned long long)n);
    }
    crypto_hash_sha256_final(&sha, d);
    blob_sha256_hex(d, out);
    blob_reader_close(r);
}

/* ---- blob writer ------------------------------------------------------------------------------
 */

static void faults__a_blob_write_publishes_all_or_nothing(void **state)
{
    (void)state;
    char tmp_dir[256], old_sha[65];
    static const char key[] = "videos/f/original";
    snprintf(tmp_dir, sizeof tmp_dir, "%s/tmp", blob_dir);
    /* an earlier version under the key must survive every failed write */
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(bs, key, &w), 0);
    assert_int_equal(blob_writer_write(w, "old", 3), 0);
    assert_int_equal(blob_writer_commit(w, NULL), 0);
    blob_sha(key, old_sha);
    int injected = 0;
    for (size_t k = 0; k < sizeof all_sites / sizeof all_sites[0]; k++) {
        for (int nth = 1;; nth++) {
            assert_true(nth < MAX_HITS);
            struct blob_info info;
            arm(all_sites[k], nth);
            int rc = blob_writer_begin(bs, key, &w);
            for (size_t o = 0; rc == 0 && o < LEN; o += 1500)
                rc = blob_writer_write(w, data + o, LEN - o < 1500 ? LEN - o : 1500);
            if (w)
                rc = rc == 0 ? blob_writer_commit(w, &info) : (blob_writer_abort(w), rc);
            w = NULL;
            int fired = rr_fault_fired(all_sites[k]) > 0;
            rr_fault_clear();
            char now[65];
            blob_sha(key, now);
            assert_int_equal(count_files(tmp_dir, ".tmp"), 0);
            if (!fired) {
                assert_int_equal(rc, 0);
                assert_string_equal(now, want);
                assert_string_equal(info.sha256, want);
                break;
            }
            injected++;
            /* blob.write stands for ENOSPC: NOSPACE (HTTP 507) */
            if (rc != RR_ERR_IO && rc != RR_ERR_NOMEM && rc != RR_ERR_NOSPACE)
                fail_msg("%s:%d: rc %d", rr_fault_name(all_sites[k]), nth, rc);
            /* the old object, or nothing when the new one was published and its directory
             * fsync failed: never an object the failed caller does not know about */
            if (strcmp(now, old_sha) != 0 && now[0] != '\0')
                fail_msg("%s:%d: a failed commit left '%s'", rr_fault_name(all_sites[k]), nth,
                         now);
        }
        /* start each site from the old version again */
        assert_int_equal(blob_writer_begin(bs, key, &w), 0);
        assert_int_equal(blob_writer_write(w, "old", 3), 0);
        assert_int_equal(blob_writer_commit(w, NULL), 0);
        w = NULL;
    }
    print_message("blob writer: %d failures injected\n", injected);
    assert_true(injected >= 6);
}

/* ---- tus ------------------------------------------------------------------------------------- */

static struct tus_headers headers(void)
{
    struct tus_headers h = {.tus_resumable = "1.0.0",
                            .content_type = "application/offset+octet-stream"};
    return h;
}

/* One PATCH of data[from..to) in 1500-byte chunks; the reply's status. */
static int patch(const char *id, int64_t from, int64_t to, struct tus_reply *r,
                 struct tus_upload *u)
{
    char off[32];
    struct tus_headers h = headers();
    snprintf(off, sizeof off, "%lld", (long long)from);
    h.upload_offset = off;
    struct tus_patch *p = NULL;
    if (tus_patch_begin(tus, U, id, &h, r, &p) < 0)
        return r->status;
    for (int64_t o = from; o < to; o += 1500) {
        size_t n = (size_t)(to - o < 1500 ? to - o : 1500);
        if (tus_patch_chunk(p, data + o, n) < 0)
            break;
    }
    tus_patch_end(p, r, u);
    return r->status;
}

/* The store row and the part file agree with the client's data: never an offset ahead of the
 * bytes, the recorded prefix is the data's, a complete upload's blob is the data. */
static void assert_consistent(const char *id, const char *where)
{
    struct store_upload row;
    assert_int_equal(store_upload_get(db, NULL, id, &row), 0);
    if (row.complete) {
        char now[65];
        blob_sha(row.blob_key, now);
        if (strcmp(now, want) != 0 || strcmp(row.sha256, want) != 0)
            fail_msg("%s: complete but the blob is not the data", where);
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.part", up_dir, id);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        /* moved into the blob store, the row not yet complete: the blob must be whole */
        char now[65];
        blob_sha(row.blob_key, now);
        if (row.offset != LEN || strcmp(now, want) != 0)
            fail_msg("%s: no part, offset %lld, blob '%s'", where, (long long)row.offset, now);
        return;
    }
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    if (row.offset > st.st_size)
        fail_msg("%s: offset %lld ahead of the %lld bytes on disk", where, (long long)row.offset,
                 (long long)st.st_size);
    static unsigned char back[LEN];
    assert_int_equal(pread(fd, back, (size_t)row.offset, 0), row.offset);
    close(fd);
    if (memcmp(back, data, (size_t)row.offset) != 0)
        fail_msg("%s: the recorded prefix is not the client's data", where);
}

static void faults__tus_never_records_more_than_is_on_disk(void **state)
{
    (void)state;
    int injected = 0, created_failed = 0;
    for (size_t k = 0; k < sizeof all_sites / sizeof all_sites[0]; k++) {
        for (int nth = 1;; nth++) {
            assert_true(nth < MAX_HITS);
            char where[64];
            snprintf(where, sizeof where, "%s:%d", rr_fault_name(all_sites[k]), nth);
            int64_t rows = count_rows();
            int parts = count_files(up_dir, ".part");
            struct tus_reply r;
            struct tus_upload u, done;
            struct tus_headers h = headers();
            h.upload_length = "5000";
            memset(&u, 0, sizeof u);
            memset(&done, 0, sizeof done);

            arm(all_sites[k], nth);
            int rc = tus_create(tus, U, &h, &r, &u);
            int st = rc == 0 ? patch(u.id, 0, 2600, &r, &done) : r.status;
            if (st == 204)
                st = patch(u.id, 2600, LEN, &r, &done);
            if (st == 204) {
                h.upload_offset = NULL;
                rc = tus_head(tus, U, u.id, &h, &r, NULL);
                st = r.status;
            }
            int fired = rr_fault_fired(all_sites[k]) > 0;
            rr_fault_clear();
            if (fired) {
                injected++;
                if ((st < 500 || st > 503) && st != 507) /* 507: blob.write is ENOSPC */
                    fail_msg("%s: status %d after an injected failure", where, st);
            }
            if (rc != 0 && u.id[0] == '\0') {
                /* create failed: nothing of it stays */
                created_failed++;
                assert_true(fired);
                assert_int_equal(count_rows(), rows);
                assert_int_equal(count_files(up_dir, ".part"), parts);
                continue;
            }
            if (!fired) {
                assert_int_equal(st, 200);
                assert_true(done.complete);
                assert_string_equal(done.sha256, want);
                assert_consistent(u.id, where);
                break;
            }
            assert_consistent(u.id, where);
            /* The client's recovery: HEAD for the offset, PATCH the rest. */
            h.upload_offset = NULL;
            assert_int_equal(tus_head(tus, U, u.id, &h, &r, &done), 0);
            if (!done.complete) {
                int64_t off = done.offset;
                assert_int_equal(patch(u.id, off, LEN, &r, &done), 204);
            }
            assert_true(done.complete);
            assert_string_equal(done.sha256, want);
            assert_consistent(u.id, where);
        }
    }
    print_message("tus create/PATCH/PATCH/HEAD: %d failures injected (%d in create), every one "
                  "recovered\n",
                  injected, created_failed);
    assert_true(injected > 40);
    assert_true(created_failed > 5);
}

static void faults__a_failed_zero_length_create_leaves_no_blob(void **state)
{
    (void)state;
    char objects[256];
    snprintf(objects, sizeof objects, "%s/objects/uploads", blob_dir);
    int injected = 0;
    for (size_t k = 0; k < sizeof all_sites / sizeof all_sites[0]; k++) {
        for (int nth = 1;; nth++) {
            assert_true(nth < MAX_HITS);
            int64_t rows = count_rows();
            int blobs = count_files(objects, "");
            struct tus_reply r;
            struct tus_upload u;
            struct tus_headers h = headers();
            h.upload_length = "0";
            memset(&u, 0, sizeof u);
            arm(all_sites[k], nth);
            int rc = tus_create(tus, U, &h, &r, &u);
            int fired = rr_fault_fired(all_sites[k]) > 0;
            rr_fault_clear();
            if (!fired) {
                assert_int_equal(rc, 0);
                assert_true(u.complete);
                break;
            }
            injected++;
            if (rc == 0) {
                /* a failure the create absorbed (a sweep, say): the upload is whole */
                assert_true(u.complete);
                continue;
            }
            assert_true(r.status >= 500 && r.status <= 503);
            assert_int_equal(count_rows(), rows);
            assert_int_equal(count_files(objects, ""), blobs);
        }
    }
    print_message("zero-length create: %d failures injected\n", injected);
    assert_true(injected > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faults__a_blob_write_publishes_all_or_nothing),
        cmocka_unit_test(faults__tus_never_records_more_than_is_on_disk),
        cmocka_unit_test(faults__a_failed_zero_length_create_leaves_no_blob),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
