/*
 * test_blob.c - the blob store's local-files backend: round trips, SHA-256 vectors, key rules,
 * size limit mid-stream, abort, same-key writers, moving files in, write failures, temp sweeping,
 * and crash safety (a child killed with SIGKILL while committing never leaves a partial object).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/rr_error.h"
#include "blob/blob.h"

static char root[256];

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

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    for (;;) {
        const struct dirent *e = readdir(d);
        if (!e)
            break;
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n;
}

static void file_sha256_hex(const char *path, char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char buf[65536], digest[32];
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    crypto_hash_sha256_init(&st);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        assert_true(n >= 0);
        if (n == 0)
            break;
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
    }
    close(fd);
    crypto_hash_sha256_final(&st, digest);
    blob_sha256_hex(digest, out);
}

static struct blob *open_store(const char *sub, int64_t max_bytes, char *dir, size_t cap)
{
    struct blob *b = NULL;
    char url[600];
    snprintf(dir, cap, "%s/%s", root, sub);
    snprintf(url, sizeof url, "file:%s", dir);
    struct blob_options opt = {.max_bytes = max_bytes};
    assert_int_equal(blob_open(url, &opt, &b), 0);
    assert_non_null(b);
    return b;
}

static int put_bytes(struct blob *b, const char *key, const void *data, size_t len,
                     struct blob_info *info)
{
    struct blob_writer *w = NULL;
    int rc = blob_writer_begin(b, key, &w);
    if (rc < 0)
        return rc;
    rc = blob_writer_write(w, data, len);
    if (rc < 0) {
        blob_writer_abort(w);
        return rc;
    }
    return blob_writer_commit(w, info);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/rr_test_blob_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    return sodium_init() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    rm_tree(root);
    return 0;
}

static void blob__round_trips_put_get_stat_delete(void **state)
{
    (void)state;
    char dir[512], path[700];
    struct blob *b = open_store("rt", 0, dir, sizeof dir);
    assert_int_equal(blob_max_bytes(b), BLOB_DEFAULT_MAX_BYTES);
    unsigned char data[100000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 31 + 7);
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(b, "videos/u1/clip.mp4", &w), 0);
    for (size_t off = 0; off < sizeof data; off += 9999) {
        size_t n = sizeof data - off < 9999 ? sizeof data - off : 9999;
        assert_int_equal(blob_writer_write(w, data + off, n), 0);
    }
    assert_int_equal(blob_writer_write(w, NULL, 0), 0);
    assert_int_equal(blob_writer_size(w), (int64_t)sizeof data);
    /* Nothing visible before commit. */
    struct blob_info info;
    assert_int_equal(blob_stat(b, "videos/u1/clip.mp4", &info), RR_ERR_NOTFOUND);
    assert_int_equal(blob_writer_commit(w, &info), 0);
    assert_int_equal(info.size, (int64_t)sizeof data);
    char expect[65];
    unsigned char digest[32];
    crypto_hash_sha256(digest, data, sizeof data);
    blob_sha256_hex(digest, expect);
    assert_string_equal(info.sha256, expect);
    snprintf(path, sizeof path, "%s/objects/videos/u1/clip.mp4", dir);
    char on_disk[65];
    file_sha256_hex(path, on_disk);
    assert_string_equal(on_disk, expect);

    struct blob_info st;
    assert_int_equal(blob_stat(b, "videos/u1/clip.mp4", &st), 0);
    assert_int_equal(st.size, (int64_t)sizeof data);
    assert_true(st.mtime > 0);
    assert_string_equal(st.sha256, "");

    struct blob_reader *r = NULL;
    assert_int_equal(blob_get(b, "videos/u1/clip.mp4", &r), 0);
    assert_int_equal(blob_reader_size(r), (int64_t)sizeof data);
    assert_true(blob_reader_fd(r) >= 0);
    static unsigned char back[100000];
    size_t got = 0;
    for (;;) {
        int64_t n = blob_reader_read(r, back + got, 4096);
        assert_true(n >= 0);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    assert_int_equal(got, sizeof data);
    assert_memory_equal(back, data, sizeof data);
    /* The descriptor is still at the start: reads went through pread. */
    assert_int_equal(lseek(blob_reader_fd(r), 0, SEEK_CUR), 0);
    blob_reader_close(r);

    assert_int_equal(blob_delete(b, "videos/u1/clip.mp4"), 0);
    assert_int_equal(blob_stat(b, "videos/u1/clip.mp4", &st), RR_ERR_NOTFOUND);
    assert_int_equal(blob_get(b, "videos/u1/clip.mp4", &r), RR_ERR_NOTFOUND);
    assert_null(r);
    assert_int_equal(blob_delete(b, "videos/u1/clip.mp4"), 0); /* idempotent */
    assert_int_equal(blob_delete(b, "never/was"), 0);
    /* Names that are directories of other keys are not objects. */
    assert_int_equal(blob_stat(b, "videos/u1", &st), RR_ERR_NOTFOUND);
    assert_int_equal(blob_get(b, "videos/u1", &r), RR_ERR_NOTFOUND);
    assert_int_equal(blob_delete(b, "videos/u1"), 0);
    snprintf(path, sizeof path, "%s/tmp", dir);
    assert_int_equal(count_entries(path), 0);
    blob_close(b);
    blob_close(NULL);
}

static void blob__sha256_matches_known_vectors(void **state)
{
    (void)state;
    char dir[512];
    struct blob *b = open_store("sha", 0, dir, sizeof dir);
    struct blob_info info;
    /* FIPS 180-2 examples. */
    assert_int_equal(put_bytes(b, "v/abc", "abc", 3, &info), 0);
    assert_string_equal(info.sha256,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(b, "v/empty", &w), 0);
    assert_int_equal(blob_writer_commit(w, &info), 0);
    assert_int_equal(info.size, 0);
    assert_string_equal(info.sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* One million 'a', fed in uneven chunks. */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    assert_int_equal(blob_writer_begin(b, "v/million", &w), 0);
    size_t off = 0, step = 1;
    while (off < sizeof a) {
        size_t n = sizeof a - off < step ? sizeof a - off : step;
        assert_int_equal(blob_writer_write(w, a + off, n), 0);
        off += n;
        step = step * 3 + 1;
    }
    assert_int_equal(blob_writer_commit(w, &info), 0);
    assert_int_equal(info.size, 1000000);
    assert_string_equal(info.sha256,
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_int_equal(blob_writer_commit(NULL, &info), RR_ERR_INVAL);
    blob_close(b);
}

static void blob__validates_keys_from_a_table(void **state)
{
    (void)state;
    char long_ok[BLOB_KEY_MAX + 1], too_long[BLOB_KEY_MAX + 2];
    memset(long_ok, 'a', BLOB_KEY_MAX);
    long_ok[BLOB_KEY_MAX] = '\0';
    memset(too_long, 'a', BLOB_KEY_MAX + 1);
    too_long[BLOB_KEY_MAX + 1] = '\0';
    static const struct {
        const char *key;
        int ok;
    } table[] = {
        {"a", 1},
        {"videos/2024/abc_def-1.mp4", 1},
        {"a.b.c", 1},
        {".hidden", 1},
        {"dir/.x", 1},
        {"x-_.9/0", 1},
        {"", 0},
        {"/abs", 0},
        {"trailing/", 0},
        {"a//b", 0},
        {"..", 0},
        {"../etc/passwd", 0},
        {"a/../b", 0},
        {"a/..", 0},
        {"a..b", 0},
        {".", 0},
        {"./a", 0},
        {"a/./b", 0},
        {"a/.", 0},
        {"Upper", 0},
        {"sp ace", 0},
        {"tab\t", 0},
        {"back\\slash", 0},
        {"col:on", 0},
        {"per%cent", 0},
        {"nl\n", 0},
        {"caf\xc3\xa9", 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (blob_key_valid(table[i].key) != table[i].ok)
            fail_msg("key \"%s\": expected %d", table[i].key, table[i].ok);
    }
    assert_true(blob_key_valid(long_ok));
    assert_false(blob_key_valid(too_long));
    assert_false(blob_key_valid(NULL));

    char dir[512];
    struct blob *b = open_store("keys", 0, dir, sizeof dir);
    struct blob_writer *w = NULL;
    struct blob_info info;
    struct blob_reader *r = NULL;
    assert_int_equal(blob_writer_begin(b, "../escape", &w), RR_ERR_INVAL);
    assert_null(w);
    assert_int_equal(blob_stat(b, "/etc/passwd", &info), RR_ERR_INVAL);
    assert_int_equal(blob_get(b, "a/../../x", &r), RR_ERR_INVAL);
    assert_int_equal(blob_delete(b, "a//b"), RR_ERR_INVAL);
    assert_int_equal(blob_put_file(b, "BAD", "/dev/null", &info), RR_ERR_INVAL);
    blob_close(b);
}

static void blob__refuses_oversize_stream_midway_and_leaves_no_file(void **state)
{
    (void)state;
    char dir[512], tmp[600];
    struct blob *b = open_store("limit", 1000, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    assert_int_equal(blob_max_bytes(b), 1000);
    unsigned char buf[600] = {1};
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(b, "big", &w), 0);
    assert_int_equal(count_entries(tmp), 1);
    assert_int_equal(blob_writer_write(w, buf, sizeof buf), 0);
    assert_int_equal(blob_writer_write(w, buf, sizeof buf), RR_ERR_TOOBIG);
    /* The temporary file is gone at the first refusal, before commit/abort. */
    assert_int_equal(count_entries(tmp), 0);
    assert_int_equal(blob_writer_write(w, buf, 1), RR_ERR_TOOBIG); /* sticky */
    struct blob_info info;
    assert_int_equal(blob_writer_commit(w, &info), RR_ERR_TOOBIG);
    assert_int_equal(blob_stat(b, "big", &info), RR_ERR_NOTFOUND);
    assert_int_equal(count_entries(tmp), 0);

    /* Exactly at the limit is fine. */
    static unsigned char exact[1000];
    assert_int_equal(put_bytes(b, "exact", exact, sizeof exact, &info), 0);
    assert_int_equal(info.size, 1000);
    /* A NULL pointer with a length fails the writer too. */
    assert_int_equal(blob_writer_begin(b, "nul", &w), 0);
    assert_int_equal(blob_writer_write(w, NULL, 5), RR_ERR_INVAL);
    assert_int_equal(blob_writer_write(NULL, buf, 5), RR_ERR_INVAL);
    blob_writer_abort(w);
    assert_int_equal(count_entries(tmp), 0);
    blob_close(b);
}

static void blob__abort_leaves_nothing(void **state)
{
    (void)state;
    char dir[512], tmp[600];
    struct blob *b = open_store("abort", 0, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    struct blob_info info;
    assert_int_equal(put_bytes(b, "keep/me", "old", 3, &info), 0);
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(b, "keep/me", &w), 0);
    assert_int_equal(blob_writer_write(w, "new contents", 12), 0);
    blob_writer_abort(w);
    blob_writer_abort(NULL);
    assert_int_equal(count_entries(tmp), 0);
    assert_int_equal(blob_stat(b, "keep/me", &info), 0);
    assert_int_equal(info.size, 3); /* the previous object is untouched */
    assert_int_equal(blob_writer_begin(b, "never/committed", &w), 0);
    blob_writer_abort(w);
    assert_int_equal(blob_stat(b, "never/committed", &info), RR_ERR_NOTFOUND);
    assert_int_equal(count_entries(tmp), 0);
    blob_close(b);
}

static void blob__last_commit_wins_for_the_same_key(void **state)
{
    (void)state;
    char dir[512];
    struct blob *b = open_store("same", 0, dir, sizeof dir);
    struct blob_info info;
    assert_int_equal(put_bytes(b, "k", "version-0", 9, &info), 0);
    struct blob_reader *old = NULL;
    assert_int_equal(blob_get(b, "k", &old), 0);
    struct blob_writer *w1 = NULL, *w2 = NULL;
    assert_int_equal(blob_writer_begin(b, "k", &w1), 0);
    assert_int_equal(blob_writer_begin(b, "k", &w2), 0);
    assert_int_equal(blob_writer_write(w1, "first-writer", 12), 0);
    assert_int_equal(blob_writer_write(w2, "second", 6), 0);
    assert_int_equal(blob_writer_commit(w2, NULL), 0);
    assert_int_equal(blob_writer_commit(w1, &info), 0);
    struct blob_reader *r = NULL;
    char buf[64];
    assert_int_equal(blob_get(b, "k", &r), 0);
    assert_int_equal(blob_reader_read(r, buf, sizeof buf), 12);
    assert_memory_equal(buf, "first-writer", 12);
    assert_int_equal(blob_reader_read(r, buf, sizeof buf), 0);
    assert_int_equal(blob_reader_read(NULL, buf, 1), RR_ERR_INVAL);
    blob_reader_close(r);
    /* A reader opened before keeps its version. */
    assert_int_equal(blob_reader_read(old, buf, sizeof buf), 9);
    assert_memory_equal(buf, "version-0", 9);
    blob_reader_close(old);
    blob_reader_close(NULL);
    blob_close(b);
}

static void blob__refuses_bad_urls_and_arguments(void **state)
{
    (void)state;
    struct blob *b = (struct blob *)&b;
    assert_int_equal(blob_open("gs://bucket", NULL, &b), RR_ERR_UNSUPPORTED);
    assert_null(b);
    assert_int_equal(blob_open("s3://bucket", NULL, &b), RR_ERR_INVAL); /* no endpoint */
    assert_null(b);
    assert_int_equal(blob_open("no-scheme", NULL, &b), RR_ERR_INVAL);
    assert_int_equal(blob_open(":x", NULL, &b), RR_ERR_INVAL);
    assert_int_equal(blob_open("file:", NULL, &b), RR_ERR_INVAL);
    assert_int_equal(blob_open(NULL, NULL, &b), RR_ERR_INVAL);
    assert_int_equal(blob_open("file:/x", NULL, NULL), RR_ERR_INVAL);
    assert_int_equal(blob_open("file:/proc/self/rr-no/such", NULL, &b), RR_ERR_IO);
    char file_url[600];
    snprintf(file_url, sizeof file_url, "file:%s/plainfile", root);
    int fd = open(file_url + 5, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(blob_open(file_url, NULL, &b), RR_ERR_IO);
    char dir[512];
    b = open_store("args", 0, dir, sizeof dir);
    struct blob_writer *w = NULL;
    struct blob_info info;
    assert_int_equal(blob_writer_begin(NULL, "k", &w), RR_ERR_INVAL);
    assert_int_equal(blob_writer_begin(b, "k", NULL), RR_ERR_INVAL);
    assert_int_equal(blob_stat(NULL, "k", &info), RR_ERR_INVAL);
    assert_int_equal(blob_stat(b, "k", NULL), RR_ERR_INVAL);
    assert_int_equal(blob_get(NULL, "k", NULL), RR_ERR_INVAL);
    assert_int_equal(blob_delete(NULL, "k"), RR_ERR_INVAL);
    assert_int_equal(blob_sweep_tmp(NULL, 0), RR_ERR_INVAL);
    assert_int_equal(blob_sweep_tmp(b, -1), RR_ERR_INVAL);
    assert_int_equal(blob_put_file(NULL, "k", "/x", &info), RR_ERR_INVAL);
    assert_int_equal(blob_writer_size(NULL), 0);
    blob_close(b);
    /* Reopening an existing store works and sees its objects. */
    b = open_store("args", 0, dir, sizeof dir);
    assert_int_equal(put_bytes(b, "k", "x", 1, &info), 0);
    blob_close(b);
    b = open_store("args", 0, dir, sizeof dir);
    assert_int_equal(blob_stat(b, "k", &info), 0);
    blob_close(b);
}

static void blob__reports_conflicting_key_paths(void **state)
{
    (void)state;
    char dir[512];
    struct blob *b = open_store("conflict", 0, dir, sizeof dir);
    struct blob_info info;
    assert_int_equal(put_bytes(b, "a", "file", 4, &info), 0);
    assert_int_equal(put_bytes(b, "a/b", "x", 1, &info), RR_ERR_CONFLICT);
    assert_int_equal(put_bytes(b, "a/b/c", "x", 1, &info), RR_ERR_CONFLICT);
    assert_int_equal(put_bytes(b, "x/y", "x", 1, &info), 0);
    assert_int_equal(put_bytes(b, "x", "x", 1, &info), RR_ERR_CONFLICT);
    assert_int_equal(blob_stat(b, "a", &info), 0);
    assert_int_equal(info.size, 4);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    assert_int_equal(count_entries(tmp), 0);
    blob_close(b);
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void blob__put_file_moves_or_copies_and_hashes(void **state)
{
    (void)state;
    char dir[512], src[700];
    struct blob *b = open_store("adopt", 5000, dir, sizeof dir);
    struct blob_info info;
    snprintf(src, sizeof src, "%s/incoming.bin", root);
    write_file(src, "abc", 3);
    assert_int_equal(blob_put_file(b, "in/abc", src, &info), 0);
    assert_int_equal(info.size, 3);
    assert_string_equal(info.sha256,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(access(src, F_OK), -1); /* moved */
    assert_int_equal(blob_stat(b, "in/abc", &info), 0);
    assert_int_equal(info.size, 3);
    assert_int_equal(blob_put_file(b, "in/abc", src, &info), RR_ERR_NOTFOUND);
    assert_int_equal(blob_put_file(b, "in/dir", root, &info), RR_ERR_INVAL);
    /* Over the limit: refused, the source stays. */
    static unsigned char big[6000];
    write_file(src, big, sizeof big);
    assert_int_equal(blob_put_file(b, "in/big", src, &info), RR_ERR_TOOBIG);
    assert_int_equal(access(src, F_OK), 0);
    unlink(src);
    /* From another filesystem (tmpfs): copied through a writer, source removed. */
    struct stat shm, here;
    if (stat("/dev/shm", &shm) == 0 && stat(root, &here) == 0 && shm.st_dev != here.st_dev) {
        char other[256];
        snprintf(other, sizeof other, "/dev/shm/rr_test_blob_%d.bin", (int)getpid());
        write_file(other, "abc", 3);
        assert_int_equal(blob_put_file(b, "in/copied", other, &info), 0);
        assert_string_equal(info.sha256,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_int_equal(access(other, F_OK), -1);
        assert_int_equal(blob_stat(b, "in/copied", &info), 0);
        assert_int_equal(info.size, 3);
        /* A copy that clashes with an existing key path fails and keeps the source. */
        write_file(other, "abc", 3);
        assert_int_equal(blob_put_file(b, "in/abc/x", other, &info), RR_ERR_CONFLICT);
        assert_int_equal(access(other, F_OK), 0);
        unlink(other);
    } else {
        print_message("note: /dev/shm is not another filesystem; copy path not exercised\n");
    }
    /* A rename that clashes with an existing key path. */
    write_file(src, "abc", 3);
    assert_int_equal(blob_put_file(b, "in/abc/y", src, &info), RR_ERR_CONFLICT);
    assert_int_equal(access(src, F_OK), 0);
    unlink(src);
    blob_close(b);
}

static void blob__write_failure_is_sticky_and_cleans_up(void **state)
{
    (void)state;
    char dir[512], tmp[600];
    struct blob *b = open_store("efbig", 0, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static unsigned char buf[8192];
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_begin(b, "disk/full", &w), 0);
    int rc = blob_writer_write(w, buf, sizeof buf);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, RR_ERR_IO);
    assert_int_equal(blob_writer_write(w, buf, 1), RR_ERR_IO);
    struct blob_info info;
    assert_int_equal(blob_writer_commit(w, &info), RR_ERR_IO);
    assert_int_equal(count_entries(tmp), 0);
    assert_int_equal(blob_stat(b, "disk/full", &info), RR_ERR_NOTFOUND);
    blob_close(b);
}

static void blob__sweeps_old_temporary_files(void **state)
{
    (void)state;
    char dir[512], tmp[600], p1[700], p2[700];
    struct blob *b = open_store("sweep", 0, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    snprintf(p1, sizeof p1, "%s/w-old.tmp", tmp);
    snprintf(p2, sizeof p2, "%s/w-new.tmp", tmp);
    write_file(p1, "x", 1);
    write_file(p2, "y", 1);
    struct timespec ts[2] = {{.tv_sec = time(NULL) - 7200}, {.tv_sec = time(NULL) - 7200}};
    assert_int_equal(utimensat(AT_FDCWD, p1, ts, 0), 0);
    assert_int_equal(blob_sweep_tmp(b, 3600), 1);
    assert_int_equal(access(p1, F_OK), -1);
    assert_int_equal(access(p2, F_OK), 0);
    assert_int_equal(blob_sweep_tmp(b, 0), 1);
    assert_int_equal(count_entries(tmp), 0);
    assert_int_equal(blob_sweep_tmp(b, 0), 0);
    blob_close(b);
}

/* Crash safety: the child writes blobs (overwriting a few keys) and, before each commit, appends
 * "key sha256" to a report file; it is killed with SIGKILL at some point. Every object present
 * afterwards must hash to a value reported for its key: never a prefix or a mix. */
#define CRASH_KEYS 8

static void crash_child(struct blob *b, const char *report)
{
    int rfd = open(report, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (rfd < 0)
        _exit(2);
    static unsigned char data[300000];
    for (unsigned i = 0;; i++) {
        size_t len = 1 + (i * 7919u) % sizeof data;
        randombytes_buf(data, len);
        unsigned char digest[32];
        char hex[65], key[64], line[160];
        crypto_hash_sha256(digest, data, len);
        blob_sha256_hex(digest, hex);
        snprintf(key, sizeof key, "crash/k%u", i % CRASH_KEYS);
        int n = snprintf(line, sizeof line, "%s %s\n", key, hex);
        if (write(rfd, line, (size_t)n) != n)
            _exit(3);
        struct blob_writer *w = NULL;
        if (blob_writer_begin(b, key, &w) < 0)
            _exit(4);
        for (size_t off = 0; off < len; off += 8192) {
            size_t c = len - off < 8192 ? len - off : 8192;
            if (blob_writer_write(w, data + off, c) < 0)
                _exit(5);
        }
        if (blob_writer_commit(w, NULL) < 0)
            _exit(6);
    }
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, c;
    for (;;) {
        c = fgetc(f);
        if (c == EOF)
            break;
        if (c == '\n')
            n++;
    }
    fclose(f);
    return n;
}

static int reported(const char *report, const char *key, const char *sha)
{
    char line[256], want[200];
    snprintf(want, sizeof want, "%s %s", key, sha);
    FILE *f = fopen(report, "r");
    assert_non_null(f);
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, want) == 0)
            found = 1;
    }
    fclose(f);
    return found;
}

static void blob__kill_during_writes_never_leaves_a_partial_object(void **state)
{
    (void)state;
    char dir[512], report[700], tmp[600], objs[600];
    struct blob *b = open_store("crash", 0, dir, sizeof dir);
    snprintf(report, sizeof report, "%s/report.txt", root);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    snprintf(objs, sizeof objs, "%s/objects/crash", dir);
    int checked = 0;
    for (int round = 0; round < 6; round++) {
        unlink(report);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            crash_child(b, report);
        /* Let it commit a few objects, then kill it at a varying point. */
        for (int spins = 0; spins < 2000 && count_lines(report) < 4 + round * 3; spins++)
            usleep(2000);
        usleep((useconds_t)(3000 + 9700 * round));
        kill(pid, SIGKILL);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        for (int k = 0; k < CRASH_KEYS; k++) {
            char key[64], path[800], hex[65];
            snprintf(key, sizeof key, "crash/k%d", k);
            snprintf(path, sizeof path, "%s/objects/%s", dir, key);
            if (access(path, F_OK) != 0)
                continue;
            file_sha256_hex(path, hex);
            if (!reported(report, key, hex))
                fail_msg("round %d: %s holds data the writer never reported (partial?)", round,
                         key);
            checked++;
        }
        /* Leftover temps (a write in progress) are swept; nothing else is in tmp. */
        int left = count_entries(tmp);
        assert_true(left >= 0 && left <= 1);
        print_message("round %d: %d commits reported, %d temp left\n", round, count_lines(report),
                      left);
        assert_int_equal(blob_sweep_tmp(b, 0), left);
        assert_int_equal(count_entries(tmp), 0);
    }
    assert_true(checked >= 4);
    assert_true(count_entries(objs) <= CRASH_KEYS);
    blob_close(b);
}

static void blob__ignores_foreign_entries_in_its_directories(void **state)
{
    (void)state;
    char dir[512], p[800], q[1000];
    struct blob *b = open_store("foreign", 0, dir, sizeof dir);
    struct blob_info info;
    struct blob_reader *r = NULL;
    /* A symlink planted under objects/ is never followed. */
    snprintf(p, sizeof p, "%s/objects/link", dir);
    assert_int_equal(symlink("/etc/hostname", p), 0);
    assert_int_equal(blob_get(b, "link", &r), RR_ERR_NOTFOUND);
    assert_int_equal(blob_stat(b, "link", &info), RR_ERR_NOTFOUND);
    /* Sweeping leaves directories in tmp/ alone. */
    snprintf(p, sizeof p, "%s/tmp/subdir", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(blob_sweep_tmp(b, 0), 0);
    assert_int_equal(rmdir(p), 0);
    /* A relative source path works too. */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(root), 0);
    write_file("relative.bin", "abc", 3);
    int rc = blob_put_file(b, "rel", "relative.bin", &info);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(info.size, 3);
    blob_close(b);
    /* A store whose objects/ is not a directory cannot open. */
    snprintf(p, 300, "%s/broken", root);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(q, sizeof q, "%s/objects", p);
    write_file(q, "x", 1);
    snprintf(q, sizeof q, "file:%s", p);
    b = (struct blob *)&b;
    assert_int_equal(blob_open(q, NULL, &b), RR_ERR_IO);
    assert_null(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blob__round_trips_put_get_stat_delete),
        cmocka_unit_test(blob__sha256_matches_known_vectors),
        cmocka_unit_test(blob__validates_keys_from_a_table),
        cmocka_unit_test(blob__refuses_oversize_stream_midway_and_leaves_no_file),
        cmocka_unit_test(blob__abort_leaves_nothing),
        cmocka_unit_test(blob__last_commit_wins_for_the_same_key),
        cmocka_unit_test(blob__refuses_bad_urls_and_arguments),
        cmocka_unit_test(blob__reports_conflicting_key_paths),
        cmocka_unit_test(blob__put_file_moves_or_copies_and_hashes),
        cmocka_unit_test(blob__write_failure_is_sticky_and_cleans_up),
        cmocka_unit_test(blob__sweeps_old_temporary_files),
        cmocka_unit_test(blob__ignores_foreign_entries_in_its_directories),
        cmocka_unit_test(blob__kill_during_writes_never_leaves_a_partial_object),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
