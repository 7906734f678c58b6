/*
 * conns.c - the connection table: accept gate, admission, deadlines, eviction (see conns.h).
 *
 * DESIGN: libmicrohttpd 0.9.75 gives no say over its connection table: at its limit a worker
 * stops accepting, so 512 slow sockets that reconnect as soon as their deadline closes them
 * keep everyone else waiting in the kernel's backlog; and it parses request heads itself, with
 * HTML errors, a double answer for a bad Content-Length, a hang when the query exhausts its
 * memory pool. So the server owns the listening socket. One thread (the gate) accepts,
 * decides admission, and keeps each new connection until its first request head is complete:
 * it peeks (MSG_PEEK, nothing consumed) on every arrival of bytes (epoll, edge-triggered),
 * checks the head (head.c), and then hands the socket over with MHD_add_connection, which
 * reads the same bytes again. A bad head is answered here (JSON error, Connection: close) and
 * the connection lingers up to LINGER_MS, draining, so the close does not reset the answer.
 *
 * Keep-alive: the gate knows where each request it passed ends on the wire (head + its
 * Content-Length; unknown for a chunked body or a connection that will not be kept). When the
 * request completes (server.c's completion callback calls http_conns__hold) and libmicrohttpd
 * has read exactly that far - the kernel's bytes received minus those still queued
 * (TCP_INFO.tcpi_bytes_received - FIONREAD) - its buffer is empty and the next head is still in
 * the socket: the connection is suspended (MHD_suspend_connection, on libmicrohttpd's thread)
 * and its socket joins the gate's epoll set ("held"). The gate then treats the next head as a
 * first one: peeks until it is complete, resumes the connection when it is well-formed, or
 * answers it in JSON, lingers, shuts the socket down and resumes the connection so that
 * libmicrohttpd reads the end of the stream and closes it. When libmicrohttpd read further
 * (pipelined requests) or the end is unknown, it parses the next requests itself and the
 * callbacks in server.c guard them. Held connections are idle keep-alive connections for
 * admission, eviction and the header deadline (a suspended connection has no libmicrohttpd
 * timeout); the stop resumes every held one before MHD_stop_daemon.
 *
 * The table: gate connections sit in a FIFO by accept time (the oldest is the head); every
 * libmicrohttpd connection has a tracker (MHD_OPTION_NOTIFY_CONNECTION) with its phase
 * (headers / body / handling), when the phase began and its body bytes, in a list under
 * track_mu. "Incomplete" connections are the gate's plus the trackers in the headers phase
 * (held ones included). An epoll event of the gate points at a gate_conn or a held tracker;
 * the first member of both says which.
 * Admission runs on the gate thread only: while the table holds fewer than budget - reserve
 * connections it costs nothing; above that it scans the trackers (at most the budget) for the
 * idle ones and the oldest. A tracker's `closed` field is set once, by whoever closes it (the
 * timer, an eviction, the body-rate check) with a compare-and-swap, and that one also takes
 * it out of mhd_live, the count admission uses. Connections are closed with shutdown(2),
 * never close(): the descriptor stays libmicrohttpd's until its CLOSED notification, which
 * unlinks the tracker under the same lock the gate holds while it shuts one down.
 *
 * Per-source counts (IPv4 address, IPv6 /64, v4-mapped IPv6 as IPv4) live in an
 * open-addressing table under src_mu: the gate counts its own connections, the trackers count
 * libmicrohttpd's (STARTED / CLOSED), so a connection libmicrohttpd drops without telling is
 * never counted twice or leaked. Logs from the timer thread are limited to LOGS_PER_SECOND
 * lines; the rest is summed in one "connection pressure" line per second.
 */
#define _GNU_SOURCE /* accept4: the descriptor is close-on-exec from the start */
#include "http/conns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's has none) */

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "http/head.h"
#include "http/metrics.h"
#include "http/proxy.h"
#include "http/request_int.h"

#define TICK_MS 100
#define ACCEPT_BATCH 64
#define EPOLL_BATCH 64
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1u << 20)
#define LOGS_PER_SECOND 20
#define MIN_DEADLINE_MS 1000
#define ANSWER_MAX 1024
#define END_UNKNOWN UINT64_MAX /* the end of the current request on the wire is not known */
#define FIRST_END_SLOTS 65536u  /* descriptors below this carry their first head's end */
#define HOLD_MEASURES 3          /* tries at counting what libmicrohttpd has read */

/* What an epoll event of the gate points at. */
enum { ITEM_GATE = 1, ITEM_TRACK = 2 };

/* A held connection's registration in the gate's epoll set. One-shot: its one event disables
 * it, so handing the connection back costs no epoll_ctl and no later event can name the
 * tracker (the registration goes away when libmicrohttpd closes the socket). Edge-triggered
 * for a head that arrives in parts: re-arming a one-shot with bytes waiting would report them
 * again at once, so the gate switches to it and removes it when it hands the connection back. */
enum gate_epoll { GATE_EPOLL_NONE = 0, GATE_EPOLL_ONESHOT, GATE_EPOLL_EDGE };

struct src_key {
    unsigned char b[9]; /* 4 + address, 6 + /64 prefix, or 0 (not IP) */
};

struct src_slot {
    struct src_key key;
    unsigned count; /* 0 = empty */
};

struct gate_conn {
    int item; /* ITEM_GATE */
    struct gate_conn *prev, *next;
    int fd; /* -1 once closed (freed after the current batch of events) */
    int lingering;
    uint64_t since_ms; /* accept, or the answer when lingering */
    uint64_t drained;
    struct src_key key;
    socklen_t addr_len;
    struct sockaddr_storage addr;
};

struct gate_list {
    struct gate_conn *head, *tail; /* head = oldest */
    unsigned n;
};

struct conn_track {
    int item; /* ITEM_TRACK */
    struct conn_track *prev, *next;
    struct http_conns *owner;
    struct MHD_Connection *conn;
    MHD_socket fd;
    struct src_key key;
    atomic_int phase;
    _Atomic uint64_t since_ms;   /* monotonic start of the current phase */
    _Atomic uint64_t body_bytes; /* this request's body bytes so far */
    atomic_int closed;           /* enum http_conn_close, set once */
    /* Between two requests the gate holds the connection (suspended in libmicrohttpd) until
     * it has checked the next head. Byte offsets count the connection's received stream. */
    atomic_int held;              /* suspended and in the gate's epoll set */
    _Atomic uint64_t expect_end;  /* where the current request ends, or END_UNKNOWN */
    _Atomic uint64_t start;       /* held: where the next head starts */
    int lingering, linger_cut;    /* held: answered by the gate, draining (gate thread) */
    atomic_int gate_epoll;        /* enum gate_epoll: its registration in the gate's epoll set */
    int proxied;                  /* the peer is a trusted proxy (set at start, then read-only) */
    uint64_t linger_since, drained;
};

/* What the timer thread did this second, for the "connection pressure" line. */
struct pressure {
    uint64_t evicted, refused_budget, refused_source, deadline, bad_heads, suppressed;
};

enum { CMD_NONE = 0, CMD_QUIESCE = 1, CMD_STOP = 2 };

struct http_conns {
    struct http_conns_config cfg;
    struct http_conns_hooks hooks;
    struct MHD_Daemon *daemon;
    int listen_fd, epoll_fd, wake_fd;
    pthread_t thread;
    int started;
    /* commands to the thread */
    pthread_mutex_t cmd_mu;
    pthread_cond_t cmd_cv;
    int cmd, cmd_done;
    /* gate (thread only) */
    struct gate_list waiting, lingering;
    struct gate_conn *closed; /* closed this batch: an event for them may still be pending */
    char *peek;
    size_t peek_cap;
    int listen_paused; /* out of descriptors: accept again at the next tick */
    /* libmicrohttpd side */
    pthread_mutex_t track_mu;
    struct conn_track *tracks;
    atomic_uint mhd_live; /* trackers not closed by us */
    _Atomic uint64_t *first_end; /* by descriptor: the end of the first request the gate passed */
    size_t first_end_n;
    pthread_mutex_t hold_mu; /* orders hold (MHD threads) against the final release (stop) */
    int hold_open;           /* under hold_mu: the gate takes connections back */
    /* per source */
    pthread_mutex_t src_mu;
    struct src_slot *src;
    size_t src_mask;
    /* metrics */
    struct metrics_counter *slow_closed[2]; /* header_deadline, body_rate */
    struct metrics_counter *evicted, *refused_budget, *refused_source;
    struct metrics_counter *held, *held_bad; /* keep-alive heads checked / answered by the gate */
    struct metrics_gauge *open_gauge;
    /* log throttle (thread only) */
    uint64_t window_start;
    unsigned window_logs;
    struct pressure window;
};

static uint64_t now_ms(void)
{
    return http__now_ns() / 1000000u;
}

/* ---- per-source counts ---- */

static void src_key_of(const struct sockaddr *sa, struct src_key *k)
{
    memset(k, 0, sizeof *k);
    if (sa && sa->sa_family == AF_INET) {
        k->b[0] = 4;
        memcpy(k->b + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            k->b[0] = 4;
            memcpy(k->b + 1, a->s6_addr + 12, 4);
        } else {
            k->b[0] = 6;
            memcpy(k->b + 1, a->s6_addr, 8); /* one /64: what one host or household gets */
        }
    }
}

int http_conns__same_source(const struct sockaddr *a, const struct sockaddr *b)
{
    struct src_key ka, kb;
    src_key_of(a, &ka);
    src_key_of(b, &kb);
    return memcmp(&ka, &kb, sizeof ka) == 0;
}

static size_t src_hash(const struct src_key *k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof k->b; i++)
        h = (h ^ k->b[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

/* Add delta (+1 / -1 / 0) to the source's count and return the new count; UINT32_MAX when
 * the table is full (cannot happen: it has four slots per connection). Under src_mu. */
static unsigned src_add(struct http_conns *c, const struct src_key *k, int delta)
{
    size_t i = src_hash(k) & c->src_mask;
    for (size_t probes = 0; probes <= c->src_mask; probes++, i = (i + 1) & c->src_mask) {
        struct src_slot *s = &c->src[i];
        if (s->count == 0) {
            if (delta <= 0)
                return 0;
            s->key = *k;
            s->count = 1;
            return 1;
        }
        if (memcmp(&s->key, k, sizeof *k) != 0)
            continue;
        if (delta >= 0) {
            s->count += (unsigned)delta;
            return s->count;
        }
        if (--s->count > 0)
            return s->count;
        /* emptied: backward-shift deletion keeps every probe chain unbroken */
        size_t hole = i;
        for (size_t j = (i + 1) & c->src_mask; c->src[j].count; j = (j + 1) & c->src_mask) {
            size_t home = src_hash(&c->src[j].key) & c->src_mask;
            int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                c->src[hole] = c->src[j];
                c->src[j].count = 0;
                hole = j;
            }
        }
        c->src[hole].count = 0;
        return 0;
    }
    return UINT32_MAX;
}

static unsigned src_change(struct http_conns *c, const struct src_key *k, int delta)
{
    if (c->cfg.per_source == 0)
        return 0;
    pthread_mutex_lock(&c->src_mu);
    unsigned n = src_add(c, k, delta);
    pthread_mutex_unlock(&c->src_mu);
    return n;
}

/* ---- deadlines and logs ---- */

/* The header deadline for a table holding `total` connections: the configured one up to half
 * full, then down linearly to a tenth of it (at least MIN_DEADLINE_MS) when full. 0 = none. */
static uint64_t header_deadline_ms(const struct http_conns *c, unsigned total)
{
    uint64_t base = (uint64_t)c->cfg.header_timeout_s * 1000u;
    if (base == 0)
        return 0;
    uint64_t floor = base / 10 > MIN_DEADLINE_MS ? base / 10 : MIN_DEADLINE_MS;
    unsigned half = c->cfg.budget / 2;
    if (floor >= base || total <= half)
        return base;
    if (total >= c->cfg.budget)
        return floor;
    return base - (base - floor) * (total - half) / (c->cfg.budget - half);
}

static int body_too_slow(const struct http_conns_config *cfg, uint64_t bytes, uint64_t elapsed)
{
    if (cfg->body_min_rate == 0 || elapsed <= (uint64_t)cfg->body_grace_s * 1000u)
        return 0;
    return bytes * 1000u < (uint64_t)cfg->body_min_rate * elapsed;
}

static const char *close_name(int why)
{
    switch (why) {
    case HTTP_CONN_HEADER_DEADLINE:
        return "header_deadline";
    case HTTP_CONN_BODY_RATE:
        return "body_rate";
    default:
        return "evicted";
    }
}

static void log_slow(enum http_conn_close why, uint64_t elapsed_ms, uint64_t body_bytes)
{
    rr_log(RR_LOG_WARN, "slow client closed", RR_LOG_STR("reason", close_name(why)),
           RR_LOG_UINT("elapsed_ms", elapsed_ms), RR_LOG_UINT("body_bytes", body_bytes));
}

/* A deadline close on the timer thread: counted always, logged within the per-second budget. */
static void slow_closed_throttled(struct http_conns *c, enum http_conn_close why,
                                  uint64_t elapsed_ms, uint64_t body_bytes)
{
    metrics_counter_add(c->slow_closed[why == HTTP_CONN_BODY_RATE], 1);
    c->window.deadline++;
    if (c->window_logs < LOGS_PER_SECOND) {
        c->window_logs++;
        log_slow(why, elapsed_ms, body_bytes);
    } else {
        c->window.suppressed++;
    }
}

static void log_pressure(struct http_conns *c, uint64_t now)
{
    if (now - c->window_start < 1000)
        return;
    struct pressure *w = &c->window;
    if (w->evicted || w->refused_budget || w->refused_source || w->suppressed)
        rr_log(RR_LOG_WARN, "connection pressure", RR_LOG_UINT("evicted", w->evicted),
               RR_LOG_UINT("refused_budget", w->refused_budget),
               RR_LOG_UINT("refused_source", w->refused_source),
               RR_LOG_UINT("deadline_closed", w->deadline), RR_LOG_UINT("bad_heads", w->bad_heads),
               RR_LOG_UINT("logs_suppressed", w->suppressed), RR_LOG_UINT("in_gate", c->waiting.n),
               RR_LOG_UINT("served", atomic_load(&c->mhd_live)));
    memset(w, 0, sizeof *w);
    c->window_start = now;
    c->window_logs = 0;
}

/* ---- trackers (libmicrohttpd's connections) ---- */

static struct conn_track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Claim the close of a tracker for `why`; 1 when this caller closes it. */
static int track_claim(struct conn_track *t, enum http_conn_close why)
{
    int open = HTTP_CONN_OPEN;
    if (!atomic_compare_exchange_strong(&t->closed, &open, (int)why))
        return 0;
    atomic_fetch_sub(&t->owner->mhd_live, 1);
    return 1;
}

void http_conns__notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct http_conns *c = cls;
    struct conn_track *t = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        t = calloc(1, sizeof *t);
        if (!t || !fd) { /* untracked: only libmicrohttpd's idle timeout applies to it */
            free(t);
            return;
        }
        t->item = ITEM_TRACK;
        t->owner = c;
        t->conn = conn;
        t->fd = fd->connect_fd;
        /* the gate checked the first head and knows where that request ends on the wire */
        uint64_t end = END_UNKNOWN;
        if (t->fd >= 0 && (size_t)t->fd < c->first_end_n)
            end = atomic_exchange(&c->first_end[t->fd], END_UNKNOWN);
        atomic_store(&t->expect_end, end);
        src_key_of(addr ? addr->client_addr : NULL, &t->key);
        /* a trusted proxy's parser refused malformed framing already: never held */
        t->proxied = addr && http_proxies_trusted(c->cfg.trusted, addr->client_addr);
        atomic_store(&t->since_ms, now_ms());
        src_change(c, &t->key, +1);
        atomic_fetch_add(&c->mhd_live, 1);
        pthread_mutex_lock(&c->track_mu);
        t->next = c->tracks;
        if (c->tracks)
            c->tracks->prev = t;
        c->tracks = t;
        pthread_mutex_unlock(&c->track_mu);
        *socket_context = t;
        return;
    }
    if (!t) /* MHD_CONNECTION_NOTIFY_CLOSED of an untracked connection */
        return;
    pthread_mutex_lock(&c->track_mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        c->tracks = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&c->track_mu);
    track_claim(t, HTTP_CONN_GONE);
    src_change(c, &t->key, -1);
    *socket_context = NULL;
    free(t);
}

void http_conns__phase(struct MHD_Connection *conn, enum http_conn_phase phase)
{
    struct conn_track *t = track_of(conn);
    if (!t)
        return;
    atomic_store(&t->since_ms, now_ms());
    atomic_store(&t->body_bytes, 0);
    atomic_store(&t->phase, (int)phase);
}

int http_conns__body(struct http_conns *c, struct MHD_Connection *conn, size_t n)
{
    struct conn_track *t = track_of(conn);
    if (!t)
        return 0;
    uint64_t bytes = atomic_fetch_add(&t->body_bytes, n) + n;
    uint64_t now = now_ms(), since = atomic_load(&t->since_ms);
    uint64_t elapsed = now > since ? now - since : 0;
    if (!body_too_slow(&c->cfg, bytes, elapsed) || !track_claim(t, HTTP_CONN_BODY_RATE))
        return 0;
    metrics_counter_add(c->slow_closed[1], 1);
    log_slow(HTTP_CONN_BODY_RATE, elapsed, bytes); /* rare: each took body_grace_s */
    return 1;
}

int http_conns__closed_why(struct MHD_Connection *conn)
{
    struct conn_track *t = track_of(conn);
    int why = t ? atomic_load(&t->closed) : HTTP_CONN_OPEN;
    return why == HTTP_CONN_GONE ? HTTP_CONN_OPEN : why;
}

/* Bytes of the connection's stream that libmicrohttpd has read: received minus still queued.
 * The queue is read first, so bytes arriving in between can only make the result larger than
 * the truth, never smaller (an equality with the expected end is then never a false one).
 * -1 when the kernel does not say. */
static int consumed_bytes(int fd, uint64_t *out)
{
    int inq = 0;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (ioctl(fd, FIONREAD, &inq) != 0 || inq < 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received ||
        ti.tcpi_bytes_received < (uint64_t)inq)
        return -1;
    *out = ti.tcpi_bytes_received - (uint64_t)inq;
    return 0;
}

/* Where a request whose head starts at `start` ends, when its head says so (no chunked body)
 * and the connection may carry another request; else END_UNKNOWN. An HTTP/1.0 connection
 * stays open only after a response of known size, which is not known here: libmicrohttpd
 * closes it after a stream, and a hold would suspend a connection it is closing, so HTTP/1.0
 * connections are never held (libmicrohttpd parses their later requests, as before). */
static uint64_t request_end(uint64_t start, const struct http_head_verdict *v)
{
    uint64_t head = v->head_len, body = v->content_length;
    if (v->chunked || !v->keep_alive || v->http10 || head > END_UNKNOWN - 1 - start ||
        body > END_UNKNOWN - 1 - start - head)
        return END_UNKNOWN;
    return start + head + body;
}

/* (Re-)arm a held connection in the gate's epoll set as `mode` (enum gate_epoll). */
static int held_arm(struct http_conns *c, struct conn_track *t, int mode)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = t};
    if (mode == GATE_EPOLL_ONESHOT)
        ev.events |= EPOLLONESHOT;
    int op = atomic_load(&t->gate_epoll) == GATE_EPOLL_NONE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(c->epoll_fd, op, t->fd, &ev) != 0)
        return -1;
    atomic_store(&t->gate_epoll, mode);
    return 0;
}

int http_conns__hold(struct http_conns *c, struct MHD_Connection *conn)
{
    struct conn_track *t = track_of(conn);
    if (!c || !t || t->proxied || atomic_load(&t->closed) != HTTP_CONN_OPEN)
        return 0;
    uint64_t end = atomic_exchange(&t->expect_end, END_UNKNOWN), consumed = 0;
    if (end == END_UNKNOWN)
        return 0;
    /* libmicrohttpd read exactly the request: its buffer is empty and the next head is still
     * in the socket. Otherwise (pipelined bytes, a chunked body) it parses the rest itself.
     * The next request often arrives while we measure (the client has the response): then
     * the count is too large, and measuring again settles it. */
    for (int tries = 0; tries < HOLD_MEASURES; tries++)
        if (consumed_bytes(t->fd, &consumed) < 0 || consumed <= end)
            break;
    if (consumed != end)
        return 0;
    int held = 0;
    pthread_mutex_lock(&c->hold_mu);
    if (c->hold_open) {
        atomic_store(&t->start, consumed);
        t->lingering = t->linger_cut = 0;
        t->drained = 0;
        atomic_store(&t->held, 1);
        MHD_suspend_connection(conn); /* libmicrohttpd's thread, inside its completion callback */
        metrics_counter_add(c->held, 1); /* before the gate can answer the next head */
        if (held_arm(c, t, GATE_EPOLL_ONESHOT) == 0) {
            held = 1;
        } else { /* out of memory: libmicrohttpd goes on with it (counted all the same) */
            atomic_store(&t->held, 0);
            MHD_resume_connection(conn);
        }
    }
    pthread_mutex_unlock(&c->hold_mu);
    return held;
}

/* Close libmicrohttpd connections past a deadline. Timer thread. */
static void reap(struct http_conns *c, uint64_t now, uint64_t header_ms)
{
    pthread_mutex_lock(&c->track_mu);
    for (struct conn_track *t = c->tracks; t; t = t->next) {
        int held = atomic_load(&t->held);
        if (held && t->lingering) { /* answered by the gate: the epoll event releases it */
            if (!t->linger_cut && now - t->linger_since > LINGER_MS) {
                t->linger_cut = 1;
                (void)shutdown(t->fd, SHUT_RDWR);
            }
            continue;
        }
        if (atomic_load(&t->closed) != HTTP_CONN_OPEN)
            continue;
        int phase = atomic_load(&t->phase);
        uint64_t since = atomic_load(&t->since_ms);
        uint64_t elapsed = now > since ? now - since : 0;
        enum http_conn_close why = HTTP_CONN_OPEN;
        /* a held connection is suspended: libmicrohttpd's idle timeout does not run for it */
        uint64_t limit = header_ms || !held ? header_ms : (uint64_t)c->cfg.idle_timeout_s * 1000u;
        if (phase == HTTP_CONN_HEADERS && limit > 0 && elapsed > limit)
            why = HTTP_CONN_HEADER_DEADLINE;
        else if (phase == HTTP_CONN_BODY &&
                 body_too_slow(&c->cfg, atomic_load(&t->body_bytes), elapsed))
            why = HTTP_CONN_BODY_RATE;
        if (why == HTTP_CONN_OPEN || !track_claim(t, why))
            continue;
        slow_closed_throttled(c, why, elapsed, atomic_load(&t->body_bytes)); /* before the close */
        (void)shutdown(t->fd, SHUT_RDWR); /* MHD sees EOF and closes; the fd is still MHD's */
    }
    pthread_mutex_unlock(&c->track_mu);
}

/* ---- the gate ---- */

static void list_push(struct gate_list *l, struct gate_conn *g)
{
    g->next = NULL;
    g->prev = l->tail;
    if (l->tail)
        l->tail->next = g;
    else
        l->head = g;
    l->tail = g;
    l->n++;
}

static void list_remove(struct gate_list *l, struct gate_conn *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else
        l->head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        l->tail = g->prev;
    g->prev = g->next = NULL;
    l->n--;
}

static void gate_close(struct http_conns *c, struct gate_conn *g)
{
    list_remove(g->lingering ? &c->lingering : &c->waiting, g);
    close(g->fd); /* also leaves the epoll set */
    g->fd = -1;
    src_change(c, &g->key, -1);
    g->next = c->closed; /* freed after the batch: a later event of it may be in the batch */
    c->closed = g;
}

static void free_closed(struct http_conns *c)
{
    while (c->closed) {
        struct gate_conn *g = c->closed;
        c->closed = g->next;
        free(g);
    }
}

static unsigned table_total(const struct http_conns *c)
{
    return c->waiting.n + c->lingering.n + atomic_load(&c->mhd_live);
}

static void client_ip(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, buf,
                  (socklen_t)len);
    else if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, buf,
                  (socklen_t)len);
}

/* Answer a connection we do not admit, and close it. */
static void refuse(int fd, unsigned status, const char *code, const char *message)
{
    char buf[ANSWER_MAX], id[17], sink[4096];
    http__new_request_id(id);
    size_t len = http__error_response(buf, sizeof buf, status, code, message, id, 1);
    (void)recv(fd, sink, sizeof sink, MSG_DONTWAIT); /* what already came: no reset over it */
    if (len)
        (void)send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

/* Make room for a newcomer in a table holding `total` (>= budget - reserve): close the
 * oldest incomplete connection if the incomplete ones fill their share or the table is full.
 * 0 when the newcomer may come in, -1 when every place is busy with a request. */
static int make_room(struct http_conns *c, unsigned total)
{
    if (c->lingering.head) { /* answered already: the cheapest to let go */
        gate_close(c, c->lingering.head);
        return 0;
    }
    unsigned idle = 0;
    struct conn_track *oldest = NULL;
    uint64_t oldest_since = UINT64_MAX;
    pthread_mutex_lock(&c->track_mu);
    for (struct conn_track *t = c->tracks; t; t = t->next) {
        if (atomic_load(&t->closed) != HTTP_CONN_OPEN ||
            atomic_load(&t->phase) != HTTP_CONN_HEADERS)
            continue;
        idle++;
        uint64_t since = atomic_load(&t->since_ms);
        if (since < oldest_since) {
            oldest_since = since;
            oldest = t;
        }
    }
    int rc = 0;
    unsigned incomplete = c->waiting.n + idle;
    if (incomplete >= c->cfg.budget - c->cfg.reserve || total >= c->cfg.budget) {
        struct gate_conn *g = c->waiting.head;
        int gate_first = g && (!oldest || g->since_ms <= oldest_since);
        if (gate_first || (oldest && track_claim(oldest, HTTP_CONN_EVICTED))) {
            metrics_counter_add(c->evicted, 1); /* counted before the client sees the close */
            c->window.evicted++;
            if (gate_first)
                gate_close(c, g);
            else
                (void)shutdown(oldest->fd, SHUT_RDWR);
        } else {
            rc = -1;
        }
    }
    pthread_mutex_unlock(&c->track_mu);
    return rc;
}

static void admit(struct http_conns *c, int fd, const struct sockaddr_storage *ss, socklen_t sl)
{
    struct src_key key;
    src_key_of((const struct sockaddr *)ss, &key);
    if (c->cfg.per_source && src_change(c, &key, +1) > c->cfg.per_source &&
        !http_proxies_trusted(c->cfg.trusted, (const struct sockaddr *)ss)) {
        src_change(c, &key, -1);
        metrics_counter_add(c->refused_source, 1);
        c->window.refused_source++;
        refuse(fd, 429, "too_many_connections", "too many connections from your address");
        return;
    }
    unsigned total = table_total(c);
    struct gate_conn *g = NULL;
    if ((total >= c->cfg.budget - c->cfg.reserve && make_room(c, total) < 0) ||
        !(g = calloc(1, sizeof *g))) {
        src_change(c, &key, -1);
        metrics_counter_add(c->refused_budget, 1);
        c->window.refused_budget++;
        refuse(fd, 503, "busy", "the server is at its connection limit");
        return;
    }
    g->item = ITEM_GATE;
    g->fd = fd;
    g->since_ms = now_ms();
    g->key = key;
    g->addr_len = sl;
    memcpy(&g->addr, ss, sl <= sizeof g->addr ? sl : sizeof g->addr);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = g};
    list_push(&c->waiting, g);
    if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
        gate_close(c, g);
}

static void accept_batch(struct http_conns *c)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(c->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(c, fd, &ss, sl);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* level-triggered: stop watching the socket until the next tick, or we spin */
            struct epoll_event ev = {.events = 0, .data.ptr = &c->listen_fd};
            epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, c->listen_fd, &ev);
            c->listen_paused = 1;
            c->window.refused_budget++;
        }
        return;
    }
}

/* Drain a lingering connection; close it at EOF, on error or past LINGER_MAX_BYTES. */
static void linger_read(struct http_conns *c, struct gate_conn *g)
{
    char sink[16384];
    for (;;) {
        ssize_t n = recv(g->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0) {
            g->drained += (uint64_t)n;
            if (g->drained <= LINGER_MAX_BYTES)
                continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return;
        }
        gate_close(c, g);
        return;
    }
}

/* Answer a bad head in JSON, then linger so the client can read it. */
static void answer_bad(struct http_conns *c, struct gate_conn *g, size_t peeked,
                       const struct http_head_verdict *v)
{
    char buf[ANSWER_MAX], id[17], ip[INET6_ADDRSTRLEN + 1];
    double ms = (double)(now_ms() - g->since_ms); /* since accept */
    http__new_request_id(id);
    size_t len = http__error_response(buf, sizeof buf, v->status, v->code, v->message, id, 0);
    list_remove(&c->waiting, g);
    g->lingering = 1;
    g->since_ms = now_ms();
    list_push(&c->lingering, g);
    g->drained = 0;
    char sink[4096];
    while (g->drained < peeked) { /* consume the head we read: closing over it would reset */
        size_t want = peeked - g->drained < sizeof sink ? peeked - g->drained : sizeof sink;
        ssize_t n = recv(g->fd, sink, want, MSG_DONTWAIT);
        if (n <= 0)
            break;
        g->drained += (uint64_t)n;
    }
    c->window.bad_heads++;
    if (c->hooks.answered) { /* metrics and log before the client can read the answer */
        client_ip(&g->addr, ip, sizeof ip);
        struct http_gate_answer a = {v->status, v->code,       id, v->method, v->method_len,
                                     v->target, v->target_len, ip, ms};
        c->hooks.answered(c->hooks.ctx, &a);
    }
    if (len)
        (void)send(g->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)shutdown(g->fd, SHUT_WR);
    linger_read(c, g);
}

static void gate_ready(struct http_conns *c, struct gate_conn *g, uint32_t events)
{
    if (g->fd < 0) /* closed earlier in this batch (evicted) */
        return;
    if (g->lingering) {
        linger_read(c, g);
        return;
    }
    ssize_t n = recv(g->fd, c->peek, c->peek_cap, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) { /* gone before a whole head */
        gate_close(c, g);
        return;
    }
    struct http_head_verdict v;
    int r = http_head_check(c->peek, (size_t)n, c->cfg.head_limit, &v);
    if (r == HTTP_HEAD_INCOMPLETE) {
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) /* no more bytes will come */
            gate_close(c, g);
        return;
    }
    if (r == HTTP_HEAD_BAD) {
        answer_bad(c, g, (size_t)n, &v);
        return;
    }
    /* a whole, well-formed head: libmicrohttpd takes the socket and reads it again */
    int fd = g->fd;
    struct sockaddr_storage addr = g->addr;
    socklen_t addr_len = g->addr_len;
    epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    list_remove(&c->waiting, g);
    src_change(c, &g->key, -1); /* its tracker counts it from here */
    g->fd = -1;
    g->next = c->closed;
    c->closed = g;
    int slot = fd >= 0 && (size_t)fd < c->first_end_n; /* read by its tracker (notify) */
    if (slot)
        atomic_store(&c->first_end[fd], request_end(0, &v));
    if (MHD_add_connection(c->daemon, fd, (const struct sockaddr *)&addr, addr_len) != MHD_YES) {
        if (slot)
            atomic_store(&c->first_end[fd], END_UNKNOWN);
        metrics_counter_add(c->refused_budget, 1); /* libmicrohttpd closed it */
        c->window.refused_budget++;
    }
}

/* ---- held keep-alive connections (between two requests) ---- */

/* Hand a held connection back to libmicrohttpd, which reads on from the first byte the gate
 * peeked at (or meets the end of the stream and closes). The tracker is not touched after. */
static void held_release(struct http_conns *c, struct conn_track *t)
{
    if (atomic_load(&t->gate_epoll) == GATE_EPOLL_EDGE) { /* a one-shot one has fired */
        epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, t->fd, NULL);
        atomic_store(&t->gate_epoll, GATE_EPOLL_NONE);
    }
    atomic_store(&t->held, 0);
    MHD_resume_connection(t->conn);
}

/* After an event that left nothing to read: a fired one-shot registration is armed again
 * (nothing is waiting, so it does not report at once). */
static int held_rearm(struct http_conns *c, struct conn_track *t)
{
    return atomic_load(&t->gate_epoll) == GATE_EPOLL_EDGE ? 0 : held_arm(c, t, GATE_EPOLL_ONESHOT);
}

/* Drain a held connection the gate answered; at EOF, on error or past LINGER_MAX_BYTES (or
 * after LINGER_MS: reap shuts it down) libmicrohttpd gets it back and closes it. */
static void held_linger(struct http_conns *c, struct conn_track *t)
{
    char sink[16384];
    for (;;) {
        ssize_t n = recv(t->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0) {
            t->drained += (uint64_t)n;
            if (t->drained <= LINGER_MAX_BYTES)
                continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (held_rearm(c, t) == 0)
                return;
        }
        (void)shutdown(t->fd, SHUT_RDWR);
        held_release(c, t);
        return;
    }
}

/* Answer a bad head on a held connection in JSON (as answer_bad does for a first request). */
static void held_answer(struct http_conns *c, struct conn_track *t, size_t peeked,
                        const struct http_head_verdict *v)
{
    char buf[ANSWER_MAX], id[17], ip[INET6_ADDRSTRLEN + 1] = "unknown";
    uint64_t now = now_ms(), since = atomic_load(&t->since_ms);
    double ms = (double)(now > since ? now - since : 0); /* since the previous response */
    (void)track_claim(t, HTTP_CONN_BAD_HEAD); /* out of the live count; no deadline for it */
    http__new_request_id(id);
    size_t len = http__error_response(buf, sizeof buf, v->status, v->code, v->message, id, 0);
    t->lingering = 1;
    t->linger_since = now;
    t->drained = 0;
    char sink[4096];
    while (t->drained < peeked) { /* consume the head we read: closing over it would reset */
        size_t want = peeked - t->drained < sizeof sink ? peeked - t->drained : sizeof sink;
        ssize_t n = recv(t->fd, sink, want, MSG_DONTWAIT);
        if (n <= 0)
            break;
        t->drained += (uint64_t)n;
    }
    c->window.bad_heads++;
    metrics_counter_add(c->held_bad, 1);
    if (c->hooks.answered) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(t->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            struct sockaddr_storage ss;
            memset(&ss, 0, sizeof ss);
            memcpy(&ss, ci->client_addr,
                   ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                          : sizeof(struct sockaddr_in));
            client_ip(&ss, ip, sizeof ip);
        }
        struct http_gate_answer a = {v->status, v->code,       id, v->method, v->method_len,
                                     v->target, v->target_len, ip, ms};
        c->hooks.answered(c->hooks.ctx, &a);
    }
    if (len)
        (void)send(t->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)shutdown(t->fd, SHUT_WR);
    held_linger(c, t);
}

static void held_ready(struct http_conns *c, struct conn_track *t, uint32_t events)
{
    if (!atomic_load(&t->held))
        return;
    if (t->lingering) {
        held_linger(c, t);
        return;
    }
    ssize_t n = recv(t->fd, c->peek, c->peek_cap, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (held_rearm(c, t) < 0)
            held_release(c, t);
        return;
    }
    if (n <= 0) { /* closed (by the client, a deadline or an eviction): libmicrohttpd closes */
        held_release(c, t);
        return;
    }
    struct http_head_verdict v;
    int r = http_head_check(c->peek, (size_t)n, c->cfg.head_limit, &v);
    if (r == HTTP_HEAD_INCOMPLETE) { /* wait for more, unless no more can come */
        if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ||
            (atomic_load(&t->gate_epoll) != GATE_EPOLL_EDGE &&
             held_arm(c, t, GATE_EPOLL_EDGE) < 0))
            held_release(c, t);
        return;
    }
    if (r == HTTP_HEAD_BAD) {
        held_answer(c, t, (size_t)n, &v);
        return;
    }
    atomic_store(&t->expect_end, request_end(atomic_load(&t->start), &v));
    held_release(c, t);
}

/* Give every held connection back (the gate thread has stopped): MHD_stop_daemon must not
 * meet a suspended connection. No connection is held after this. */
static void release_all_held(struct http_conns *c)
{
    pthread_mutex_lock(&c->hold_mu);
    c->hold_open = 0;
    pthread_mutex_lock(&c->track_mu);
    for (struct conn_track *t = c->tracks; t; t = t->next) {
        if (!atomic_load(&t->held))
            continue;
        if (t->lingering)
            (void)shutdown(t->fd, SHUT_RDWR);
        held_release(c, t);
    }
    pthread_mutex_unlock(&c->track_mu);
    pthread_mutex_unlock(&c->hold_mu);
}

static void tick(struct http_conns *c, uint64_t now)
{
    unsigned total = table_total(c);
    uint64_t header_ms = header_deadline_ms(c, total);
    uint64_t gate_ms = header_ms ? header_ms : (uint64_t)c->cfg.idle_timeout_s * 1000u;
    while (gate_ms && c->waiting.head && now - c->waiting.head->since_ms > gate_ms) {
        slow_closed_throttled(c, HTTP_CONN_HEADER_DEADLINE, now - c->waiting.head->since_ms, 0);
        gate_close(c, c->waiting.head);
    }
    while (c->lingering.head && now - c->lingering.head->since_ms > LINGER_MS)
        gate_close(c, c->lingering.head);
    reap(c, now, header_ms);
    if (c->listen_paused && c->listen_fd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->listen_fd};
        if (epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, c->listen_fd, &ev) == 0)
            c->listen_paused = 0;
    }
    metrics_gauge_set(c->open_gauge, (double)table_total(c));
    if (c->hooks.tick)
        c->hooks.tick(c->hooks.ctx);
    log_pressure(c, now);
}

static void close_gate(struct http_conns *c)
{
    while (c->waiting.head)
        gate_close(c, c->waiting.head);
    while (c->lingering.head)
        gate_close(c, c->lingering.head);
}

/* 1 when told to stop. */
static int command(struct http_conns *c)
{
    uint64_t v;
    if (read(c->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
        rr_log_msg(RR_LOG_WARN, "cannot read the gate's wake-up descriptor");
    pthread_mutex_lock(&c->cmd_mu);
    int cmd = c->cmd;
    pthread_mutex_unlock(&c->cmd_mu);
    if (cmd == CMD_NONE)
        return 0;
    if (c->listen_fd >= 0) {
        epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, c->listen_fd, NULL);
        close(c->listen_fd);
        c->listen_fd = -1;
    }
    close_gate(c);
    pthread_mutex_lock(&c->cmd_mu);
    c->cmd_done = cmd;
    pthread_cond_broadcast(&c->cmd_cv);
    pthread_mutex_unlock(&c->cmd_mu);
    return cmd == CMD_STOP;
}

static void *conns_main(void *arg)
{
    struct http_conns *c = arg;
    struct epoll_event ev[EPOLL_BATCH];
    uint64_t next_tick = now_ms() + TICK_MS;
    c->window_start = now_ms();
    for (;;) {
        uint64_t now = now_ms();
        int timeout = next_tick > now ? (int)(next_tick - now) : 0;
        int n = epoll_wait(c->epoll_fd, ev, EPOLL_BATCH, timeout);
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &c->listen_fd) {
                if (c->listen_fd >= 0)
                    accept_batch(c);
            } else if (p == &c->wake_fd) {
                if (command(c)) {
                    free_closed(c);
                    return NULL;
                }
            } else if (*(const int *)p == ITEM_TRACK) {
                held_ready(c, p, ev[i].events);
            } else {
                gate_ready(c, p, ev[i].events);
            }
        }
        now = now_ms();
        if (now >= next_tick) {
            tick(c, now);
            next_tick = now + TICK_MS;
        }
        free_closed(c);
    }
}

/* ---- lifecycle ---- */

static int make_metrics(struct http_conns *c, struct metrics *m)
{
    static const char *const slow[2] = {"header_deadline", "body_rate"};
    static const char *const refused[2] = {"budget", "per_source"};
    char labels[64];
    for (unsigned i = 0; i < 2; i++) {
        if (!metrics_labels(labels, sizeof labels, "reason", slow[i], (const char *)NULL))
            return RR_ERR_INVAL;
        c->slow_closed[i] = metrics_counter(m, "http_slow_clients_closed_total",
                                            "connections closed for missing a deadline", labels);
        if (!metrics_labels(labels, sizeof labels, "reason", refused[i], (const char *)NULL))
            return RR_ERR_INVAL;
        struct metrics_counter *r = metrics_counter(
            m, "http_connections_refused_total",
            "connections answered 503 (table full) or 429 (per source) at accept", labels);
        if (i == 0)
            c->refused_budget = r;
        else
            c->refused_source = r;
        if (!c->slow_closed[i] || !r)
            return RR_ERR_NOMEM;
    }
    c->evicted = metrics_counter(m, "http_connections_evicted_total",
                                 "incomplete connections closed to admit a newer one", NULL);
    c->open_gauge = metrics_gauge(m, "http_connections_open",
                                  "connections held (gate and libmicrohttpd), every 100 ms", NULL);
    c->held = metrics_counter(m, "http_keepalive_held_total",
                              "keep-alive connections held by the gate until their next head was "
                              "checked",
                              NULL);
    c->held_bad = metrics_counter(m, "http_keepalive_bad_heads_total",
                                  "keep-alive request heads the gate answered itself", NULL);
    return c->evicted && c->open_gauge && c->held && c->held_bad ? 0 : RR_ERR_NOMEM;
}

/* Enough descriptors for the table; raised within the hard limit, else a warning. */
static void ensure_fd_limit(unsigned need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || want < need)
        rr_log(RR_LOG_WARN, "descriptor limit below the connection table",
               RR_LOG_UINT("need", need), RR_LOG_UINT("limit", want));
}

int http_conns_new(const struct http_conns_config *cfg, struct metrics *m,
                   const struct http_conns_hooks *hooks, struct http_conns **out)
{
    *out = NULL;
    if (!cfg || cfg->budget == 0 || cfg->budget > (1u << 20) || cfg->reserve >= cfg->budget ||
        cfg->head_limit == 0)
        return RR_ERR_INVAL;
    struct http_conns *c = calloc(1, sizeof *c);
    if (!c)
        return RR_ERR_NOMEM;
    c->cfg = *cfg;
    if (hooks)
        c->hooks = *hooks;
    c->listen_fd = c->epoll_fd = c->wake_fd = -1;
    pthread_mutex_init(&c->cmd_mu, NULL);
    pthread_cond_init(&c->cmd_cv, NULL);
    pthread_mutex_init(&c->track_mu, NULL);
    pthread_mutex_init(&c->src_mu, NULL);
    pthread_mutex_init(&c->hold_mu, NULL);
    size_t slots = 64;
    while (slots < 4 * (size_t)http_conns_mhd_limit(c) + 4 * (size_t)cfg->budget)
        slots *= 2;
    c->src = calloc(slots, sizeof *c->src);
    c->src_mask = slots - 1;
    c->peek_cap = cfg->head_limit + 1;
    c->peek = malloc(c->peek_cap);
    int err = c->src && c->peek ? make_metrics(c, m) : RR_ERR_NOMEM;
    if (err < 0) {
        http_conns_free(c);
        return err;
    }
    ensure_fd_limit(http_conns_mhd_limit(c) + cfg->budget + 64);
    struct rlimit rl;
    c->first_end_n = FIRST_END_SLOTS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FIRST_END_SLOTS)
        c->first_end_n = (size_t)rl.rlim_cur;
    c->first_end = malloc(c->first_end_n * sizeof *c->first_end);
    if (!c->first_end) {
        http_conns_free(c);
        return RR_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->first_end_n; i++)
        atomic_init(&c->first_end[i], END_UNKNOWN);
    *out = c;
    return 0;
}

unsigned http_conns_mhd_limit(const struct http_conns *c)
{
    return c->cfg.budget + c->cfg.budget / 2 + 16;
}

int http_conns_listen(struct http_conns *c, const char *addr, uint16_t port, uint16_t *bound,
                      char *msg, size_t msg_len)
{
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    socklen_t sl;
    memset(&sa, 0, sizeof sa);
    if (inet_pton(AF_INET, addr, &sa.v4.sin_addr) == 1) {
        sa.v4.sin_family = AF_INET;
        sa.v4.sin_port = htons(port);
        sl = sizeof sa.v4;
    } else if (inet_pton(AF_INET6, addr, &sa.v6.sin6_addr) == 1) {
        sa.v6.sin6_family = AF_INET6;
        sa.v6.sin6_port = htons(port);
        sl = sizeof sa.v6;
    } else {
        snprintf(msg, msg_len, "bind address is not an IP literal: %s", addr);
        return RR_ERR_INVAL;
    }
    int fd = socket(sa.v4.sin_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (sa.v4.sin_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
        bind(fd, (struct sockaddr *)&sa, sl) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(msg, msg_len, "cannot listen on %s:%u: %s", addr, (unsigned)port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return RR_ERR_IO;
    }
    struct sockaddr_storage ss;
    socklen_t ssl = sizeof ss;
    *bound = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &ssl) == 0)
        *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)(void *)&ss)->sin_port);
    c->listen_fd = fd;
    return 0;
}

int http_conns_start(struct http_conns *c, struct MHD_Daemon *daemon)
{
    c->daemon = daemon;
    c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &c->listen_fd};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &c->wake_fd};
    if (c->epoll_fd < 0 || c->wake_fd < 0 || c->listen_fd < 0 ||
        epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->listen_fd, &lev) != 0 ||
        epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->wake_fd, &wev) != 0 ||
        pthread_create(&c->thread, NULL, conns_main, c) != 0)
        return RR_ERR_IO;
    c->started = 1;
    pthread_mutex_lock(&c->hold_mu);
    c->hold_open = 1;
    pthread_mutex_unlock(&c->hold_mu);
    return 0;
}

int http_conns_running(const struct http_conns *c)
{
    return c && c->started;
}

static void send_command(struct http_conns *c, int cmd)
{
    pthread_mutex_lock(&c->cmd_mu);
    c->cmd = cmd;
    pthread_mutex_unlock(&c->cmd_mu);
    uint64_t one = 1;
    if (write(c->wake_fd, &one, sizeof one) < 0) /* an eventfd write fails only at overflow */
        rr_log_msg(RR_LOG_WARN, "cannot wake the gate thread");
    pthread_mutex_lock(&c->cmd_mu);
    while (c->cmd_done < cmd)
        pthread_cond_wait(&c->cmd_cv, &c->cmd_mu);
    pthread_mutex_unlock(&c->cmd_mu);
}

void http_conns_quiesce(struct http_conns *c)
{
    if (c && c->started && c->cmd_done < CMD_QUIESCE)
        send_command(c, CMD_QUIESCE);
}

void http_conns_stop(struct http_conns *c)
{
    if (!c || !c->started)
        return;
    send_command(c, CMD_STOP);
    pthread_join(c->thread, NULL);
    c->started = 0;
    release_all_held(c);
}

void http_conns_free(struct http_conns *c)
{
    if (!c)
        return;
    http_conns_stop(c);
    close_gate(c);
    free_closed(c);
    while (c->tracks) { /* libmicrohttpd closed every connection; anything left was untold */
        struct conn_track *t = c->tracks;
        c->tracks = t->next;
        free(t);
    }
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    if (c->epoll_fd >= 0)
        close(c->epoll_fd);
    if (c->wake_fd >= 0)
        close(c->wake_fd);
    pthread_mutex_destroy(&c->cmd_mu);
    pthread_cond_destroy(&c->cmd_cv);
    pthread_mutex_destroy(&c->track_mu);
    pthread_mutex_destroy(&c->src_mu);
    pthread_mutex_destroy(&c->hold_mu);
    free(c->first_end);
    free(c->src);
    free(c->peek);
    free(c);
}
