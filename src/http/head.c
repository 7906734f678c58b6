/*
 * head.c - framing check of an HTTP/1.x request head (rules in head.h).
 *
 * DESIGN: one pass over the complete lines that have arrived; each line is checked as soon as
 * its LF is in, so garbage is refused early. The gate re-runs the check from the start each
 * time more bytes arrive (it peeks, it never consumes), which keeps this function pure: at
 * most `limit` bytes (16 KiB) per call, a handful of calls per connection.
 */
#include "http/head.h"

#include <string.h>
#include <strings.h>

enum field_kind {
    FIELD_OTHER = 0,
    FIELD_HOST,
    FIELD_CONTENT_LENGTH,
    FIELD_TRANSFER_ENCODING,
    FIELD_CONNECTION,
};

static const struct {
    const char *name;
    size_t len;
    enum field_kind kind;
} known_fields[] = {
    {"host", 4, FIELD_HOST},
    {"content-length", 14, FIELD_CONTENT_LENGTH},
    {"transfer-encoding", 17, FIELD_TRANSFER_ENCODING},
    {"connection", 10, FIELD_CONNECTION},
};

struct head_state {
    int minor; /* HTTP/1.minor */
    unsigned n_host, n_length, n_coding;
    const char *coding; /* the Transfer-Encoding value, OWS trimmed */
    size_t coding_len;
    unsigned long long length;
    int close, keep_alive; /* Connection tokens seen */
};

static int bad(struct http_head_verdict *v, unsigned status, const char *code, const char *msg)
{
    v->status = status;
    v->code = code;
    v->message = msg;
    return HTTP_HEAD_BAD;
}

static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Visible bytes of a request target: no space, no control byte, no DEL. */
static int is_target_byte(unsigned char c)
{
    return c > 0x20 && c != 0x7f;
}

/* Field value bytes: HTAB, SP, visible ASCII and obs-text. */
static int is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int request_line(const char *s, size_t n, struct head_state *st, struct http_head_verdict *v)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i > HTTP_HEAD_MAX_METHOD || i >= n || s[i] != ' ')
        return bad(v, 400, "bad_request_line", "malformed request line");
    v->method = s;
    v->method_len = i;
    size_t t0 = ++i;
    while (i < n && is_target_byte((unsigned char)s[i]))
        i++;
    if (i == t0 || i >= n || s[i] != ' ')
        return bad(v, 400, "bad_request_line", "malformed request line");
    v->target = s + t0;
    v->target_len = i - t0;
    const char *ver = s + i + 1;
    size_t vn = n - i - 1;
    if (vn != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[5] < '0' || ver[5] > '9' || ver[6] != '.' ||
        ver[7] < '0' || ver[7] > '9')
        return bad(v, 400, "bad_request_line", "malformed request line");
    if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1'))
        return bad(v, 505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
    st->minor = ver[7] - '0';
    return 0;
}

static int content_length_ok(const char *s, size_t n)
{
    if (n == 0 || n > 19) /* 19 digits always fit in 64 bits */
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static unsigned long long content_length_value(const char *s, size_t n)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned long long)(s[i] - '0');
    return v;
}

/* The Connection field's comma-separated tokens: note "close" and "keep-alive". */
static void connection_tokens(const char *s, size_t n, struct head_state *st)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ',' || s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t t0 = i;
        while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != '\t')
            i++;
        if (i - t0 == 5 && strncasecmp(s + t0, "close", 5) == 0)
            st->close = 1;
        else if (i - t0 == 10 && strncasecmp(s + t0, "keep-alive", 10) == 0)
            st->keep_alive = 1;
    }
}

static int field_line(const char *s, size_t n, struct head_state *st, struct http_head_verdict *v)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    /* also refuses obs-fold (a leading SP/HTAB) and whitespace before the colon */
    if (i == 0 || i >= n || s[i] != ':')
        return bad(v, 400, "bad_header", "malformed header field");
    size_t name_len = i++;
    for (size_t k = i; k < n; k++)
        if (!is_value_byte((unsigned char)s[k]))
            return bad(v, 400, "bad_header", "control character in a header field");
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t end = n;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    enum field_kind kind = FIELD_OTHER;
    for (size_t k = 0; k < sizeof known_fields / sizeof known_fields[0]; k++)
        if (known_fields[k].len == name_len && strncasecmp(s, known_fields[k].name, name_len) == 0)
            kind = known_fields[k].kind;
    switch (kind) {
    case FIELD_HOST:
        st->n_host++;
        break;
    case FIELD_CONTENT_LENGTH:
        st->n_length++;
        if (!content_length_ok(s + i, end - i))
            return bad(v, 400, "bad_content_length", "Content-Length must be one decimal number");
        st->length = content_length_value(s + i, end - i);
        break;
    case FIELD_TRANSFER_ENCODING:
        st->n_coding++;
        st->coding = s + i;
        st->coding_len = end - i;
        break;
    case FIELD_CONNECTION:
        connection_tokens(s + i, end - i, st);
        break;
    case FIELD_OTHER:
        break;
    }
    return 0;
}

static int semantics(const struct head_state *st, struct http_head_verdict *v)
{
    if (st->n_length > 1)
        return bad(v, 400, "bad_content_length", "Content-Length must be one decimal number");
    if (st->n_coding > 0) {
        if (st->n_length > 0)
            return bad(v, 400, "ambiguous_framing",
                       "a request may not have both Content-Length and Transfer-Encoding");
        if (st->minor == 0)
            return bad(v, 400, "ambiguous_framing", "Transfer-Encoding is not allowed in HTTP/1.0");
        if (st->n_coding > 1)
            return bad(v, 400, "ambiguous_framing", "Transfer-Encoding may be given only once");
        if (st->coding_len != 7 || strncasecmp(st->coding, "chunked", 7) != 0)
            return bad(v, 501, "unsupported_transfer_encoding",
                       "the only transfer coding accepted is chunked");
    }
    if (st->minor == 1 ? st->n_host != 1 : st->n_host > 1)
        return bad(v, 400, "bad_host", "an HTTP/1.1 request needs exactly one Host header");
    return 0;
}

/* The next line at `pos`: its end without CR/LF in *eol, the byte after its LF in *next.
 * 0 when its LF has not arrived yet. */
static int next_line(const char *buf, size_t len, size_t pos, size_t *eol, size_t *next)
{
    const char *lf = memchr(buf + pos, '\n', len - pos);
    if (!lf)
        return 0;
    *next = (size_t)(lf - buf) + 1;
    *eol = *next - 1;
    if (*eol > pos && buf[*eol - 1] == '\r')
        (*eol)--;
    return 1;
}

int http_head_check(const char *buf, size_t len, size_t limit, struct http_head_verdict *v)
{
    struct head_state st;
    size_t pos = 0, eol = 0, next = 0;
    memset(v, 0, sizeof *v);
    memset(&st, 0, sizeof st);
    /* empty lines before the request line are skipped (RFC 9112 section 2.2) */
    while (next_line(buf, len, pos, &eol, &next) && eol == pos)
        pos = next;
    if (!next_line(buf, len, pos, &eol, &next))
        return len > limit ? bad(v, 414, "uri_too_long", "request line too long")
                           : HTTP_HEAD_INCOMPLETE;
    if (request_line(buf + pos, eol - pos, &st, v) < 0)
        return HTTP_HEAD_BAD;
    if (next > limit)
        return bad(v, 414, "uri_too_long", "request line too long");
    pos = next;
    for (unsigned fields = 0;; fields++) {
        if (!next_line(buf, len, pos, &eol, &next))
            return len > limit
                       ? bad(v, 431, "headers_too_large", "request headers exceed the limit")
                       : HTTP_HEAD_INCOMPLETE;
        if (next > limit)
            return bad(v, 431, "headers_too_large", "request headers exceed the limit");
        if (eol == pos)
            break; /* the empty line: the head is complete */
        if (fields >= HTTP_HEAD_MAX_FIELDS)
            return bad(v, 431, "headers_too_large", "too many header fields");
        if (field_line(buf + pos, eol - pos, &st, v) < 0)
            return HTTP_HEAD_BAD;
        pos = next;
    }
    if (semantics(&st, v) < 0)
        return HTTP_HEAD_BAD;
    v->head_len = next;
    v->content_length = st.length;
    v->chunked = st.n_coding > 0;
    v->keep_alive = !st.close && (st.minor == 1 || st.keep_alive);
    v->http10 = st.minor == 0;
    return HTTP_HEAD_OK;
}
