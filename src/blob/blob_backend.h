/*
 * blob_backend.h - the vtable a blob backend implements (internal to src/blob).
 *
 * blob.c does everything that is the same for every backend: URL scheme dispatch, key
 * validation, the per-object size limit, SHA-256 of the bytes as they pass, writer/reader
 * lifetimes. A backend only moves bytes. Keys reaching a backend are already valid
 * (blob_key_valid), sizes already checked. Errors are RR_ERR_* codes as in blob.h.
 *
 * Adding a backend (blob_s3.c is the second): one file defining a `const struct blob_ops`, one line
 * in the backend table in blob.c. Every op must be safe to call from several threads at once on the
 * same state (the state is read-only after open); per-writer/per-reader state is the op's own.
 */
#ifndef RR_BLOB_BACKEND_H
#define RR_BLOB_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "blob/blob.h"

struct blob_ops {
    const char *scheme; /* URL scheme without ':' */
    /* location is the URL after "scheme:". */
    int (*open)(const char *location, void **state);
    void (*close)(void *state);

    /* Start a temporary object for key; *wstate is the backend's per-writer state. */
    int (*write_begin)(void *state, const char *key, void **wstate);
    /* Append all len bytes (backend loops over short writes). */
    int (*write)(void *wstate, const void *data, size_t len);
    /* Publish durably and atomically under the key given at begin; frees wstate always. */
    int (*write_commit)(void *state, void *wstate);
    /* Discard; frees wstate. */
    void (*write_abort)(void *state, void *wstate);

    /* Move a complete local file into the store under key (already hashed by the caller).
     * RR_ERR_UNSUPPORTED when it cannot move it (e.g. another filesystem): blob.c then copies
     * through a writer. May be NULL (same as always UNSUPPORTED). */
    int (*adopt_file)(void *state, const char *key, const char *path);

    /* Open key for reading: *fd is a descriptor or -1, *size the object size. */
    int (*read_open)(void *state, const char *key, void **rstate, int *fd, int64_t *size);
    int64_t (*read)(void *rstate, void *buf, size_t len);
    void (*read_close)(void *rstate);

    int (*stat)(void *state, const char *key, struct blob_info *info);
    int (*remove)(void *state, const char *key); /* missing key: 0 */
    /* Remove temporaries of writers that are gone (older than older_than_sec; 0: any age). */
    int (*sweep_tmp)(void *state, int64_t older_than_sec);
    /* Bytes free for this store's objects; NULL when the backend cannot tell (remote stores). */
    int (*free_bytes)(void *state, int64_t *out);
    /* A URL anyone holding it can GET key with for ttl_sec seconds, into out (cap bytes; TOOBIG
     * when it does not fit). NULL when the backend has none (local files). */
    int (*presign)(void *state, const char *key, int64_t ttl_sec, char *out, size_t cap);
    /* scheme://host[:port] presigned URLs point at; NULL with presign. */
    const char *(*origin)(void *state);
};

extern const struct blob_ops blob_fs_ops;
extern const struct blob_ops blob_s3_ops;

#endif
