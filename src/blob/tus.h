/*
 * tus.h - resumable uploads (tus 1.0.0 core + creation, termination, expiration) as pure
 * request -> decision logic over the blob store and the store. No HTTP here: the HTTP layer
 * passes the request headers in (struct tus_headers), the body bytes of a PATCH in chunks, and
 * sends back what struct tus_reply says (status + headers). Location URLs, authentication and
 * the video row for a finished upload are the caller's business.
 *
 * State: the upload record is a row of the store's uploads table (store_upload_*: length,
 * durable offset, expiry, metadata, blob key, completion and SHA-256), so every process sharing
 * the database sees one state; the bytes received so far are cfg.dir/ID.part, which those
 * processes must share too (same host, or a filesystem with working flock). With a remote blob
 * store (S3, blob_is_remote) the bytes are segment objects "tus/ID/END" in the store instead
 * and cfg.dir only holds per-PATCH spools: any process sharing the database and the bucket can
 * continue an upload; concurrent PATCHes are settled by the offset's compare-and-set (409)
 * rather than a lock (no 423); see docs/internals/blob.md "remote mode".
 *
 * Durability: the offset a reply acknowledges (and HEAD reports) is always on disk: a PATCH
 * fsyncs ID.part and only then moves the row's offset forward, by compare-and-set on the offset
 * it started from; it does so at its end and every checkpoint_bytes while a long PATCH streams.
 * A crash between writing bytes and recording the offset leaves ID.part longer than the row
 * says: the next PATCH truncates it back under the upload's lock, so a client resuming from
 * HEAD's offset always continues a byte-exact prefix. When the offset reaches the length the
 * file is moved into the blob store under key (cfg.key_prefix + id) with its SHA-256, and the
 * row says complete. A HEAD or PATCH finds and finishes an upload a crash left half-done.
 *
 * Ownership: struct tus borrows the struct blob and the struct store (both must outlive it). A
 * struct tus_patch is freed by tus_patch_end (always call it, also when the client went away:
 * it persists what arrived). struct tus_reply is caller memory, plain data, copyable.
 *
 * Errors: every request function fills reply (status, headers, a short reason) and returns 0
 * for a 2xx decision or the RR_ERR_* behind the status: UNSUPPORTED (412 bad Tus-Resumable, 415
 * bad Content-Type), INVAL (400 bad header), TOOBIG (413), NOTFOUND (404 unknown id or another
 * owner's upload, 410 expired), CONFLICT (409 offset mismatch), BUSY (423 another PATCH holds the
 * upload; 503 when the database is locked), NOSPACE (507: the disk or quota is full while
 * writing the part), IO / NOMEM / CORRUPT / INTERNAL (500). Every failed system call is logged
 * once ({"msg":"storage error","component":"tus",...}); a part that is not a regular file (a
 * FIFO planted in the directory) is refused without blocking.
 *
 * Thread-safety: a struct tus may be shared by any number of threads after tus_open; requests
 * may run in parallel from any threads and processes sharing the database and cfg.dir. One
 * upload takes one PATCH at a time (an flock on ID.part); a second concurrent PATCH or DELETE
 * gets 423.
 */
#ifndef RR_BLOB_TUS_H
#define RR_BLOB_TUS_H

#include <stddef.h>
#include <stdint.h>

#include "blob/blob.h"

struct store;

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,termination,expiration"
#define TUS_ID_LEN 32         /* lowercase hex of 128 random bits */
#define TUS_OWNER_MAX 64      /* owners are store user ids (32 lowercase hex) */
#define TUS_METADATA_MAX 4096 /* bytes of the Upload-Metadata header */
#define TUS_METADATA_MAX_PAIRS 32
#define TUS_METADATA_KEY_MAX 64
#define TUS_DEFAULT_EXPIRE_SECONDS (24 * 3600)
#define TUS_DEFAULT_CHECKPOINT_BYTES (8LL << 20)
#define TUS_DEFAULT_SWEEP_SECONDS 600

struct tus;
struct tus_patch;

struct tus_config {
    struct store *store;      /* upload records (required, borrowed); its clock is tus's clock */
    const char *dir;          /* upload directory (created); same filesystem as a file: blob
                                 store's DIR lets finishing be a rename, e.g. DIR/uploads */
    int64_t max_size;         /* Tus-Max-Size; <= 0 or above blob_max_bytes: blob_max_bytes */
    int64_t expire_seconds;   /* lifetime of an upload record; <= 0: TUS_DEFAULT_EXPIRE_SECONDS */
    int64_t checkpoint_bytes; /* durable checkpoint inside a PATCH; <= 0: the default */
    int64_t sweep_seconds;    /* tus_create runs tus_sweep_expired at most this often;
                                 0: TUS_DEFAULT_SWEEP_SECONDS, < 0: never (call it yourself) */
    const char *key_prefix;   /* finished blob key = prefix + id; NULL: "uploads/" */
};

/* Request headers as received (NULL = absent). */
struct tus_headers {
    const char *tus_resumable;
    const char *upload_length;
    const char *upload_defer_length; /* refused: creation-defer-length is not offered */
    const char *upload_offset;
    const char *upload_metadata;
    const char *content_type;
    const char *content_length;
};

/* The upload record as the HTTP layer sees it (a copy of the store row). */
struct tus_upload {
    char id[TUS_ID_LEN + 1];
    char owner[TUS_OWNER_MAX + 1];
    char key[BLOB_KEY_MAX + 1]; /* blob key once complete */
    int64_t length;             /* Upload-Length */
    int64_t offset;             /* durable bytes received */
    int64_t created, expires;   /* unix seconds */
    int complete;               /* 1: the blob under key is whole and sha256 is set */
    char sha256[BLOB_SHA256_HEX_LEN + 1];
    char metadata[TUS_METADATA_MAX + 1]; /* validated Upload-Metadata as received ("" if none) */
};

#define TUS_REPLY_MAX_HEADERS 10
#define TUS_REPLY_VALUE_MAX 96 /* every value except Upload-Metadata fits */

struct tus_reply {
    int status;         /* HTTP status to send */
    int err;            /* 0 or the RR_ERR_* behind a 4xx/5xx */
    const char *reason; /* static lowercase text for the error body; NULL on success */
    size_t nheaders;
    struct {
        const char *name; /* static */
        char value[TUS_REPLY_VALUE_MAX];
    } headers[TUS_REPLY_MAX_HEADERS];
    char metadata[TUS_METADATA_MAX + 1]; /* Upload-Metadata value when has_metadata */
    int has_metadata;
};

/* Value of a reply header by name (case-insensitive), including Upload-Metadata; NULL if unset. */
const char *tus_reply_header(const struct tus_reply *r, const char *name);

/* cfg->store and cfg->dir must be set; b and cfg->store are borrowed. INVAL, IO, NOMEM. */
int tus_open(struct blob *b, const struct tus_config *cfg, struct tus **out);
void tus_close(struct tus *t);
int64_t tus_max_size(const struct tus *t);

/* OPTIONS: 204 with Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size. */
void tus_options(const struct tus *t, struct tus_reply *reply);

/* POST (creation): 201 with Upload-Offset, Upload-Expires; out (may be NULL) gets the record.
 * The caller builds Location from out->id. A zero-length upload completes at once. */
int tus_create(struct tus *t, const char *owner, const struct tus_headers *h,
               struct tus_reply *reply, struct tus_upload *out);

/* HEAD: 200 with Upload-Offset, Upload-Length, Upload-Metadata, Cache-Control: no-store. */
int tus_head(struct tus *t, const char *owner, const char *id, const struct tus_headers *h,
             struct tus_reply *reply, struct tus_upload *out);

/* PATCH in three steps. begin checks headers, the lock and the offset; on a non-zero return the
 * reply is final and *out is NULL. chunk appends body bytes (TOOBIG past Upload-Length, IO; a
 * failure is sticky and the remaining body should be dropped). end persists the durable
 * offset, finishes the upload when complete, fills the reply (204 with Upload-Offset) and
 * out (may be NULL), and frees p. */
int tus_patch_begin(struct tus *t, const char *owner, const char *id, const struct tus_headers *h,
                    struct tus_reply *reply, struct tus_patch **out);
int tus_patch_chunk(struct tus_patch *p, const void *data, size_t len);
int tus_patch_end(struct tus_patch *p, struct tus_reply *reply, struct tus_upload *out);

/* DELETE (termination): 204; removes the record and the partial file. A finished blob stays
 * (its lifetime is its database row's). */
int tus_delete(struct tus *t, const char *owner, const char *id, const struct tus_headers *h,
               struct tus_reply *reply);

/* Remove expired records and their partial files (skipping an upload whose PATCH is running),
 * then leftovers older than the expiry: partial files without a record (a crash between
 * creating the file and the row) and side files of the earlier file-based records. Handles at
 * most 256 expired records per call. Returns how many records were removed, or a store / IO
 * error. tus_create calls it every cfg.sweep_seconds. */
int tus_sweep_expired(struct tus *t);

/* Upload-Metadata: 0 when valid (or empty); INVAL (malformed, bad base64, duplicate or bad key),
 * TOOBIG (over TUS_METADATA_MAX bytes or TUS_METADATA_MAX_PAIRS pairs). Pure. */
int tus_metadata_validate(const char *raw);
/* Decoded value of key from a validated header into out (not NUL-terminated; *len bytes).
 * NOTFOUND, TOOBIG (cap too small), INVAL. Pure. */
int tus_metadata_get(const char *raw, const char *key, unsigned char *out, size_t cap, size_t *len);

#endif
