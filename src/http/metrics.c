/*
 * metrics.c - registry of metric families and series; lock-free updates, mutex-guarded
 * creation and rendering.
 *
 * DESIGN: series are never freed before the registry, so a handle can be updated without the
 * lock. Doubles (gauges, histogram sums) live in atomic 64-bit words holding their bit pattern
 * and are updated with a compare-and-swap loop.
 */
#include "http/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_buf.h"
#include "base/rr_error.h"

enum metric_type { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM };
static const char *const type_names[] = {"counter", "gauge", "histogram"};

struct series {
    struct series *next;
    char *labels;
    atomic_uint_least64_t value; /* counter value or gauge double bits */
    atomic_uint_least64_t buckets[METRICS_MAX_BUCKETS + 1];
    atomic_uint_least64_t count;
    atomic_uint_least64_t sum_bits;
    struct family *family;
};

struct family {
    struct family *next;
    char *name, *help;
    enum metric_type type;
    size_t n_bounds;
    double bounds[METRICS_MAX_BUCKETS];
    struct series *series, *last;
};

struct metrics {
    pthread_mutex_t lock;
    struct family *families, *last;
};

struct metrics_counter {
    struct series s;
};
struct metrics_gauge {
    struct series s;
};
struct metrics_histogram {
    struct series s;
};

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_add_double(atomic_uint_least64_t *a, double v)
{
    uint64_t old = atomic_load(a);
    while (!atomic_compare_exchange_weak(a, &old, dbits(bitsd(old) + v)))
        ;
}

struct metrics *metrics_new(void)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    struct family *f = m->families;
    while (f) {
        struct family *fn = f->next;
        struct series *s = f->series;
        while (s) {
            struct series *sn = s->next;
            free(s->labels);
            free(s);
            s = sn;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = fn;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int valid_metric_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static int valid_help(const char *s)
{
    return s && !strchr(s, '\n') && !strchr(s, '\\');
}

/* The whole get-or-create, under the lock. */
static struct series *get_series(struct metrics *m, const char *name, const char *help,
                                 const char *labels, enum metric_type type, const double *bounds,
                                 size_t n_bounds)
{
    struct series *found = NULL;
    if (!m || !valid_metric_name(name) || !valid_help(help))
        return NULL;
    if (!labels)
        labels = "";
    if (strchr(labels, '\n'))
        return NULL;
    if (type == MT_HISTOGRAM) {
        if (!bounds || n_bounds == 0 || n_bounds > METRICS_MAX_BUCKETS)
            return NULL;
        for (size_t i = 0; i < n_bounds; i++)
            if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
                return NULL;
    }
    pthread_mutex_lock(&m->lock);
    struct family *f = m->families;
    while (f && strcmp(f->name, name) != 0)
        f = f->next;
    if (f) {
        if (f->type != type || strcmp(f->help, help) != 0 ||
            (type == MT_HISTOGRAM &&
             (f->n_bounds != n_bounds || memcmp(f->bounds, bounds, n_bounds * sizeof *bounds))))
            goto out;
    } else {
        f = calloc(1, sizeof *f);
        if (!f)
            goto out;
        f->name = strdup(name);
        f->help = strdup(help);
        if (!f->name || !f->help) {
            free(f->name);
            free(f->help);
            free(f);
            goto out;
        }
        f->type = type;
        f->n_bounds = n_bounds;
        if (n_bounds)
            memcpy(f->bounds, bounds, n_bounds * sizeof *bounds);
        if (m->last)
            m->last->next = f;
        else
            m->families = f;
        m->last = f;
    }
    for (struct series *s = f->series; s; s = s->next) {
        if (strcmp(s->labels, labels) == 0) {
            found = s;
            goto out;
        }
    }
    struct series *s = calloc(1, sizeof *s);
    if (!s)
        goto out;
    s->labels = strdup(labels);
    if (!s->labels) {
        free(s);
        goto out;
    }
    s->family = f;
    if (f->last)
        f->last->next = s;
    else
        f->series = s;
    f->last = s;
    found = s;
out:
    pthread_mutex_unlock(&m->lock);
    return found;
}

/* The handle structs wrap struct series as their only member, so the casts are exact. */
struct metrics_counter *metrics_counter(struct metrics *m, const char *name, const char *help,
                                        const char *labels)
{
    return (struct metrics_counter *)get_series(m, name, help, labels, MT_COUNTER, NULL, 0);
}

struct metrics_gauge *metrics_gauge(struct metrics *m, const char *name, const char *help,
                                    const char *labels)
{
    return (struct metrics_gauge *)get_series(m, name, help, labels, MT_GAUGE, NULL, 0);
}

struct metrics_histogram *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                            const char *labels, const double *bounds,
                                            size_t n_bounds)
{
    return (struct metrics_histogram *)get_series(m, name, help, labels, MT_HISTOGRAM, bounds,
                                                  n_bounds);
}

void metrics_counter_add(struct metrics_counter *c, uint64_t v)
{
    if (c)
        atomic_fetch_add(&c->s.value, v);
}

uint64_t metrics_counter_value(const struct metrics_counter *c)
{
    return c ? atomic_load(&((struct metrics_counter *)c)->s.value) : 0;
}

void metrics_gauge_set(struct metrics_gauge *g, double v)
{
    if (g)
        atomic_store(&g->s.value, dbits(v));
}

void metrics_gauge_add(struct metrics_gauge *g, double v)
{
    if (g)
        atomic_add_double(&g->s.value, v);
}

double metrics_gauge_value(const struct metrics_gauge *g)
{
    return g ? bitsd(atomic_load(&((struct metrics_gauge *)g)->s.value)) : 0.0;
}

void metrics_histogram_observe(struct metrics_histogram *h, double v)
{
    if (!h || isnan(v))
        return;
    const struct family *f = h->s.family;
    size_t i = 0;
    while (i < f->n_bounds && v > f->bounds[i])
        i++;
    atomic_fetch_add(&h->s.buckets[i], 1);
    atomic_fetch_add(&h->s.count, 1);
    atomic_add_double(&h->s.sum_bits, v);
}

uint64_t metrics_histogram_count(const struct metrics_histogram *h)
{
    return h ? atomic_load(&((struct metrics_histogram *)h)->s.count) : 0;
}

/* ---- rendering ---- */

static void fmt_double(char *buf, size_t len, double v)
{
    if (isinf(v))
        snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        snprintf(buf, len, "NaN");
    else
        snprintf(buf, len, "%.17g", v);
}

int metrics_render(struct metrics *m, char **out, size_t *len)
{
    struct rr_buf b;
    char num[40];
    *out = NULL;
    if (len)
        *len = 0;
    rr_buf_init(&b, NULL, 0, METRICS_MAX_BYTES);
    pthread_mutex_lock(&m->lock);
    for (const struct family *f = m->families; f && !rr_buf_error(&b); f = f->next) {
        rr_buf_addf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                    type_names[f->type]);
        for (struct series *s = f->series; s; s = s->next) {
            const char *l = s->labels;
            int has = l[0] != '\0';
            if (f->type == MT_COUNTER) {
                rr_buf_addf(&b, "%s%s%s%s %llu\n", f->name, has ? "{" : "", l, has ? "}" : "",
                            (unsigned long long)atomic_load(&s->value));
            } else if (f->type == MT_GAUGE) {
                fmt_double(num, sizeof num, bitsd(atomic_load(&s->value)));
                rr_buf_addf(&b, "%s%s%s%s %s\n", f->name, has ? "{" : "", l, has ? "}" : "", num);
            } else {
                uint64_t cum = 0;
                for (size_t i = 0; i <= f->n_bounds; i++) {
                    cum += atomic_load(&s->buckets[i]);
                    fmt_double(num, sizeof num, i < f->n_bounds ? f->bounds[i] : INFINITY);
                    rr_buf_addf(&b, "%s_bucket{%s%sle=\"%s\"} %llu\n", f->name, l,
                                has ? "," : "", num, (unsigned long long)cum);
                }
                fmt_double(num, sizeof num, bitsd(atomic_load(&s->sum_bits)));
                rr_buf_addf(&b, "%s_sum%s%s%s %s\n", f->name, has ? "{" : "", l, has ? "}" : "",
                            num);
                rr_buf_addf(&b, "%s_count%s%s%s %llu\n", f->name, has ? "{" : "", l,
                            has ? "}" : "", (unsigned long long)atomic_load(&s->count));
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    int err = rr_buf_error(&b);
    size_t n = 0;
    *out = rr_buf_detach(&b, &n); /* an empty registry gives "" */
    if (!*out)
        return err ? err : RR_ERR_NOMEM;
    if (len)
        *len = n;
    return 0;
}

static int valid_label_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

char *metrics_labels(char *buf, size_t len, ...)
{
    va_list ap;
    size_t o = 0;
    char *ret = NULL;
    if (len == 0)
        return NULL;
    va_start(ap, len);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (!valid_label_name(k) || !v)
            goto out;
        int w = snprintf(buf + o, len - o, "%s%s=\"", o ? "," : "", k);
        if (w < 0 || (size_t)w >= len - o)
            goto out;
        o += (size_t)w;
        for (; *v; v++) {
            char e = *v == '\n' ? 'n' : *v;
            int esc = *v == '\\' || *v == '"' || *v == '\n';
            if (o + 3 >= len)
                goto out;
            if (esc)
                buf[o++] = '\\';
            buf[o++] = e;
        }
        if (o + 2 >= len)
            goto out;
        buf[o++] = '"';
    }
    buf[o] = '\0';
    ret = buf;
out:
    va_end(ap);
    if (!ret)
        buf[0] = '\0';
    return ret;
}
