/*
 * json_out.c - the direct JSON writer (see json_out.h for the byte-for-byte contract with
 * jansson's compact dump).
 */
#include "json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

/* ---- buffer --------------------------------------------------------------------------------- */

void json_out_init(struct json_out *o, char *initial, size_t initial_cap, size_t max)
{
    memset(o, 0, sizeof *o);
    o->buf = initial;
    o->cap = initial ? initial_cap : 0;
    o->max = max;
}

void json_out_free(struct json_out *o)
{
    if (o->heap)
        free(o->buf);
    o->buf = NULL;
    o->heap = 0;
    o->len = o->cap = 0;
}

int json_out_error(const struct json_out *o) { return o->err; }
const char *json_out_data(const struct json_out *o) { return o->buf; }
size_t json_out_len(const struct json_out *o) { return o->len; }

static void fail(struct json_out *o, int err)
{
    if (!o->err)
        o->err = err;
}

/* The slow half of reserve(): a bigger buffer. */
static int grow(struct json_out *o, size_t n)
{
    if (o->err)
        return 0;
    if (n > o->max || o->len > o->max - n) {
        fail(o, RR_ERR_TOOBIG);
        return 0;
    }
    size_t need = o->len + n;
    size_t cap = o->cap < 256 ? 256 : o->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > o->max)
        cap = o->max;
    char *nb = o->heap ? realloc(o->buf, cap) : malloc(cap);
    if (!nb) {
        fail(o, RR_ERR_NOMEM);
        return 0;
    }
    if (!o->heap && o->len)
        memcpy(nb, o->buf, o->len);
    o->buf = nb;
    o->cap = cap;
    o->heap = 1;
    return 1;
}

/* Room for n more bytes; 0 after setting the error (or when one is already set). */
static inline int reserve(struct json_out *o, size_t n)
{
    if (n <= o->cap - o->len && !o->err)
        return 1;
    return grow(o, n);
}

static void put(struct json_out *o, const char *s, size_t n)
{
    if (n && reserve(o, n)) {
        memcpy(o->buf + o->len, s, n);
        o->len += n;
    }
}

static void put_c(struct json_out *o, char c)
{
    if (reserve(o, 1))
        o->buf[o->len++] = c;
}

void json_out_raw(struct json_out *o, const char *s, size_t n) { put(o, s, n); }

/* ---- structure ------------------------------------------------------------------------------ */

/* Comma before a value when it is not the first of its array; 0 when nothing may be written. */
static int before_value(struct json_out *o)
{
    if (o->err)
        return 0;
    if (o->after_key) {
        o->after_key = 0;
        return 1;
    }
    if (o->depth == 0)
        return 1;
    if (o->in_object[o->depth - 1]) {
        fail(o, RR_ERR_INVAL); /* a member value without its key */
        return 0;
    }
    if (o->has_item[o->depth - 1])
        put_c(o, ',');
    o->has_item[o->depth - 1] = 1;
    return !o->err;
}

static void container_open(struct json_out *o, int object)
{
    if (!before_value(o))
        return;
    if (o->depth == JSON_OUT_DEPTH) {
        fail(o, RR_ERR_INVAL);
        return;
    }
    o->in_object[o->depth] = (unsigned char)object;
    o->has_item[o->depth] = 0;
    o->depth++;
    put_c(o, object ? '{' : '[');
}

static void container_close(struct json_out *o, int object)
{
    if (o->err)
        return;
    if (o->depth == 0 || o->in_object[o->depth - 1] != object || o->after_key) {
        fail(o, RR_ERR_INVAL);
        return;
    }
    o->depth--;
    put_c(o, object ? '}' : ']');
}

void json_out_object_begin(struct json_out *o) { container_open(o, 1); }
void json_out_object_end(struct json_out *o) { container_close(o, 1); }
void json_out_array_begin(struct json_out *o) { container_open(o, 0); }
void json_out_array_end(struct json_out *o) { container_close(o, 0); }

/* ---- strings -------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid (jansson's rules). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char u = s[0];
    size_t len;
    uint32_t cp;
    if (u < 0x80)
        return 1;
    if (u >= 0xC2 && u <= 0xDF) {
        len = 2;
        cp = u & 0x1F;
    } else if (u >= 0xE0 && u <= 0xEF) {
        len = 3;
        cp = u & 0x0F;
    } else if (u >= 0xF0 && u <= 0xF4) {
        len = 4;
        cp = u & 0x07;
    } else {
        return 0; /* continuation byte, C0/C1 or above F4 */
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000))
        return 0;
    return len;
}

/* 1 for the bytes a string copies as they are: printable ASCII but '"' and '\\'. */
static const unsigned char plain[256] = {
    ['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1,
    [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1, ['@'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1,
    ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1,
    ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1,
    ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1, ['\x7f'] = 1,
};

/* Length of the prefix of s made of plain bytes: 8 bytes at a time while no byte of the word is
 * below 0x20, '"', '\\' or 0x80 and above (the exact position is then found bytewise). */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & highs)
            break;
    }
    while (i < n && plain[s[i]])
        i++;
    return i;
}

/* The escaped form of a byte below 0x20, '"' or '\\' into esc; its length. */
static size_t escape(unsigned char c, char esc[6])
{
    static const char hex[] = "0123456789ABCDEF";
    esc[0] = '\\';
    switch (c) {
    case '"': esc[1] = '"'; return 2;
    case '\\': esc[1] = '\\'; return 2;
    case '\b': esc[1] = 'b'; return 2;
    case '\f': esc[1] = 'f'; return 2;
    case '\n': esc[1] = 'n'; return 2;
    case '\r': esc[1] = 'r'; return 2;
    case '\t': esc[1] = 't'; return 2;
    default:
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
}

/* A quoted, escaped string (no structure bookkeeping). */
static void put_string(struct json_out *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = plain_prefix(s, n);
    if (i == n) { /* the common case: nothing to escape or check */
        if (reserve(o, n + 2)) {
            char *d = o->buf + o->len;
            d[0] = '"';
            memcpy(d + 1, str, n);
            d[n + 1] = '"';
            o->len += n + 2;
        }
        return;
    }
    size_t run = 0;
    put_c(o, '"');
    while (i < n && !o->err) {
        unsigned char c = s[i];
        if (plain[c]) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (k == 0) {
                fail(o, RR_ERR_INVAL);
                return;
            }
            i += k;
            continue;
        }
        char esc[6];
        put(o, str + run, i - run);
        put(o, esc, escape(c, esc));
        i++;
        run = i;
    }
    put(o, str + run, n - run);
    put_c(o, '"');
}

void json_out_keyn(struct json_out *o, const char *key, size_t n)
{
    if (o->err)
        return;
    if (o->depth == 0 || !o->in_object[o->depth - 1] || o->after_key || !key) {
        fail(o, RR_ERR_INVAL);
        return;
    }
    int comma = o->has_item[o->depth - 1];
    o->has_item[o->depth - 1] = 1;
    o->after_key = 1;
    if (plain_prefix((const unsigned char *)key, n) == n && reserve(o, n + 4)) {
        char *d = o->buf + o->len; /* the common case: one reserve, one copy */
        if (comma)
            *d++ = ',';
        *d++ = '"';
        memcpy(d, key, n);
        d += n;
        *d++ = '"';
        *d++ = ':';
        o->len = (size_t)(d - o->buf);
        return;
    }
    if (comma)
        put_c(o, ',');
    put_string(o, key, n);
    put_c(o, ':');
}

void json_out_key(struct json_out *o, const char *key)
{
    json_out_keyn(o, key, key ? strlen(key) : 0);
}

void json_out_stringn(struct json_out *o, const char *s, size_t n)
{
    if (!s) {
        json_out_null(o);
        return;
    }
    if (before_value(o))
        put_string(o, s, n);
}

void json_out_string(struct json_out *o, const char *s)
{
    json_out_stringn(o, s, s ? strlen(s) : 0);
}

/* ---- scalars -------------------------------------------------------------------------------- */

/* Decimal digits of v, at least `width` (zero-padded), into the end of buf; returns the start. */
static char *digits(uint64_t v, int width, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
        width--;
    } while (v || width > 0);
    return p;
}

void json_out_int(struct json_out *o, int64_t v)
{
    char b[24];
    if (!before_value(o))
        return;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = digits(u, 1, b + sizeof b);
    if (v < 0)
        *--p = '-';
    put(o, p, (size_t)(b + sizeof b - p));
}

void json_out_bool(struct json_out *o, int v)
{
    if (before_value(o))
        put(o, v ? "true" : "false", v ? 4 : 5);
}

void json_out_null(struct json_out *o)
{
    if (before_value(o))
        put(o, "null", 4);
}

int json_out_format_real(double v, int precision, char *out, size_t cap)
{
    if (!isfinite(v) || cap < 32)
        return -1;
    if (precision <= 0 || precision > 17)
        precision = 17;
    /* Fast path: an integral value with at most `precision` digits prints as "%.0f" + ".0". */
    static const double pow10[] = {1,   1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7, 1e8,
                                   1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double lim = precision >= 15 ? 1e15 : pow10[precision];
    if (v > -lim && v < lim && v == (double)(int64_t)v) {
        char b[24];
        int64_t i = (int64_t)v;
        char *p = digits((uint64_t)(i < 0 ? -i : i), 1, b + sizeof b);
        if (i < 0 || (i == 0 && signbit(v)))
            *--p = '-';
        size_t n = (size_t)(b + sizeof b - p);
        memcpy(out, p, n);
        memcpy(out + n, ".0", 3);
        return (int)n + 2;
    }
    int n = snprintf(out, cap, "%.*g", precision, v);
    if (n < 0 || (size_t)n + 3 > cap)
        return -1;
    for (int i = 0; i < n; i++)
        if (out[i] == ',')
            out[i] = '.'; /* a decimal-comma locale: JSON wants a point (jansson does the same) */
    char *e = memchr(out, 'e', (size_t)n);
    if (!e && !memchr(out, '.', (size_t)n)) {
        memcpy(out + n, ".0", 3);
        return n + 2;
    }
    if (e) { /* "1e+05" -> "1e5", "1e-05" -> "1e-5" */
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(out + n - end) + 1);
            n -= (int)(end - start);
        }
    }
    return n;
}

void json_out_real(struct json_out *o, double v, int precision)
{
    char b[40];
    int n = json_out_format_real(v, precision, b, sizeof b);
    if (n < 0) {
        fail(o, RR_ERR_INVAL);
        return;
    }
    if (before_value(o))
        put(o, b, (size_t)n);
}

static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233"
                                "34353637383940414243444546474849505152535455565758596061626364656667"
                                "6869707172737475767778798081828384858687888990919293949596979899";

static char *two(char *p, int64_t v)
{
    memcpy(p, pairs + 2 * v, 2);
    return p + 2;
}

void json_out_time_ms(struct json_out *o, int64_t ms)
{
    if (!before_value(o))
        return;
    if (ms < 0)
        ms = 0;
    int64_t z = ms / 86400000 + 719468, r = ms % 86400000;
    int64_t era = z / 146097; /* z >= 0 */
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    char b[48], *p = b;
    *p++ = '"';
    if (y < 10000) {
        p = two(p, y / 100);
        p = two(p, y % 100);
    } else {
        char t[24], *e = t + sizeof t, *st = digits((uint64_t)y, 4, e);
        memcpy(p, st, (size_t)(e - st));
        p += e - st;
    }
    *p++ = '-';
    p = two(p, m);
    *p++ = '-';
    p = two(p, d);
    *p++ = 'T';
    p = two(p, r / 3600000);
    *p++ = ':';
    p = two(p, r / 60000 % 60);
    *p++ = ':';
    p = two(p, r / 1000 % 60);
    *p++ = '.';
    *p++ = (char)('0' + r % 1000 / 100);
    p = two(p, r % 100);
    *p++ = 'Z';
    *p++ = '"';
    put(o, b, (size_t)(p - b));
}

/* ---- jansson values ------------------------------------------------------------------------- */

static int dump_cb(const char *buffer, size_t size, void *data)
{
    struct json_out *o = data;
    put(o, buffer, size);
    return o->err ? -1 : 0;
}

void json_out_jansson(struct json_out *o, const json_t *v, size_t flags)
{
    if (!v) {
        json_out_null(o);
        return;
    }
    if (!before_value(o))
        return;
    if (json_dump_callback(v, dump_cb, o, flags | JSON_ENCODE_ANY) != 0)
        fail(o, RR_ERR_INVAL);
}
