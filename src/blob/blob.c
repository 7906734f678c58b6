/*
 * blob.c - the backend-independent half of the object store: URL dispatch, key rules, size
 * limit and SHA-256 while streaming, writer/reader lifetimes. Backends (blob_fs.c) only move bytes.
 *
 * DESIGN
 * - Write-through: blob_writer_write hands every chunk to the backend at once and feeds the same
 *   bytes to an incremental SHA-256 (libsodium). Memory per writer is constant (~200 bytes plus
 *   the backend's state), whatever the object size.
 * - The size limit is checked before a chunk is accepted, so an oversize stream never reaches
 *   the disk beyond the limit; the temporary object is discarded at the first refusal, not at
 *   commit/abort time, so a caller that forgets to abort leaks memory at worst, never disk.
 * - A writer that failed stays failed (sticky error): the HTTP layer can keep feeding chunks
 *   of a doomed request without special cases, and commit reports the first error.
 */
#include "blob/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/rr_assert.h"
#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "blob/blob_backend.h"

#define BLOB_COPY_CHUNK (64 * 1024)

static const struct blob_ops *const blob_backends[] = {
    &blob_fs_ops,
    &blob_s3_ops,
};

struct blob {
    const struct blob_ops *ops;
    void *state;
    int64_t max_bytes;
};

struct blob_writer {
    struct blob *b;
    void *wstate; /* NULL once the backend's temporary object is gone */
    crypto_hash_sha256_state sha;
    int64_t size;
    int err; /* sticky first error */
};

struct blob_reader {
    const struct blob_ops *ops;
    void *rstate;
    int fd;
    int64_t size;
};

int blob_key_valid(const char *key)
{
    if (!key)
        return 0;
    size_t n = strnlen(key, BLOB_KEY_MAX + 1);
    if (n == 0 || n > BLOB_KEY_MAX || key[0] == '/' || key[n - 1] == '/')
        return 0;
    size_t comp_start = 0;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
                 c == '.' || c == '-';
        if (!ok)
            return 0;
        if (c == '.' && i + 1 < n && key[i + 1] == '.')
            return 0;
        if (c == '/') {
            if (i == comp_start) /* empty component */
                return 0;
            if (i - comp_start == 1 && key[comp_start] == '.')
                return 0;
            comp_start = i + 1;
        }
    }
    if (n - comp_start == 1 && key[comp_start] == '.')
        return 0;
    return 1;
}

void blob_sha256_hex(const unsigned char digest[32], char out[BLOB_SHA256_HEX_LEN + 1])
{
    sodium_bin2hex(out, BLOB_SHA256_HEX_LEN + 1, digest, 32);
}

int blob_open(const char *url, const struct blob_options *opt, struct blob **out)
{
    int rc = 0;
    struct blob *b = NULL;
    if (!url || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    const char *colon = strchr(url, ':');
    if (!colon || colon == url)
        return RR_ERR_INVAL;
    size_t slen = (size_t)(colon - url);
    const struct blob_ops *ops = NULL;
    for (size_t i = 0; i < sizeof blob_backends / sizeof blob_backends[0]; i++) {
        if (strlen(blob_backends[i]->scheme) == slen &&
            memcmp(blob_backends[i]->scheme, url, slen) == 0)
            ops = blob_backends[i];
    }
    if (!ops)
        return RR_ERR_UNSUPPORTED;
    b = calloc(1, sizeof *b);
    if (!b)
        return RR_ERR_NOMEM;
    b->ops = ops;
    b->max_bytes = (opt && opt->max_bytes > 0) ? opt->max_bytes : BLOB_DEFAULT_MAX_BYTES;
    rc = ops->open(colon + 1, &b->state);
    if (rc < 0)
        goto out;
    *out = b;
    b = NULL;
out:
    free(b);
    return rc;
}

void blob_close(struct blob *b)
{
    if (!b)
        return;
    b->ops->close(b->state);
    free(b);
}

int64_t blob_max_bytes(const struct blob *b)
{
    return b->max_bytes;
}

int blob_writer_begin(struct blob *b, const char *key, struct blob_writer **out)
{
    if (!b || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    if (!blob_key_valid(key))
        return RR_ERR_INVAL;
    struct blob_writer *w = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : calloc(1, sizeof *w);
    if (!w)
        return RR_ERR_NOMEM;
    int rc = b->ops->write_begin(b->state, key, &w->wstate);
    if (rc < 0) {
        free(w);
        return rc;
    }
    w->b = b;
    crypto_hash_sha256_init(&w->sha);
    *out = w;
    return 0;
}

static void blob__writer_fail(struct blob_writer *w, int err)
{
    if (w->wstate) {
        w->b->ops->write_abort(w->b->state, w->wstate);
        w->wstate = NULL;
    }
    w->err = err;
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len)
{
    if (!w)
        return RR_ERR_INVAL;
    if (w->err < 0)
        return w->err;
    RR_ASSERT(w->wstate && w->size <= w->b->max_bytes); /* a live writer within the limit */
    if (len == 0)
        return 0;
    if (!data) {
        blob__writer_fail(w, RR_ERR_INVAL);
        return w->err;
    }
    if ((uint64_t)len > (uint64_t)(w->b->max_bytes - w->size)) {
        blob__writer_fail(w, RR_ERR_TOOBIG);
        return w->err;
    }
    int rc = w->b->ops->write(w->wstate, data, len);
    if (rc < 0) {
        blob__writer_fail(w, rc);
        return rc;
    }
    crypto_hash_sha256_update(&w->sha, data, (unsigned long long)len);
    w->size += (int64_t)len;
    return 0;
}

int64_t blob_writer_size(const struct blob_writer *w)
{
    return w ? w->size : 0;
}

int blob_writer_commit(struct blob_writer *w, struct blob_info *info)
{
    if (!w)
        return RR_ERR_INVAL;
    int rc = w->err;
    if (rc < 0)
        goto out;
    unsigned char digest[32];
    crypto_hash_sha256_final(&w->sha, digest);
    rc = w->b->ops->write_commit(w->b->state, w->wstate);
    w->wstate = NULL; /* commit consumed it either way */
    if (rc < 0)
        goto out;
    if (info) {
        memset(info, 0, sizeof *info);
        info->size = w->size;
        blob_sha256_hex(digest, info->sha256);
    }
out:
    blob_writer_abort(w);
    return rc;
}

void blob_writer_abort(struct blob_writer *w)
{
    if (!w)
        return;
    if (w->wstate)
        w->b->ops->write_abort(w->b->state, w->wstate);
    sodium_memzero(&w->sha, sizeof w->sha);
    free(w);
}

/* Read all of fd from the start into the hash and (when w is non-NULL) the writer; the byte
 * count must equal expect, or the file changed under us. */
static int blob__pump(int fd, int64_t expect, crypto_hash_sha256_state *sha, struct blob_writer *w)
{
    int rc = 0;
    unsigned char *buf = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : malloc(BLOB_COPY_CHUNK);
    if (!buf)
        return RR_ERR_NOMEM;
    int64_t total = 0;
    off_t pos = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, BLOB_COPY_CHUNK, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = RR_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        pos += n;
        total += n;
        if (sha)
            crypto_hash_sha256_update(sha, buf, (unsigned long long)n);
        if (w) {
            rc = blob_writer_write(w, buf, (size_t)n);
            if (rc < 0)
                goto out;
        }
    }
    if (total != expect)
        rc = RR_ERR_IO;
out:
    free(buf);
    return rc;
}

int blob_put_file(struct blob *b, const char *key, const char *path, struct blob_info *info)
{
    int rc = 0;
    int fd = -1;
    struct blob_writer *w = NULL;
    if (!b || !path)
        return RR_ERR_INVAL;
    if (!blob_key_valid(key))
        return RR_ERR_INVAL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block the caller */
    if (fd < 0) {
        rc = errno == ENOENT ? RR_ERR_NOTFOUND : RR_ERR_IO;
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = RR_ERR_INVAL;
        goto out;
    }
    if ((int64_t)st.st_size > b->max_bytes) {
        rc = RR_ERR_TOOBIG;
        goto out;
    }
    rc = b->ops->adopt_file ? b->ops->adopt_file(b->state, key, path) : RR_ERR_UNSUPPORTED;
    if (rc == 0) {
        /* Moved: our descriptor still reads the same inode, now published under key. */
        crypto_hash_sha256_state sha;
        unsigned char digest[32];
        crypto_hash_sha256_init(&sha);
        rc = blob__pump(fd, (int64_t)st.st_size, &sha, NULL);
        crypto_hash_sha256_final(&sha, digest);
        if (rc < 0)
            goto out;
        if (info) {
            memset(info, 0, sizeof *info);
            info->size = (int64_t)st.st_size;
            blob_sha256_hex(digest, info->sha256);
        }
        goto out;
    }
    if (rc != RR_ERR_UNSUPPORTED)
        goto out;
    /* Cannot move (another filesystem, or a remote backend): copy through a writer. */
    rc = blob_writer_begin(b, key, &w);
    if (rc < 0)
        goto out;
    rc = blob__pump(fd, (int64_t)st.st_size, NULL, w);
    if (rc < 0)
        goto out;
    rc = blob_writer_commit(w, info);
    w = NULL;
    if (rc < 0)
        goto out;
    if (unlink(path) != 0)
        rc = RR_ERR_IO;
out:
    blob_writer_abort(w);
    if (fd >= 0)
        close(fd);
    return rc;
}

int blob_get(struct blob *b, const char *key, struct blob_reader **out)
{
    if (!b || !out)
        return RR_ERR_INVAL;
    *out = NULL;
    if (!blob_key_valid(key))
        return RR_ERR_INVAL;
    struct blob_reader *r = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : calloc(1, sizeof *r);
    if (!r)
        return RR_ERR_NOMEM;
    r->ops = b->ops;
    int rc = b->ops->read_open(b->state, key, &r->rstate, &r->fd, &r->size);
    if (rc < 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int64_t blob_reader_size(const struct blob_reader *r)
{
    return r->size;
}

int blob_reader_fd(const struct blob_reader *r)
{
    return r->fd;
}

int64_t blob_reader_read(struct blob_reader *r, void *buf, size_t len)
{
    if (!r || (!buf && len))
        return RR_ERR_INVAL;
    return r->ops->read(r->rstate, buf, len);
}

void blob_reader_close(struct blob_reader *r)
{
    if (!r)
        return;
    r->ops->read_close(r->rstate);
    free(r);
}

int blob_stat(struct blob *b, const char *key, struct blob_info *info)
{
    if (!b || !info)
        return RR_ERR_INVAL;
    if (!blob_key_valid(key))
        return RR_ERR_INVAL;
    memset(info, 0, sizeof *info);
    return b->ops->stat(b->state, key, info);
}

int blob_delete(struct blob *b, const char *key)
{
    if (!b)
        return RR_ERR_INVAL;
    if (!blob_key_valid(key))
        return RR_ERR_INVAL;
    return b->ops->remove(b->state, key);
}

int blob_sweep_tmp(struct blob *b, int64_t older_than_sec)
{
    if (!b || older_than_sec < 0)
        return RR_ERR_INVAL;
    return b->ops->sweep_tmp(b->state, older_than_sec);
}

int blob_free_bytes(struct blob *b, int64_t *out)
{
    if (!b || !out)
        return RR_ERR_INVAL;
    *out = -1;
    if (!b->ops->free_bytes)
        return RR_ERR_UNSUPPORTED;
    return b->ops->free_bytes(b->state, out);
}

int blob_presign(struct blob *b, const char *key, int64_t ttl_sec, char *out, size_t cap)
{
    if (!b || !out || cap == 0 || ttl_sec < 1 || ttl_sec > BLOB_PRESIGN_MAX_SECONDS)
        return RR_ERR_INVAL;
    out[0] = '\0';
    if (!blob_key_valid(key))
        return RR_ERR_INVAL;
    if (!b->ops->presign)
        return RR_ERR_UNSUPPORTED;
    return b->ops->presign(b->state, key, ttl_sec, out, cap);
}

int blob_is_remote(const struct blob *b)
{
    return b && b->ops->presign != NULL;
}

const char *blob_public_origin(const struct blob *b)
{
    return b && b->ops->origin ? b->ops->origin(b->state) : NULL;
}
