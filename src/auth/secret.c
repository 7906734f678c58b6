/*
 * secret.c - load, decode, generate and persist the server secret; derive per-purpose keys.
 *
 * DESIGN. Generation must be safe when two processes start at once on an empty data directory:
 * each writes its candidate to a private temporary file (O_EXCL, 0600), fsyncs it, and link()s it
 * to the final name. link() never replaces an existing file, so exactly one candidate wins and
 * the loser reads the winner's file. The directory is fsync'd afterwards so the name survives a
 * crash. Our own file must not be readable by group or others; a secret file given by path is
 * trusted as configured (container secret mounts are often 0444 behind symlinks).
 */
#include "auth/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rr_error.h"

#define SECRET_TEXT_MAX 4096

static void set_msg(char *msg, size_t msg_size, const char *what, const char *detail)
{
    if (msg && msg_size)
        snprintf(msg, msg_size, "%s: %s", what, detail);
}

const char *secret_source_name(enum secret_source src)
{
    switch (src) {
    case SECRET_FROM_ENV:
        return "REPRIGHT_JWT_SECRET";
    case SECRET_FROM_FILE:
        return "REPRIGHT_JWT_SECRET_FILE";
    case SECRET_FROM_DATA_DIR:
        return "data directory";
    case SECRET_GENERATED_NOW:
        return "generated";
    }
    return "unknown";
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_hex_text(const char *s, size_t n)
{
    if (n == 0 || n % 2)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int has_prefix(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0; /* cmp-ok: public format prefix */
}

static int decode_hex(const char *s, size_t n, uint8_t *out, size_t max, size_t *out_len)
{
    const char *end = NULL;
    if (!is_hex_text(s, n))
        return -1;
    if (sodium_hex2bin(out, max, s, n, NULL, out_len, &end) != 0 || end != s + n)
        return -1;
    return 0;
}

static int decode_b64(const char *s, size_t n, uint8_t *out, size_t max, size_t *out_len)
{
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING,
    };
    if (n == 0)
        return -1;
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        if (sodium_base642bin(out, max, s, n, NULL, out_len, NULL, variants[i]) == 0)
            return 0;
    }
    return -1;
}

int secret_decode(const char *text, size_t len, struct secret *out)
{
    uint8_t tmp[SECRET_TEXT_MAX];
    size_t n = 0;
    int rc, err = 0;

    if (!text || !out)
        return RR_ERR_INVAL;
    out->len = 0;
    while (len && is_space(text[0])) {
        text++;
        len--;
    }
    while (len && is_space(text[len - 1]))
        len--;
    if (len > SECRET_TEXT_MAX)
        return RR_ERR_TOOBIG;
    if (len == 0)
        return RR_ERR_CORRUPT;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    if (has_prefix(text, len, "hex:"))
        rc = decode_hex(text + 4, len - 4, tmp, sizeof tmp, &n);
    else if (has_prefix(text, len, "base64:"))
        rc = decode_b64(text + 7, len - 7, tmp, sizeof tmp, &n);
    else if (is_hex_text(text, len))
        rc = decode_hex(text, len, tmp, sizeof tmp, &n);
    else
        rc = decode_b64(text, len, tmp, sizeof tmp, &n);
    if (rc != 0) {
        err = RR_ERR_INVAL;
        goto out;
    }
    if (n > SECRET_MAX) {
        err = RR_ERR_TOOBIG;
        goto out;
    }
    if (n < SECRET_MIN) {
        err = RR_ERR_CORRUPT;
        goto out;
    }
    memcpy(out->bytes, tmp, n);
    out->len = n;
out:
    sodium_memzero(tmp, sizeof tmp);
    return err;
}

/* Read a small regular file. private_only: refuse group/other permissions. */
static int read_secret_file(const char *path, int flags, int private_only, char *buf, size_t max,
                            size_t *len)
{
    struct stat sb;
    size_t n = 0;
    int fd, err = 0;

    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        return errno == ENOENT ? RR_ERR_NOTFOUND : RR_ERR_IO;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        err = RR_ERR_IO;
        goto out;
    }
    if (private_only && (sb.st_mode & 077)) {
        err = RR_ERR_FORBIDDEN;
        goto out;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > max) {
        err = RR_ERR_TOOBIG;
        goto out;
    }
    while (n < max) {
        ssize_t r = read(fd, buf + n, max - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = RR_ERR_IO;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
out:
    close(fd);
    return err;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Create <dir>/jwt_secret unless it exists. 0 = we created it, 1 = it already existed. */
static int generate_file(const char *dir, const char *path)
{
    char tmp_path[4096], text[SECRET_GENERATED * 2 + 2], tag[17];
    uint8_t raw[SECRET_GENERATED], rnd[8];
    int fd = -1, err = 0, n;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return RR_ERR_IO;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(tag, sizeof tag, rnd, sizeof rnd);
    n = snprintf(tmp_path, sizeof tmp_path, "%s/.%s.%s.tmp", dir, SECRET_FILE_NAME, tag);
    if (n < 0 || (size_t)n >= sizeof tmp_path)
        return RR_ERR_TOOBIG;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(text, sizeof text, raw, sizeof raw);
    text[SECRET_GENERATED * 2] = '\n';
    text[SECRET_GENERATED * 2 + 1] = '\0';

    fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = RR_ERR_IO;
        goto out;
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, SECRET_GENERATED * 2 + 1) != 0 ||
        fsync(fd) != 0) {
        err = RR_ERR_IO;
        goto out;
    }
    close(fd);
    fd = -1;
    if (link(tmp_path, path) != 0)
        err = errno == EEXIST ? 1 : RR_ERR_IO;
    unlink(tmp_path);
    if (err == 0)
        fsync_dir(dir);
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp_path);
    }
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(text, sizeof text);
    return err;
}

int secret_load_from(const char *env_value, const char *env_file, const char *data_dir,
                     struct secret *out, char *msg, size_t msg_size)
{
    char buf[SECRET_TEXT_MAX], path[4096];
    size_t len = 0;
    int err, generated = 0;
    const char *what = "secret";

    if (msg && msg_size)
        msg[0] = '\0';
    if (!out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;

    if (env_value && env_value[0]) {
        what = "REPRIGHT_JWT_SECRET";
        err = secret_decode(env_value, strlen(env_value), out);
        if (err == 0)
            out->source = SECRET_FROM_ENV;
        goto out;
    }
    if (env_file && env_file[0]) {
        what = "REPRIGHT_JWT_SECRET_FILE";
        err = read_secret_file(env_file, 0, 0, buf, sizeof buf, &len);
        if (err == 0)
            err = secret_decode(buf, len, out);
        if (err == 0)
            out->source = SECRET_FROM_FILE;
        goto out;
    }
    what = "data directory secret";
    if (!data_dir || !data_dir[0]) {
        err = RR_ERR_INVAL;
        set_msg(msg, msg_size, what, "no secret configured and no data directory");
        return err;
    }
    err = snprintf(path, sizeof path, "%s/%s", data_dir, SECRET_FILE_NAME);
    if (err < 0 || (size_t)err >= sizeof path) {
        err = RR_ERR_TOOBIG;
        goto out;
    }
    err = read_secret_file(path, O_NOFOLLOW, 1, buf, sizeof buf, &len);
    if (err == RR_ERR_NOTFOUND) {
        err = generate_file(data_dir, path);
        generated = err == 0;
        if (err >= 0)
            err = read_secret_file(path, O_NOFOLLOW, 1, buf, sizeof buf, &len);
    }
    if (err == 0)
        err = secret_decode(buf, len, out);
    if (err == 0)
        out->source = generated ? SECRET_GENERATED_NOW : SECRET_FROM_DATA_DIR;
out:
    sodium_memzero(buf, sizeof buf);
    if (err != 0) {
        const char *detail = rr_strerror(err);
        if (err == RR_ERR_CORRUPT)
            detail = "secret shorter than 32 bytes (256 bits)";
        else if (err == RR_ERR_INVAL)
            detail = "not hex or base64";
        else if (err == RR_ERR_FORBIDDEN)
            detail = "file readable by group or others (chmod 600)";
        set_msg(msg, msg_size, what, detail);
        secret_clear(out);
    }
    return err;
}

int secret_load(const char *data_dir, struct secret *out, char *msg, size_t msg_size)
{
    return secret_load_from(getenv("REPRIGHT_JWT_SECRET"), getenv("REPRIGHT_JWT_SECRET_FILE"),
                            data_dir, out, msg, msg_size);
}

int secret_derive(const struct secret *s, const char *label, uint8_t out[32])
{
    crypto_auth_hmacsha256_state st;
    static const char ns[] = "repright/";
    if (!s || !label || !out || s->len < SECRET_MIN || s->len > SECRET_MAX)
        return RR_ERR_INVAL;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    crypto_auth_hmacsha256_init(&st, s->bytes, s->len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ns, sizeof ns - 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, strlen(label));
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
    return 0;
}

void secret_clear(struct secret *s)
{
    if (s)
        sodium_memzero(s, sizeof *s);
}
