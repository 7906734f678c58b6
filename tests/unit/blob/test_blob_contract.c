/*
 * test_blob_contract.c - the blob store's contract, run against every backend: local files
 * (file:DIR) and S3 (s3://, against s3rver behind our SigV4 check, tests/support/s3test.h).
 * Round trips (empty, small, multipart-sized), SHA-256 on commit, key rules, NOTFOUND and
 * idempotent delete, the size limit mid-stream, abort leaving nothing, last commit wins,
 * moving a file in, readers with small and large reads, and presigned links (UNSUPPORTED on
 * files; on S3 fetched with curl: whole, ranged, tampered).
 * Then S3-only cases: clear open failures (no bucket, unreachable endpoint, credentials in the
 * URL, none at all, wrong secret), credentials from files, plain s3rver accepting a forged
 * signature (why the test server re-checks them), a reader noticing its object replaced, and
 * no secret in any log line.
 * The S3 part prints SKIP (exit 77 when nothing failed) without node or web/node_modules/s3rver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "blob/blob.h"
#include "support/rrtest.h"
#include "support/s3test.h"

#define MIB (1 << 20)

static char backend_url[700]; /* the store under test */
static char tmp_root[256];
static struct s3test server;
static int is_s3;

static struct blob *open_url(const char *url, int64_t max_bytes)
{
    struct blob *b = NULL;
    struct blob_options opt = {.max_bytes = max_bytes};
    assert_int_equal(blob_open(url, &opt, &b), 0);
    assert_non_null(b);
    return b;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

static void sha_hex(const void *p, size_t n, char out[65])
{
    unsigned char d[32];
    crypto_hash_sha256(d, p, n);
    blob_sha256_hex(d, out);
}

/* Write data in uneven chunks. */
static int put_chunked(struct blob *b, const char *key, const unsigned char *data, size_t n,
                       struct blob_info *info)
{
    struct blob_writer *w = NULL;
    int rc = blob_writer_begin(b, key, &w);
    if (rc < 0)
        return rc;
    size_t off = 0, step = 65536 + 13;
    while (off < n) {
        size_t k = n - off < step ? n - off : step;
        rc = blob_writer_write(w, data + off, k);
        if (rc < 0) {
            blob_writer_abort(w);
            return rc;
        }
        off += k;
    }
    return blob_writer_commit(w, info);
}

/* Read key back whole with reads of `chunk` bytes and compare. */
static void expect_content(struct blob *b, const char *key, const unsigned char *data, size_t n,
                           size_t chunk)
{
    struct blob_reader *r = NULL;
    assert_int_equal(blob_get(b, key, &r), 0);
    assert_int_equal(blob_reader_size(r), (int64_t)n);
    unsigned char *buf = malloc(chunk);
    assert_non_null(buf);
    size_t off = 0;
    for (;;) {
        int64_t got = blob_reader_read(r, buf, chunk);
        assert_true(got >= 0);
        if (got == 0)
            break;
        assert_true(off + (size_t)got <= n);
        assert_memory_equal(buf, data + off, (size_t)got);
        off += (size_t)got;
    }
    assert_int_equal(off, n);
    free(buf);
    blob_reader_close(r);
}

static int group_setup(void **state)
{
    *state = open_url(backend_url, 64LL * MIB);
    return 0;
}

static int group_teardown(void **state)
{
    blob_close(*state);
    return 0;
}

/* ---- the contract ----------------------------------------------------------------------- */

static void contract__round_trips_empty_small_and_multipart_objects(void **state)
{
    struct blob *b = *state;
    const size_t sizes[] = {0, 1, 100000, 11 * MIB + 77};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char key[64], want[65];
        snprintf(key, sizeof key, "videos/rt/%zu.bin", i);
        unsigned char *data = pattern(sizes[i], (unsigned)i + 1);
        struct blob_info info;
        assert_int_equal(put_chunked(b, key, data, sizes[i], &info), 0);
        sha_hex(data, sizes[i], want);
        assert_int_equal(info.size, (int64_t)sizes[i]);
        assert_string_equal(info.sha256, want);
        struct blob_info st;
        assert_int_equal(blob_stat(b, key, &st), 0);
        assert_int_equal(st.size, (int64_t)sizes[i]);
        assert_true(st.mtime > 1600000000);
        expect_content(b, key, data, sizes[i], 4093);
        if (sizes[i] > MIB)
            expect_content(b, key, data, sizes[i], 3 * MIB);
        assert_int_equal(blob_delete(b, key), 0);
        free(data);
    }
}

static void contract__refuses_bad_keys(void **state)
{
    struct blob *b = *state;
    struct blob_writer *w = NULL;
    struct blob_reader *r = NULL;
    struct blob_info info;
    const char *bad[] = {"", "/a", "a/", "a//b", "../a", "a/../b", "A", "a b", "a/./b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(blob_writer_begin(b, bad[i], &w), RR_ERR_INVAL);
        assert_int_equal(blob_get(b, bad[i], &r), RR_ERR_INVAL);
        assert_int_equal(blob_stat(b, bad[i], &info), RR_ERR_INVAL);
        assert_int_equal(blob_delete(b, bad[i]), RR_ERR_INVAL);
    }
}

static void contract__missing_keys_are_notfound_and_delete_is_idempotent(void **state)
{
    struct blob *b = *state;
    struct blob_reader *r = NULL;
    struct blob_info info;
    assert_int_equal(blob_get(b, "nope/never", &r), RR_ERR_NOTFOUND);
    assert_null(r);
    assert_int_equal(blob_stat(b, "nope/never", &info), RR_ERR_NOTFOUND);
    assert_int_equal(blob_delete(b, "nope/never"), 0);
    assert_int_equal(put_chunked(b, "nope/once", (const unsigned char *)"x", 1, NULL), 0);
    assert_int_equal(blob_delete(b, "nope/once"), 0);
    assert_int_equal(blob_delete(b, "nope/once"), 0);
    assert_int_equal(blob_stat(b, "nope/once", &info), RR_ERR_NOTFOUND);
}

static void contract__size_limit_stops_the_stream(void **state)
{
    (void)state;
    struct blob *small = open_url(backend_url, 1000);
    struct blob_writer *w = NULL;
    struct blob_info info;
    unsigned char buf[600] = {0};
    assert_int_equal(blob_max_bytes(small), 1000);
    assert_int_equal(blob_writer_begin(small, "limit/x", &w), 0);
    assert_int_equal(blob_writer_write(w, buf, sizeof buf), 0);
    assert_int_equal(blob_writer_write(w, buf, sizeof buf), RR_ERR_TOOBIG);
    assert_int_equal(blob_writer_write(w, buf, 1), RR_ERR_TOOBIG); /* sticky */
    assert_int_equal(blob_writer_commit(w, &info), RR_ERR_TOOBIG);
    assert_int_equal(blob_stat(small, "limit/x", &info), RR_ERR_NOTFOUND);
    blob_close(small);
}

static void contract__abort_leaves_nothing(void **state)
{
    struct blob *b = *state;
    struct blob_writer *w = NULL;
    struct blob_info info;
    /* past one multipart part on S3: the upload exists remotely and must be aborted */
    size_t n = 6 * MIB;
    unsigned char *data = pattern(n, 9);
    assert_int_equal(blob_writer_begin(b, "abort/x", &w), 0);
    assert_int_equal(blob_writer_write(w, data, n), 0);
    blob_writer_abort(w);
    assert_int_equal(blob_stat(b, "abort/x", &info), RR_ERR_NOTFOUND);
    /* an aborted replacement leaves the previous object whole */
    assert_int_equal(put_chunked(b, "abort/y", data, 1000, NULL), 0);
    assert_int_equal(blob_writer_begin(b, "abort/y", &w), 0);
    assert_int_equal(blob_writer_write(w, data + 5, 500), 0);
    blob_writer_abort(w);
    expect_content(b, "abort/y", data, 1000, 777);
    free(data);
}

static void contract__last_commit_wins(void **state)
{
    struct blob *b = *state;
    struct blob_writer *w1 = NULL, *w2 = NULL;
    assert_int_equal(blob_writer_begin(b, "same/key", &w1), 0);
    assert_int_equal(blob_writer_begin(b, "same/key", &w2), 0);
    assert_int_equal(blob_writer_write(w1, "first", 5), 0);
    assert_int_equal(blob_writer_write(w2, "second!", 7), 0);
    assert_int_equal(blob_writer_commit(w1, NULL), 0);
    expect_content(b, "same/key", (const unsigned char *)"first", 5, 64);
    assert_int_equal(blob_writer_commit(w2, NULL), 0);
    expect_content(b, "same/key", (const unsigned char *)"second!", 7, 64);
}

static void contract__put_file_moves_a_file_in(void **state)
{
    struct blob *b = *state;
    char path[400], want[65];
    snprintf(path, sizeof path, "%s/put-file.bin", tmp_root);
    size_t n = 300000;
    unsigned char *data = pattern(n, 4);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    struct blob_info info;
    assert_int_equal(blob_put_file(b, "moved/in.bin", path, &info), 0);
    assert_int_equal(access(path, F_OK), -1);
    sha_hex(data, n, want);
    assert_string_equal(info.sha256, want);
    expect_content(b, "moved/in.bin", data, n, 65536);
    free(data);
}

struct fetched {
    unsigned char *data;
    size_t len, cap;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct fetched *f = ud;
    size_t k = size * n;
    if (f->len + k > f->cap)
        return 0;
    memcpy(f->data + f->len, p, k);
    f->len += k;
    return k;
}

/* GET url (with an optional Range) with libcurl; the status, the body in f. */
static long fetch(const char *url, const char *range, struct fetched *f)
{
    long status = 0;
    f->len = 0;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (range)
        curl_easy_setopt(c, CURLOPT_RANGE, range);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static void contract__presigned_links(void **state)
{
    struct blob *b = *state;
    char url[BLOB_URL_MAX];
    size_t n = 200000;
    unsigned char *data = pattern(n, 7);
    assert_int_equal(put_chunked(b, "videos/p/original.mp4", data, n, NULL), 0);
    assert_int_equal(blob_presign(b, "videos/p/original.mp4", 0, url, sizeof url), RR_ERR_INVAL);
    assert_int_equal(blob_presign(b, "../x", 60, url, sizeof url), RR_ERR_INVAL);
    if (!is_s3) {
        assert_int_equal(blob_is_remote(b), 0);
        assert_int_equal(blob_presign(b, "videos/p/original.mp4", 60, url, sizeof url),
                         RR_ERR_UNSUPPORTED);
        free(data);
        return;
    }
    assert_int_equal(blob_is_remote(b), 1);
    char tiny[40];
    assert_int_equal(blob_presign(b, "videos/p/original.mp4", 60, tiny, sizeof tiny),
                     RR_ERR_TOOBIG);
    assert_int_equal(blob_presign(b, "videos/p/original.mp4", 60, url, sizeof url), 0);
    assert_non_null(strstr(url, "X-Amz-Signature="));
    assert_null(strstr(url, s3test_secret_key()));
    struct fetched f = {malloc(n + 1024), 0, n + 1024};
    assert_non_null(f.data);
    assert_int_equal(fetch(url, NULL, &f), 200);
    assert_int_equal(f.len, n);
    assert_memory_equal(f.data, data, n);
    assert_int_equal(fetch(url, "1000-1999", &f), 206);
    assert_int_equal(f.len, 1000);
    assert_memory_equal(f.data, data + 1000, 1000);
    /* a tampered signature, or the signature moved to another key: refused */
    char bad[BLOB_URL_MAX];
    snprintf(bad, sizeof bad, "%s", url);
    char *sig = strstr(bad, "X-Amz-Signature=") + 16;
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    assert_int_equal(fetch(bad, NULL, &f), 403);
    snprintf(bad, sizeof bad, "%s", url);
    char *k = strstr(bad, "original.mp4");
    memcpy(k, "origin4l", 8);
    assert_int_equal(fetch(bad, NULL, &f), 403);
    free(f.data);
    free(data);
}

/* ---- S3 only ------------------------------------------------------------------------------ */

static void s3__open_names_a_missing_bucket_and_an_unreachable_endpoint(void **state)
{
    (void)state;
    struct blob *b = NULL;
    char url[700];
    snprintf(url, sizeof url, "s3://no-such-bucket-here?endpoint=%s", server.endpoint);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_NOTFOUND);
    assert_null(b);
    /* a port nobody listens on (ours, minus nothing: a fresh closed port) */
    snprintf(url, sizeof url, "s3://%s?endpoint=http://127.0.0.1:1&retries=1", server.bucket);
    time_t t0 = time(NULL);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_IO);
    assert_true(time(NULL) - t0 < 10);
}

static void s3__refuses_bad_urls_and_missing_credentials(void **state)
{
    (void)state;
    struct blob *b = NULL;
    char url[700];
    snprintf(url, sizeof url, "s3://%s?endpoint=%s&secret_key=abc", server.bucket, server.endpoint);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_INVAL);
    snprintf(url, sizeof url, "s3://%s?endpoint=%s&colour=blue", server.bucket, server.endpoint);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_INVAL);
    snprintf(url, sizeof url, "s3://%s", server.bucket);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_INVAL);
    snprintf(url, sizeof url, "s3://%s?endpoint=ftp://x", server.bucket);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_INVAL);
    snprintf(url, sizeof url, "s3://%s?endpoint=http://u:p@127.0.0.1:%d", server.bucket,
             server.port);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_INVAL);
    assert_int_equal(blob_open("s3://Bad_Bucket?endpoint=http://127.0.0.1:1", NULL, &b),
                     RR_ERR_INVAL);
    unsetenv("REPRIGHT_S3_SECRET_ACCESS_KEY");
    assert_int_equal(blob_open(backend_url, NULL, &b), RR_ERR_INVAL);
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", s3test_secret_key(), 1);
    assert_null(b);
}

static void s3__reads_credentials_from_files(void **state)
{
    (void)state;
    char id_path[400], key_path[400];
    snprintf(id_path, sizeof id_path, "%s/id", tmp_root);
    snprintf(key_path, sizeof key_path, "%s/key", tmp_root);
    FILE *f = fopen(id_path, "w");
    assert_non_null(f);
    fprintf(f, "  %s\n", s3test_access_key());
    fclose(f);
    f = fopen(key_path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", s3test_secret_key());
    fclose(f);
    unsetenv("REPRIGHT_S3_ACCESS_KEY_ID");
    unsetenv("REPRIGHT_S3_SECRET_ACCESS_KEY");
    setenv("REPRIGHT_S3_ACCESS_KEY_ID_FILE", id_path, 1);
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY_FILE", key_path, 1);
    struct blob *b = open_url(backend_url, 0);
    assert_int_equal(put_chunked(b, "creds/file", (const unsigned char *)"ok", 2, NULL), 0);
    blob_close(b);
    unsetenv("REPRIGHT_S3_ACCESS_KEY_ID_FILE");
    unsetenv("REPRIGHT_S3_SECRET_ACCESS_KEY_FILE");
    setenv("REPRIGHT_S3_ACCESS_KEY_ID", s3test_access_key(), 1);
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", s3test_secret_key(), 1);
}

static void s3__a_wrong_secret_is_refused_but_plain_s3rver_would_take_it(void **state)
{
    (void)state;
    struct blob *b = NULL;
    char wrong[64];
    snprintf(wrong, sizeof wrong, "%s", s3test_secret_key());
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", wrong, 1);
    assert_int_equal(blob_open(backend_url, NULL, &b), RR_ERR_FORBIDDEN);
    /* s3rver alone does not verify V4 signatures: the same forged request passes */
    struct s3test plain;
    int rc = s3test_start(&plain, "test_blob_contract", 0);
    assert_int_equal(rc, 0);
    assert_int_equal(blob_open(plain.url, NULL, &b), 0);
    blob_close(b);
    s3test_stop(&plain);
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", s3test_secret_key(), 1);
}

static void s3__a_reader_notices_its_object_replaced(void **state)
{
    struct blob *b = *state;
    size_t n = 3 * MIB;
    unsigned char *a = pattern(n, 11), *c = pattern(n, 12);
    unsigned char buf[4096];
    struct blob_reader *r = NULL;
    assert_int_equal(put_chunked(b, "swap/x", a, n, NULL), 0);
    assert_int_equal(blob_get(b, "swap/x", &r), 0);
    assert_int_equal(blob_reader_read(r, buf, sizeof buf), (int64_t)sizeof buf);
    assert_memory_equal(buf, a, sizeof buf);
    assert_int_equal(put_chunked(b, "swap/x", c, n, NULL), 0);
    /* the first window (1 MiB) is already here; the next range must not mix versions */
    int64_t got = 0;
    for (int i = 0; i < 1000 && got >= 0; i++)
        got = blob_reader_read(r, buf, sizeof buf);
    assert_int_equal(got, RR_ERR_IO);
    blob_reader_close(r);
    free(a);
    free(c);
}

static void s3__retries_ride_out_5xx_and_dropped_connections(void **state)
{
    (void)state;
    struct s3test flaky;
    setenv("S3_TEST_FAIL_EVERY", "3", 1);  /* every 3rd request: 503 SlowDown */
    setenv("S3_TEST_RESET_EVERY", "7", 1); /* every 7th: connection dropped, no answer */
    int rc = s3test_start(&flaky, "test_blob_contract", 1);
    unsetenv("S3_TEST_FAIL_EVERY");
    unsetenv("S3_TEST_RESET_EVERY");
    assert_int_equal(rc, 0);
    char url[700];
    snprintf(url, sizeof url, "%s&part_mib=5", flaky.url);
    struct blob *b = open_url(url, 64LL * MIB);
    size_t n = 6 * MIB + 5;
    unsigned char *data = pattern(n, 21);
    char want[65];
    struct blob_info info;
    sha_hex(data, n, want);
    for (int i = 0; i < 3; i++) { /* ~9 requests each: every kind meets a fault */
        assert_int_equal(put_chunked(b, "flaky/x", data, n, &info), 0);
        assert_string_equal(info.sha256, want);
        expect_content(b, "flaky/x", data, n, 2 * MIB);
    }
    assert_int_equal(blob_delete(b, "flaky/x"), 0);
    assert_int_equal(blob_stat(b, "flaky/x", &info), RR_ERR_NOTFOUND);
    blob_close(b);
    /* retries are bounded: with none allowed, a fault surfaces */
    snprintf(url, sizeof url, "%s&retries=0", flaky.url);
    b = open_url(url, 0);
    int failures = 0;
    for (int i = 0; i < 6; i++)
        failures += blob_stat(b, "flaky/none", &info) == RR_ERR_IO;
    assert_true(failures >= 1);
    blob_close(b);
    s3test_stop(&flaky);
    free(data);
}

static void s3__a_stalled_endpoint_hits_the_deadline(void **state)
{
    (void)state;
    /* a listener that never accepts: connect succeeds (the kernel's backlog), nothing answers */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    assert_int_equal(bind(ls, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(ls, 8), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&addr, &alen), 0);
    char url[700];
    snprintf(url, sizeof url, "s3://%s?endpoint=http://127.0.0.1:%d&stall_timeout_s=1&retries=1",
             server.bucket, ntohs(addr.sin_port));
    struct blob *b = NULL;
    time_t t0 = time(NULL);
    assert_int_equal(blob_open(url, NULL, &b), RR_ERR_IO);
    time_t took = time(NULL) - t0;
    assert_true(took >= 1 && took <= 6); /* two attempts of ~1 s and a back-off */
    close(ls);
}

static void s3__no_secret_in_any_log_line(void **state)
{
    struct blob *b = *state;
    char path[400];
    snprintf(path, sizeof path, "%s/log.txt", tmp_root);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    rr_log_set_fd(fd);
    /* failures log: a forbidden open, a missing bucket, a missing key read */
    struct blob *x = NULL;
    struct blob_reader *r = NULL;
    char url[700];
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", "wrong-secret-value", 1);
    assert_int_equal(blob_open(backend_url, NULL, &x), RR_ERR_FORBIDDEN);
    setenv("REPRIGHT_S3_SECRET_ACCESS_KEY", s3test_secret_key(), 1);
    snprintf(url, sizeof url, "s3://missing-bucket?endpoint=%s", server.endpoint);
    assert_int_equal(blob_open(url, NULL, &x), RR_ERR_NOTFOUND);
    assert_int_equal(blob_get(b, "nope/x", &r), RR_ERR_NOTFOUND);
    rr_log_set_fd(2);
    size_t len = 0;
    char *text = rrtest_read_file(path, 1 << 20, &len);
    assert_non_null(text);
    close(fd);
    assert_non_null(strstr(text, "blob store unavailable")); /* something was logged */
    assert_null(strstr(text, s3test_secret_key()));
    assert_null(strstr(text, "wrong-secret-value"));
    assert_null(strstr(text, "Signature="));
    assert_null(strstr(text, "X-Amz-Signature"));
    free(text);
}

int main(void)
{
    int failed = 0;
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/rr_test_blob_contract_XXXXXX");
    if (!mkdtemp(tmp_root))
        return 1;
    const struct CMUnitTest contract[] = {
        cmocka_unit_test(contract__round_trips_empty_small_and_multipart_objects),
        cmocka_unit_test(contract__refuses_bad_keys),
        cmocka_unit_test(contract__missing_keys_are_notfound_and_delete_is_idempotent),
        cmocka_unit_test(contract__size_limit_stops_the_stream),
        cmocka_unit_test(contract__abort_leaves_nothing),
        cmocka_unit_test(contract__last_commit_wins),
        cmocka_unit_test(contract__put_file_moves_a_file_in),
        cmocka_unit_test(contract__presigned_links),
    };
    const struct CMUnitTest s3_only[] = {
        cmocka_unit_test(s3__open_names_a_missing_bucket_and_an_unreachable_endpoint),
        cmocka_unit_test(s3__refuses_bad_urls_and_missing_credentials),
        cmocka_unit_test(s3__reads_credentials_from_files),
        cmocka_unit_test(s3__a_wrong_secret_is_refused_but_plain_s3rver_would_take_it),
        cmocka_unit_test(s3__a_reader_notices_its_object_replaced),
        cmocka_unit_test(s3__retries_ride_out_5xx_and_dropped_connections),
        cmocka_unit_test(s3__a_stalled_endpoint_hits_the_deadline),
        cmocka_unit_test(s3__no_secret_in_any_log_line),
    };
    snprintf(backend_url, sizeof backend_url, "file:%s/fs", tmp_root);
    is_s3 = 0;
    failed +=
        cmocka_run_group_tests_name("blob contract: file", contract, group_setup, group_teardown);
    int rc = s3test_start(&server, "test_blob_contract", 1);
    if (rc == 0) {
        /* 5 MiB parts so the 11 MiB case really is a three-part multipart upload */
        snprintf(backend_url, sizeof backend_url, "%s&part_mib=5", server.url);
        is_s3 = 1;
        failed +=
            cmocka_run_group_tests_name("blob contract: s3", contract, group_setup, group_teardown);
        failed += cmocka_run_group_tests_name("blob s3", s3_only, group_setup, group_teardown);
        s3test_stop(&server);
    } else if (rc < 0) {
        failed++;
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0)
        failed++;
    curl_global_cleanup();
    return rrtest_status(failed);
}
