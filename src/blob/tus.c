/*
 * tus.c - tus 1.0.0 resumable uploads as header/chunk -> decision logic over the blob store,
 * with the upload records in the store.
 *
 * DESIGN
 * - The row's offset is the durable offset: the count of bytes that were fsync'd in ID.part
 *   before the row was moved to it. Moving it is a compare-and-set on the offset the PATCH
 *   started from (store_upload_set_offset), so two processes can never both advance one upload.
 *   ID.part may be longer after a crash (bytes written but never recorded); the next PATCH
 *   truncates it back under the upload's lock, so a client resuming from HEAD's offset always
 *   continues a byte-exact prefix. If ID.part is somehow shorter, the smaller size is reported
 *   and recorded: we never claim bytes that are not on disk.
 * - After a failed fsync the bytes' fate is unknown (a second fsync may report success for
 *   pages the kernel already dropped), so that PATCH records nothing more; the next one
 *   truncates back to the row's offset.
 * - One writer per upload: PATCH and DELETE take flock(LOCK_EX|LOCK_NB) on ID.part and answer
 *   423 when it is held. The lock belongs to the open file, so it works between threads of one
 *   process and between processes sharing the directory, and a killed process releases it.
 * - Finishing: the row already says offset == length; move ID.part into the blob store
 *   (blob_put_file: rename + SHA-256), then mark the row complete with the hash. A crash between
 *   the two is repaired by the next HEAD or PATCH (the part is moved if still there, else the
 *   blob already holds it and is hashed again).
 * - Expiry is garbage-collected by tus_sweep_expired, which tus_create runs every
 *   sweep_seconds (one thread at a time, chosen by compare-and-swap on the next due time).
 * - Headers are parsed strictly: decimal digits only, no signs or spaces, overflow refused;
 *   metadata keys are visible ASCII without ',', '"' or '\\' and values strict base64, so the
 *   raw header can be echoed and stored without escaping.
 */
#include "blob/tus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/rr_assert.h"
#include "base/rr_error.h"
#include "base/rr_fault.h"
#include "base/rr_log.h"
#include "store/store.h"

#define TUS_DIR_MAX 3072
#define TUS_PREFIX_MAX (BLOB_KEY_MAX - TUS_ID_LEN)
#define TUS_NAME_MAX 64
#define TUS_HASH_CHUNK (64 * 1024)
#define TUS_MAX_EXPIRE_SECONDS (3650LL * 24 * 3600)
#define TUS_SWEEP_BATCH 256
#define TUS_DATE_MAX 253402300799LL /* 9999-12-31T23:59:59Z */
#define TUS_SEG_HDR_LEN 35          /* "rrtus-segment %020lld\n" */
#define TUS_SEG_MAX 100000          /* segments one upload may have (a chain walk bound) */

struct tus {
    struct blob *blob;
    struct store *store;
    char dir[TUS_DIR_MAX];
    int dir_fd;
    int64_t max_size;
    int64_t expire; /* seconds */
    int64_t checkpoint;
    int64_t sweep_ms;           /* 0: never */
    _Atomic int64_t next_sweep; /* store clock, ms */
    char prefix[TUS_PREFIX_MAX + 1];
    int remote; /* the blob store is remote (S3): partial data lives in it, see "remote mode" */
};

struct tus_patch {
    struct tus *t;
    struct tus_upload rec; /* rec.offset: the row's offset, as last recorded by this PATCH */
    int fd;
    int64_t pos;      /* bytes in ID.part */
    int64_t unsynced; /* bytes since the last durable checkpoint */
    int err;          /* sticky */
    int sync_failed;  /* an fsync failed: nothing more may be recorded */
    int spool;        /* remote mode: 1 when fd is a local spool of bytes past rec.offset */
};

/* ---- replies ---------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void reply_add(struct tus_reply *r, const char *name,
                                                            const char *fmt, ...)
{
    if (r->nheaders >= TUS_REPLY_MAX_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->headers[r->nheaders].value, TUS_REPLY_VALUE_MAX, fmt, ap);
    va_end(ap);
    r->headers[r->nheaders].name = name;
    r->nheaders++;
}

static void reply_start(struct tus_reply *r, int status)
{
    r->status = status;
    r->err = 0;
    r->reason = NULL;
    r->nheaders = 0;
    r->has_metadata = 0;
    r->metadata[0] = '\0';
    reply_add(r, "Tus-Resumable", "%s", TUS_VERSION);
}

static int reply_fail(struct tus_reply *r, int status, int err, const char *reason)
{
    reply_start(r, status);
    r->err = err;
    r->reason = reason;
    if (status == 412)
        reply_add(r, "Tus-Version", "%s", TUS_VERSION);
    return err;
}

/* 500 for store/OS failures, the matching status for the few codes a helper can pass up (503
 * when the database stayed locked: the client may retry). */
static int reply_from_err(struct tus_reply *r, int err)
{
    switch (err) {
    case RR_ERR_NOTFOUND:
        return reply_fail(r, 404, err, "upload not found");
    case RR_ERR_BUSY:
        return reply_fail(r, 423, err, "upload is locked by another request");
    case RR_ERR_TIMEOUT:
        return reply_fail(r, 503, err, "upload storage is busy, try again");
    case RR_ERR_TOOBIG:
        return reply_fail(r, 413, err, "upload exceeds its declared length or the size limit");
    case RR_ERR_CONFLICT:
        return reply_fail(r, 409, err, "upload changed under this request");
    case RR_ERR_NOSPACE:
        return reply_fail(r, 507, err, "not enough storage space for this upload");
    default:
        return reply_fail(r, 500, err, "upload storage failure");
    }
}

const char *tus_reply_header(const struct tus_reply *r, const char *name)
{
    if (r->has_metadata && strcasecmp(name, "Upload-Metadata") == 0)
        return r->metadata;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

static void format_http_date(int64_t when, char *out, size_t cap)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* An HTTP-date has four year digits: clamp to 1970..9999 (the store's millisecond clock
     * reaches far beyond, and gmtime cannot fail inside this range). */
    time_t tt = (time_t)(when < 0 ? 0 : when > TUS_DATE_MAX ? TUS_DATE_MAX : when);
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The headers every state-describing reply carries. */
static void reply_describe(struct tus_reply *r, const struct tus_upload *u, int with_length)
{
    RR_ASSERT(u->offset >= 0 && u->offset <= u->length);
    reply_add(r, "Upload-Offset", "%lld", (long long)u->offset);
    if (with_length)
        reply_add(r, "Upload-Length", "%lld", (long long)u->length);
    if (!u->complete) {
        char date[40];
        format_http_date(u->expires, date, sizeof date);
        reply_add(r, "Upload-Expires", "%s", date);
    }
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* Non-negative decimal integer, digits only, no overflow. */
static int parse_uint(const char *s, int64_t *out)
{
    int64_t v = 0;
    if (!s || !*s)
        return RR_ERR_INVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return RR_ERR_INVAL;
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return RR_ERR_INVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int check_resumable(const struct tus_headers *h, struct tus_reply *r)
{
    if (!h || !h->tus_resumable || strcmp(h->tus_resumable, TUS_VERSION) != 0)
        return reply_fail(r, 412, RR_ERR_UNSUPPORTED, "tus-resumable must be 1.0.0");
    return 0;
}

static int is_hex_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

static int valid_id(const char *id)
{
    return id && strnlen(id, TUS_ID_LEN + 1) == TUS_ID_LEN && is_hex_lower(id, TUS_ID_LEN);
}

/* Owners are the authenticated user's store id. */
static int valid_owner(const char *o)
{
    return valid_id(o);
}

/* ---- Upload-Metadata ---------------------------------------------------------------------- */

struct meta_pair {
    const char *key;
    size_t key_len;
    const char *val;
    size_t val_len;
};

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int meta_key_char(char c)
{
    return c > 0x20 && c < 0x7f && c != ',' && c != '"' && c != '\\';
}

/* Strict base64 (padded, or unpadded), decoded into out when out is non-NULL. */
static int meta_decode(const char *v, size_t n, unsigned char *out, size_t cap, size_t *len)
{
    unsigned char scratch[TUS_METADATA_MAX];
    size_t got = 0;
    if (n == 0) {
        *len = 0;
        return 0;
    }
    if (n > sizeof scratch)
        return RR_ERR_INVAL;
    if (sodium_base642bin(scratch, sizeof scratch, v, n, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 &&
        sodium_base642bin(scratch, sizeof scratch, v, n, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
        return RR_ERR_INVAL;
    if (out) {
        if (got > cap)
            return RR_ERR_TOOBIG;
        memcpy(out, scratch, got);
    }
    *len = got;
    return 0;
}

static int meta_parse(const char *raw, struct meta_pair *pairs, size_t *npairs)
{
    size_t total = strnlen(raw, TUS_METADATA_MAX + 1);
    *npairs = 0;
    if (total > TUS_METADATA_MAX)
        return RR_ERR_TOOBIG;
    if (total == 0)
        return 0;
    const char *p = raw;
    const char *end = raw + total;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *a = p;
        const char *b = stop;
        while (a < b && is_ows(*a))
            a++;
        while (b > a && is_ows(b[-1]))
            b--;
        if (a == b)
            return RR_ERR_INVAL; /* empty pair */
        if (*npairs == TUS_METADATA_MAX_PAIRS)
            return RR_ERR_TOOBIG;
        struct meta_pair *mp = &pairs[*npairs];
        mp->key = a;
        while (a < b && !is_ows(*a)) {
            if (!meta_key_char(*a))
                return RR_ERR_INVAL;
            a++;
        }
        mp->key_len = (size_t)(a - mp->key);
        if (mp->key_len > TUS_METADATA_KEY_MAX)
            return RR_ERR_INVAL;
        while (a < b && is_ows(*a))
            a++;
        mp->val = a;
        mp->val_len = (size_t)(b - a);
        size_t dummy;
        if (meta_decode(mp->val, mp->val_len, NULL, 0, &dummy) < 0)
            return RR_ERR_INVAL;
        for (size_t i = 0; i < *npairs; i++) {
            if (pairs[i].key_len == mp->key_len && memcmp(pairs[i].key, mp->key, mp->key_len) == 0)
                return RR_ERR_INVAL; /* duplicate key */
        }
        (*npairs)++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int tus_metadata_validate(const char *raw)
{
    struct meta_pair pairs[TUS_METADATA_MAX_PAIRS];
    size_t n;
    if (!raw)
        return RR_ERR_INVAL;
    return meta_parse(raw, pairs, &n);
}

int tus_metadata_get(const char *raw, const char *key, unsigned char *out, size_t cap, size_t *len)
{
    struct meta_pair pairs[TUS_METADATA_MAX_PAIRS];
    size_t n;
    if (!raw || !key || !len)
        return RR_ERR_INVAL;
    int rc = meta_parse(raw, pairs, &n);
    if (rc < 0)
        return rc;
    size_t klen = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].key_len == klen && memcmp(pairs[i].key, key, klen) == 0)
            return meta_decode(pairs[i].val, pairs[i].val_len, out, cap, len);
    }
    return RR_ERR_NOTFOUND;
}

/* ---- open / options --------------------------------------------------------------------- */

int tus_open(struct blob *b, const struct tus_config *cfg, struct tus **out)
{
    if (!b || !cfg || !cfg->store || !cfg->dir || !out || cfg->dir[0] == '\0')
        return RR_ERR_INVAL;
    *out = NULL;
    const char *prefix = cfg->key_prefix ? cfg->key_prefix : "uploads/";
    char probe[BLOB_KEY_MAX + 1];
    if (strlen(cfg->dir) >= TUS_DIR_MAX || strlen(prefix) > TUS_PREFIX_MAX)
        return RR_ERR_INVAL;
    snprintf(probe, sizeof probe, "%s%032d", prefix, 0);
    if (!blob_key_valid(probe))
        return RR_ERR_INVAL;
    if (sodium_init() < 0)
        return RR_ERR_INTERNAL;
    struct tus *t = calloc(1, sizeof *t);
    if (!t)
        return RR_ERR_NOMEM;
    t->blob = b;
    t->store = cfg->store;
    snprintf(t->dir, sizeof t->dir, "%s", cfg->dir);
    snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
    int64_t limit = blob_max_bytes(b);
    t->max_size = (cfg->max_size > 0 && cfg->max_size < limit) ? cfg->max_size : limit;
    t->expire = cfg->expire_seconds > 0 ? cfg->expire_seconds : TUS_DEFAULT_EXPIRE_SECONDS;
    if (t->expire > TUS_MAX_EXPIRE_SECONDS)
        t->expire = TUS_MAX_EXPIRE_SECONDS; /* keeps created + expire far from overflow */
    t->checkpoint =
        cfg->checkpoint_bytes > 0 ? cfg->checkpoint_bytes : TUS_DEFAULT_CHECKPOINT_BYTES;
    int64_t sweep = cfg->sweep_seconds == 0 ? TUS_DEFAULT_SWEEP_SECONDS : cfg->sweep_seconds;
    t->sweep_ms =
        sweep < 0 ? 0 : (sweep > TUS_MAX_EXPIRE_SECONDS ? TUS_MAX_EXPIRE_SECONDS : sweep) * 1000;
    atomic_init(&t->next_sweep, 0); /* the first create sweeps what earlier runs left */
    t->remote = blob_is_remote(b);
    if (mkdir(t->dir, 0750) != 0 && errno != EEXIST) {
        free(t);
        return RR_ERR_IO;
    }
    t->dir_fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->dir_fd < 0) {
        free(t);
        return RR_ERR_IO;
    }
    *out = t;
    return 0;
}

void tus_close(struct tus *t)
{
    if (!t)
        return;
    close(t->dir_fd);
    free(t);
}

int64_t tus_max_size(const struct tus *t)
{
    return t->max_size;
}

void tus_options(const struct tus *t, struct tus_reply *reply)
{
    reply_start(reply, 204);
    reply_add(reply, "Tus-Version", "%s", TUS_VERSION);
    reply_add(reply, "Tus-Extension", "%s", TUS_EXTENSIONS);
    reply_add(reply, "Tus-Max-Size", "%lld", (long long)t->max_size);
}

/* ---- shared steps ------------------------------------------------------------------------- */

static void part_name(const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s.part", id);
}

static int64_t now_ms(const struct tus *t)
{
    return store_now(t->store);
}

/* A store failure as tus reports it: the database staying locked is not the upload's lock. */
static int store_err(int rc)
{
    return rc == RR_ERR_BUSY ? RR_ERR_TIMEOUT : rc;
}

/* A failed system call on an upload's files: one log line (the only place that knows errno),
 * and NOSPACE for a full disk or quota (HTTP 507), IO for anything else. */
static int os_fail(const char *op, const char *id, int e)
{
    int code = (e == ENOSPC || e == EDQUOT) ? RR_ERR_NOSPACE : RR_ERR_IO;
    rr_log(RR_LOG_ERROR, "storage error", RR_LOG_STR("component", "tus"), RR_LOG_STR("op", op),
           RR_LOG_STR("upload_id", id), RR_LOG_STR("error", strerror(e)),
           RR_LOG_STR("code", rr_errname(code)));
    return code;
}

static int sync_dir(int dir_fd)
{
    return rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) || fsync(dir_fd) != 0
               ? os_fail("fsync directory", "", errno)
               : 0;
}

/* The store row as a tus record; CORRUPT when the row breaks the record's rules (a database
 * written by something else). */
static int from_row(const struct store_upload *row, struct tus_upload *u)
{
    memset(u, 0, sizeof *u);
    if (row->offset < 0 || row->offset > row->length || !blob_key_valid(row->blob_key) ||
        (row->complete && strlen(row->sha256) != BLOB_SHA256_HEX_LEN) ||
        strlen(row->metadata) > TUS_METADATA_MAX)
        return RR_ERR_CORRUPT;
    memcpy(u->id, row->id, sizeof u->id);
    memcpy(u->owner, row->user_id, STORE_ID_LEN + 1);
    memcpy(u->key, row->blob_key, strlen(row->blob_key) + 1);
    u->length = row->length;
    u->offset = row->offset;
    u->created = row->created_at / 1000;
    u->expires = row->expires_at / 1000;
    u->complete = row->complete;
    memcpy(u->sha256, row->sha256, sizeof u->sha256);
    memcpy(u->metadata, row->metadata, strlen(row->metadata) + 1);
    return 0;
}

/* Load an upload (owner NULL: system access) into u; *expired set from the store clock. */
static int load(struct tus *t, const char *owner, const char *id, struct tus_upload *u,
                int *expired)
{
    struct store_upload *row = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : malloc(sizeof *row);
    if (!row)
        return RR_ERR_NOMEM;
    int rc = store_upload_get(t->store, owner, id, row);
    if (rc == 0)
        rc = from_row(row, u);
    if (rc == 0 && expired)
        *expired = !row->complete && row->expires_at <= now_ms(t);
    free(row);
    return store_err(rc);
}

/* Load id for owner; fills reply and returns its code on failure. */
static int load_visible(struct tus *t, const char *owner, const char *id, int allow_expired,
                        struct tus_upload *u, struct tus_reply *r)
{
    int expired = 0;
    if (!valid_owner(owner) || !valid_id(id))
        return reply_fail(r, 404, RR_ERR_NOTFOUND, "upload not found");
    int rc = load(t, owner, id, u, &expired);
    if (rc == RR_ERR_NOTFOUND)
        return reply_fail(r, 404, RR_ERR_NOTFOUND, "upload not found");
    if (rc < 0)
        return reply_from_err(r, rc);
    if (!allow_expired && expired)
        return reply_fail(r, 410, RR_ERR_NOTFOUND, "upload expired");
    return 0;
}

/* Move the durable offset from u->offset to offset (compare-and-set); u follows on success. */
static int record_offset(struct tus *t, struct tus_upload *u, int64_t offset)
{
    int rc = store_err(store_upload_set_offset(t->store, u->id, u->offset, offset));
    if (rc == 0)
        u->offset = offset;
    return rc;
}

/* Hash the blob under u->key (recovery after a crash between the move and the row update). */
static int hash_blob(struct tus *t, struct tus_upload *u)
{
    struct blob_reader *rd = NULL;
    unsigned char *buf = NULL;
    crypto_hash_sha256_state sha;
    unsigned char digest[32];
    int64_t total = 0;
    int rc = blob_get(t->blob, u->key, &rd);
    if (rc < 0)
        goto out;
    buf = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : malloc(TUS_HASH_CHUNK);
    if (!buf) {
        rc = RR_ERR_NOMEM;
        goto out;
    }
    crypto_hash_sha256_init(&sha);
    for (;;) {
        int64_t n = blob_reader_read(rd, buf, TUS_HASH_CHUNK);
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&sha, buf, (unsigned long long)n);
        total += n;
    }
    crypto_hash_sha256_final(&sha, digest);
    if (total != u->length) {
        rc = RR_ERR_CORRUPT;
        goto out;
    }
    blob_sha256_hex(digest, u->sha256);
out:
    free(buf);
    blob_reader_close(rd);
    return rc;
}

/* ---- remote mode (S3) ----------------------------------------------------------------------
 * Partial data lives in the blob store, so any process sharing the database and the bucket can
 * continue an upload. Each durable checkpoint of a PATCH uploads the bytes it received since
 * the row's offset as one segment object "tus/ID/END" (END = the offset after it, 20 digits),
 * which starts with a TUS_SEG_HDR_LEN-byte header naming its start offset, and only then moves
 * the row's offset by compare-and-set: the row's offset is the end of the last segment, and the
 * chain is walked backwards from it (each header names the previous end) down to 0. Segments
 * are never edited; two PATCHes racing from one offset both write under their own end and only
 * one moves the row (the other gets 409), and a segment of a lost race is either off the chain
 * or, same end, the same byte range of the same upload. No lock is needed across hosts.
 * Finishing streams the chain into the final key through one writer (multipart on S3), which
 * also yields the SHA-256, then marks the row complete and removes the segments. */

static void seg_key(const char *id, int64_t end, char *out, size_t cap)
{
    snprintf(out, cap, "tus/%s/%020lld", id, (long long)end);
}

/* The start offset written in the header of the segment ending at end. */
static int seg_start(struct tus *t, const char *id, int64_t end, int64_t *start)
{
    char key[BLOB_KEY_MAX + 1], hdr[TUS_SEG_HDR_LEN + 1];
    struct blob_reader *r = NULL;
    seg_key(id, end, key, sizeof key);
    int rc = blob_get(t->blob, key, &r);
    if (rc < 0)
        return rc;
    int64_t got = 0, n = 1;
    while (got < TUS_SEG_HDR_LEN && n > 0) {
        n = blob_reader_read(r, hdr + got, (size_t)(TUS_SEG_HDR_LEN - got));
        got += n > 0 ? n : 0;
    }
    int64_t size = blob_reader_size(r);
    blob_reader_close(r);
    if (n < 0)
        return (int)n;
    hdr[got] = '\0';
    long long v = -1;
    if (got != TUS_SEG_HDR_LEN || sscanf(hdr, "rrtus-segment %20lld", &v) != 1 || v < 0 ||
        v >= end || size != TUS_SEG_HDR_LEN + (end - v))
        return RR_ERR_CORRUPT;
    *start = (int64_t)v;
    return 0;
}

/* Ends of the chain of segments of id that ends at end, oldest first, into *ends (malloc'd). */
static int seg_chain(struct tus *t, const char *id, int64_t end, int64_t **ends, size_t *n)
{
    size_t cap = 16, k = 0;
    int64_t *e = malloc(cap * sizeof *e);
    int rc = 0;
    if (!e)
        return RR_ERR_NOMEM;
    while (end > 0) {
        if (k == TUS_SEG_MAX) {
            rc = RR_ERR_CORRUPT;
            break;
        }
        if (k == cap) {
            int64_t *m = realloc(e, 2 * cap * sizeof *e);
            if (!m) {
                rc = RR_ERR_NOMEM;
                break;
            }
            e = m;
            cap *= 2;
        }
        e[k++] = end;
        rc = seg_start(t, id, end, &end);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        free(e);
        return rc;
    }
    for (size_t i = 0; i < k / 2; i++) { /* newest-first -> oldest-first */
        int64_t x = e[i];
        e[i] = e[k - 1 - i];
        e[k - 1 - i] = x;
    }
    *ends = e;
    *n = k;
    return 0;
}

/* Remove the segments of the chain ending at end (best effort: a broken chain stops it). */
static void seg_remove_chain(struct tus *t, const char *id, int64_t end)
{
    char key[BLOB_KEY_MAX + 1];
    for (size_t i = 0; end > 0 && i < TUS_SEG_MAX; i++) {
        int64_t start = 0;
        int rc = seg_start(t, id, end, &start);
        seg_key(id, end, key, sizeof key);
        blob_delete(t->blob, key);
        if (rc < 0)
            break;
        end = start;
    }
}

/* Stream the chain into u->key and mark the row complete (remote mode's finish). */
static int finish_remote(struct tus *t, struct tus_upload *u)
{
    int64_t *ends = NULL;
    size_t n = 0;
    struct blob_writer *w = NULL;
    struct blob_info info;
    char key[BLOB_KEY_MAX + 1];
    unsigned char *buf = NULL;
    RR_ASSERT(u->offset == u->length && !u->complete);
    int rc = seg_chain(t, u->id, u->length, &ends, &n);
    if (rc == RR_ERR_NOTFOUND && blob_stat(t->blob, u->key, &info) == 0 && info.size == u->length) {
        rc = hash_blob(t, u); /* assembled before a crash (or a racing finisher) */
        if (rc == 0)
            rc = store_err(store_upload_complete(t->store, u->id, u->sha256));
        if (rc == 0)
            u->complete = 1;
        return rc;
    }
    if (rc == 0)
        rc = blob_writer_begin(t->blob, u->key, &w);
    buf = rc == 0 ? malloc(TUS_HASH_CHUNK) : NULL;
    if (rc == 0 && !buf)
        rc = RR_ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct blob_reader *r = NULL;
        int64_t skip = TUS_SEG_HDR_LEN, m = 0;
        seg_key(u->id, ends[i], key, sizeof key);
        rc = blob_get(t->blob, key, &r);
        while (rc == 0 && (m = blob_reader_read(r, buf, TUS_HASH_CHUNK)) > 0) {
            int64_t off = m < skip ? m : skip;
            skip -= off;
            if (m > off)
                rc = blob_writer_write(w, buf + off, (size_t)(m - off));
        }
        if (rc == 0 && m < 0)
            rc = (int)m;
        blob_reader_close(r);
    }
    free(buf);
    if (rc == 0) {
        rc = blob_writer_commit(w, &info);
        w = NULL;
    }
    blob_writer_abort(w);
    if (rc == 0 && info.size != u->length)
        rc = RR_ERR_CORRUPT;
    if (rc == 0) {
        memcpy(u->sha256, info.sha256, sizeof u->sha256);
        rc = store_err(store_upload_complete(t->store, u->id, u->sha256));
    }
    if (rc == 0) {
        u->complete = 1;
        for (size_t i = 0; i < n; i++) {
            seg_key(u->id, ends[i], key, sizeof key);
            blob_delete(t->blob, key);
        }
    } else {
        u->sha256[0] = '\0';
    }
    free(ends);
    if (rc == RR_ERR_NOTFOUND) { /* segments removed under us: another finisher won */
        struct tus_upload fresh;
        if (load(t, NULL, u->id, &fresh, NULL) == 0 && fresh.complete) {
            *u = fresh;
            rc = 0;
        }
    }
    return rc;
}

/* Remote checkpoint: the spooled bytes (rec.offset .. pos) become a segment, then the row's
 * offset moves to pos by compare-and-set; the spool starts over. */
static int checkpoint_remote(struct tus_patch *p)
{
    char key[BLOB_KEY_MAX + 1], hdr[TUS_SEG_HDR_LEN + 1];
    struct blob_writer *w = NULL;
    unsigned char *buf = NULL;
    int64_t len = p->pos - p->rec.offset;
    if (p->sync_failed || len == 0)
        return 0;
    seg_key(p->rec.id, p->pos, key, sizeof key);
    snprintf(hdr, sizeof hdr, "rrtus-segment %020lld\n", (long long)p->rec.offset);
    int rc = blob_writer_begin(p->t->blob, key, &w);
    if (rc == 0)
        rc = blob_writer_write(w, hdr, TUS_SEG_HDR_LEN);
    buf = rc == 0 ? malloc(TUS_HASH_CHUNK) : NULL;
    if (rc == 0 && !buf)
        rc = RR_ERR_NOMEM;
    for (int64_t off = 0; rc == 0 && off < len;) {
        size_t want = (size_t)(len - off < TUS_HASH_CHUNK ? len - off : TUS_HASH_CHUNK);
        ssize_t n = pread(p->fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = os_fail("read spool", p->rec.id, n < 0 ? errno : EIO);
            break;
        }
        rc = blob_writer_write(w, buf, (size_t)n);
        off += n;
    }
    free(buf);
    if (rc == 0) {
        rc = blob_writer_commit(w, NULL);
        w = NULL;
    }
    blob_writer_abort(w);
    if (rc < 0) {
        p->sync_failed = 1; /* the spool is intact but this PATCH records nothing more */
        return rc;
    }
    rc = record_offset(p->t, &p->rec, p->pos);
    if (rc == 0) {
        p->unsynced = 0;
        if (ftruncate(p->fd, 0) != 0)
            p->sync_failed = 1;
    }
    return rc;
}

/* A local anonymous spool for one PATCH (unlinked at once). */
static int spool_open(struct tus *t, const char *id, int *fd)
{
    char path[TUS_DIR_MAX + 32];
    snprintf(path, sizeof path, "%s/spool-XXXXXX", t->dir);
    *fd = mkstemp(path);
    if (*fd < 0)
        return os_fail("create spool", id, errno);
    unlink(path);
    fcntl(*fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* The row says offset == length: move the part into the blob store and mark the row complete.
 * The caller holds the upload's lock, or the part is already gone. */
static int finish(struct tus *t, struct tus_upload *u)
{
    char path[TUS_DIR_MAX + TUS_NAME_MAX];
    struct blob_info info;
    RR_ASSERT(u->offset == u->length && !u->complete);
    if (t->remote)
        return finish_remote(t, u);
    snprintf(path, sizeof path, "%s/%s.part", t->dir, u->id);
    int rc = blob_put_file(t->blob, u->key, path, &info);
    if (rc == 0 && info.size != u->length)
        rc = RR_ERR_CORRUPT;
    if (rc == 0)
        memcpy(u->sha256, info.sha256, sizeof u->sha256);
    else if (rc == RR_ERR_NOTFOUND)
        rc = hash_blob(t, u); /* moved before a crash (or a failed row update) */
    if (rc == 0)
        rc = store_err(store_upload_complete(t->store, u->id, u->sha256));
    if (rc < 0) {
        u->sha256[0] = '\0';
        return rc;
    }
    u->complete = 1;
    return 0;
}

/* Open ID.part and take its lock without waiting. NOTFOUND, BUSY, IO. */
static int lock_part(struct tus *t, const char *id, int *fdp)
{
    char name[TUS_NAME_MAX];
    part_name(id, name, sizeof name);
    /* O_NONBLOCK + fstat: only a regular file is an upload part (never wait on a FIFO). */
    int fd = rr_fault_errno(RR_FAULT_BLOB_OPEN, EIO)
                 ? -1
                 : openat(t->dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? RR_ERR_NOTFOUND : os_fail("open", id, errno);
    struct stat reg;
    if (fstat(fd, &reg) != 0 || !S_ISREG(reg.st_mode)) {
        close(fd);
        return os_fail("open", id, EINVAL);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? RR_ERR_BUSY : os_fail("lock", id, e);
    }
    /* The name may have been moved or removed while we waited for open(): then this lock
     * protects an orphan and the caller must look again. */
    struct stat a, b;
    if (fstat(fd, &a) != 0 || fstatat(t->dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) != 0 ||
        a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
        close(fd);
        return RR_ERR_BUSY;
    }
    *fdp = fd;
    return 0;
}

/* An upload whose bytes all arrived but is not complete (crash while finishing): finish it now
 * unless another request holds it. The row is read again under the lock. */
static int settle(struct tus *t, struct tus_upload *u)
{
    int fd = -1;
    int rc = lock_part(t, u->id, &fd);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return rc;
    rc = load(t, NULL, u->id, u, NULL);
    if (rc == 0 && !u->complete && u->offset == u->length)
        rc = finish(t, u);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Run tus_sweep_expired when it is due; one caller at a time wins the due time. */
static void sweep_if_due(struct tus *t)
{
    if (t->sweep_ms == 0)
        return;
    int64_t now = now_ms(t);
    int64_t due = atomic_load(&t->next_sweep);
    if (now < due || !atomic_compare_exchange_strong(&t->next_sweep, &due, now + t->sweep_ms))
        return;
    tus_sweep_expired(t); /* best effort: what it cannot remove now waits for the next round */
}

/* ---- requests ----------------------------------------------------------------------------- */

int tus_create(struct tus *t, const char *owner, const struct tus_headers *h,
               struct tus_reply *reply, struct tus_upload *out)
{
    struct store_upload *row = NULL;
    struct tus_upload u;
    char name[TUS_NAME_MAX];
    int rc = check_resumable(h, reply);
    if (rc < 0)
        return rc;
    if (!valid_owner(owner))
        return reply_fail(reply, 400, RR_ERR_INVAL, "invalid upload owner");
    if (h->upload_defer_length)
        return reply_fail(reply, 400, RR_ERR_INVAL, "upload-defer-length is not supported");
    memset(&u, 0, sizeof u);
    if (!h->upload_length)
        return reply_fail(reply, 400, RR_ERR_INVAL, "upload-length is required");
    if (parse_uint(h->upload_length, &u.length) < 0)
        return reply_fail(reply, 400, RR_ERR_INVAL, "upload-length must be a decimal integer");
    if (u.length > t->max_size)
        return reply_fail(reply, 413, RR_ERR_TOOBIG, "upload-length exceeds tus-max-size");
    if (h->upload_metadata) {
        if (tus_metadata_validate(h->upload_metadata) < 0)
            return reply_fail(reply, 400, RR_ERR_INVAL, "upload-metadata is malformed");
        snprintf(u.metadata, sizeof u.metadata, "%s", h->upload_metadata);
    }
    sweep_if_due(t);

    row = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : calloc(1, sizeof *row);
    if (!row)
        return reply_from_err(reply, RR_ERR_NOMEM);
    store_new_id(row->id);
    snprintf(row->user_id, sizeof row->user_id, "%s", owner);
    snprintf(row->blob_key, sizeof row->blob_key, "%s%s", t->prefix, row->id);
    snprintf(row->metadata, sizeof row->metadata, "%s", u.metadata);
    row->length = u.length;
    row->expires_at = now_ms(t) + t->expire * 1000;

    /* The part first (durably named), then the row: a crash in between leaves only a part
     * without a row, which the sweep removes once it is older than the expiry. */
    int part_made = 0, row_made = 0;
    part_name(row->id, name, sizeof name);
    if (!t->remote) { /* remote mode keeps no local part (segments, see above) */
        int fd = rr_fault_errno(RR_FAULT_BLOB_OPEN, EIO)
                     ? -1
                     : openat(t->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0) {
            rc = os_fail("create", row->id, errno);
            goto out;
        }
        part_made = 1;
        rc = rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) || fsync(fd) != 0
                 ? os_fail("fsync", row->id, errno)
                 : 0;
        close(fd);
        if (rc == 0)
            rc = sync_dir(t->dir_fd);
    }
    if (rc == 0)
        rc = store_err(store_upload_create(t->store, row));
    row_made = rc == 0;
    if (rc == 0)
        rc = from_row(row, &u);
    if (rc == 0 && u.length == 0)
        rc = finish(t, &u);
out:
    if (rc < 0) {
        /* Nothing of a refused create may stay: no row, no part, no blob. Should even the row
         * refuse to go, the pair stays consistent and expires like any abandoned upload. */
        if (!row_made || store_upload_delete(t->store, NULL, row->id) == 0) {
            if (row_made && u.length == 0)
                blob_delete(t->blob, row->blob_key);
            if (part_made)
                unlinkat(t->dir_fd, name, 0);
        }
        free(row);
        if (rc == RR_ERR_NOTFOUND && !row_made) /* the owner is no user (any more) */
            return reply_fail(reply, 400, RR_ERR_INVAL, "invalid upload owner");
        return reply_from_err(reply, rc);
    }
    free(row);
    reply_start(reply, 201);
    reply_describe(reply, &u, 0);
    if (out)
        *out = u;
    return 0;
}

int tus_head(struct tus *t, const char *owner, const char *id, const struct tus_headers *h,
             struct tus_reply *reply, struct tus_upload *out)
{
    struct tus_upload u;
    int rc = check_resumable(h, reply);
    if (rc < 0)
        return rc;
    rc = load_visible(t, owner, id, 0, &u, reply);
    if (rc < 0)
        return rc;
    if (!u.complete && t->remote) {
        if (u.offset == u.length) {
            rc = finish_remote(t, &u); /* a finisher crashed, or is running: finishing twice
                                          writes the same object */
            if (rc < 0)
                return reply_from_err(reply, rc);
        }
    } else if (!u.complete) {
        char name[TUS_NAME_MAX];
        struct stat st;
        part_name(u.id, name, sizeof name);
        /* Report only what is both recorded and on disk. */
        if (fstatat(t->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            (int64_t)st.st_size < u.offset)
            u.offset = (int64_t)st.st_size;
        if (u.offset == u.length) {
            rc = settle(t, &u);
            if (rc < 0 && rc != RR_ERR_BUSY)
                return reply_from_err(reply, rc);
        }
    }
    reply_start(reply, 200);
    reply_describe(reply, &u, 1);
    reply_add(reply, "Cache-Control", "%s", "no-store");
    if (u.metadata[0]) {
        memcpy(reply->metadata, u.metadata, sizeof reply->metadata);
        reply->has_metadata = 1;
    }
    if (out)
        *out = u;
    return 0;
}

static int content_type_ok(const char *ct)
{
    static const char want[] = "application/offset+octet-stream";
    size_t n = sizeof want - 1;
    if (!ct || strncasecmp(ct, want, n) != 0)
        return 0;
    const char *rest = ct + n;
    while (is_ows(*rest))
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* Under the upload's lock: make ID.part and the row agree. Bytes past the row's offset were
 * never recorded (a crash, a failed fsync) and are cut off; a part shorter than the row (lost
 * data) moves the row back; a row at its length is finished. */
static int reconcile(struct tus *t, int fd, struct tus_upload *u)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return os_fail("stat", u->id, errno);
    if ((int64_t)st.st_size > u->offset) {
        if (rr_fault_errno(RR_FAULT_BLOB_WRITE, EIO) || ftruncate(fd, (off_t)u->offset) != 0 ||
            rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) || fsync(fd) != 0)
            return os_fail("truncate", u->id, errno);
    } else if ((int64_t)st.st_size < u->offset) {
        int rc = record_offset(t, u, (int64_t)st.st_size);
        if (rc < 0)
            return rc;
    }
    return u->offset == u->length ? finish(t, u) : 0;
}

int tus_patch_begin(struct tus *t, const char *owner, const char *id, const struct tus_headers *h,
                    struct tus_reply *reply, struct tus_patch **out)
{
    struct tus_upload u;
    int64_t client_offset = 0, content_length = -1;
    int fd = -1;
    if (!out)
        return reply_fail(reply, 500, RR_ERR_INVAL, "no patch handle");
    *out = NULL;
    int rc = check_resumable(h, reply);
    if (rc < 0)
        return rc;
    if (!content_type_ok(h->content_type))
        return reply_fail(reply, 415, RR_ERR_UNSUPPORTED,
                          "content-type must be application/offset+octet-stream");
    if (!h->upload_offset || parse_uint(h->upload_offset, &client_offset) < 0)
        return reply_fail(reply, 400, RR_ERR_INVAL, "upload-offset must be a decimal integer");
    if (h->content_length && parse_uint(h->content_length, &content_length) < 0)
        return reply_fail(reply, 400, RR_ERR_INVAL, "content-length must be a decimal integer");
    rc = load_visible(t, owner, id, 0, &u, reply);
    if (rc < 0)
        return rc;
    int spool = 0;
    if (t->remote) {
        /* no lock across hosts: the offset's compare-and-set decides (see remote mode) */
        if (!u.complete && u.offset == u.length) {
            rc = finish_remote(t, &u);
            if (rc < 0)
                return reply_from_err(reply, rc);
        }
        if (!u.complete && client_offset == u.offset && !(content_length > u.length - u.offset)) {
            rc = spool_open(t, u.id, &fd);
            if (rc < 0)
                return reply_from_err(reply, rc);
            spool = 1;
        }
    } else if (!u.complete) {
        rc = lock_part(t, u.id, &fd);
        if (rc == RR_ERR_NOTFOUND && u.offset == u.length)
            rc = settle(t, &u); /* crashed while finishing */
        if (rc < 0)
            return reply_from_err(reply, rc);
    }
    if (fd >= 0 && !spool) {
        /* Under the lock: the freshest row, and the part cut back to its durable offset. */
        rc = load_visible(t, owner, id, 0, &u, reply);
        if (rc < 0)
            goto out;
        if (!u.complete) {
            rc = reconcile(t, fd, &u);
            if (rc < 0) {
                reply_from_err(reply, rc);
                goto out;
            }
        }
    }
    if (u.complete) {
        rc = reply_fail(reply, 409, RR_ERR_CONFLICT, "upload is already complete");
        reply_describe(reply, &u, 0);
        goto out;
    }
    if (client_offset != u.offset) {
        rc = reply_fail(reply, 409, RR_ERR_CONFLICT, "upload-offset does not match");
        reply_describe(reply, &u, 0);
        goto out;
    }
    if (content_length > u.length - u.offset) {
        rc = reply_fail(reply, 413, RR_ERR_TOOBIG, "body exceeds upload-length");
        goto out;
    }
    RR_ASSERT(fd >= 0); /* an incomplete upload got here only through lock_part */
    struct tus_patch *p = rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : calloc(1, sizeof *p);
    if (!p) {
        rc = reply_from_err(reply, RR_ERR_NOMEM);
        goto out;
    }
    p->t = t;
    p->rec = u;
    p->fd = fd;
    p->pos = u.offset;
    p->spool = spool;
    fd = -1;
    *out = p;
    reply_start(reply, 204);
    reply_describe(reply, &u, 0);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* fsync the part and record the new offset: everything written so far becomes durable. */
static int checkpoint(struct tus_patch *p)
{
    if (p->spool)
        return checkpoint_remote(p);
    RR_ASSERT(p->rec.offset <= p->pos && p->pos <= p->rec.length);
    if (p->sync_failed || p->pos == p->rec.offset)
        return 0;
    if (rr_fault_errno(RR_FAULT_BLOB_FSYNC, EIO) || fsync(p->fd) != 0) {
        p->sync_failed = 1;
        return os_fail("fsync", p->rec.id, errno);
    }
    int rc = record_offset(p->t, &p->rec, p->pos);
    if (rc == 0)
        p->unsynced = 0;
    return rc;
}

int tus_patch_chunk(struct tus_patch *p, const void *data, size_t len)
{
    if (!p)
        return RR_ERR_INVAL;
    if (p->err < 0)
        return p->err;
    RR_ASSERT(p->pos >= p->rec.offset && p->pos <= p->rec.length);
    if ((uint64_t)len > (uint64_t)(p->rec.length - p->pos)) {
        p->err = RR_ERR_TOOBIG;
        return p->err;
    }
    const char *c = data;
    while (len > 0) {
        off_t at = (off_t)(p->spool ? p->pos - p->rec.offset : p->pos); /* spool: from 0 */
        ssize_t n = rr_fault_errno(RR_FAULT_BLOB_WRITE, ENOSPC) ? -1 : pwrite(p->fd, c, len, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            p->err = os_fail("write", p->rec.id, n < 0 ? errno : ENOSPC);
            return p->err;
        }
        c += n;
        len -= (size_t)n;
        p->pos += n;
        p->unsynced += n;
    }
    if (p->unsynced >= p->t->checkpoint) {
        int rc = checkpoint(p);
        if (rc < 0) {
            p->err = rc;
            return rc;
        }
    }
    return 0;
}

int tus_patch_end(struct tus_patch *p, struct tus_reply *reply, struct tus_upload *out)
{
    if (!p)
        return reply_fail(reply, 500, RR_ERR_INVAL, "no patch handle");
    /* What arrived before a failure is kept too (unless its fsync failed). */
    int rc = checkpoint(p);
    if (rc == 0 && p->rec.offset == p->rec.length)
        rc = finish(p->t, &p->rec);
    if (rc < 0)
        reply_from_err(reply, rc);
    else if (p->err < 0)
        rc = reply_from_err(reply, p->err);
    else
        reply_start(reply, 204);
    reply_describe(reply, &p->rec, 0);
    if (out)
        *out = p->rec;
    close(p->fd);
    free(p);
    return rc;
}

int tus_delete(struct tus *t, const char *owner, const char *id, const struct tus_headers *h,
               struct tus_reply *reply)
{
    struct tus_upload u;
    char name[TUS_NAME_MAX];
    int fd = -1;
    int rc = check_resumable(h, reply);
    if (rc < 0)
        return rc;
    rc = load_visible(t, owner, id, 1, &u, reply);
    if (rc < 0)
        return rc;
    if (t->remote) {
        rc = store_err(store_upload_delete(t->store, NULL, u.id));
        if (rc < 0 && rc != RR_ERR_NOTFOUND)
            return reply_from_err(reply, rc);
        if (!u.complete)
            seg_remove_chain(t, u.id, u.offset);
        reply_start(reply, 204);
        return 0;
    }
    rc = lock_part(t, u.id, &fd);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return reply_from_err(reply, rc);
    /* The row first: a part without a row is a leftover the sweep removes. */
    rc = store_err(store_upload_delete(t->store, NULL, u.id));
    if (rc == RR_ERR_NOTFOUND)
        rc = 0; /* a concurrent DELETE or sweep got there first */
    part_name(u.id, name, sizeof name);
    if (rc == 0 && unlinkat(t->dir_fd, name, 0) != 0 && errno != ENOENT)
        rc = os_fail("unlink", u.id, errno);
    if (rc == 0)
        rc = sync_dir(t->dir_fd);
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        return reply_from_err(reply, rc);
    reply_start(reply, 204);
    return 0;
}

/* Remove one expired upload unless a PATCH holds it; 1 when removed, 0 when skipped. */
static int sweep_one(struct tus *t, const char *id)
{
    char name[TUS_NAME_MAX];
    int fd = -1;
    if (t->remote) {
        struct tus_upload u;
        int lr = load(t, NULL, id, &u, NULL);
        if (lr < 0 || store_upload_delete(t->store, NULL, id) != 0)
            return 0;
        if (!u.complete)
            seg_remove_chain(t, id, u.offset);
        return 1;
    }
    int rc = lock_part(t, id, &fd);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return 0; /* a PATCH is running (not abandoned after all), or unreadable for now */
    rc = store_upload_delete(t->store, NULL, id);
    if (rc == 0) {
        part_name(id, name, sizeof name);
        unlinkat(t->dir_fd, name, 0);
    }
    if (fd >= 0)
        close(fd);
    return rc == 0;
}

/* Files a crash or the earlier file-based records left: ID.part without a row, ID.json side
 * records and their *.tmp, all older than the expiry. */
static int sweep_leftovers(struct tus *t, int64_t now_sec)
{
    int fd = openat(t->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return RR_ERR_IO;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return RR_ERR_IO;
    }
    for (;;) {
        const struct dirent *e = readdir(d);
        if (!e)
            break;
        const char *nm = e->d_name;
        size_t n = strnlen(nm, TUS_NAME_MAX);
        int is_part = n == TUS_ID_LEN + 5 && strcmp(nm + TUS_ID_LEN, ".part") == 0;
        int is_legacy = (n == TUS_ID_LEN + 5 && strcmp(nm + TUS_ID_LEN, ".json") == 0) ||
                        (n > 4 && strcmp(nm + n - 4, ".tmp") == 0);
        if (!is_part && !is_legacy)
            continue;
        struct stat st;
        if (fstatat(t->dir_fd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            (int64_t)st.st_mtime + t->expire > now_sec)
            continue;
        if (is_part) {
            char id[TUS_ID_LEN + 1];
            struct tus_upload u;
            memcpy(id, nm, TUS_ID_LEN);
            id[TUS_ID_LEN] = '\0';
            if (!valid_id(id) || load(t, NULL, id, &u, NULL) != RR_ERR_NOTFOUND)
                continue; /* a live upload (or the store cannot tell now) */
        }
        unlinkat(t->dir_fd, nm, 0);
    }
    closedir(d);
    return 0;
}

int tus_sweep_expired(struct tus *t)
{
    char(*ids)[STORE_ID_LEN + 1] =
        rr_fault(RR_FAULT_BLOB_ALLOC) ? NULL : malloc(TUS_SWEEP_BATCH * sizeof *ids);
    size_t n = 0;
    int removed = 0;
    if (!ids)
        return RR_ERR_NOMEM;
    int rc = store_err(store_upload_expired(t->store, ids, TUS_SWEEP_BATCH, &n));
    for (size_t i = 0; rc == 0 && i < n; i++)
        removed += sweep_one(t, ids[i]);
    free(ids);
    if (rc == 0)
        rc = sweep_leftovers(t, now_ms(t) / 1000);
    if (rc == 0)
        rc = sync_dir(t->dir_fd);
    return rc < 0 ? rc : removed;
}
