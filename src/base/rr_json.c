/*
 * rr_json.c - the JSON writer (see rr_json.h for the byte-for-byte contract with jansson).
 *
 * DESIGN: one pass, append only. Each open container keeps three bits (object, has an item,
 * one item per line), enough to place commas, colons and newlines without looking back. The
 * common cases (a key or string of plain ASCII, an integer, a real) take one reserve and one
 * copy; the string scanner looks at 8 bytes at a time for anything to escape or check.
 */
#include "base/rr_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

#define OBJ 1u   /* the container is an object */
#define ITEM 2u  /* it has an item: the next one needs a comma */
#define LINES 4u /* each item on its own line */

/* ---- buffer --------------------------------------------------------------------------------- */

void rr_json_init(struct rr_json *j, char *initial, size_t initial_cap, size_t max)
{
    memset(j, 0, sizeof *j);
    rr_buf_init(&j->buf, initial, initial_cap, max);
    j->precision = 17;
}

void rr_json_release(struct rr_json *j)
{
    rr_buf_release(&j->buf);
    j->depth = 0;
    j->after_key = 0;
}

void rr_json_set_precision(struct rr_json *j, int digits)
{
    j->precision = digits >= 1 && digits <= 17 ? digits : 17;
}

void rr_json_set_indent(struct rr_json *j, int spaces)
{
    j->indent = spaces > 0 && spaces <= 31 ? spaces : 0; /* jansson allows 0..31 */
}

void rr_json_fail(struct rr_json *j, int err)
{
    rr_buf_fail(&j->buf, err);
}

void rr_json_drain(struct rr_json *j)
{
    j->buf.len = 0;
    if (j->buf.data)
        j->buf.data[0] = '\0';
}

int rr_json_finish(const struct rr_json *j)
{
    if (j->buf.err)
        return j->buf.err;
    return j->depth || j->after_key ? RR_ERR_INVAL : 0;
}

char *rr_json_detach(struct rr_json *j, size_t *len)
{
    int err = rr_json_finish(j);
    if (err) {
        rr_buf_fail(&j->buf, err);
        if (len)
            *len = 0;
    }
    char *s = rr_buf_detach(&j->buf, len);
    rr_json_release(j);
    return s;
}

static inline void put(struct rr_json *j, const char *s, size_t n)
{
    if (n && rr_buf_reserve(&j->buf, n)) {
        memcpy(j->buf.data + j->buf.len, s, n);
        rr_buf_commit(&j->buf, n);
    }
}

static inline void put_c(struct rr_json *j, char c)
{
    if (rr_buf_reserve(&j->buf, 1)) {
        j->buf.data[j->buf.len] = c;
        rr_buf_commit(&j->buf, 1);
    }
}

void rr_json_raw(struct rr_json *j, const char *s, size_t n)
{
    put(j, s, n);
}

/* ---- structure ------------------------------------------------------------------------------ */

static void newline_indent(struct rr_json *j, int level)
{
    size_t n = (size_t)level * (size_t)j->indent;
    if (rr_buf_reserve(&j->buf, n + 1)) {
        char *d = j->buf.data + j->buf.len;
        d[0] = '\n';
        memset(d + 1, ' ', n);
        rr_buf_commit(&j->buf, n + 1);
    }
}

/* What goes before an item of the innermost container: comma, newline, indentation. */
static void item_prefix(struct rr_json *j)
{
    unsigned char *o = &j->open[j->depth - 1];
    if (*o & ITEM)
        put_c(j, ',');
    *o |= ITEM;
    if (j->indent)
        newline_indent(j, j->depth);
    else if (*o & LINES)
        put_c(j, '\n');
}

/* Placement of a value; 0 when nothing may be written. */
static int before_value(struct rr_json *j)
{
    if (j->buf.err)
        return 0;
    if (j->after_key) {
        j->after_key = 0;
        return 1;
    }
    if (j->depth == 0)
        return 1;
    if (j->open[j->depth - 1] & OBJ) {
        rr_json_fail(j, RR_ERR_INVAL); /* a member value without its key */
        return 0;
    }
    item_prefix(j);
    return !j->buf.err;
}

static void container_open(struct rr_json *j, unsigned bits, char c)
{
    if (!before_value(j))
        return;
    if (j->depth == RR_JSON_MAX_DEPTH) {
        rr_json_fail(j, RR_ERR_INVAL);
        return;
    }
    j->open[j->depth++] = (unsigned char)bits;
    put_c(j, c);
}

static void container_close(struct rr_json *j, unsigned object, char c)
{
    if (j->buf.err)
        return;
    if (j->depth == 0 || (j->open[j->depth - 1] & OBJ) != object || j->after_key) {
        rr_json_fail(j, RR_ERR_INVAL);
        return;
    }
    unsigned o = j->open[--j->depth];
    if (o & ITEM) {
        if (j->indent)
            newline_indent(j, j->depth);
        else if (o & LINES)
            put_c(j, '\n');
    }
    put_c(j, c);
}

void rr_json_object_begin(struct rr_json *j) { container_open(j, OBJ, '{'); }
void rr_json_object_end(struct rr_json *j) { container_close(j, OBJ, '}'); }
void rr_json_array_begin(struct rr_json *j) { container_open(j, 0, '['); }
void rr_json_array_begin_lines(struct rr_json *j) { container_open(j, LINES, '['); }
void rr_json_array_end(struct rr_json *j) { container_close(j, 0, ']'); }

/* ---- strings -------------------------------------------------------------------------------- */

size_t rr_utf8_seq(const unsigned char *s, size_t n)
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

/* A quoted, escaped string (no structure bookkeeping). Invalid UTF-8: an error, or with
 * `lossy` one '?' per byte that is not part of a valid sequence. */
static void put_string(struct rr_json *j, const char *str, size_t n, int lossy)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = plain_prefix(s, n);
    if (i == n) { /* the common case: nothing to escape or check */
        if (rr_buf_reserve(&j->buf, n + 2)) {
            char *d = j->buf.data + j->buf.len;
            d[0] = '"';
            memcpy(d + 1, str, n);
            d[n + 1] = '"';
            rr_buf_commit(&j->buf, n + 2);
        }
        return;
    }
    size_t run = 0;
    put_c(j, '"');
    while (i < n && !j->buf.err) {
        unsigned char c = s[i];
        if (plain[c]) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = rr_utf8_seq(s + i, n - i);
            if (k) {
                i += k;
                continue;
            }
            if (!lossy) {
                rr_json_fail(j, RR_ERR_INVAL);
                return;
            }
            put(j, str + run, i - run);
            put_c(j, '?');
            run = ++i;
            continue;
        }
        char esc[6];
        put(j, str + run, i - run);
        put(j, esc, escape(c, esc));
        run = ++i;
    }
    put(j, str + run, n - run);
    put_c(j, '"');
}

void rr_json_keyn(struct rr_json *j, const char *key, size_t n)
{
    if (j->buf.err)
        return;
    if (j->depth == 0 || !(j->open[j->depth - 1] & OBJ) || j->after_key || !key) {
        rr_json_fail(j, RR_ERR_INVAL);
        return;
    }
    unsigned char *o = &j->open[j->depth - 1];
    j->after_key = 1;
    if (!j->indent && plain_prefix((const unsigned char *)key, n) == n) {
        int comma = (*o & ITEM) != 0; /* the common case: one reserve, one copy */
        *o |= ITEM;
        if (rr_buf_reserve(&j->buf, n + 4)) {
            char *d = j->buf.data + j->buf.len, *start = d;
            if (comma)
                *d++ = ',';
            *d++ = '"';
            memcpy(d, key, n);
            d += n;
            *d++ = '"';
            *d++ = ':';
            rr_buf_commit(&j->buf, (size_t)(d - start));
        }
        return;
    }
    item_prefix(j);
    put_string(j, key, n, 0);
    put(j, ": ", j->indent ? 2 : 1);
}

void rr_json_key(struct rr_json *j, const char *key)
{
    rr_json_keyn(j, key, key ? strlen(key) : 0);
}

void rr_json_stringn(struct rr_json *j, const char *s, size_t n)
{
    if (!s) {
        rr_json_null(j);
        return;
    }
    if (before_value(j))
        put_string(j, s, n, 0);
}

void rr_json_string(struct rr_json *j, const char *s)
{
    rr_json_stringn(j, s, s ? strlen(s) : 0);
}

void rr_json_string_lossy(struct rr_json *j, const char *s, size_t n)
{
    if (!s) {
        rr_json_null(j);
        return;
    }
    if (before_value(j))
        put_string(j, s, n, 1);
}

void rr_json_verbatim(struct rr_json *j, const char *json, size_t n)
{
    if (before_value(j))
        put(j, json, n);
}

/* ---- scalars -------------------------------------------------------------------------------- */

/* Decimal digits of v, at least `width` (zero-padded), ending at end; returns the start. */
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

void rr_json_uint(struct rr_json *j, uint64_t v)
{
    char b[24];
    if (!before_value(j))
        return;
    char *p = digits(v, 1, b + sizeof b);
    put(j, p, (size_t)(b + sizeof b - p));
}

void rr_json_int(struct rr_json *j, int64_t v)
{
    char b[24];
    if (!before_value(j))
        return;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = digits(u, 1, b + sizeof b);
    if (v < 0)
        *--p = '-';
    put(j, p, (size_t)(b + sizeof b - p));
}

void rr_json_bool(struct rr_json *j, int v)
{
    if (before_value(j))
        put(j, v ? "true" : "false", v ? 4 : 5);
}

void rr_json_null(struct rr_json *j)
{
    if (before_value(j))
        put(j, "null", 4);
}

int rr_json_format_real(double v, int precision, char *out, size_t cap)
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

void rr_json_real_digits(struct rr_json *j, double v, int digits_)
{
    char b[40];
    int n = rr_json_format_real(v, digits_, b, sizeof b);
    if (n < 0) {
        rr_json_null(j); /* NaN and the infinities: see rr_json.h */
        return;
    }
    if (before_value(j))
        put(j, b, (size_t)n);
}

void rr_json_real(struct rr_json *j, double v)
{
    rr_json_real_digits(j, v, j->precision);
}

void rr_json_fixed(struct rr_json *j, double v, int decimals)
{
    if (!isfinite(v)) {
        rr_json_null(j);
        return;
    }
    if (fabs(v) >= 1e15) {
        rr_json_real(j, v);
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    char b[48];
    int n = snprintf(b, sizeof b, "%.*f", decimals, v); /* < 16 + 1 + 9 + sign: always fits */
    if (n <= 0 || (size_t)n >= sizeof b) {
        rr_json_fail(j, RR_ERR_INTERNAL);
        return;
    }
    for (int i = 0; i < n; i++)
        if (b[i] == ',')
            b[i] = '.'; /* decimal-comma locale */
    if (memchr(b, '.', (size_t)n)) {
        while (b[n - 1] == '0')
            n--;
        if (b[n - 1] == '.')
            n--;
    }
    const char *p = b;
    if (n == 2 && b[0] == '-' && b[1] == '0') {
        p = "0";
        n = 1;
    }
    if (before_value(j))
        put(j, p, (size_t)n);
}

void rr_json_scaled(struct rr_json *j, int64_t v, int decimals)
{
    static const uint64_t pow10[] = {1u,
                                     10u,
                                     100u,
                                     1000u,
                                     10000u,
                                     100000u,
                                     1000000u,
                                     10000000u,
                                     100000000u,
                                     1000000000u,
                                     10000000000u,
                                     100000000000u,
                                     1000000000000u,
                                     10000000000000u,
                                     100000000000000u,
                                     1000000000000000u,
                                     10000000000000000u,
                                     100000000000000000u,
                                     1000000000000000000u};
    if (decimals < 0 || decimals > 18) {
        rr_json_fail(j, RR_ERR_INVAL);
        return;
    }
    if (!before_value(j))
        return;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char b[48], *end = b + sizeof b;
    char *p = end;
    if (decimals) {
        p = digits(u % pow10[decimals], decimals, end);
        *--p = '.';
    }
    p = digits(u / pow10[decimals], 1, p);
    if (v < 0)
        *--p = '-';
    put(j, p, (size_t)(end - p));
}

static const char pairs[201] = "0001020304050607080910111213141516171819"
                                "2021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859"
                                "6061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";

static char *two(char *p, int64_t v)
{
    memcpy(p, pairs + 2 * v, 2);
    return p + 2;
}

void rr_json_time_ms(struct rr_json *j, int64_t ms)
{
    if (!before_value(j))
        return;
    if (ms < 0)
        ms = 0;
    /* days since the epoch -> civil date (Howard Hinnant's algorithm) */
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
    put(j, b, (size_t)(p - b));
}
