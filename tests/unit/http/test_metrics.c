/* test_metrics.c - the Prometheus registry: series identity, lock-free updates from many
 * threads, histogram buckets and the 0.0.4 text format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/metrics.h"

static void metrics__same_name_and_labels_is_the_same_series(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    struct metrics_counter *a = metrics_counter(m, "jobs_total", "jobs", "kind=\"x\"");
    struct metrics_counter *b = metrics_counter(m, "jobs_total", "jobs", "kind=\"x\"");
    struct metrics_counter *c = metrics_counter(m, "jobs_total", "jobs", "kind=\"y\"");
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    /* clashes: type, help, bad names */
    assert_null(metrics_gauge(m, "jobs_total", "jobs", "kind=\"x\""));
    assert_null(metrics_counter(m, "jobs_total", "other help", NULL));
    assert_null(metrics_counter(m, "9bad", "h", NULL));
    assert_null(metrics_counter(m, "bad-name", "h", NULL));
    assert_null(metrics_counter(m, "ok", "two\nlines", NULL));
    assert_null(metrics_counter(m, "ok", "h", "a=\"1\"\n"));
    assert_null(metrics_counter(NULL, "ok", "h", NULL));
    static const double b1[] = {1, 2}, b2[] = {1, 3}, bad[] = {2, 1};
    assert_non_null(metrics_histogram(m, "lat", "h", NULL, b1, 2));
    assert_null(metrics_histogram(m, "lat", "h", "x=\"1\"", b2, 2));
    assert_null(metrics_histogram(m, "lat2", "h", NULL, bad, 2));
    assert_null(metrics_histogram(m, "lat3", "h", NULL, b1, 0));
    metrics_free(m);
    metrics_free(NULL);
}

struct hammer {
    struct metrics_counter *c;
    struct metrics_gauge *g;
    struct metrics_histogram *h;
};

static void *hammer_thread(void *arg)
{
    struct hammer *hm = arg;
    for (int i = 0; i < 100000; i++) {
        metrics_counter_add(hm->c, 1);
        metrics_gauge_add(hm->g, 0.5);
        metrics_histogram_observe(hm->h, 0.25);
    }
    return NULL;
}

static void metrics__updates_from_threads_are_not_lost(void **state)
{
    (void)state;
    static const double bounds[] = {0.1, 0.5, 1};
    struct metrics *m = metrics_new();
    struct hammer hm = {metrics_counter(m, "c_total", "c", NULL), metrics_gauge(m, "g", "g", NULL),
                        metrics_histogram(m, "h_seconds", "h", NULL, bounds, 3)};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_thread, &hm), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(metrics_counter_value(hm.c), 400000);
    assert_true(metrics_gauge_value(hm.g) == 200000.0);
    assert_int_equal(metrics_histogram_count(hm.h), 400000);
    metrics_gauge_set(hm.g, -2.5);
    assert_true(metrics_gauge_value(hm.g) == -2.5);
    /* NULL handles are ignored */
    metrics_counter_add(NULL, 1);
    metrics_gauge_set(NULL, 1);
    metrics_gauge_add(NULL, 1);
    metrics_histogram_observe(NULL, 1);
    assert_int_equal(metrics_counter_value(NULL), 0);
    assert_true(metrics_gauge_value(NULL) == 0.0);
    assert_int_equal(metrics_histogram_count(NULL), 0);
    metrics_free(m);
}

static void metrics__renders_the_text_format(void **state)
{
    (void)state;
    static const double bounds[] = {0.1, 1};
    struct metrics *m = metrics_new();
    char labels[128];
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(metrics_render(m, &text, &len), 0);
    assert_int_equal(len, 0);
    free(text);
    assert_non_null(metrics_labels(labels, sizeof labels, "route", "a\"b\\c\nd", "class", "2xx",
                                   (const char *)NULL));
    assert_string_equal(labels, "route=\"a\\\"b\\\\c\\nd\",class=\"2xx\"");
    metrics_counter_add(metrics_counter(m, "req_total", "requests", labels), 3);
    metrics_counter_add(metrics_counter(m, "plain_total", "plain", NULL), 1);
    metrics_gauge_set(metrics_gauge(m, "temp", "temperature", "room=\"x\""), 21.5);
    metrics_gauge_set(metrics_gauge(m, "inf", "infinite", NULL), INFINITY);
    struct metrics_histogram *h = metrics_histogram(m, "lat_seconds", "latency", "r=\"x\"", bounds, 2);
    metrics_histogram_observe(h, 0.05);
    metrics_histogram_observe(h, 0.1); /* le is inclusive */
    metrics_histogram_observe(h, 0.5);
    metrics_histogram_observe(h, 5);
    metrics_histogram_observe(h, NAN); /* ignored */
    struct metrics_histogram *h2 = metrics_histogram(m, "lat_seconds", "latency", NULL, bounds, 2);
    metrics_histogram_observe(h2, 0.2);
    assert_int_equal(metrics_render(m, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    static const char *const want[] = {
        "# HELP req_total requests\n# TYPE req_total counter\n",
        "req_total{route=\"a\\\"b\\\\c\\nd\",class=\"2xx\"} 3\n",
        "plain_total 1\n",
        "# TYPE temp gauge\ntemp{room=\"x\"} 21.5\n",
        "inf +Inf\n",
        "# TYPE lat_seconds histogram\n",
        "lat_seconds_bucket{r=\"x\",le=\"0.10000000000000001\"} 2\n",
        "lat_seconds_bucket{r=\"x\",le=\"1\"} 3\n",
        "lat_seconds_bucket{r=\"x\",le=\"+Inf\"} 4\n",
        "lat_seconds_sum{r=\"x\"} 5.6500000000000004\n",
        "lat_seconds_count{r=\"x\"} 4\n",
        "lat_seconds_bucket{le=\"1\"} 1\n",
        "lat_seconds_count 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(text, want[i]))
            fail_msg("missing: %s\nin:\n%s", want[i], text);
    }
    free(text);
    metrics_free(m);
}

static void metrics__labels_refuse_bad_names_and_overflow(void **state)
{
    (void)state;
    char small[12];
    assert_null(metrics_labels(small, sizeof small, "route", "a-long-value", (const char *)NULL));
    assert_string_equal(small, "");
    assert_null(metrics_labels(small, sizeof small, "bad-key", "v", (const char *)NULL));
    assert_null(metrics_labels(small, sizeof small, "9k", "v", (const char *)NULL));
    assert_null(metrics_labels(small, 0, "k", "v", (const char *)NULL));
    assert_non_null(metrics_labels(small, sizeof small, (const char *)NULL));
    assert_string_equal(small, "");
    assert_non_null(metrics_labels(small, sizeof small, "k", "v", (const char *)NULL));
    assert_string_equal(small, "k=\"v\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics__same_name_and_labels_is_the_same_series),
        cmocka_unit_test(metrics__updates_from_threads_are_not_lost),
        cmocka_unit_test(metrics__renders_the_text_format),
        cmocka_unit_test(metrics__labels_refuse_bad_names_and_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
