/*
 * hook_post.h - one HTTP POST to a URL a user gave (a webhook delivery), safely.
 *
 * hook_post() checks the URL with ssrf_check (net/ssrf.h) at every call, then POSTs with libcurl
 * pinned to the checked address: the host name is resolved for curl by CURLOPT_RESOLVE to that
 * address, and an open-socket callback refuses any other destination (so neither a second DNS
 * answer, nor curl reading a numeric host differently, nor a proxy from the environment can
 * change where the bytes go). No redirects (a 3xx is an answer like any other: the caller
 * treats it as a failed delivery), no proxy, https/http protocols only, TLS verified, connect
 * timeout and total timeout, request body at most HOOK_POST_BODY_MAX bytes, response body read
 * and discarded up to HOOK_POST_RESPONSE_MAX bytes (the transfer stops there).
 *
 * Errors: those of ssrf_check (INVAL, FORBIDDEN, NOTFOUND, TOOBIG: nothing was sent), TOOBIG
 * for a body over the bound, IO (connection refused or reset, TLS failure), TIMEOUT, NOMEM;
 * out->error says what happened in words. 0 = an HTTP answer arrived (out->status).
 * Ownership: callers own everything. Thread-safety: thread-safe (one curl handle per call; the
 * curl global init runs once).
 */
#ifndef RR_NET_HOOK_POST_H
#define RR_NET_HOOK_POST_H

#include <stddef.h>

#include "net/ssrf.h"

#define HOOK_POST_BODY_MAX (256 * 1024)
#define HOOK_POST_RESPONSE_MAX (64 * 1024)
#define HOOK_POST_HEADERS_MAX 8
#define HOOK_POST_CONNECT_MS 5000
#define HOOK_POST_TOTAL_MS 10000

struct hook_request {
    const char *url;
    const char *headers[HOOK_POST_HEADERS_MAX]; /* "name: value", NULL-terminated early */
    const char *body;                           /* sent as application/json */
    size_t body_len;
    unsigned ssrf_flags;                        /* SSRF_ALLOW_LOOPBACK in development */
    long connect_ms, total_ms;                  /* 0: the defaults above */
};

struct hook_result {
    long status;            /* HTTP status, 0 when none arrived */
    char ip[SSRF_IP_MAX];   /* where it went ("" when refused before connecting) */
    char error[256];        /* "" on an HTTP answer */
};

int hook_post(const struct hook_request *rq, struct hook_result *out);

#endif
