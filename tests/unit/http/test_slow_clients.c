/*
 * test_slow_clients.c - the server's timer thread: the header deadline (from accept and between
 * keep-alive requests), the minimum body rate (checked by the timer for silent bodies and as
 * chunks arrive), their metrics, keep-alive connections held by the gate between requests
 * (their heads checked, idle ones closed, a stop ends them), and parked streaming responses
 * (http__park): resumed by the timer, no pool thread held, ended at once by a stop. Real
 * sockets on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "http/metrics.h"
#include "http/request_int.h"
#include "http/server.h"
#include "support/httpc.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds until the peer closes fd (recv 0 or an error), reading and dropping any data; -1 when
 * still open after limit_s. */
static double wait_closed(int fd, double limit_s)
{
    double t0 = now_s();
    char buf[4096];
    while (now_s() - t0 < limit_s) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                return now_s() - t0;
        }
    }
    return -1;
}

/* ---- a parked stream: N parks, then "done" ---- */

struct stream {
    struct http_server *server;
    struct MHD_Connection *conn;
    int parks_left;
    int sent;
    int park_rc; /* last http__park result */
};

static atomic_int stream_ended;
static atomic_int last_park_rc;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    if (st->sent)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (st->parks_left > 0) {
        st->park_rc = http__park(st->server, st->conn);
        atomic_store(&last_park_rc, st->park_rc);
        if (st->park_rc == 0) {
            st->parks_left--;
            return 0;
        }
        return MHD_CONTENT_READER_END_OF_STREAM; /* stopping */
    }
    const char msg[] = "done\n";
    if (max < sizeof msg - 1)
        return 0;
    memcpy(buf, msg, sizeof msg - 1);
    st->sent = 1;
    return (ssize_t)(sizeof msg - 1);
}

static void stream_free(void *cls)
{
    free(cls);
    atomic_fetch_add(&stream_ended, 1);
}

static int h_stream(struct http_request *req, void *app)
{
    (void)app;
    const char *n = http_request_query(req, "parks");
    struct stream *st = calloc(1, sizeof *st);
    if (!st)
        return RR_ERR_NOMEM;
    st->server = req->server;
    st->conn = req->conn;
    st->parks_left = n ? (int)strtol(n, NULL, 10) : 3;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, stream_read, st, stream_free);
    if (!resp) {
        free(st);
        return RR_ERR_NOMEM;
    }
    http_request__drop_response(req);
    req->resp = resp;
    req->status = 200;
    return 0;
}

static int h_json(struct http_request *req, void *app)
{
    (void)app;
    return http_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

static const struct http_route routes[] = {
    {HTTP_GET, "/stream", h_stream, HTTP_AUTH_NONE, HTTP_BODY_NONE, "stream", "parked stream",
     NULL, NULL},
    {HTTP_POST, "/json", h_json, HTTP_AUTH_NONE, HTTP_BODY_JSON, "json", "a JSON body", NULL,
     NULL},
};

static struct http_server *start(unsigned threads)
{
    struct http_config cfg;
    struct http_server *s = NULL;
    char msg[256];
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = threads;
    cfg.header_timeout_s = 1;
    cfg.body_min_rate = 1000;
    cfg.body_grace_s = 1;
    cfg.drain_timeout_ms = 5000;
    assert_int_equal(http_server_start(&cfg, routes, 2, NULL, &s, msg, sizeof msg), 0);
    return s;
}

static double metric(struct http_server *s, const char *reason)
{
    char *text = NULL;
    size_t len = 0;
    char want[128];
    double v = -1;
    assert_int_equal(metrics_render(http_server_metrics(s), &text, &len), 0);
    snprintf(want, sizeof want, "http_slow_clients_closed_total{reason=\"%s\"} ", reason);
    const char *p = strstr(text, want);
    if (p)
        v = strtod(p + strlen(want), NULL);
    free(text);
    return v;
}

static void deadline__unfinished_headers_are_cut_off_after_the_header_timeout(void **state)
{
    (void)state;
    struct http_server *s = start(2);
    uint16_t port = http_server_port(s);
    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    const char part[] = "GET /stream HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    assert_int_equal(httpc_send(fd, part, sizeof part - 1), 0);
    double t0 = now_s(), closed = -1;
    while (now_s() - t0 < 4.0 && closed < 0) { /* trickle: never idle */
        if (httpc_send(fd, "a", 1) < 0)
            break;
        closed = wait_closed(fd, 0.2);
    }
    double secs = now_s() - t0;
    close(fd);
    assert_true(secs >= 0.9 && secs <= 2.5);
    assert_true(metric(s, "header_deadline") >= 1);

    /* keep-alive: a second request within the deadline is served; idle past it is closed */
    fd = httpc_connect(port);
    assert_true(fd >= 0);
    const char post[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 2\r\n\r\n{}";
    struct httpc_resp r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(httpc_send(fd, post, sizeof post - 1), 0);
        assert_int_equal(httpc_recv(fd, &r, 0), 0);
        assert_int_equal(r.status, 200);
        httpc_resp_free(&r);
        sleep_ms(400);
    }
    double idle = wait_closed(fd, 4.0);
    close(fd);
    assert_true(idle > 0 && idle <= 2.5);
    assert_int_equal(http_server_stop(s), 0);
}

static double metric_named(struct http_server *s, const char *name)
{
    char *text = NULL;
    size_t len = 0;
    char want[128];
    double v = -1;
    assert_int_equal(metrics_render(http_server_metrics(s), &text, &len), 0);
    snprintf(want, sizeof want, "\n%s ", name);
    const char *p = strstr(text, want);
    if (p)
        v = strtod(p + strlen(want), NULL);
    free(text);
    return v;
}

/* Between two requests the gate holds a keep-alive connection (suspended in libmicrohttpd) and
 * checks the next head itself: a bad one gets one JSON answer; with no header deadline the idle
 * timeout still closes a held connection; a stop gives every held connection back and ends. */
static void held__keep_alive_heads_are_checked_idle_ones_closed_and_stop_ends(void **state)
{
    (void)state;
    struct http_config cfg;
    struct http_server *s = NULL;
    char msg[256];
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 2;
    cfg.header_timeout_s = 0; /* off: the idle timeout applies */
    cfg.idle_timeout_s = 1;
    cfg.drain_timeout_ms = 5000;
    assert_int_equal(http_server_start(&cfg, routes, 2, NULL, &s, msg, sizeof msg), 0);
    uint16_t port = http_server_port(s);

    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    const char post[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 2\r\n\r\n{}";
    struct httpc_resp r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(httpc_send(fd, post, sizeof post - 1), 0);
        assert_int_equal(httpc_recv(fd, &r, 0), 0);
        assert_int_equal(r.status, 200);
        httpc_resp_free(&r);
    }
    const char bad[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n{}";
    assert_int_equal(httpc_send(fd, bad, sizeof bad - 1), 0);
    assert_int_equal(httpc_recv(fd, &r, 0), 0);
    char ct[64];
    assert_int_equal(r.status, 400);
    assert_string_equal(httpc_header(&r, "Content-Type", ct, sizeof ct), "application/json");
    assert_non_null(strstr(r.body, "\"bad_content_length\""));
    assert_null(strstr(r.raw + 1, "HTTP/1.")); /* one status line */
    httpc_resp_free(&r);
    assert_true(wait_closed(fd, 2.5) >= 0);
    close(fd);
    assert_true(metric_named(s, "http_keepalive_held_total") >= 3);
    assert_true(metric_named(s, "http_keepalive_bad_heads_total") == 1);

    /* idle after a request: closed by the idle timeout (1 s) though the header deadline is off */
    fd = httpc_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(httpc_send(fd, post, sizeof post - 1), 0);
    assert_int_equal(httpc_recv(fd, &r, 0), 0);
    httpc_resp_free(&r);
    double idle = wait_closed(fd, 4.0);
    close(fd);
    assert_true(idle >= 0.9 && idle <= 2.5);

    /* held idle connections do not keep a stop waiting, and are closed by it */
    int held[4];
    for (int i = 0; i < 4; i++) {
        held[i] = httpc_connect(port);
        assert_true(held[i] >= 0);
        assert_int_equal(httpc_send(held[i], post, sizeof post - 1), 0);
        assert_int_equal(httpc_recv(held[i], &r, 0), 0);
        httpc_resp_free(&r);
    }
    double t0 = now_s();
    assert_int_equal(http_server_stop(s), 0);
    assert_true(now_s() - t0 < 1.0);
    for (int i = 0; i < 4; i++) {
        assert_true(wait_closed(held[i], 1.0) >= 0);
        close(held[i]);
    }
}

/* An HTTP/1.0 keep-alive request whose response has no known size (a stream) ends with
 * libmicrohttpd closing the connection: it is not held (holding would suspend a connection
 * libmicrohttpd is closing), and the client sees the close at the end of the stream. */
static void held__an_http10_stream_is_not_held_and_closes(void **state)
{
    (void)state;
    struct http_server *s = start(2);
    int fd = httpc_connect(http_server_port(s));
    assert_true(fd >= 0);
    const char get[] = "GET /stream?parks=0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    assert_int_equal(httpc_send(fd, get, sizeof get - 1), 0);
    double closed = wait_closed(fd, 3.0);
    close(fd);
    assert_true(closed >= 0 && closed < 0.9); /* not left to the 1 s header deadline */
    assert_true(metric_named(s, "http_keepalive_held_total") == 0);
    assert_int_equal(http_server_stop(s), 0);
}

/* A trusted proxy's connections are never held: its own parser refused bad framing. */
static void held__a_trusted_proxy_is_not_held(void **state)
{
    (void)state;
    struct http_config cfg;
    struct http_server *s = NULL;
    char msg[256];
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 1;
    cfg.trusted_proxies = "127.0.0.1/32";
    assert_int_equal(http_server_start(&cfg, routes, 2, NULL, &s, msg, sizeof msg), 0);
    int fd = httpc_connect(http_server_port(s));
    assert_true(fd >= 0);
    const char post[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 2\r\n\r\n{}";
    struct httpc_resp r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(httpc_send(fd, post, sizeof post - 1), 0);
        assert_int_equal(httpc_recv(fd, &r, 0), 0);
        assert_int_equal(r.status, 200);
        httpc_resp_free(&r);
    }
    close(fd);
    assert_true(metric_named(s, "http_keepalive_held_total") == 0);
    assert_int_equal(http_server_stop(s), 0);
}

static void body_rate__a_silent_or_trickling_body_is_cut_off(void **state)
{
    (void)state;
    struct http_server *s = start(2);
    uint16_t port = http_server_port(s);
    const char head[] = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 100000\r\n\r\n{\"a\":\"";
    /* silent after a few bytes: the timer closes it */
    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(httpc_send(fd, head, sizeof head - 1), 0);
    double secs = wait_closed(fd, 4.0);
    close(fd);
    assert_true(secs >= 0.9 && secs <= 2.5);
    /* trickling: the check on an arriving chunk (or the timer) closes it */
    fd = httpc_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(httpc_send(fd, head, sizeof head - 1), 0);
    double t0 = now_s(), closed = -1;
    while (now_s() - t0 < 4.0 && closed < 0) {
        if (httpc_send(fd, "bbbbbbbbbb", 10) < 0)
            break;
        closed = wait_closed(fd, 0.1);
    }
    secs = now_s() - t0;
    close(fd);
    assert_true(secs >= 0.9 && secs <= 2.5);
    assert_true(metric(s, "body_rate") >= 2);

    /* a body that keeps up is served */
    char body[3000];
    memset(body, 'c', sizeof body);
    memcpy(body, "{\"a\":\"", 6);
    memcpy(body + sizeof body - 2, "\"}", 2);
    fd = httpc_connect(port);
    assert_true(fd >= 0);
    char h[160];
    int hl = snprintf(h, sizeof h,
                      "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      sizeof body);
    assert_int_equal(httpc_send(fd, h, (size_t)hl), 0);
    for (size_t off = 0; off < sizeof body; off += 500) { /* 500 B / 200 ms = 2.5 kB/s */
        assert_int_equal(httpc_send(fd, body + off, 500), 0);
        sleep_ms(200);
    }
    struct httpc_resp r;
    assert_int_equal(httpc_recv(fd, &r, 0), 0);
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
    close(fd);
    assert_int_equal(http_server_stop(s), 0);
}

/* 8 parked streams on one pool thread do not hold it: a plain request is answered at once. */
static void park__streams_wait_without_holding_the_pool_thread(void **state)
{
    (void)state;
    atomic_store(&stream_ended, 0);
    struct http_server *s = start(1);
    uint16_t port = http_server_port(s);
    int fds[8];
    const char get[] = "GET /stream?parks=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < 8; i++) {
        fds[i] = httpc_connect(port);
        assert_true(fds[i] >= 0);
        assert_int_equal(httpc_send(fds[i], get, sizeof get - 1), 0);
    }
    sleep_ms(100);
    double t0 = now_s();
    struct httpc_resp r;
    assert_int_equal(httpc_request(port, "POST", "/json", "Content-Type: application/json\r\n",
                                   "{}", 2, &r),
                     0);
    double answered = now_s() - t0;
    assert_int_equal(r.status, 200);
    httpc_resp_free(&r);
    assert_true(answered < 0.1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(httpc_recv(fds[i], &r, 0), 0);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "done"));
        httpc_resp_free(&r);
        close(fds[i]);
    }
    double all = now_s() - t0;
    assert_true(all >= 0.3); /* 5 parks of ~100 ms each */
    assert_int_equal(atomic_load(&stream_ended), 8);
    assert_int_equal(http_server_stop(s), 0);
    assert_int_equal(http__park(NULL, NULL), RR_ERR_INVAL);
}

static void park__a_stop_ends_parked_streams_at_once(void **state)
{
    (void)state;
    atomic_store(&stream_ended, 0);
    struct http_server *s = start(2);
    uint16_t port = http_server_port(s);
    int fd = httpc_connect(port);
    assert_true(fd >= 0);
    const char get[] = "GET /stream?parks=1000000 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(httpc_send(fd, get, sizeof get - 1), 0);
    sleep_ms(300);
    double t0 = now_s();
    assert_int_equal(http_server_stop(s), 0);
    assert_true(now_s() - t0 < 2.0);
    assert_int_equal(atomic_load(&stream_ended), 1);
    assert_int_equal(atomic_load(&last_park_rc), RR_ERR_BUSY);
    assert_true(wait_closed(fd, 2.0) >= 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deadline__unfinished_headers_are_cut_off_after_the_header_timeout),
        cmocka_unit_test(held__keep_alive_heads_are_checked_idle_ones_closed_and_stop_ends),
        cmocka_unit_test(held__a_trusted_proxy_is_not_held),
        cmocka_unit_test(held__an_http10_stream_is_not_held_and_closes),
        cmocka_unit_test(body_rate__a_silent_or_trickling_body_is_cut_off),
        cmocka_unit_test(park__streams_wait_without_holding_the_pool_thread),
        cmocka_unit_test(park__a_stop_ends_parked_streams_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
