/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256), our own, for the S3 blob backend:
 * canonical request, string to sign, signing key, Authorization header and presigned URLs.
 * Pure functions over caller data (SHA-256 and HMAC-SHA256 from libsodium); no I/O, no clock
 * (the caller passes the time), no global state. Tested against AWS's published vectors
 * (tests/unit/blob/test_sigv4.c names their sources).
 *
 * Encoding rules (S3's): the path is given raw (unencoded, starting with '/') and every byte
 * except the unreserved A-Z a-z 0-9 '-' '.' '_' '~' and '/' is percent-encoded once, upper-case
 * hex. Query parameters are given raw as (name, value) pairs; both are encoded (also '/'), then
 * sorted by name and value. The canonical query string built that way is also the query string
 * to send, so what is signed is exactly what goes on the wire (sigv4_canonical_query).
 * Header names are lower-cased, values trimmed with inner runs of spaces collapsed, sorted by
 * name; every header given is signed (the caller passes host, x-amz-date and what else it signs).
 *
 * Ownership: inputs are borrowed; text outputs go into caller rr_bufs (appended) or
 * fixed-size fields of struct sigv4_result. Errors: INVAL (missing method/path/credentials, a
 * path not starting with '/', a header name outside visible ASCII, a date not
 * YYYYMMDDTHHMMSSZ), TOOBIG (more than SIGV4_MAX_PARAMS parameters or headers, or a text past
 * its buffer's cap), NOMEM. Secrets are wiped from the stack after use and never copied into
 * any output except the signature they produce.
 * Thread-safety: every function is reentrant.
 */
#ifndef RR_BLOB_SIGV4_H
#define RR_BLOB_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_buf.h"

#define SIGV4_HEX_LEN 64
#define SIGV4_DATE_LEN 16 /* 20130524T000000Z */
#define SIGV4_MAX_PARAMS 32
#define SIGV4_SIGNED_HEADERS_MAX 512
#define SIGV4_AUTH_MAX 1024
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_PRESIGN_MAX_SECONDS 604800 /* S3 refuses longer presigned links (7 days) */

struct sigv4_pair {
    const char *name;
    const char *value; /* NULL is the empty value */
};

struct sigv4_credentials {
    const char *access_key;
    const char *secret_key;
    const char *region;  /* "us-east-1" */
    const char *service; /* "s3" */
};

struct sigv4_request {
    const char *method;             /* "GET", "PUT", ... */
    const char *path;               /* raw, starts with '/' */
    const struct sigv4_pair *query; /* raw pairs; may be NULL when nquery is 0 */
    size_t nquery;
    const struct sigv4_pair *headers; /* all signed; must include host (and x-amz-date) */
    size_t nheaders;
    const char *payload_hash; /* lowercase hex SHA-256, or SIGV4_UNSIGNED_PAYLOAD */
};

struct sigv4_result {
    char signature[SIGV4_HEX_LEN + 1];
    char signed_headers[SIGV4_SIGNED_HEADERS_MAX]; /* "host;range;x-amz-date" */
    char authorization[SIGV4_AUTH_MAX];            /* the Authorization header's value */
};

/* Append the S3 URI encoding of s[0..n) to out ('/' kept when keep_slash). */
void sigv4_uri_encode(struct rr_buf *out, const char *s, size_t n, int keep_slash);

/* Append the canonical (sorted, encoded) query string of req to out; also what to send. */
int sigv4_canonical_query(const struct sigv4_request *req, struct rr_buf *out);

/* Append the canonical request to out; signed_headers (may be NULL) gets the header list. */
int sigv4_canonical_request(const struct sigv4_request *req, struct rr_buf *out,
                            char signed_headers[SIGV4_SIGNED_HEADERS_MAX]);

/* Append the string to sign for a canonical request signed at amz_date. */
int sigv4_string_to_sign(const struct sigv4_credentials *c, const char *amz_date,
                         const char *canonical_request, struct rr_buf *out);

/* Sign req at amz_date (which should also be its x-amz-date header). */
int sigv4_sign(const struct sigv4_credentials *c, const char *amz_date,
               const struct sigv4_request *req, struct sigv4_result *out);

/* Presign req (method, path, extra query, headers: at least host) for expires seconds
 * (1..SIGV4_PRESIGN_MAX_SECONDS) from amz_date: appends the query string to send, which ends
 * with &X-Amz-Signature=..., to out. The payload is UNSIGNED-PAYLOAD. */
int sigv4_presign(const struct sigv4_credentials *c, const char *amz_date, int64_t expires,
                  const struct sigv4_request *req, struct rr_buf *out);

/* "YYYYMMDDTHHMMSSZ" of unix time t (UTC) into out. */
void sigv4_amz_date(int64_t t, char out[SIGV4_DATE_LEN + 1]);

/* Lowercase hex SHA-256 of data into out. */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1]);

#endif
