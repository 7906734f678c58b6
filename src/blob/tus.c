/*
 * tus.c - tus 1.0.0 resumable uploads as header/chunk -> decision logic over the blob store.
 *
 * DESIGN
 * - The record (ID.json) holds the durable offset: the count of bytes that were fsync'd in
 *   ID.part before the record was saved. ID.part may be longer after a crash (bytes written but
 *   never acknowledged); the next PATCH truncates it back under the upload's lock, so a client
 *   resuming from HEAD's offset always continues a byte-exact prefix. If ID.part is somehow
 *   shorter, the smaller size is reported: we never claim bytes that are not on disk.
 * - One writer per upload: PATCH and DELETE take flock(LOCK_EX|LOCK_NB) on ID.part and answer
 *   423 when it is held. The lock belongs to the open file, so it works between threads of one
 *   process and between processes sharing the directory.
 * - Finishing: save the record with offset == length, move ID.part into the blob store
 *   (blob_put_file: rename + SHA-256), then save the record as complete. A crash between any
 *   two steps is repaired by the next HEAD or PATCH (tus__finish: the part is moved if still
 *   there, else the blob already holds it and is hashed again).
 * - Headers are parsed strictly: decimal digits only, no signs or spaces, overflow refused;
 *   metadata keys are visible ASCII without ',', '"' or '\\' and values strict base64, so the
 *   raw header can be echoed and stored without escaping.
 */
#include "tus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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

#include "base/rr_error.h"

#define TUS_DIR_MAX 3072
#define TUS_PREFIX_MAX (BLOB_KEY_MAX - TUS_ID_LEN)
#define TUS_RECORD_MAX (TUS_METADATA_MAX + 1024)
#define TUS_NAME_MAX 64
#define TUS_HASH_CHUNK (64 * 1024)
#define TUS_MAX_EXPIRE_SECONDS (3650LL * 24 * 3600)

struct tus {
    struct blob *blob;
    char dir[TUS_DIR_MAX];
    int dir_fd;
    int64_t max_size;
    int64_t expire;
    int64_t checkpoint;
    char prefix[TUS_PREFIX_MAX + 1];
    int64_t (*now)(void);
};

struct tus_patch {
    struct tus *t;
    struct tus_upload rec;
    int fd;
    int64_t pos;      /* bytes in ID.part */
    int64_t unsynced; /* bytes since the last durable checkpoint */
    int err;          /* sticky */
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

/* 500 for store/OS failures, the matching status for the few codes a helper can pass up. */
static int reply_from_err(struct tus_reply *r, int err)
{
    switch (err) {
    case RR_ERR_NOTFOUND:
        return reply_fail(r, 404, err, "upload not found");
    case RR_ERR_BUSY:
        return reply_fail(r, 423, err, "upload is locked by another request");
    case RR_ERR_TOOBIG:
        return reply_fail(r, 413, err, "upload exceeds its declared length or the size limit");
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
    time_t tt = (time_t)when;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(out, cap, "%s", "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The headers every state-describing reply carries. */
static void reply_describe(struct tus_reply *r, const struct tus_upload *u, int with_length)
{
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

static int valid_owner(const char *o)
{
    if (!o)
        return 0;
    size_t n = strnlen(o, TUS_OWNER_MAX + 1);
    if (n == 0 || n > TUS_OWNER_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = o[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
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

/* ---- record (JSON sidecar) ------------------------------------------------------------------ */

int tus_record_encode(const struct tus_upload *u, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "{\"v\":1,\"id\":\"%s\",\"owner\":\"%s\",\"key\":\"%s\",\"length\":%lld,"
                     "\"offset\":%lld,\"created\":%lld,\"expires\":%lld,\"complete\":%d,"
                     "\"sha256\":\"%s\",\"metadata\":\"%s\"}\n",
                     u->id, u->owner, u->key, (long long)u->length, (long long)u->offset,
                     (long long)u->created, (long long)u->expires, u->complete ? 1 : 0, u->sha256,
                     u->metadata);
    if (n < 0 || (size_t)n >= cap)
        return RR_ERR_TOOBIG;
    return n;
}

#define REC_FIELDS 11

struct json_member {
    const char *name;
    size_t name_len;
    const char *str; /* NULL for a number */
    size_t str_len;
    int64_t num;
};

static void skip_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t'))
        (*p)++;
}

/* A JSON string without escapes or control characters (all our values are plain ASCII). */
static int json_plain_string(const char **p, const char *end, const char **s, size_t *n)
{
    if (*p >= end || **p != '"')
        return RR_ERR_CORRUPT;
    const char *a = ++(*p);
    while (*p < end && **p != '"') {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20 || c >= 0x7f || c == '\\')
            return RR_ERR_CORRUPT;
        (*p)++;
    }
    if (*p >= end)
        return RR_ERR_CORRUPT;
    *s = a;
    *n = (size_t)(*p - a);
    (*p)++;
    return 0;
}

/* A flat object of at most REC_FIELDS members whose values are plain strings or non-negative
 * integers. */
static int json_flat_object(const char *buf, size_t len, struct json_member *m, size_t *count)
{
    const char *p = buf;
    const char *end = buf + len;
    *count = 0;
    skip_ws(&p, end);
    if (p >= end || *p != '{')
        return RR_ERR_CORRUPT;
    p++;
    for (;;) {
        skip_ws(&p, end);
        if (*count == REC_FIELDS)
            return RR_ERR_CORRUPT;
        struct json_member *jm = &m[*count];
        if (json_plain_string(&p, end, &jm->name, &jm->name_len) < 0)
            return RR_ERR_CORRUPT;
        skip_ws(&p, end);
        if (p >= end || *p != ':')
            return RR_ERR_CORRUPT;
        p++;
        skip_ws(&p, end);
        jm->str = NULL;
        jm->num = 0;
        if (p < end && *p == '"') {
            if (json_plain_string(&p, end, &jm->str, &jm->str_len) < 0)
                return RR_ERR_CORRUPT;
        } else {
            char digits[20];
            size_t nd = 0;
            while (p < end && *p >= '0' && *p <= '9' && nd < sizeof digits - 1)
                digits[nd++] = *p++;
            digits[nd] = '\0';
            if (parse_uint(digits, &jm->num) < 0)
                return RR_ERR_CORRUPT;
        }
        (*count)++;
        skip_ws(&p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        return RR_ERR_CORRUPT;
    }
    skip_ws(&p, end);
    return p == end ? 0 : RR_ERR_CORRUPT;
}

static const struct json_member *json_find(const struct json_member *m, size_t n, const char *name,
                                           int want_str)
{
    const struct json_member *hit = NULL;
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++) {
        if (m[i].name_len == len && memcmp(m[i].name, name, len) == 0) {
            if (hit)
                return NULL; /* duplicate */
            hit = &m[i];
        }
    }
    if (hit && (hit->str != NULL) != want_str)
        return NULL;
    return hit;
}

static int json_copy_str(const struct json_member *m, size_t n, const char *name, char *dst,
                         size_t cap)
{
    const struct json_member *jm = json_find(m, n, name, 1);
    if (!jm || jm->str_len >= cap)
        return RR_ERR_CORRUPT;
    memcpy(dst, jm->str, jm->str_len);
    dst[jm->str_len] = '\0';
    return 0;
}

static int json_get_num(const struct json_member *m, size_t n, const char *name, int64_t *out)
{
    const struct json_member *jm = json_find(m, n, name, 0);
    if (!jm)
        return RR_ERR_CORRUPT;
    *out = jm->num;
    return 0;
}

int tus_record_decode(const char *buf, size_t len, struct tus_upload *u)
{
    struct json_member m[REC_FIELDS];
    size_t n;
    int64_t version = 0, complete = 0;
    if (!buf || !u)
        return RR_ERR_INVAL;
    memset(u, 0, sizeof *u);
    if (json_flat_object(buf, len, m, &n) < 0 || n != REC_FIELDS)
        return RR_ERR_CORRUPT;
    if (json_get_num(m, n, "v", &version) < 0 || version != 1 ||
        json_copy_str(m, n, "id", u->id, sizeof u->id) < 0 ||
        json_copy_str(m, n, "owner", u->owner, sizeof u->owner) < 0 ||
        json_copy_str(m, n, "key", u->key, sizeof u->key) < 0 ||
        json_get_num(m, n, "length", &u->length) < 0 ||
        json_get_num(m, n, "offset", &u->offset) < 0 ||
        json_get_num(m, n, "created", &u->created) < 0 ||
        json_get_num(m, n, "expires", &u->expires) < 0 ||
        json_get_num(m, n, "complete", &complete) < 0 ||
        json_copy_str(m, n, "sha256", u->sha256, sizeof u->sha256) < 0 ||
        json_copy_str(m, n, "metadata", u->metadata, sizeof u->metadata) < 0)
        return RR_ERR_CORRUPT;
    size_t sha_len = strlen(u->sha256);
    if (!valid_id(u->id) || !valid_owner(u->owner) || !blob_key_valid(u->key) ||
        u->offset > u->length || complete > 1 ||
        (complete ? sha_len != BLOB_SHA256_HEX_LEN : sha_len != 0) ||
        !is_hex_lower(u->sha256, sha_len) || tus_metadata_validate(u->metadata) < 0)
        return RR_ERR_CORRUPT;
    u->complete = (int)complete;
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return RR_ERR_IO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int sync_dir(int dir_fd)
{
    return fsync(dir_fd) == 0 ? 0 : RR_ERR_IO;
}

int tus_record_save(struct tus *t, const struct tus_upload *u)
{
    char buf[TUS_RECORD_MAX];
    char name[TUS_NAME_MAX], tmp[TUS_NAME_MAX], hex[17];
    unsigned char rnd[8];
    int fd = -1;
    int rc = tus_record_encode(u, buf, sizeof buf);
    if (rc < 0)
        return rc;
    size_t len = (size_t)rc;
    if (!valid_id(u->id))
        return RR_ERR_INVAL;
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(name, sizeof name, "%s.json", u->id);
    snprintf(tmp, sizeof tmp, "%s.json.%s.tmp", u->id, hex);
    fd = openat(t->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return RR_ERR_IO;
    rc = write_all(fd, buf, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = RR_ERR_IO;
    if (close(fd) != 0 && rc == 0)
        rc = RR_ERR_IO;
    if (rc == 0 && renameat(t->dir_fd, tmp, t->dir_fd, name) != 0)
        rc = RR_ERR_IO;
    if (rc < 0) {
        unlinkat(t->dir_fd, tmp, 0);
        return rc;
    }
    return sync_dir(t->dir_fd);
}

int tus_record_load(struct tus *t, const char *id, struct tus_upload *u)
{
    char name[TUS_NAME_MAX];
    char buf[TUS_RECORD_MAX];
    int rc = 0;
    if (!valid_id(id))
        return RR_ERR_NOTFOUND;
    snprintf(name, sizeof name, "%s.json", id);
    int fd = openat(t->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? RR_ERR_NOTFOUND : RR_ERR_IO;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = RR_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof buf) {
            rc = RR_ERR_CORRUPT;
            goto out;
        }
    }
    rc = tus_record_decode(buf, len, u);
    if (rc == 0 && strcmp(u->id, id) != 0)
        rc = RR_ERR_CORRUPT;
out:
    close(fd);
    return rc;
}

/* ---- open / options --------------------------------------------------------------------- */

static int64_t default_now(void)
{
    return (int64_t)time(NULL);
}

int tus_open(struct blob *b, const struct tus_config *cfg, struct tus **out)
{
    if (!b || !cfg || !cfg->dir || !out || cfg->dir[0] == '\0')
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
    snprintf(t->dir, sizeof t->dir, "%s", cfg->dir);
    snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
    int64_t limit = blob_max_bytes(b);
    t->max_size = (cfg->max_size > 0 && cfg->max_size < limit) ? cfg->max_size : limit;
    t->expire = cfg->expire_seconds > 0 ? cfg->expire_seconds : TUS_DEFAULT_EXPIRE_SECONDS;
    if (t->expire > TUS_MAX_EXPIRE_SECONDS)
        t->expire = TUS_MAX_EXPIRE_SECONDS; /* keeps created + expire far from overflow */
    t->checkpoint =
        cfg->checkpoint_bytes > 0 ? cfg->checkpoint_bytes : TUS_DEFAULT_CHECKPOINT_BYTES;
    t->now = cfg->now ? cfg->now : default_now;
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

/* Load id for owner; fills reply and returns its code on failure. */
static int load_visible(struct tus *t, const char *owner, const char *id, int allow_expired,
                        struct tus_upload *u, struct tus_reply *r)
{
    int rc = tus_record_load(t, id, u);
    if (rc == RR_ERR_NOTFOUND || (rc == 0 && (!owner || strcmp(owner, u->owner) != 0)))
        return reply_fail(r, 404, RR_ERR_NOTFOUND, "upload not found");
    if (rc < 0)
        return reply_from_err(r, rc);
    if (!allow_expired && !u->complete && u->expires <= t->now())
        return reply_fail(r, 410, RR_ERR_NOTFOUND, "upload expired");
    return 0;
}

/* Hash the blob under u->key (recovery after a crash between the move and the record save). */
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
    buf = malloc(TUS_HASH_CHUNK);
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

/* offset == length: move the part into the blob store and mark the record complete. The caller
 * holds the upload's lock, or the part is already gone. */
static int finish(struct tus *t, struct tus_upload *u)
{
    char path[TUS_DIR_MAX + TUS_NAME_MAX];
    struct blob_info info;
    int rc = tus_record_save(t, u);
    if (rc < 0)
        return rc;
    snprintf(path, sizeof path, "%s/%s.part", t->dir, u->id);
    rc = blob_put_file(t->blob, u->key, path, &info);
    if (rc == 0 && info.size != u->length)
        rc = RR_ERR_CORRUPT;
    if (rc == 0)
        memcpy(u->sha256, info.sha256, sizeof u->sha256);
    else if (rc == RR_ERR_NOTFOUND)
        rc = hash_blob(t, u);
    if (rc < 0)
        return rc;
    u->complete = 1;
    return tus_record_save(t, u);
}

/* Open ID.part and take its lock without waiting. NOTFOUND, BUSY, IO. */
static int lock_part(struct tus *t, const char *id, int *fdp)
{
    char name[TUS_NAME_MAX];
    part_name(id, name, sizeof name);
    int fd = openat(t->dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? RR_ERR_NOTFOUND : RR_ERR_IO;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? RR_ERR_BUSY : RR_ERR_IO;
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
 * unless another request holds it. */
static int settle(struct tus *t, struct tus_upload *u)
{
    int fd = -1;
    int rc = lock_part(t, u->id, &fd);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return rc;
    rc = finish(t, u);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- requests ----------------------------------------------------------------------------- */

int tus_create(struct tus *t, const char *owner, const struct tus_headers *h,
               struct tus_reply *reply, struct tus_upload *out)
{
    struct tus_upload u;
    char name[TUS_NAME_MAX];
    unsigned char rnd[TUS_ID_LEN / 2];
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
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(u.id, sizeof u.id, rnd, sizeof rnd);
    snprintf(u.owner, sizeof u.owner, "%s", owner);
    snprintf(u.key, sizeof u.key, "%s%s", t->prefix, u.id);
    u.created = t->now();
    u.expires = u.created + t->expire;

    part_name(u.id, name, sizeof name);
    int fd = openat(t->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return reply_from_err(reply, RR_ERR_IO);
    rc = fsync(fd) == 0 ? 0 : RR_ERR_IO;
    close(fd);
    if (rc == 0)
        rc = tus_record_save(t, &u);
    if (rc == 0 && u.length == 0)
        rc = finish(t, &u);
    if (rc < 0) {
        unlinkat(t->dir_fd, name, 0);
        snprintf(name, sizeof name, "%s.json", u.id);
        unlinkat(t->dir_fd, name, 0);
        return reply_from_err(reply, rc);
    }
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
    if (!u.complete) {
        char name[TUS_NAME_MAX];
        struct stat st;
        part_name(u.id, name, sizeof name);
        /* Report only what is both acknowledged and on disk. */
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
    if (!u.complete) {
        rc = lock_part(t, u.id, &fd);
        if (rc == RR_ERR_NOTFOUND && u.offset == u.length)
            rc = settle(t, &u); /* crashed while finishing */
        if (rc < 0)
            return reply_from_err(reply, rc);
    }
    if (fd >= 0) {
        /* Under the lock: the freshest record, and the part cut back to its durable offset. */
        rc = load_visible(t, owner, id, 0, &u, reply);
        if (rc < 0)
            goto out;
    }
    if (fd >= 0 && !u.complete) {
        struct stat st;
        if (fstat(fd, &st) != 0) {
            rc = reply_from_err(reply, RR_ERR_IO);
            goto out;
        }
        if ((int64_t)st.st_size > u.offset) {
            if (ftruncate(fd, (off_t)u.offset) != 0 || fsync(fd) != 0) {
                rc = reply_from_err(reply, RR_ERR_IO);
                goto out;
            }
        } else if ((int64_t)st.st_size < u.offset) {
            u.offset = (int64_t)st.st_size;
            rc = tus_record_save(t, &u);
            if (rc < 0) {
                reply_from_err(reply, rc);
                goto out;
            }
        }
        if (u.offset == u.length) {
            rc = finish(t, &u);
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
    struct tus_patch *p = calloc(1, sizeof *p);
    if (!p) {
        rc = reply_from_err(reply, RR_ERR_NOMEM);
        goto out;
    }
    p->t = t;
    p->rec = u;
    p->fd = fd;
    p->pos = u.offset;
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

/* fsync the part and save the record: everything written so far becomes the durable offset. */
static int checkpoint(struct tus_patch *p)
{
    if (fsync(p->fd) != 0)
        return RR_ERR_IO;
    p->rec.offset = p->pos;
    p->unsynced = 0;
    return tus_record_save(p->t, &p->rec);
}

int tus_patch_chunk(struct tus_patch *p, const void *data, size_t len)
{
    if (!p)
        return RR_ERR_INVAL;
    if (p->err < 0)
        return p->err;
    if ((uint64_t)len > (uint64_t)(p->rec.length - p->pos)) {
        p->err = RR_ERR_TOOBIG;
        return p->err;
    }
    const char *c = data;
    while (len > 0) {
        ssize_t n = pwrite(p->fd, c, len, (off_t)p->pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            p->err = RR_ERR_IO;
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
    rc = lock_part(t, u.id, &fd);
    if (rc < 0 && rc != RR_ERR_NOTFOUND)
        return reply_from_err(reply, rc);
    snprintf(name, sizeof name, "%s.json", u.id);
    if (unlinkat(t->dir_fd, name, 0) != 0 && errno != ENOENT)
        rc = RR_ERR_IO;
    else
        rc = 0;
    part_name(u.id, name, sizeof name);
    if (rc == 0 && unlinkat(t->dir_fd, name, 0) != 0 && errno != ENOENT)
        rc = RR_ERR_IO;
    if (rc == 0)
        rc = sync_dir(t->dir_fd);
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        return reply_from_err(reply, rc);
    reply_start(reply, 204);
    return 0;
}

int tus_sweep_expired(struct tus *t)
{
    int fd = openat(t->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return RR_ERR_IO;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return RR_ERR_IO;
    }
    int64_t now = t->now();
    int removed = 0;
    for (;;) {
        const struct dirent *e = readdir(d);
        if (!e)
            break;
        const char *nm = e->d_name;
        size_t n = strnlen(nm, TUS_NAME_MAX);
        if (n == TUS_ID_LEN + 5 && strcmp(nm + TUS_ID_LEN, ".json") == 0) {
            char id[TUS_ID_LEN + 1];
            struct tus_upload u;
            memcpy(id, nm, TUS_ID_LEN);
            id[TUS_ID_LEN] = '\0';
            int rc = tus_record_load(t, id, &u);
            if (rc == 0 ? u.expires > now : rc != RR_ERR_CORRUPT)
                continue; /* live, or unreadable for a reason that may pass */
            int lfd = -1;
            rc = lock_part(t, id, &lfd);
            if (rc == RR_ERR_BUSY)
                continue; /* a PATCH is running: not abandoned after all */
            char part[TUS_NAME_MAX];
            part_name(id, part, sizeof part);
            unlinkat(t->dir_fd, nm, 0);
            unlinkat(t->dir_fd, part, 0);
            if (lfd >= 0)
                close(lfd);
            removed++;
            continue;
        }
        /* Leftovers: a part whose record was never written, a sidecar temp of a crashed save. */
        int is_part = n == TUS_ID_LEN + 5 && strcmp(nm + TUS_ID_LEN, ".part") == 0;
        int is_tmp = n > 4 && strcmp(nm + n - 4, ".tmp") == 0;
        if (!is_part && !is_tmp)
            continue;
        struct stat st;
        if (fstatat(t->dir_fd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            (int64_t)st.st_mtime + t->expire > now)
            continue;
        if (is_part) {
            char js[TUS_NAME_MAX];
            snprintf(js, sizeof js, "%.*s.json", TUS_ID_LEN, nm);
            if (faccessat(t->dir_fd, js, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                continue;
        }
        unlinkat(t->dir_fd, nm, 0);
    }
    closedir(d);
    fsync(t->dir_fd);
    return removed;
}
