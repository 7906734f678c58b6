/*
 * test_secret.c - the server secret: decoding (hex, base64 variants, prefixes, whitespace), the
 * 256-bit floor, source precedence (env > file > data dir), generation on first start (0600,
 * persisted, stable across loads, race-safe), refusal of a group-readable file, key derivation.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/secret.h"
#include "base/rr_error.h"

static char tmpdir[256];

/* 32 bytes 0x00..0x1f */
static const char hex32[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char b64_32[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
static const char b64url_32_nopad[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rr_test_secret_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int group_teardown(void **state)
{
    (void)state;
    rm_tree(tmpdir);
    return 0;
}

static void expect_0_to_31(const struct secret *s)
{
    assert_int_equal(s->len, 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(s->bytes[i], i);
}

static void secret__decodes_hex_and_base64_forms(void **state)
{
    (void)state;
    struct secret s;
    char buf[256];
    assert_int_equal(secret_decode(hex32, strlen(hex32), &s), 0);
    expect_0_to_31(&s);
    assert_int_equal(secret_decode(b64_32, strlen(b64_32), &s), 0);
    expect_0_to_31(&s);
    assert_int_equal(secret_decode(b64url_32_nopad, strlen(b64url_32_nopad), &s), 0);
    expect_0_to_31(&s);
    snprintf(buf, sizeof buf, "  hex:%s\n", hex32);
    assert_int_equal(secret_decode(buf, strlen(buf), &s), 0);
    expect_0_to_31(&s);
    snprintf(buf, sizeof buf, "base64:%s", b64_32);
    assert_int_equal(secret_decode(buf, strlen(buf), &s), 0);
    expect_0_to_31(&s);
    /* upper-case hex */
    snprintf(buf, sizeof buf, "%s", hex32);
    for (char *p = buf; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    assert_int_equal(secret_decode(buf, strlen(buf), &s), 0);
    expect_0_to_31(&s);
    /* url-safe alphabet with '-' and '_': "-_v7" is fb fb fb */
    assert_int_equal(secret_decode("base64:" "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7",
                                   7 + 44, &s),
                     0);
    assert_int_equal(s.len, 33);
    assert_int_equal(s.bytes[0], 0xfb);
    assert_int_equal(s.bytes[1], 0xfb);
    assert_int_equal(s.bytes[32], 0xfb);
}

static void secret__refuses_short_undecodable_and_oversize(void **state)
{
    (void)state;
    struct secret s;
    char buf[2048];
    /* 31 bytes: refused, never padded */
    assert_int_equal(secret_decode(hex32, 62, &s), RR_ERR_CORRUPT);
    assert_int_equal(s.len, 0);
    assert_int_equal(secret_decode("aGVsbG8", 7, &s), RR_ERR_CORRUPT); /* base64 of "hello" */
    assert_int_equal(secret_decode("   \n", 4, &s), RR_ERR_CORRUPT);
    assert_int_equal(secret_decode("not base64 at all!!", 19, &s), RR_ERR_INVAL);
    assert_int_equal(secret_decode("hex:zz", 6, &s), RR_ERR_INVAL);
    snprintf(buf, sizeof buf, "hex:%s0", hex32); /* odd length */
    assert_int_equal(secret_decode(buf, strlen(buf), &s), RR_ERR_INVAL);
    /* 257 bytes */
    memset(buf, 'a', 514);
    assert_int_equal(secret_decode(buf, 514, &s), RR_ERR_TOOBIG);
    /* more text than any secret */
    static char huge[5000];
    memset(huge, 'A', sizeof huge);
    assert_int_equal(secret_decode(huge, sizeof huge, &s), RR_ERR_TOOBIG);
    assert_int_equal(secret_decode(NULL, 3, &s), RR_ERR_INVAL);
    assert_int_equal(secret_decode("x", 1, NULL), RR_ERR_INVAL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void secret__env_wins_over_file_and_file_over_data_dir(void **state)
{
    (void)state;
    struct secret s;
    char msg[256], path[512], dir[512];
    snprintf(path, sizeof path, "%s/given_secret", tmpdir);
    snprintf(dir, sizeof dir, "%s/precedence", tmpdir);
    write_file(path, "base64:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n", 0644);
    assert_int_equal(secret_load_from(hex32, path, dir, &s, msg, sizeof msg), 0);
    assert_int_equal(s.source, SECRET_FROM_ENV);
    expect_0_to_31(&s);
    assert_int_equal(secret_load_from(NULL, path, dir, &s, msg, sizeof msg), 0);
    assert_int_equal(s.source, SECRET_FROM_FILE);
    assert_int_equal(s.len, 32);
    assert_int_equal(s.bytes[0], 1);
    assert_int_equal(secret_load_from("", "", dir, &s, msg, sizeof msg), 0);
    assert_int_equal(s.source, SECRET_GENERATED_NOW);
    assert_string_equal(secret_source_name(SECRET_FROM_ENV), "REPRIGHT_JWT_SECRET");
    assert_string_equal(secret_source_name(SECRET_FROM_FILE), "REPRIGHT_JWT_SECRET_FILE");
    assert_string_equal(secret_source_name(SECRET_GENERATED_NOW), "generated");
    assert_string_equal(secret_source_name(SECRET_FROM_DATA_DIR), "data directory");
    assert_string_equal(secret_source_name((enum secret_source)0), "unknown");

    /* the environment-reading wrapper */
    setenv("REPRIGHT_JWT_SECRET", b64_32, 1);
    assert_int_equal(secret_load(NULL, &s, msg, sizeof msg), 0);
    expect_0_to_31(&s);
    unsetenv("REPRIGHT_JWT_SECRET");
    setenv("REPRIGHT_JWT_SECRET_FILE", path, 1);
    assert_int_equal(secret_load(NULL, &s, msg, sizeof msg), 0);
    assert_int_equal(s.source, SECRET_FROM_FILE);
    unsetenv("REPRIGHT_JWT_SECRET_FILE");
}

static void secret__bad_sources_fail_with_a_message_that_names_them(void **state)
{
    (void)state;
    struct secret s;
    char msg[256], path[512];
    assert_int_equal(secret_load_from("0011", NULL, NULL, &s, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "REPRIGHT_JWT_SECRET"));
    assert_non_null(strstr(msg, "32 bytes"));
    assert_null(strstr(msg, "0011")); /* the secret itself is never echoed */
    assert_int_equal(s.len, 0);
    assert_int_equal(secret_load_from("!!!!", NULL, NULL, &s, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "not hex or base64"));
    snprintf(path, sizeof path, "%s/does-not-exist", tmpdir);
    assert_int_equal(secret_load_from(NULL, path, NULL, &s, msg, sizeof msg), RR_ERR_NOTFOUND);
    assert_non_null(strstr(msg, "REPRIGHT_JWT_SECRET_FILE"));
    assert_int_equal(secret_load_from(NULL, tmpdir, NULL, &s, msg, sizeof msg), RR_ERR_IO); /* a directory */
    snprintf(path, sizeof path, "%s/big_secret", tmpdir);
    {
        static char big[6000];
        memset(big, 'a', sizeof big - 1);
        write_file(path, big, 0600);
    }
    assert_int_equal(secret_load_from(NULL, path, NULL, &s, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_int_equal(secret_load_from(NULL, NULL, NULL, &s, msg, sizeof msg), RR_ERR_INVAL);
    assert_non_null(strstr(msg, "no secret configured"));
    assert_int_equal(secret_load_from(NULL, NULL, "", &s, NULL, 0), RR_ERR_INVAL);
    assert_int_equal(secret_load_from(NULL, NULL, tmpdir, NULL, NULL, 0), RR_ERR_INVAL);
    /* a data dir that cannot be created */
    assert_int_equal(secret_load_from(NULL, NULL, "/proc/rr-no-such/dir", &s, msg, sizeof msg), RR_ERR_IO);
    /* an over-long data dir path */
    static char longdir[5000];
    memset(longdir, 'd', sizeof longdir - 1);
    assert_int_equal(secret_load_from(NULL, NULL, longdir, &s, msg, sizeof msg), RR_ERR_TOOBIG);
}

static void secret__generated_once_persisted_0600_and_stable(void **state)
{
    (void)state;
    struct secret a, b;
    char msg[256], dir[512], path[600];
    struct stat sb;
    snprintf(dir, sizeof dir, "%s/data", tmpdir);
    snprintf(path, sizeof path, "%s/%s", dir, SECRET_FILE_NAME);
    assert_int_equal(secret_load_from(NULL, NULL, dir, &a, msg, sizeof msg), 0);
    assert_int_equal(a.source, SECRET_GENERATED_NOW);
    assert_int_equal(a.len, SECRET_GENERATED);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 65); /* 64 hex + newline */
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0077, 0);
    assert_int_equal(secret_load_from(NULL, NULL, dir, &b, msg, sizeof msg), 0);
    assert_int_equal(b.source, SECRET_FROM_DATA_DIR);
    assert_int_equal(b.len, a.len);
    assert_memory_equal(a.bytes, b.bytes, a.len);
    /* no temporary files left behind */
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL)
        files += e->d_name[0] != '.' || strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    assert_int_equal(files, 1);

    /* group-readable: refused, like ssh keys */
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(secret_load_from(NULL, NULL, dir, &b, msg, sizeof msg), RR_ERR_FORBIDDEN);
    assert_non_null(strstr(msg, "chmod 600"));
    assert_int_equal(b.len, 0);
    assert_int_equal(chmod(path, 0600), 0);
    /* a symlink in place of the file is not followed */
    char target[600];
    snprintf(target, sizeof target, "%s/elsewhere", tmpdir);
    write_file(target, hex32, 0600);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(secret_load_from(NULL, NULL, dir, &b, msg, sizeof msg), RR_ERR_IO);
    unlink(path);
    /* a short persisted secret is refused, not extended */
    write_file(path, "00112233\n", 0600);
    assert_int_equal(secret_load_from(NULL, NULL, dir, &b, msg, sizeof msg), RR_ERR_CORRUPT);
}

static void secret__concurrent_first_starts_agree_on_one_secret(void **state)
{
    (void)state;
    char dir[512];
    int fds[4][2];
    pid_t pids[4];
    uint8_t got[4][32];
    snprintf(dir, sizeof dir, "%s/race", tmpdir);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct secret s;
            int rc = secret_load_from(NULL, NULL, dir, &s, NULL, 0);
            if (rc != 0 || s.len != 32 || write(fds[i][1], s.bytes, 32) != 32)
                _exit(1);
            _exit(0);
        }
        close(fds[i][1]);
    }
    for (int i = 0; i < 4; i++) {
        int status = 0;
        assert_int_equal(read(fds[i][0], got[i], 32), 32);
        close(fds[i][0]);
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    for (int i = 1; i < 4; i++)
        assert_memory_equal(got[0], got[i], 32);
}

static void secret__derived_keys_differ_by_label_and_are_stable(void **state)
{
    (void)state;
    struct secret s;
    uint8_t k1[32], k2[32], k3[32];
    assert_int_equal(secret_decode(hex32, strlen(hex32), &s), 0);
    assert_int_equal(secret_derive(&s, "jwt", k1), 0);
    assert_int_equal(secret_derive(&s, "token-pepper", k2), 0);
    assert_int_equal(secret_derive(&s, "jwt", k3), 0);
    assert_memory_not_equal(k1, k2, 32);
    assert_memory_equal(k1, k3, 32);
    assert_memory_not_equal(k1, s.bytes, 32);
    assert_int_equal(secret_derive(&s, NULL, k1), RR_ERR_INVAL);
    secret_clear(&s);
    assert_int_equal(s.len, 0);
    assert_int_equal(secret_derive(&s, "jwt", k1), RR_ERR_INVAL); /* cleared: unusable */
    secret_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secret__decodes_hex_and_base64_forms),
        cmocka_unit_test(secret__refuses_short_undecodable_and_oversize),
        cmocka_unit_test(secret__env_wins_over_file_and_file_over_data_dir),
        cmocka_unit_test(secret__bad_sources_fail_with_a_message_that_names_them),
        cmocka_unit_test(secret__generated_once_persisted_0600_and_stable),
        cmocka_unit_test(secret__concurrent_first_starts_agree_on_one_secret),
        cmocka_unit_test(secret__derived_keys_differ_by_label_and_are_stable),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
