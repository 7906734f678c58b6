/*
 * router.c - compile route patterns once, then match decoded request paths against them.
 *
 * DESIGN: the table is small (tens of routes), so matching is a linear scan over precompiled
 * segment arrays; the request path is decoded once into the match's own buffer and compared
 * segment by segment. Specificity is a bit mask with one bit per literal segment, most
 * significant first, so the route with the earliest literal wins where several match.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

enum { SEG_LITERAL = 0, SEG_PARAM = 1, SEG_REST = 2 };

struct route_seg {
    const char *text; /* literal text or parameter name (points into the pattern copy) */
    int is_param;     /* SEG_LITERAL, SEG_PARAM or SEG_REST ("{name*}", last segment only) */
};

struct compiled_route {
    const struct http_route *route;
    size_t n_segs;
    int has_rest; /* the last segment is a rest parameter: a fallback route */
    struct route_seg segs[ROUTER_MAX_SEGMENTS];
    char *copy; /* pattern copy split into NUL-terminated pieces */
};

struct router {
    size_t n;
    struct compiled_route *routes;
};

static const struct {
    enum http_method m;
    const char *name;
} method_names[] = {
    {HTTP_GET, "GET"},     {HTTP_HEAD, "HEAD"},     {HTTP_POST, "POST"},       {HTTP_PUT, "PUT"},
    {HTTP_PATCH, "PATCH"}, {HTTP_DELETE, "DELETE"}, {HTTP_OPTIONS, "OPTIONS"},
};

unsigned http_method_parse(const char *s)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (strcmp(s, method_names[i].name) == 0)
            return (unsigned)method_names[i].m;
    return 0;
}

const char *http_method_name(enum http_method m)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (method_names[i].m == m)
            return method_names[i].name;
    return "UNKNOWN";
}

const char *http_allow_format(unsigned allow, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (!(allow & (unsigned)method_names[i].m))
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", method_names[i].name);
        if (w < 0 || (size_t)w >= len - used) {
            buf[used] = '\0'; /* drop a partly written name */
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_percent_decode(const char *in, size_t n, char *out, size_t cap, int plus_is_space)
{
    size_t o = 0;
    if (cap == 0)
        return RR_ERR_TOOBIG;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= n)
                return RR_ERR_INVAL;
            int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0)
                return RR_ERR_INVAL;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c < 0x20 || c == 0x7f)
            return RR_ERR_INVAL;
        if (o + 1 >= cap)
            return RR_ERR_TOOBIG;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (int)o;
}

static int valid_name(const char *s, size_t n, int allow_dot)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9') ||
                 (allow_dot && (c == '.' || (c >= '0' && c <= '9')));
        if (!ok)
            return 0;
    }
    return 1;
}

static int compile_one(const struct http_route *rt, struct compiled_route *c, char *msg,
                       size_t msg_len)
{
    const char *p = rt->pattern;
    if (!p || p[0] != '/' || strlen(p) >= ROUTER_MAX_PATH) {
        snprintf(msg, msg_len, "route pattern must start with '/': %s", p ? p : "(null)");
        return RR_ERR_INVAL;
    }
    c->route = rt;
    c->copy = strdup(p + 1);
    if (!c->copy)
        return RR_ERR_NOMEM;
    c->n_segs = 0;
    if (c->copy[0] == '\0') /* the root "/" has no segments */
        return 0;
    size_t n_params = 0;
    char *s = c->copy;
    for (;;) {
        char *slash = strchr(s, '/');
        if (slash)
            *slash = '\0';
        size_t len = strlen(s);
        if (len == 0 || c->n_segs == ROUTER_MAX_SEGMENTS) {
            snprintf(msg, msg_len, "route pattern has an empty segment or too many: %s", p);
            return RR_ERR_INVAL;
        }
        struct route_seg *seg = &c->segs[c->n_segs++];
        if (s[0] == '{') {
            int rest = len >= 4 && s[len - 2] == '*';
            size_t name_len = len - 2 - (rest ? 1 : 0);
            if (len < 3 || s[len - 1] != '}' || !valid_name(s + 1, name_len, 0) ||
                n_params == ROUTER_MAX_PARAMS || (rest && slash)) {
                snprintf(msg, msg_len, "bad parameter '%s' in route %s", s, p);
                return RR_ERR_INVAL;
            }
            s[1 + name_len] = '\0';
            seg->text = s + 1;
            seg->is_param = rest ? SEG_REST : SEG_PARAM;
            c->has_rest = rest;
            for (size_t k = 0; k + 1 < c->n_segs; k++) {
                if (c->segs[k].is_param && strcmp(c->segs[k].text, seg->text) == 0) {
                    snprintf(msg, msg_len, "duplicate parameter '%s' in route %s", seg->text, p);
                    return RR_ERR_INVAL;
                }
            }
            n_params++;
        } else {
            if (strpbrk(s, "{}%?#") || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
                snprintf(msg, msg_len, "bad literal segment '%s' in route %s", s, p);
                return RR_ERR_INVAL;
            }
            seg->text = s;
            seg->is_param = 0;
        }
        if (!slash)
            break;
        s = slash + 1;
    }
    return 0;
}

/* Same shape = same segment count, same literals at the same places. */
static int same_shape(const struct compiled_route *a, const struct compiled_route *b)
{
    if (a->n_segs != b->n_segs)
        return 0;
    for (size_t i = 0; i < a->n_segs; i++) {
        if (a->segs[i].is_param != b->segs[i].is_param)
            return 0;
        if (!a->segs[i].is_param && strcmp(a->segs[i].text, b->segs[i].text) != 0)
            return 0;
    }
    return 1;
}

int router_new(const struct http_route *routes, size_t n, struct router **out, char *msg,
               size_t msg_len)
{
    int err = 0;
    struct router *r = calloc(1, sizeof *r);
    *out = NULL;
    if (msg_len)
        msg[0] = '\0';
    if (!r)
        return RR_ERR_NOMEM;
    r->routes = calloc(n ? n : 1, sizeof *r->routes);
    if (!r->routes) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct http_route *rt = &routes[i];
        r->n = i + 1;
        err = compile_one(rt, &r->routes[i], msg, msg_len);
        if (err < 0)
            goto out;
        unsigned m = (unsigned)rt->method;
        if (m == 0 || (m & (m - 1)) != 0 || !rt->handler || !rt->name ||
            !valid_name(rt->name, strlen(rt->name), 1)) {
            snprintf(msg, msg_len, "route %s: one method, a handler and a [a-z0-9_.] name needed",
                     rt->pattern);
            err = RR_ERR_INVAL;
            goto out;
        }
        if (rt->body == HTTP_BODY_STREAM && !rt->sink_open) {
            snprintf(msg, msg_len, "route %s: stream body needs sink_open", rt->pattern);
            err = RR_ERR_INVAL;
            goto out;
        }
        for (size_t k = 0; k < i; k++) {
            if (routes[k].method == rt->method && same_shape(&r->routes[k], &r->routes[i])) {
                snprintf(msg, msg_len, "duplicate route %s %s", http_method_name(rt->method),
                         rt->pattern);
                err = RR_ERR_INVAL;
                goto out;
            }
        }
    }
    r->n = n;
    *out = r;
    r = NULL;
out:
    router_free(r);
    return err;
}

void router_free(struct router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->routes[i].copy);
    free(r->routes);
    free(r);
}

/* Decode the path into m->buf as NUL-separated segments; returns the count or an error. */
static int split_path(const char *path, struct router_match *m, const char **segs)
{
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/')
        return RR_ERR_INVAL;
    if (len >= ROUTER_MAX_PATH)
        return RR_ERR_TOOBIG;
    if (len == 1)
        return 0;
    size_t used = 0, n = 0;
    const char *s = path + 1;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t sl = slash ? (size_t)(slash - s) : strlen(s);
        if (n == ROUTER_MAX_SEGMENTS)
            return RR_ERR_TOOBIG;
        int d = http_percent_decode(s, sl, m->buf + used, sizeof m->buf - used, 0);
        if (d < 0)
            return d;
        char *seg = m->buf + used;
        if (memchr(seg, '/', (size_t)d) || strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
            return RR_ERR_INVAL;
        segs[n++] = seg;
        used += (size_t)d + 1;
        if (!slash)
            break;
        s = slash + 1;
    }
    return (int)n;
}

static int seg_matches(const struct compiled_route *c, const char **segs, size_t n,
                       uint32_t *score)
{
    uint32_t sc = 0;
    size_t fixed = c->has_rest ? c->n_segs - 1 : c->n_segs;
    if (c->has_rest ? n < fixed : n != fixed)
        return 0;
    for (size_t i = fixed; i < n; i++) /* the rest: every segment non-empty */
        if (segs[i][0] == '\0')
            return 0;
    for (size_t i = 0; i < fixed; i++) {
        size_t len = strlen(segs[i]);
        if (c->segs[i].is_param) {
            if (len == 0 || len > ROUTER_MAX_PARAM_LEN)
                return 0;
        } else {
            if (strcmp(c->segs[i].text, segs[i]) != 0)
                return 0;
            sc |= 1u << (ROUTER_MAX_SEGMENTS - 1 - i);
        }
    }
    *score = sc;
    return 1;
}

int router_match(const struct router *r, const char *method, const char *path,
                 struct router_match *m)
{
    const char *segs[ROUTER_MAX_SEGMENTS];
    m->route = NULL;
    m->route_index = 0;
    m->allow = 0;
    m->n_params = 0;
    if (!path)
        return RR_ERR_INVAL;
    int n = split_path(path, m, segs);
    if (n < 0)
        return n;
    unsigned want = http_method_parse(method);
    if (want == HTTP_HEAD)
        want = HTTP_GET;
    const struct compiled_route *best = NULL;
    size_t best_i = 0;
    uint32_t best_score = 0;
    /* Pass 0: ordinary routes. Pass 1 (only when no ordinary pattern matched the path at all):
     * rest routes, as fallbacks; they never add to Allow, so an unknown path with another method
     * stays a 404. */
    for (int pass = 0; pass < 2 && !best && !m->allow; pass++) {
        for (size_t i = 0; i < r->n; i++) {
            const struct compiled_route *c = &r->routes[i];
            uint32_t score;
            if (c->has_rest != pass || !seg_matches(c, segs, (size_t)n, &score))
                continue;
            if (!pass)
                m->allow |= (unsigned)c->route->method;
            if ((unsigned)c->route->method == want && (!best || score > best_score)) {
                best = c;
                best_i = i;
                best_score = score;
            }
        }
    }
    if (m->allow & HTTP_GET)
        m->allow |= HTTP_HEAD;
    if (!best)
        return m->allow ? RR_ERR_UNSUPPORTED : RR_ERR_NOTFOUND;
    m->route = best->route;
    m->route_index = best_i;
    for (size_t i = 0; i < best->n_segs; i++) {
        if (!best->segs[i].is_param)
            continue;
        m->names[m->n_params] = best->segs[i].text;
        if (best->segs[i].is_param == SEG_REST) {
            /* The rest segments lie one after another in m->buf, each NUL-terminated: join
             * them with '/' in place ("" when there are none). */
            if ((size_t)n <= i) {
                m->values[m->n_params] = "";
            } else {
                for (size_t k = i; k + 1 < (size_t)n; k++)
                    m->buf[(size_t)(segs[k] - m->buf) + strlen(segs[k])] = '/';
                m->values[m->n_params] = segs[i];
            }
        } else {
            m->values[m->n_params] = segs[i];
        }
        m->n_params++;
    }
    return 0;
}

const char *router_param(const struct router_match *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->names[i], name) == 0)
            return m->values[i];
    return NULL;
}
