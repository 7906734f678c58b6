/*
 * blob.h - RepRight's object store: named byte streams (uploaded videos, thumbnails, overlays)
 * behind one interface, so the local-files backend and a later S3 backend look the same.
 *
 * A store is opened from a URL: "file:DIR" (local files) or "s3://BUCKET?endpoint=URL&region=R"
 * (an S3-compatible object store, blob_s3.c; credentials from the environment). Objects are
 * addressed by keys (see blob_key_valid) and written as a stream through a writer:
 *
 *     struct blob_writer *w;
 *     blob_writer_begin(b, "videos/abc.mp4", &w);
 *     blob_writer_write(w, chunk, n);           ... as many times as needed
 *     blob_writer_commit(w, &info);             (or blob_writer_abort(w))
 *
 * Bytes go straight to a temporary file (no whole-object buffering, bounded memory); the size
 * limit is enforced as bytes arrive (RR_ERR_TOOBIG, and the temporary file is removed at once);
 * SHA-256 is computed as bytes arrive and returned by commit. Commit is durable and atomic
 * (local backend: fsync temp -> rename -> fsync directory): a reader sees either the previous
 * object or the complete new one, never a prefix, even after kill -9 or power loss. Only then
 * should the caller write the database row that points at the key.
 *
 * Ownership: struct blob is opened by blob_open and freed by blob_close (after every writer and
 * reader made from it is finished). A writer is owned by the caller until blob_writer_commit or
 * blob_writer_abort, which both free it (commit frees it on failure too). A reader is freed by
 * blob_reader_close. Nothing returned points into caller memory.
 *
 * Errors (negative RR_ERR_*): INVAL (bad key, bad argument, unusable URL), UNSUPPORTED (unknown
 * URL scheme), TOOBIG (object over the store's byte limit), NOTFOUND (no such key), CONFLICT
 * (the key's path clashes with an existing object, e.g. "a" exists and "a/b" is written), IO
 * (the operating system refused; the store is unchanged), NOSPACE (the disk or quota is full:
 * ENOSPC / EDQUOT), NOMEM. Every operating-system failure is logged once by the backend
 * ({"msg":"storage error","component":"blob",...}), callers need not log it again.
 *
 * Thread-safety: a struct blob is immutable after blob_open and may be shared by any number of
 * threads; a writer or reader is used by one thread at a time. Writers to distinct keys never
 * interfere. Concurrent writers to the SAME key each write their own temporary file; the last
 * commit wins, atomically (readers see one whole version or the other, never a mix). Readers that
 * opened the previous version keep reading it until they close (local backend).
 */
#ifndef RR_BLOB_H
#define RR_BLOB_H

#include <stddef.h>
#include <stdint.h>

#define BLOB_KEY_MAX 200                     /* bytes, excluding the NUL */
#define BLOB_DEFAULT_MAX_BYTES (512LL << 20) /* per-object limit when none is configured */
#define BLOB_SHA256_HEX_LEN 64
#define BLOB_URL_MAX 4096                        /* presigned URLs */
#define BLOB_PRESIGN_MAX_SECONDS (7 * 24 * 3600) /* S3's limit */

struct blob;
struct blob_writer;
struct blob_reader;

struct blob_options {
    int64_t max_bytes; /* largest object accepted; <= 0 means BLOB_DEFAULT_MAX_BYTES */
};

struct blob_info {
    int64_t size;                         /* bytes */
    int64_t mtime;                        /* unix seconds of the last commit (stat only) */
    char sha256[BLOB_SHA256_HEX_LEN + 1]; /* lowercase hex; filled by commit/put_file only */
};

/* Open a store. url: "file:DIR" (DIR is created if missing, with DIR/tmp and DIR/objects) or
 * "s3://BUCKET?endpoint=http(s)://HOST[:PORT]&region=R[&...]" (see blob_s3.c for the
 * parameters and the credential variables; the bucket is checked with a HEAD before this
 * returns). opt may be NULL (defaults). INVAL (bad URL or no credentials), UNSUPPORTED,
 * IO (endpoint unreachable), NOTFOUND (no such bucket), FORBIDDEN (credentials refused),
 * NOMEM; the reason is logged. */
int blob_open(const char *url, const struct blob_options *opt, struct blob **out);
/* Free the store; NULL is a no-op. */
void blob_close(struct blob *b);
/* The per-object byte limit in force. */
int64_t blob_max_bytes(const struct blob *b);

/* 1 when key is acceptable, else 0: 1..BLOB_KEY_MAX bytes of [a-z0-9/_.-], no leading or
 * trailing '/', no empty component ("//"), no "." component, no ".." anywhere. Pure. */
int blob_key_valid(const char *key);

/* Start writing key. Nothing is visible under key until commit. INVAL, IO, NOMEM. */
int blob_writer_begin(struct blob *b, const char *key, struct blob_writer **out);
/* Append len bytes. TOOBIG when the object would exceed the limit: the temporary data is
 * discarded at once and the writer is dead (only commit/abort remain, and commit fails). After
 * any failure the writer keeps failing with the same code. */
int blob_writer_write(struct blob_writer *w, const void *data, size_t len);
/* Bytes accepted so far. */
int64_t blob_writer_size(const struct blob_writer *w);
/* Make the object durable and visible under its key; fill info (size, sha256) when non-NULL.
 * Frees w whatever the outcome; on failure nothing new is left behind: the key holds its
 * previous object (untouched), or - when the failure came after the object was published, at
 * the final directory fsync - nothing at all. */
int blob_writer_commit(struct blob_writer *w, struct blob_info *info);
/* Discard everything written and free w; NULL is a no-op. */
void blob_writer_abort(struct blob_writer *w);

/* Move the complete file at path (which must be on a local filesystem and not be modified
 * meanwhile) into the store under key, computing its SHA-256 (info may be NULL). On success
 * path no longer exists. The local backend renames when path is on the same filesystem and
 * copies otherwise; either way the result is as durable and atomic as a commit. TOOBIG when the
 * file is over the limit (path is then left in place). INVAL, NOTFOUND (no path), IO, NOMEM.
 * An IO after the move (a directory fsync) leaves the object under key and path gone: the
 * bytes are kept, and a retry answers NOTFOUND, so look at key (tus re-hashes it). */
int blob_put_file(struct blob *b, const char *key, const char *path, struct blob_info *info);

/* Open key for reading. NOTFOUND, INVAL, IO, NOMEM. */
int blob_get(struct blob *b, const char *key, struct blob_reader **out);
/* Size of the object as opened. */
int64_t blob_reader_size(const struct blob_reader *r);
/* A descriptor positioned at the start of the object, for zero-copy responses
 * (MHD_create_response_from_fd), or -1 when the backend has none. Owned by the reader. */
int blob_reader_fd(const struct blob_reader *r);
/* Read up to len bytes; returns the count (0 at the end) or IO. */
int64_t blob_reader_read(struct blob_reader *r, void *buf, size_t len);
/* Close and free; NULL is a no-op. */
void blob_reader_close(struct blob_reader *r);

/* Size and modification time of key (info->sha256 is left empty: the database row that points
 * at the key records the hash returned by commit). NOTFOUND, INVAL, IO. */
int blob_stat(struct blob *b, const char *key, struct blob_info *info);
/* Remove key; removing a missing key succeeds (idempotent). INVAL, IO. */
int blob_delete(struct blob *b, const char *key);

/* Remove temporary files left by writers that are gone (crashed, killed) and older than
 * older_than_sec seconds (0: any age). A live writer's temporary is never removed (the local
 * backend locks it), so this is safe at any time, also while other processes write. Returns
 * the number removed or IO. */
int blob_sweep_tmp(struct blob *b, int64_t older_than_sec);

/* Bytes free for new objects (local backend: statvfs of DIR, space available to this user).
 * UNSUPPORTED when the backend cannot tell (*out = -1); IO. */
int blob_free_bytes(struct blob *b, int64_t *out);

/* A URL that lets whoever holds it GET key (Range requests included) for ttl_sec seconds
 * (1..BLOB_PRESIGN_MAX_SECONDS), into out (cap bytes; BLOB_URL_MAX is always enough). Only for
 * backends clients can reach directly (S3); the caller checks ownership first: the link is a
 * bearer capability. UNSUPPORTED for local files (serve the bytes instead), INVAL, TOOBIG. */
int blob_presign(struct blob *b, const char *key, int64_t ttl_sec, char *out, size_t cap);
/* 1 when the store is remote and can presign (S3), 0 for local files. */
int blob_is_remote(const struct blob *b);
/* "scheme://host[:port]" that presigned links point at (for a Content-Security-Policy), or
 * NULL for local files. Owned by the store. */
const char *blob_public_origin(const struct blob *b);

/* Lowercase hex of a 32-byte digest into out (65 bytes). */
void blob_sha256_hex(const unsigned char digest[32], char out[BLOB_SHA256_HEX_LEN + 1]);

#endif
