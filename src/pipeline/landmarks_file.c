/*
 * landmarks_file.c - reader and writer of landmark files (landmarks_file.h,
 * docs/landmarks-format.md).
 *
 * DESIGN: reading takes two passes over the text and never holds more than one frame as a
 * jansson tree.
 *  1. A syntax scan (scan_*) checks the whole document is one JSON object, notes where the
 *     top-level members the format knows sit (slices of the text), and counts the frames,
 *     refusing more than ANALYSIS_MAX_FRAMES or a frame over MAX_FRAME_BYTES before anything is
 *     allocated. Member values the format does not know are checked for syntax only.
 *  2. The variant (pose/1, MediaPipe dump) is read from the root members, the frame
 *     array is allocated at its final size, and each frame's slice is decoded with jansson (so
 *     strings, escapes, numbers and duplicate keys follow one JSON implementation) and turned
 *     into a struct rr_pose_frame by the variant's frame reader. Flags that depend on the whole
 *     file (frames without a pose, frames where no landmark was found) are settled at the end.
 * Writing goes through the one JSON writer (base/rr_json.h) into one bounded buffer: a
 * 10-minute series is ~2.4 million numbers, far cheaper as text than as a jansson tree. The
 * three styles share every function; only the number format and the landmark shape differ.
 */
#include "pipeline/landmarks_file.h"

#include "analysis/analysis.h"
#include "base/rr_error.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64                        /* nesting the syntax scan accepts */
#define MAX_FRAME_BYTES ((size_t)1 << 20)   /* one frame's JSON text */
#define MAX_MEMBER_BYTES ((size_t)64 << 10) /* a decoded top-level member (schema, fps, ...) */
#define PENDING_VIS 0x80000000u             /* frame flag while parsing: no landmark found */
#define FLOAT_LIMIT 0x1.ffffffp127          /* doubles below this round to a finite float */

typedef char label_t[LANDMARKS_FILE_LABEL_MAX + 1];

/* --- messages ------------------------------------------------------------------------------ */

struct ctx {
    const char *text;
    size_t len;
    char *msg;
    size_t msg_len;
    long frame; /* frame index named in messages, -1 outside the frame array */
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, int err, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->frame >= 0)
        snprintf(c->msg, c->msg_len, "frame %ld: %s", c->frame, what);
    else
        snprintf(c->msg, c->msg_len, "%s", what);
    return err;
}

/* A syntax error at p: "invalid JSON at line L, column C: why". */
static int fail_at(struct ctx *c, const char *p, const char *why)
{
    size_t line = 1, col = 1;
    for (const char *q = c->text; q < p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (p >= c->text + c->len)
        return fail(c, RR_ERR_CORRUPT,
                    "unexpected end of the file at line %zu, column %zu (truncated?)", line, col);
    return fail(c, RR_ERR_CORRUPT, "invalid JSON at line %zu, column %zu: %s", line, col, why);
}

/* A string from the file, shortened and with control bytes replaced, for messages. */
static void printable(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 4 < cap && i < 40; i++)
        out[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (s[i] && i + 4 <= cap) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

/* --- pass 1: syntax scan -------------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int scan_string(struct ctx *c, const char **pp)
{
    const char *p = *pp + 1, *end = c->text + c->len;
    for (;;) {
        if (p >= end)
            return fail_at(c, p, "");
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            break;
        if (ch < 0x20)
            return fail_at(c, p, "control character in a string");
        if (ch == '\\') {
            p++;
            if (p >= end)
                return fail_at(c, p, "");
            if (*p == 'u') {
                for (int k = 1; k <= 4; k++) {
                    if (p + k >= end)
                        return fail_at(c, end, "");
                    if (!is_hex(p[k]))
                        return fail_at(c, p + k, "bad \\u escape");
                }
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || *p == '\0') {
                return fail_at(c, p, "bad escape in a string");
            }
        }
        p++;
    }
    *pp = p + 1;
    return 0;
}

static const char *digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

static int scan_number(struct ctx *c, const char **pp)
{
    const char *p = *pp, *end = c->text + c->len, *q;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0') {
        p++;
    } else {
        q = digits(p, end);
        if (q == p)
            return fail_at(c, p, "not a JSON value");
        p = q;
    }
    if (p < end && *p == '.') {
        q = digits(p + 1, end);
        if (q == p + 1)
            return fail_at(c, q, "digits expected after '.'");
        p = q;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        q = digits(p, end);
        if (q == p)
            return fail_at(c, q, "digits expected in the exponent");
        p = q;
    }
    *pp = p;
    return 0;
}

static int scan_value(struct ctx *c, const char **pp, int depth);

static int scan_array(struct ctx *c, const char **pp, int depth)
{
    const char *p = *pp + 1, *end = c->text + c->len;
    p = skip_ws(p, end);
    if (p < end && *p == ']') {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        int rc = scan_value(c, &p, depth + 1);
        if (rc < 0)
            return rc;
        p = skip_ws(p, end);
        if (p < end && *p == ']')
            break;
        if (p >= end || *p != ',')
            return fail_at(c, p, "',' or ']' expected");
        p = skip_ws(p + 1, end);
    }
    *pp = p + 1;
    return 0;
}

/* Object members; each key slice (quotes included) and value go to `member` when not NULL. */
typedef int (*member_fn)(struct ctx *c, void *ud, const char *key, size_t key_len, const char **pp,
                         int depth);

static int scan_object(struct ctx *c, const char **pp, int depth, member_fn member, void *ud)
{
    const char *p = *pp + 1, *end = c->text + c->len;
    p = skip_ws(p, end);
    if (p < end && *p == '}') {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        if (p >= end || *p != '"')
            return fail_at(c, p, "a key (string) expected");
        const char *key = p;
        int rc = scan_string(c, &p);
        if (rc < 0)
            return rc;
        size_t key_len = (size_t)(p - key);
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return fail_at(c, p, "':' expected");
        p = skip_ws(p + 1, end);
        rc = member ? member(c, ud, key, key_len, &p, depth + 1) : scan_value(c, &p, depth + 1);
        if (rc < 0)
            return rc;
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            break;
        if (p >= end || *p != ',')
            return fail_at(c, p, "',' or '}' expected");
        p = skip_ws(p + 1, end);
    }
    *pp = p + 1;
    return 0;
}

static int scan_value(struct ctx *c, const char **pp, int depth)
{
    const char *p = skip_ws(*pp, c->text + c->len), *end = c->text + c->len;
    *pp = p;
    if (depth > MAX_DEPTH)
        return fail_at(c, p, "nested more than 64 levels deep");
    if (p >= end)
        return fail_at(c, p, "");
    switch (*p) {
    case '{':
        return scan_object(c, pp, depth, NULL, NULL);
    case '[':
        return scan_array(c, pp, depth);
    case '"':
        return scan_string(c, pp);
    case 't':
    case 'f':
    case 'n': {
        const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        size_t n = strlen(lit), left = (size_t)(end - p);
        if (left >= n && memcmp(p, lit, n) == 0) {
            *pp = p + n;
            return 0;
        }
        /* a literal cut by the end of the file is a truncation, not a bad value */
        return fail_at(c, left < n && memcmp(p, lit, left) == 0 ? end : p, "not a JSON value");
    }
    default:
        return scan_number(c, pp);
    }
}

/* --- the top level -------------------------------------------------------------------------- */

struct slice {
    const char *p; /* NULL: member absent */
    size_t n;
};

struct root {
    struct slice schema, tool, width, height, fps, model, file, frames, input, options;
    size_t n_frames;
};

static const struct root_key {
    const char *name;
    size_t off;
} root_keys[] = {
    {"schema", offsetof(struct root, schema)},   {"tool", offsetof(struct root, tool)},
    {"width", offsetof(struct root, width)},
    {"height", offsetof(struct root, height)},   {"fps", offsetof(struct root, fps)},
    {"model", offsetof(struct root, model)},     {"file", offsetof(struct root, file)},
    {"frames", offsetof(struct root, frames)},   {"input", offsetof(struct root, input)},
    {"options", offsetof(struct root, options)},
};

/* The known key a key slice (with quotes) spells, or NULL. */
static const struct root_key *root_key_find(const char *key, size_t key_len)
{
    char name[32];
    size_t n = key_len - 2;
    if (memchr(key, '\\', key_len)) {
        if (key_len > 200) /* an escaped spelling of a known key is never that long */
            return NULL;
        json_t *s = json_loadb(key, key_len, JSON_DECODE_ANY, NULL);
        const char *v = json_string_value(s);
        n = v ? json_string_length(s) : sizeof name;
        if (n < sizeof name)
            memcpy(name, v, n);
        json_decref(s);
        if (n >= sizeof name)
            return NULL;
    } else {
        if (n >= sizeof name)
            return NULL;
        memcpy(name, key + 1, n);
    }
    for (size_t i = 0; i < sizeof root_keys / sizeof root_keys[0]; i++)
        if (strlen(root_keys[i].name) == n && memcmp(root_keys[i].name, name, n) == 0)
            return &root_keys[i];
    return NULL;
}

/* The frame array: syntax, count and per-frame size, with the frame index in messages. */
static int scan_frames(struct ctx *c, const char **pp, size_t *count)
{
    const char *p = *pp + 1, *end = c->text + c->len;
    size_t n = 0;
    p = skip_ws(p, end);
    if (p < end && *p == ']') {
        *pp = p + 1;
        *count = 0;
        return 0;
    }
    for (;;) {
        c->frame = (long)n;
        if (n >= ANALYSIS_MAX_FRAMES)
            return fail(c, RR_ERR_TOOBIG, "more than %d frames (the limit)", ANALYSIS_MAX_FRAMES);
        const char *start = p;
        int rc = scan_value(c, &p, 2);
        if (rc < 0)
            return rc;
        if ((size_t)(p - start) > MAX_FRAME_BYTES)
            return fail(c, RR_ERR_TOOBIG, "more than %zu bytes of JSON", MAX_FRAME_BYTES);
        n++;
        p = skip_ws(p, end);
        if (p < end && *p == ']')
            break;
        if (p >= end || *p != ',')
            return fail_at(c, p, "',' or ']' expected after a frame");
        p = skip_ws(p + 1, end);
    }
    c->frame = -1;
    *pp = p + 1;
    *count = n;
    return 0;
}

static int root_member(struct ctx *c, void *ud, const char *key, size_t key_len, const char **pp,
                       int depth)
{
    struct root *r = ud;
    const struct root_key *k = root_key_find(key, key_len);
    const char *start = *pp;
    int rc;
    if (k && strcmp(k->name, "frames") == 0 && start < c->text + c->len && *start == '[')
        rc = scan_frames(c, pp, &r->n_frames);
    else
        rc = scan_value(c, pp, depth);
    if (rc < 0 || !k)
        return rc;
    struct slice *s = (struct slice *)((char *)r + k->off);
    if (s->p)
        return fail(c, RR_ERR_CORRUPT, "duplicate key \"%s\"", k->name);
    s->p = start;
    s->n = (size_t)(*pp - start);
    return 0;
}

static int scan_root(struct ctx *c, struct root *r)
{
    const char *end = c->text + c->len;
    const char *p = skip_ws(c->text, end);
    if (p >= end)
        return fail(c, RR_ERR_CORRUPT, "the file is empty");
    if (*p != '{')
        return fail(c, RR_ERR_CORRUPT, "not a JSON object (a landmark file is {\"schema\": ...})");
    int rc = scan_object(c, &p, 1, root_member, r);
    if (rc < 0)
        return rc;
    p = skip_ws(p, end);
    if (p < end)
        return fail_at(c, p, "data after the end of the document");
    return 0;
}

/* --- pass 2: values ------------------------------------------------------------------------- */

/* Decode a top-level member; *out NULL when absent. */
static int member_decode(struct ctx *c, struct slice s, const char *name, json_t **out)
{
    *out = NULL;
    if (!s.p)
        return 0;
    if (s.n > MAX_MEMBER_BYTES)
        return fail(c, RR_ERR_TOOBIG, "\"%s\" is longer than %zu bytes", name, MAX_MEMBER_BYTES);
    json_error_t e;
    *out = json_loadb(s.p, s.n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!*out)
        return fail(c, RR_ERR_CORRUPT, "\"%s\": %s", name, e.text);
    return 0;
}

/* 1 number (*v set), 0 absent or null, -1 anything else. */
static int get_number(const json_t *j, double *v)
{
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_number(j))
        return -1;
    *v = json_number_value(j);
    return 1;
}

/* A float-sized number: 1 number, 0 absent/null, or an error. */
static int get_float(struct ctx *c, const json_t *j, const char *what, float *out)
{
    double v = 0;
    int got = get_number(j, &v);
    if (got < 0)
        return fail(c, RR_ERR_CORRUPT, "%s must be a number", what);
    if (got == 0)
        return 0;
    if (!(fabs(v) < FLOAT_LIMIT))
        return fail(c, RR_ERR_CORRUPT, "%s is out of range (%g)", what, v);
    *out = (float)v;
    return 1;
}

static int get_size(struct ctx *c, const json_t *j, const char *what, int *out)
{
    double v = 0;
    int got = get_number(j, &v);
    if (got == 0)
        return 0;
    if (got < 0 || !(v >= 0 && v <= LANDMARKS_FILE_MAX_SIZE) || v != floor(v))
        return fail(c, RR_ERR_CORRUPT, "%s must be an integer from 0 to %d", what,
                    LANDMARKS_FILE_MAX_SIZE);
    *out = (int)v;
    return 0;
}

/* A string member into a fixed buffer, cut on a UTF-8 character boundary. */
static int get_string(struct ctx *c, const json_t *j, const char *what, char *out, size_t cap)
{
    out[0] = '\0';
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_string(j))
        return fail(c, RR_ERR_CORRUPT, "%s must be a string", what);
    const char *s = json_string_value(j);
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static void lm_not_found(struct rr_landmark *l)
{
    l->x = l->y = l->z = NAN;
    l->visibility = l->presence = 0.0f;
}

/* What one frame's parse learnt besides the frame itself. */
struct frame_meta {
    int world;   /* world landmarks present */
    int found;   /* some image or world landmark found */
    int vis;     /* some found landmark carries a visibility */
    char *label; /* LANDMARKS_FILE_LABEL_MAX + 1 bytes */
};

/* One landmark from its five fields: have[k] 0 absent, 1 null, 2 number (v[k]). */
static void lm_set(struct rr_landmark *l, const int have[5], const float v[5], struct frame_meta *m)
{
    if (have[0] != 2 || have[1] != 2) {
        lm_not_found(l);
        return;
    }
    l->x = v[0];
    l->y = v[1];
    l->z = have[2] == 2 ? v[2] : NAN;
    l->visibility = have[3] == 2 ? v[3] : have[3] == 1 ? NAN : 1.0f;
    l->presence = have[4] == 2 ? v[4] : have[4] == 1 ? NAN : 1.0f;
    m->found = 1;
    if (have[3])
        m->vis = 1;
}

static const char *const lm_fields[5] = {"x", "y", "z", "visibility", "presence"};

/* One item of a landmark list: an object, an array of 2..5 numbers, or null. */
static int lm_item(struct ctx *c, const json_t *it, const char *key, int k, struct rr_landmark *l,
                   struct frame_meta *m)
{
    int have[5] = {0};
    float v[5] = {0};
    char what[64];
    if (json_is_null(it)) {
        lm_not_found(l);
        return 0;
    }
    if (json_is_array(it)) {
        size_t len = json_array_size(it);
        if (len < 2 || len > 5)
            return fail(c, RR_ERR_CORRUPT, "%s[%d] must have 2 to 5 numbers, not %zu", key, k, len);
        for (size_t f = 0; f < len; f++) {
            snprintf(what, sizeof what, "%s[%d][%zu]", key, k, f);
            int got = get_float(c, json_array_get(it, f), what, &v[f]);
            if (got < 0)
                return got;
            have[f] = got ? 2 : 1;
        }
    } else if (json_is_object(it)) {
        for (int f = 0; f < 5; f++) {
            const json_t *j = json_object_get(it, lm_fields[f]);
            snprintf(what, sizeof what, "%s[%d].%s", key, k, lm_fields[f]);
            if (!j && f < 2)
                return fail(c, RR_ERR_CORRUPT, "%s is missing", what);
            int got = get_float(c, j, what, &v[f]);
            if (got < 0)
                return got;
            have[f] = got ? 2 : j ? 1 : 0;
        }
    } else {
        return fail(c, RR_ERR_CORRUPT, "%s[%d] must be an object, an array or null", key, k);
    }
    lm_set(l, have, v, m);
    return 0;
}

static int lm_list(struct ctx *c, const json_t *arr, const char *key, struct rr_landmark *out,
                   struct frame_meta *m)
{
    if (!json_is_array(arr))
        return fail(c, RR_ERR_CORRUPT, "%s must be an array of %d items", key, RR_NUM_LANDMARKS);
    if (json_array_size(arr) != RR_NUM_LANDMARKS)
        return fail(c, RR_ERR_CORRUPT, "%s must have %d items, not %zu", key, RR_NUM_LANDMARKS,
                    json_array_size(arr));
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        int rc = lm_item(c, json_array_get(arr, (size_t)k), key, k, &out[k], m);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int get_time(struct ctx *c, const json_t *fo, const char *key, struct rr_pose_frame *f)
{
    double t = 0;
    int got = get_number(json_object_get(fo, key), &t);
    if (got == 0)
        return fail(c, RR_ERR_CORRUPT, "%s is missing", key);
    if (got < 0)
        return fail(c, RR_ERR_CORRUPT, "%s must be a number", key);
    if (!(t >= 0 && t <= LANDMARKS_FILE_MAX_T_MS))
        return fail(c, RR_ERR_CORRUPT, "%s must be from 0 to %.0f, not %g", key,
                    LANDMARKS_FILE_MAX_T_MS, t);
    f->t_us = (int64_t)llround(t * 1000.0);
    return 0;
}

/* "pose" / "detected": 1 true, 0 false, -1 absent or null; or an error. */
static int get_bool(struct ctx *c, const json_t *j, const char *what, int *out)
{
    *out = -1;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_boolean(j))
        return fail(c, RR_ERR_CORRUPT, "%s must be true or false", what);
    *out = json_is_true(j);
    return 0;
}

/* Shared by the variants: presence, image and world landmarks under the given keys. */
static int frame_landmarks(struct ctx *c, const json_t *fo, const char *pose_key,
                           const char *image_key, const char *world_key, struct rr_pose_frame *f,
                           struct frame_meta *m)
{
    int pose;
    int rc = get_bool(c, json_object_get(fo, pose_key), pose_key, &pose);
    if (rc < 0)
        return rc;
    const json_t *im = json_object_get(fo, image_key);
    if (json_is_null(im))
        im = NULL;
    f->has_pose = pose >= 0 ? pose : im != NULL;
    if (!f->has_pose)
        return 0;
    if (!im)
        return fail(c, RR_ERR_CORRUPT, "%s is true but %s is missing", pose_key, image_key);
    rc = lm_list(c, im, image_key, f->image, m);
    if (rc < 0)
        return rc;
    const json_t *w = json_object_get(fo, world_key);
    if (w && !json_is_null(w)) {
        m->world = 1;
        return lm_list(c, w, world_key, f->world, m);
    }
    return 0;
}

static int frame_pose1(struct ctx *c, const json_t *fo, struct rr_pose_frame *f,
                       struct frame_meta *m)
{
    int rc = get_time(c, fo, "t_ms", f);
    if (rc == 0)
        rc = get_size(c, json_object_get(fo, "width"), "width", &f->width);
    if (rc == 0)
        rc = get_size(c, json_object_get(fo, "height"), "height", &f->height);
    if (rc == 0)
        rc = frame_landmarks(c, fo, "pose", "landmarks", "world_landmarks", f, m);
    if (rc < 0)
        return rc;
    if (f->has_pose) {
        const json_t *s = json_object_get(fo, "score");
        rc = get_float(c, s, "score", &f->score);
        if (rc < 0)
            return rc;
        if (rc == 0)
            f->score = s ? NAN : 1.0f;
    }
    const json_t *label = json_object_get(fo, "label");
    if (label && !json_is_null(label)) {
        if (!json_is_string(label))
            return fail(c, RR_ERR_CORRUPT, "label must be a string");
        size_t n = json_string_length(label);
        if (n > LANDMARKS_FILE_LABEL_MAX)
            return fail(c, RR_ERR_TOOBIG, "label is longer than %d bytes",
                        LANDMARKS_FILE_LABEL_MAX);
        if (memchr(json_string_value(label), '\0', n))
            return fail(c, RR_ERR_CORRUPT, "label contains a NUL character");
        memcpy(m->label, json_string_value(label), n + 1);
    }
    return 0;
}

static int frame_mediapipe(struct ctx *c, const json_t *fo, struct rr_pose_frame *f,
                           struct frame_meta *m)
{
    int rc = get_time(c, fo, "t_ms", f);
    if (rc == 0)
        rc = get_size(c, json_object_get(fo, "width"), "width", &f->width);
    if (rc == 0)
        rc = get_size(c, json_object_get(fo, "height"), "height", &f->height);
    if (rc == 0)
        rc = frame_landmarks(c, fo, "detected", "landmarks", "worldLandmarks", f, m);
    if (rc == 0 && f->has_pose)
        f->score = 1.0f;
    return rc;
}

enum variant { V_POSE1, V_MEDIAPIPE };

static const struct variant_def {
    const char *schema;
    int (*frame)(struct ctx *c, const json_t *fo, struct rr_pose_frame *f, struct frame_meta *m);
} variants[] = {
    [V_POSE1] = {LANDMARKS_FILE_SCHEMA, frame_pose1},
    [V_MEDIAPIPE] = {"mediapipe.mpref", frame_mediapipe},
};

/* The first frame of the array as a jansson object (NULL when there is none or on error). */
static json_t *first_frame(const struct root *r)
{
    if (!r->frames.p || r->n_frames == 0)
        return NULL;
    const char *end = r->frames.p + r->frames.n;
    const char *p = skip_ws(r->frames.p + 1, end);
    return json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, NULL);
}

static int string_is(const json_t *j, const char *s)
{
    return json_is_string(j) && strcmp(json_string_value(j), s) == 0;
}

/* Which variant the root members say; fills the file-level info. */
static int read_header(struct ctx *c, const struct root *r, enum variant *v,
                       struct landmarks_file_info *info)
{
    json_t *schema = NULL, *tool = NULL, *j = NULL;
    char shown[48];
    int rc = member_decode(c, r->schema, "schema", &schema);
    if (rc == 0)
        rc = member_decode(c, r->tool, "tool", &tool);
    if (rc < 0)
        goto out;
    if (schema) {
        if (!string_is(schema, LANDMARKS_FILE_SCHEMA)) {
            printable(json_is_string(schema) ? json_string_value(schema) : "(not a string)", shown,
                      sizeof shown);
            rc = fail(c, RR_ERR_CORRUPT, "unknown schema \"%s\" (expected \"%s\")", shown,
                      LANDMARKS_FILE_SCHEMA);
            goto out;
        }
        *v = V_POSE1;
    } else {
        json_t *f0 = string_is(tool, "mpref") ? NULL : first_frame(r);
        int mp = string_is(tool, "mpref") ||
                 (json_object_get(f0, "detected") && json_object_get(f0, "t_ms"));
        json_decref(f0);
        if (!mp) {
            rc = fail(c, RR_ERR_CORRUPT, "missing \"schema\": \"%s\"", LANDMARKS_FILE_SCHEMA);
            goto out;
        }
        *v = V_MEDIAPIPE;
    }
    if (!r->frames.p) {
        rc = fail(c, RR_ERR_CORRUPT, "missing \"frames\"");
        goto out;
    }
    if (*r->frames.p != '[') {
        rc = fail(c, RR_ERR_CORRUPT, "\"frames\" must be an array");
        goto out;
    }
    snprintf(info->schema, sizeof info->schema, "%s", variants[*v].schema);
    if (*v == V_MEDIAPIPE) {
        /* input.fps, input.path, options.modelComplexity (0 lite, 1 full, 2 heavy) */
        static const char *const models[] = {"lite", "full", "heavy"};
        double d = 0;
        rc = member_decode(c, r->input, "input", &j);
        if (rc < 0)
            goto out;
        if (get_number(json_object_get(j, "fps"), &d) > 0 && d > 0 && d <= 1e6)
            info->fps = d;
        if (json_is_string(json_object_get(j, "path")))
            get_string(c, json_object_get(j, "path"), "input.path", info->file, sizeof info->file);
        json_decref(j);
        rc = member_decode(c, r->options, "options", &j);
        if (rc < 0)
            goto out;
        if (get_number(json_object_get(j, "modelComplexity"), &d) > 0 &&
            (d == 0 || d == 1 || d == 2))
            snprintf(info->model, sizeof info->model, "%s", models[(int)d]);
        goto out;
    }
    rc = member_decode(c, r->width, "width", &j);
    if (rc == 0)
        rc = get_size(c, j, "width", &info->width);
    json_decref(j);
    j = NULL;
    if (rc == 0)
        rc = member_decode(c, r->height, "height", &j);
    if (rc == 0)
        rc = get_size(c, j, "height", &info->height);
    if (rc < 0 || *v != V_POSE1)
        goto out;
    json_decref(j);
    rc = member_decode(c, r->fps, "fps", &j);
    if (rc < 0)
        goto out;
    double fps = 0;
    int got = get_number(j, &fps);
    if (got < 0 || (got > 0 && !(fps >= 0 && fps <= 1e6))) {
        rc = fail(c, RR_ERR_CORRUPT, "fps must be a number from 0 to 1000000");
        goto out;
    }
    info->fps = fps;
    json_decref(j);
    rc = member_decode(c, r->model, "model", &j);
    if (rc == 0)
        rc = get_string(c, j, "model", info->model, sizeof info->model);
    json_decref(j);
    j = NULL;
    if (rc == 0)
        rc = member_decode(c, r->file, "file", &j);
    if (rc == 0)
        rc = get_string(c, j, "file", info->file, sizeof info->file);
out:
    json_decref(j);
    json_decref(schema);
    json_decref(tool);
    return rc;
}

/* Pass 2 over the frame array: decode every frame. */
static int read_frames(struct ctx *c, const struct root *r, enum variant v,
                       struct landmarks_file_info *info, struct rr_pose_frame *frames,
                       label_t **labels_out)
{
    const char *p = r->frames.p + 1, *end = r->frames.p + r->frames.n;
    label_t *labels = NULL;
    char label[LANDMARKS_FILE_LABEL_MAX + 1];
    int rc = 0;
    for (size_t i = 0; i < r->n_frames; i++) {
        c->frame = (long)i;
        p = skip_ws(p, end);
        const char *start = p;
        rc = scan_value(c, &p, 2); /* already checked in pass 1: only finds the end */
        if (rc < 0)
            break;
        const char *next = skip_ws(p, end);
        if (next < end && *next == ',')
            next++;
        if (*start != '{') {
            rc = fail(c, RR_ERR_CORRUPT, "a frame must be an object");
            break;
        }
        json_error_t e;
        json_t *fo = json_loadb(start, (size_t)(p - start), JSON_REJECT_DUPLICATES, &e);
        if (!fo) {
            rc = fail(c, RR_ERR_CORRUPT, "%s", e.text);
            break;
        }
        struct rr_pose_frame *f = &frames[i];
        struct frame_meta m = {0, 0, 0, label};
        label[0] = '\0';
        f->width = info->width;
        f->height = info->height;
        rc = variants[v].frame(c, fo, f, &m);
        json_decref(fo);
        p = next;
        if (rc < 0)
            break;
        if (i > 0 && f->t_us < frames[i - 1].t_us) {
            rc = fail(c, RR_ERR_CORRUPT, "time goes backwards (%.3f ms after %.3f ms)",
                      (double)f->t_us / 1000.0, (double)frames[i - 1].t_us / 1000.0);
            break;
        }
        if (label[0] && !labels) {
            labels = calloc(r->n_frames, sizeof *labels);
            if (!labels) {
                rc = fail(c, RR_ERR_NOMEM, "out of memory");
                break;
            }
        }
        if (labels)
            memcpy(labels[i], label, sizeof label);
        if (!f->has_pose)
            continue;
        info->n_with_pose++;
        if (m.world)
            info->has_world = 1;
        else
            f->flags |= RR_POSE_NO_WORLD;
        if (m.vis)
            info->has_visibility = 1;
        else
            f->flags |= m.found ? RR_POSE_NO_VISIBILITY : PENDING_VIS;
        if (!m.world)
            for (int k = 0; k < RR_NUM_LANDMARKS; k++)
                lm_not_found(&f->world[k]);
    }
    c->frame = -1;
    if (rc < 0) {
        free(labels);
        return rc;
    }
    /* Flags nothing in the frame itself could settle. */
    unsigned file_flags = (info->has_world ? 0u : RR_POSE_NO_WORLD) |
                          (info->has_visibility ? 0u : RR_POSE_NO_VISIBILITY);
    for (size_t i = 0; i < r->n_frames; i++) {
        struct rr_pose_frame *f = &frames[i];
        if (!f->has_pose) {
            f->flags = file_flags;
            f->score = 0.0f;
            for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
                lm_not_found(&f->image[k]);
                lm_not_found(&f->world[k]);
            }
        } else if (f->flags & PENDING_VIS) {
            f->flags = (f->flags & ~PENDING_VIS) | (file_flags & RR_POSE_NO_VISIBILITY);
        }
    }
    *labels_out = labels;
    return 0;
}

int landmarks_file_parse(const char *text, size_t len, struct rr_pose_frame **frames, size_t *n,
                         char (**labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                         struct landmarks_file_info *info, char *msg, size_t msg_len)
{
    char dummy[8];
    struct ctx c = {text, len, msg && msg_len ? msg : dummy,
                    msg && msg_len ? msg_len : sizeof dummy, -1};
    struct landmarks_file_info inf;
    struct root r;
    struct rr_pose_frame *fr = NULL;
    label_t *lab = NULL;
    enum variant v = V_POSE1;
    c.msg[0] = '\0';
    memset(&inf, 0, sizeof inf);
    memset(&r, 0, sizeof r);
    if (frames)
        *frames = NULL;
    if (n)
        *n = 0;
    if (labels)
        *labels = NULL;
    if (info)
        memset(info, 0, sizeof *info);
    if ((!text && len > 0) || !frames || !n)
        return fail(&c, RR_ERR_INVAL, "invalid argument");
    if (len > LANDMARKS_FILE_MAX_BYTES)
        return fail(&c, RR_ERR_TOOBIG, "more than %zu MiB", LANDMARKS_FILE_MAX_BYTES >> 20);
    if (!text)
        c.text = ""; /* len is 0 */
    int rc = scan_root(&c, &r);
    if (rc == 0)
        rc = read_header(&c, &r, &v, &inf);
    if (rc < 0)
        return rc;
    if (r.n_frames > 0) {
        fr = calloc(r.n_frames, sizeof *fr);
        if (!fr)
            return fail(&c, RR_ERR_NOMEM, "out of memory for %zu frames", r.n_frames);
    }
    rc = read_frames(&c, &r, v, &inf, fr, &lab);
    if (rc < 0) {
        free(fr);
        return rc;
    }
    if (v == V_MEDIAPIPE && r.n_frames > 0) {
        inf.width = fr[0].width;
        inf.height = fr[0].height;
    }
    inf.n_frames = r.n_frames;
    *frames = fr;
    *n = r.n_frames;
    if (labels)
        *labels = lab;
    else
        free(lab);
    if (info)
        *info = inf;
    return 0;
}

int landmarks_file_load_fd(int fd, struct rr_pose_frame **frames, size_t *n,
                           char (**labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                           struct landmarks_file_info *info, char *msg, size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (frames)
        *frames = NULL;
    if (n)
        *n = 0;
    if (labels)
        *labels = NULL;
    if (info)
        memset(info, 0, sizeof *info);
    if (fd < 0 || !frames || !n) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(msg, msg_len, "cannot stat: %s", strerror(errno));
        return RR_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msg_len, "not a regular file");
        return RR_ERR_IO;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > LANDMARKS_FILE_MAX_BYTES) {
        snprintf(msg, msg_len, "the file is %jd bytes, more than the %zu MiB limit",
                 (intmax_t)st.st_size, LANDMARKS_FILE_MAX_BYTES >> 20);
        return RR_ERR_TOOBIG;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        snprintf(msg, msg_len, "out of memory for %zu bytes", size);
        return RR_ERR_NOMEM;
    }
    int rc = 0;
    while (got < size) { /* a file that shrinks meanwhile is parsed as far as it goes */
        ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(msg, msg_len, "cannot read: %s", strerror(errno));
            rc = RR_ERR_IO;
            break;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (rc == 0)
        rc = landmarks_file_parse(buf, got, frames, n, labels, info, msg, msg_len);
    free(buf);
    return rc;
}

int landmarks_file_load(const char *path, struct rr_pose_frame **frames, size_t *n,
                        char (**labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                        struct landmarks_file_info *info, char *msg, size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (frames)
        *frames = NULL;
    if (n)
        *n = 0;
    if (labels)
        *labels = NULL;
    if (info)
        memset(info, 0, sizeof *info);
    if (!path || !frames || !n) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    /* O_NONBLOCK: a FIFO must not block the open; it is then refused as not a regular file */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(msg, msg_len, "cannot open: %s", strerror(e));
        return e == ENOENT || e == ENOTDIR ? RR_ERR_NOTFOUND : RR_ERR_IO;
    }
    int rc = landmarks_file_load_fd(fd, frames, n, labels, info, msg, msg_len);
    close(fd);
    return rc;
}

/* --- writer --------------------------------------------------------------------------------- */

/* Digits or decimals per style: the exact file round-trips floats (9 significant digits), the
 * readable one shows 7, the track keeps 3 decimals of the image (a third of a pixel on 4K) and
 * 2 of the visibility. */
#define EXACT_DIGITS 9
#define READABLE_DIGITS 7
#define TRACK_DECIMALS 3
#define TRACK_VIS_DECIMALS 2

static void put_value(struct rr_json *j, enum landmarks_file_style style, float v, int decimals)
{
    switch (style) {
    case LANDMARKS_FILE_TRACK:
        rr_json_fixed(j, (double)v, decimals);
        break;
    case LANDMARKS_FILE_READABLE:
        rr_json_real_digits(j, (double)v, READABLE_DIGITS);
        break;
    default:
        rr_json_real_digits(j, (double)v, EXACT_DIGITS); /* NaN, inf: null */
    }
}

static void put_landmark_array(struct rr_json *j, enum landmarks_file_style style,
                               const struct rr_landmark *l, int with_vis)
{
    if (!isfinite(l->x) || !isfinite(l->y)) {
        rr_json_null(j); /* not found */
        return;
    }
    rr_json_array_begin(j);
    put_value(j, style, l->x, TRACK_DECIMALS);
    put_value(j, style, l->y, TRACK_DECIMALS);
    if (with_vis || isfinite(l->z))
        put_value(j, style, l->z, TRACK_DECIMALS);
    if (with_vis) {
        put_value(j, style, l->visibility, TRACK_VIS_DECIMALS);
        if (style != LANDMARKS_FILE_TRACK)
            put_value(j, style, l->presence, TRACK_VIS_DECIMALS);
    }
    rr_json_array_end(j);
}

static void put_landmark_object(struct rr_json *j, const struct rr_landmark *l, int id,
                                int with_vis)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "name");
    rr_json_string(j, rr_landmark_name(id));
    RR_JSON_KEY(j, "x");
    put_value(j, LANDMARKS_FILE_READABLE, l->x, 0);
    RR_JSON_KEY(j, "y");
    put_value(j, LANDMARKS_FILE_READABLE, l->y, 0);
    RR_JSON_KEY(j, "z");
    put_value(j, LANDMARKS_FILE_READABLE, l->z, 0);
    if (with_vis) {
        RR_JSON_KEY(j, "visibility");
        put_value(j, LANDMARKS_FILE_READABLE, l->visibility, 0);
        RR_JSON_KEY(j, "presence");
        put_value(j, LANDMARKS_FILE_READABLE, l->presence, 0);
    }
    rr_json_object_end(j);
}

static void put_landmarks(struct rr_json *j, enum landmarks_file_style style,
                          const struct rr_landmark *lm, int with_vis)
{
    rr_json_array_begin(j);
    for (int k = 0; k < RR_NUM_LANDMARKS; k++) {
        if (style == LANDMARKS_FILE_READABLE)
            put_landmark_object(j, &lm[k], k, with_vis);
        else
            put_landmark_array(j, style, &lm[k], with_vis);
    }
    rr_json_array_end(j);
}

void landmarks_file_write_head(struct rr_json *j, const struct landmarks_file_head *h)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "schema");
    rr_json_string(j, LANDMARKS_FILE_SCHEMA);
    if (h->file && h->file[0]) {
        RR_JSON_KEY(j, "file");
        rr_json_string_lossy(j, h->file, strlen(h->file));
    }
    RR_JSON_KEY(j, "width");
    rr_json_int(j, h->width > 0 ? h->width : 0);
    RR_JSON_KEY(j, "height");
    rr_json_int(j, h->height > 0 ? h->height : 0);
    if (h->model && h->model[0]) {
        RR_JSON_KEY(j, "model");
        rr_json_string_lossy(j, h->model, strlen(h->model));
    }
    if (isfinite(h->fps) && h->fps > 0) {
        RR_JSON_KEY(j, "fps");
        if (h->style == LANDMARKS_FILE_TRACK)
            rr_json_fixed(j, h->fps, TRACK_DECIMALS);
        else
            rr_json_real_digits(j, h->fps, 17); /* the double, exactly */
    }
    RR_JSON_KEY(j, "frames");
    rr_json_array_begin_lines(j);
}

void landmarks_file_write_frame(struct rr_json *j, const struct landmarks_file_head *h,
                                const struct rr_pose_frame *f, const char *label)
{
    int W = h->width > 0 ? h->width : 0, H = h->height > 0 ? h->height : 0;
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "t_ms");
    if (h->style == LANDMARKS_FILE_READABLE)
        rr_json_real_digits(j, (double)f->t_us / 1000.0, READABLE_DIGITS);
    else
        rr_json_scaled(j, f->t_us, 3); /* whole microseconds, exactly */
    if (f->width != W || f->height != H) {
        RR_JSON_KEY(j, "width");
        rr_json_int(j, f->width);
        RR_JSON_KEY(j, "height");
        rr_json_int(j, f->height);
    }
    RR_JSON_KEY(j, "pose");
    rr_json_bool(j, f->has_pose);
    if (f->has_pose) {
        int with_vis = !(f->flags & RR_POSE_NO_VISIBILITY);
        RR_JSON_KEY(j, "score");
        put_value(j, h->style, f->score, TRACK_DECIMALS);
        RR_JSON_KEY(j, "landmarks");
        put_landmarks(j, h->style, f->image, with_vis);
        if (!(f->flags & RR_POSE_NO_WORLD) && h->style != LANDMARKS_FILE_TRACK) {
            RR_JSON_KEY(j, "world_landmarks");
            put_landmarks(j, h->style, f->world, with_vis);
        }
    }
    if (label && label[0]) {
        RR_JSON_KEY(j, "label");
        rr_json_string_lossy(j, label, strnlen(label, LANDMARKS_FILE_LABEL_MAX));
    }
    rr_json_object_end(j);
}

void landmarks_file_write_tail(struct rr_json *j)
{
    rr_json_array_end(j);
    rr_json_object_end(j);
    rr_json_raw(j, "\n", 1);
}

/* The whole document of frames[0..n) taking every stride-th frame. */
static char *write_doc(const struct landmarks_file_head *h, const struct rr_pose_frame *frames,
                       size_t n, size_t stride, const char (*labels)[LANDMARKS_FILE_LABEL_MAX + 1])
{
    struct rr_json j;
    if (!frames && n > 0)
        return NULL;
    rr_json_init(&j, NULL, 0, LANDMARKS_FILE_MAX_BYTES);
    landmarks_file_write_head(&j, h);
    for (size_t i = 0; i < n && !rr_json_error(&j); i += stride)
        landmarks_file_write_frame(&j, h, &frames[i], labels ? labels[i] : NULL);
    landmarks_file_write_tail(&j);
    return rr_json_detach(&j, NULL);
}

char *landmarks_file_write(const struct rr_pose_frame *frames, size_t n,
                           const char (*labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                           const struct landmarks_file_info *info)
{
    struct landmarks_file_head h = {LANDMARKS_FILE_EXACT, NULL, NULL, 0, 0, 0};
    if (info) {
        h.file = info->file;
        h.model = info->model;
        h.width = info->width;
        h.height = info->height;
        h.fps = info->fps;
    } else if (frames && n) {
        h.width = frames[0].width;
        h.height = frames[0].height;
    }
    return write_doc(&h, frames, n, 1, labels);
}

char *landmarks_file_write_track(const struct rr_pose_frame *frames, size_t n, double fps,
                                 int width, int height)
{
    struct landmarks_file_head h = {LANDMARKS_FILE_TRACK, NULL, NULL, width, height, fps};
    const size_t max = LANDMARKS_FILE_TRACK_MAX_FRAMES;
    size_t stride = n > max ? (n + max - 1) / max : 1;
    return write_doc(&h, frames, n, stride, NULL);
}

int landmarks_file_save(const char *path, const struct rr_pose_frame *frames, size_t n,
                        const char (*labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                        const struct landmarks_file_info *info, char *msg, size_t msg_len)
{
    char dummy[8], part[4200];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (!path || (!frames && n > 0)) {
        snprintf(msg, msg_len, "invalid argument");
        return RR_ERR_INVAL;
    }
    if ((size_t)snprintf(part, sizeof part, "%s.part", path) >= sizeof part) {
        snprintf(msg, msg_len, "path too long");
        return RR_ERR_INVAL;
    }
    char *text = landmarks_file_write(frames, n, labels, info);
    if (!text) {
        snprintf(msg, msg_len, "out of memory");
        return RR_ERR_NOMEM;
    }
    int rc = 0;
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(msg, msg_len, "cannot create %s: %s", part, strerror(errno));
        free(text);
        return RR_ERR_IO;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(msg, msg_len, "cannot write %s: %s", part, strerror(errno));
            rc = RR_ERR_IO;
            break;
        }
        done += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0) {
        snprintf(msg, msg_len, "cannot write %s: %s", part, strerror(errno));
        rc = RR_ERR_IO;
    }
    if (close(fd) != 0 && rc == 0) {
        snprintf(msg, msg_len, "cannot write %s: %s", part, strerror(errno));
        rc = RR_ERR_IO;
    }
    if (rc == 0 && rename(part, path) != 0) {
        snprintf(msg, msg_len, "cannot rename %s to %s: %s", part, path, strerror(errno));
        rc = RR_ERR_IO;
    }
    if (rc < 0)
        unlink(part);
    free(text);
    return rc;
}
