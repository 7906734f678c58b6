/*
 * metrics.h - a small Prometheus registry: counters, gauges and fixed-bucket histograms,
 * rendered in the text exposition format 0.0.4 (what GET /metrics serves).
 *
 * A series is a (name, label set) pair; metrics_counter()/metrics_gauge()/metrics_histogram()
 * get or create it and return a handle that stays valid until metrics_free(). Creating takes
 * the registry mutex; updating a handle is lock-free (C11 atomics), so hot paths create their
 * series once (the server does it at start, per route) and only update afterwards.
 * Labels are passed preformatted, e.g. `route="healthz",class="2xx"`; build them with
 * metrics_labels(), which escapes values as the format requires.
 * Ownership: the registry owns every series; handles are borrowed.
 * Errors: creation returns NULL on a bad name or label string, a type/help/bucket clash with an
 * existing series of the same name, or out of memory. metrics_render: 0, RR_ERR_NOMEM, or
 * RR_ERR_TOOBIG past METRICS_MAX_BYTES of text (the page is built in a base/rr_buf.h buffer).
 * Thread-safety: everything is thread-safe.
 */
#ifndef RR_HTTP_METRICS_H
#define RR_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_BUCKETS 16
#define METRICS_MAX_BYTES ((size_t)16 << 20) /* largest page metrics_render() builds */

struct metrics;
struct metrics_counter;
struct metrics_gauge;
struct metrics_histogram;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m); /* NULL is a no-op */

/* `labels` may be NULL or "" for an unlabelled series. */
struct metrics_counter *metrics_counter(struct metrics *m, const char *name, const char *help,
                                        const char *labels);
struct metrics_gauge *metrics_gauge(struct metrics *m, const char *name, const char *help,
                                    const char *labels);
/* `bounds`: 1..METRICS_MAX_BUCKETS strictly increasing upper bounds (+Inf is implicit). */
struct metrics_histogram *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                            const char *labels, const double *bounds,
                                            size_t n_bounds);

void metrics_counter_add(struct metrics_counter *c, uint64_t v);
uint64_t metrics_counter_value(const struct metrics_counter *c);
void metrics_gauge_set(struct metrics_gauge *g, double v);
void metrics_gauge_add(struct metrics_gauge *g, double v);
double metrics_gauge_value(const struct metrics_gauge *g);
void metrics_histogram_observe(struct metrics_histogram *h, double v);
uint64_t metrics_histogram_count(const struct metrics_histogram *h);

/* The whole registry as exposition text into a malloc'd NUL-terminated string (*len its
 * length, may be NULL). */
int metrics_render(struct metrics *m, char **out, size_t *len);

/* Format label pairs (key, value, key, value, ..., NULL) into buf with values escaped (\\, \",
 * \n). Returns buf, or NULL when it does not fit or a key is not a valid label name. */
char *metrics_labels(char *buf, size_t len, ...);

#endif
