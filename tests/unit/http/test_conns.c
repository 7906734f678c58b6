/*
 * test_conns.c - the connection table (src/http/conns.c) under pressure: sources grouped by
 * IPv4 address and IPv6 /64, the oldest incomplete connection evicted for a newcomer, the
 * header deadline shortened as the table fills, a table busy with requests answering 503, and
 * a bad first head answered by the gate in JSON. Real sockets on 127.0.0.1, small tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/conns.h"
#include "http/metrics.h"
#include "http/server.h"
#include "support/httpc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 when the peer closed fd within limit_s (data read and dropped). */
static int closed_within(int fd, double limit_s)
{
    double t0 = now_s();
    char buf[4096];
    while (now_s() - t0 < limit_s) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0)
            return 1;
    }
    return 0;
}

static int h_json(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

static const struct http_route routes[] = {
    {HTTP_POST, "/json", h_json, HTTP_AUTH_NONE, HTTP_BODY_JSON, "json", "a JSON body", NULL, NULL},
};

static struct http_server *start(unsigned budget, unsigned header_timeout_s)
{
    struct http_config cfg;
    struct http_server *s = NULL;
    char msg[256];
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 2;
    cfg.max_connections = budget;
    cfg.max_per_ip = 0;
    cfg.header_timeout_s = header_timeout_s;
    cfg.body_min_rate = 0;
    cfg.drain_timeout_ms = 2000;
    assert_int_equal(http_server_start(&cfg, routes, 1, NULL, &s, msg, sizeof msg), 0);
    return s;
}

static double metric(struct http_server *s, const char *series)
{
    char *text = NULL;
    size_t len = 0;
    double v = -1;
    assert_int_equal(metrics_render(http_server_metrics(s), &text, &len), 0);
    const char *p = strstr(text, series);
    if (p)
        v = strtod(p + strlen(series), NULL);
    free(text);
    return v;
}

static int slow_connection(uint16_t port)
{
    static const char part[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a";
    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(httpc_send(fd, part, sizeof part - 1), 0);
    return fd;
}

static void healthz_ok(uint16_t port)
{
    struct httpc_resp r;
    assert_int_equal(httpc_request(port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
}

static void conns__ipv6_counts_by_64_and_ipv4_by_address(void **state)
{
    (void)state;
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6}, b6 = a6;
    struct sockaddr_in a4 = {.sin_family = AF_INET}, b4 = a4;
    inet_pton(AF_INET6, "2001:db8:1:2::1", &a6.sin6_addr);
    inet_pton(AF_INET6, "2001:db8:1:2:ffff:ffff:ffff:ffff", &b6.sin6_addr);
    assert_true(http_conns__same_source((struct sockaddr *)&a6, (struct sockaddr *)&b6));
    inet_pton(AF_INET6, "2001:db8:1:3::1", &b6.sin6_addr);
    assert_false(http_conns__same_source((struct sockaddr *)&a6, (struct sockaddr *)&b6));
    inet_pton(AF_INET, "127.0.0.2", &a4.sin_addr);
    inet_pton(AF_INET, "127.0.0.3", &b4.sin_addr);
    assert_false(http_conns__same_source((struct sockaddr *)&a4, (struct sockaddr *)&b4));
    inet_pton(AF_INET6, "::ffff:127.0.0.2", &b6.sin6_addr); /* v4-mapped: the IPv4 address */
    assert_true(http_conns__same_source((struct sockaddr *)&a4, (struct sockaddr *)&b6));
    inet_pton(AF_INET6, "::ffff:127.0.0.3", &a6.sin6_addr);
    assert_false(http_conns__same_source((struct sockaddr *)&a6, (struct sockaddr *)&b6));
}

/* 16 places, 2 reserved: 14 slow heads fill the incomplete share; each newcomer closes the
 * oldest of them, and a real request still gets through; below the share nobody is evicted. */
static void conns__a_newcomer_evicts_the_oldest_incomplete_connection(void **state)
{
    (void)state;
    struct http_server *s = start(16, 30);
    uint16_t port = http_server_port(s);
    int fds[14];
    for (int i = 0; i < 14; i++) {
        fds[i] = slow_connection(port);
        sleep_ms(5); /* distinct accept times: fds[0] is the oldest */
    }
    sleep_ms(100);
    healthz_ok(port);
    assert_true(closed_within(fds[0], 1.0));
    for (int i = 1; i < 14; i++) /* only the oldest went */
        assert_false(closed_within(fds[i], 0.01));
    int refill = slow_connection(port); /* 14 again: room without evicting */
    assert_false(closed_within(fds[1], 0.3));
    int more = slow_connection(port); /* the 15th: the oldest left goes */
    assert_true(closed_within(fds[1], 1.0));
    assert_false(closed_within(refill, 0.01));
    assert_true(metric(s, "\nhttp_connections_evicted_total ") >= 2);
    for (int i = 0; i < 14; i++)
        close(fds[i]);
    close(refill);
    close(more);
    assert_int_equal(http_server_stop(s), 0);
}

/* 10 s header deadline, 16 places: with 14 slow heads the deadline is 10 - 9 * 6/8 = 3.25 s. */
static void conns__the_header_deadline_shortens_as_the_table_fills(void **state)
{
    (void)state;
    struct http_server *s = start(16, 10);
    uint16_t port = http_server_port(s);
    int fds[14];
    double t0 = now_s();
    for (int i = 0; i < 14; i++)
        fds[i] = slow_connection(port);
    assert_true(closed_within(fds[0], 6.0));
    double secs = now_s() - t0;
    assert_true(secs >= 2.5 && secs < 5.0);
    for (int i = 0; i < 14; i++)
        close(fds[i]);
    assert_true(metric(s, "http_slow_clients_closed_total{reason=\"header_deadline\"} ") >= 1);
    assert_int_equal(http_server_stop(s), 0);
}

/* 4 places, every one in the middle of a request body: a newcomer gets 503 in JSON. */
static void conns__a_table_busy_with_requests_answers_503(void **state)
{
    (void)state;
    struct http_server *s = start(4, 10);
    uint16_t port = http_server_port(s);
    static const char head[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                               "\r\nContent-Length: 1000\r\n\r\n{\"a\":\"";
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = httpc_connect(port);
        assert_true(fds[i] >= 0);
        assert_int_equal(httpc_send(fds[i], head, sizeof head - 1), 0);
    }
    sleep_ms(200);
    struct httpc_resp r;
    assert_int_equal(httpc_request(port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"code\":\"busy\""));
    httpc_resp_free(&r);
    assert_true(metric(s, "http_connections_refused_total{reason=\"budget\"} ") >= 1);
    close(fds[0]);
    sleep_ms(200);
    healthz_ok(port);
    for (int i = 1; i < 4; i++)
        close(fds[i]);
    assert_int_equal(http_server_stop(s), 0);
}

static void conns__a_bad_first_head_is_answered_by_the_gate_in_json(void **state)
{
    (void)state;
    struct http_server *s = start(16, 10);
    uint16_t port = http_server_port(s);
    static const char bad[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n{}";
    struct httpc_resp r;
    assert_int_equal(httpc_raw(port, bad, sizeof bad - 1, &r), 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"code\":\"bad_content_length\""));
    httpc_resp_free(&r);
    assert_true(metric(s, "http_requests_total{route=\"unmatched\",method=\"\",class=\"4xx\"} ") >=
                1);
    assert_int_equal(http_server_stop(s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conns__ipv6_counts_by_64_and_ipv4_by_address),
        cmocka_unit_test(conns__a_newcomer_evicts_the_oldest_incomplete_connection),
        cmocka_unit_test(conns__the_header_deadline_shortens_as_the_table_fills),
        cmocka_unit_test(conns__a_table_busy_with_requests_answers_503),
        cmocka_unit_test(conns__a_bad_first_head_is_answered_by_the_gate_in_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
