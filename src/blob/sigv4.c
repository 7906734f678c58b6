/*
 * sigv4.c - AWS Signature Version 4 signing (see sigv4.h for the rules and the contract).
 *
 * DESIGN
 * - Every text is built in an rr_buf with a hard cap (SIGV4_TEXT_MAX), so a hostile or buggy
 *   caller cannot make the signer allocate without bound; the first failure is sticky and
 *   reported once at the end.
 * - Sorting works on small index arrays (at most SIGV4_MAX_PARAMS entries) over the encoded
 *   texts: query pairs by encoded name then value (the suite's get-vanilla-query-order-key),
 *   headers by lower-case name, keeping the caller's order for repeated names, whose values are
 *   joined with ',' (get-header-key-duplicate).
 * - The signing key is derived per call (four HMACs); it and the "AWS4"+secret key text live on
 *   the stack and are wiped before returning.
 */
#include "blob/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/rr_error.h"

#define SIGV4_TEXT_MAX (64 * 1024)
#define SIGV4_NAME_MAX 128

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void sigv4_uri_encode(struct rr_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            rr_buf_addc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rr_buf_add(out, e, 3);
        }
    }
}

void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, (unsigned long long)len);
    sodium_bin2hex(out, SIGV4_HEX_LEN + 1, d, sizeof d);
}

void sigv4_amz_date(int64_t t, char out[SIGV4_DATE_LEN + 1])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        memset(&tm, 0, sizeof tm);
    strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

static int date_ok(const char *d)
{
    if (!d || strlen(d) != SIGV4_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return 0;
    return 1;
}

/* ---- query -------------------------------------------------------------------------------- */

struct enc_pair {
    size_t name_off, name_len, value_off, value_len;
};

static int cmp_span(const char *base, size_t ao, size_t al, size_t bo, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = memcmp(base + ao, base + bo, n);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* Insertion sort (at most SIGV4_MAX_PARAMS entries): no global comparator state needed. */
static void pair_sort(struct enc_pair *p, size_t n, const char *base)
{
    for (size_t i = 1; i < n; i++) {
        struct enc_pair x = p[i];
        size_t j = i;
        while (j > 0) {
            const struct enc_pair *y = &p[j - 1];
            int c = cmp_span(base, y->name_off, y->name_len, x.name_off, x.name_len);
            if (c == 0)
                c = cmp_span(base, y->value_off, y->value_len, x.value_off, x.value_len);
            if (c <= 0)
                break;
            p[j] = p[j - 1];
            j--;
        }
        p[j] = x;
    }
}

int sigv4_canonical_query(const struct sigv4_request *req, struct rr_buf *out)
{
    struct enc_pair pairs[SIGV4_MAX_PARAMS];
    struct rr_buf enc;
    char initial[1024];
    if (!req || !out || (req->nquery && !req->query))
        return RR_ERR_INVAL;
    if (req->nquery > SIGV4_MAX_PARAMS)
        return RR_ERR_TOOBIG;
    rr_buf_init(&enc, initial, sizeof initial, SIGV4_TEXT_MAX);
    for (size_t i = 0; i < req->nquery; i++) {
        const char *nm = req->query[i].name ? req->query[i].name : "";
        const char *v = req->query[i].value ? req->query[i].value : "";
        pairs[i].name_off = rr_buf_len(&enc);
        sigv4_uri_encode(&enc, nm, strlen(nm), 0);
        pairs[i].name_len = rr_buf_len(&enc) - pairs[i].name_off;
        pairs[i].value_off = rr_buf_len(&enc);
        sigv4_uri_encode(&enc, v, strlen(v), 0);
        pairs[i].value_len = rr_buf_len(&enc) - pairs[i].value_off;
    }
    int rc = rr_buf_error(&enc);
    if (rc == 0) {
        const char *base = rr_buf_data(&enc);
        pair_sort(pairs, req->nquery, base);
        for (size_t i = 0; i < req->nquery; i++) {
            if (i)
                rr_buf_addc(out, '&');
            rr_buf_add(out, base + pairs[i].name_off, pairs[i].name_len);
            rr_buf_addc(out, '=');
            rr_buf_add(out, base + pairs[i].value_off, pairs[i].value_len);
        }
        rc = rr_buf_error(out);
    }
    rr_buf_release(&enc);
    return rc;
}

/* ---- headers ------------------------------------------------------------------------------ */

struct hdr {
    char name[SIGV4_NAME_MAX];
    size_t idx; /* caller's order, for repeated names */
};

static int hdr_before(const struct hdr *a, const struct hdr *b)
{
    int c = strcmp(a->name, b->name);
    return c < 0 || (c == 0 && a->idx < b->idx);
}

/* Append a header value trimmed, with inner runs of spaces (and tabs, newlines of a folded
 * value) collapsed to one space. */
static void add_trimmed(struct rr_buf *out, const char *v)
{
    int pending = 0, any = 0;
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            pending = any;
            continue;
        }
        if (pending)
            rr_buf_addc(out, ' ');
        pending = 0;
        any = 1;
        rr_buf_addc(out, *p);
    }
}

int sigv4_canonical_request(const struct sigv4_request *req, struct rr_buf *out,
                            char signed_headers[SIGV4_SIGNED_HEADERS_MAX])
{
    struct hdr h[SIGV4_MAX_PARAMS];
    if (!req || !out || !req->method || !req->method[0] || !req->path || req->path[0] != '/' ||
        !req->payload_hash || (req->nheaders && !req->headers))
        return RR_ERR_INVAL;
    if (req->nheaders > SIGV4_MAX_PARAMS)
        return RR_ERR_TOOBIG;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *nm = req->headers[i].name;
        size_t n = nm ? strlen(nm) : 0;
        if (n == 0 || n >= SIGV4_NAME_MAX)
            return RR_ERR_INVAL;
        for (size_t k = 0; k < n; k++) {
            char c = nm[k];
            if (c <= ' ' || c > '~' || c == ':')
                return RR_ERR_INVAL;
            h[i].name[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        h[i].name[n] = '\0';
        h[i].idx = i;
    }
    for (size_t i = 1; i < req->nheaders; i++) { /* insertion sort, stable */
        struct hdr x = h[i];
        size_t j = i;
        while (j > 0 && hdr_before(&x, &h[j - 1])) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = x;
    }

    rr_buf_adds(out, req->method);
    rr_buf_addc(out, '\n');
    sigv4_uri_encode(out, req->path, strlen(req->path), 1);
    rr_buf_addc(out, '\n');
    int rc = sigv4_canonical_query(req, out);
    if (rc < 0)
        return rc;
    rr_buf_addc(out, '\n');
    struct rr_buf sh;
    char sh_store[SIGV4_SIGNED_HEADERS_MAX];
    rr_buf_init(&sh, sh_store, sizeof sh_store, SIGV4_SIGNED_HEADERS_MAX - 1);
    for (size_t i = 0; i < req->nheaders; i++) {
        int repeat = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
        if (repeat) {
            rr_buf_addc(out, ',');
        } else {
            if (i > 0) {
                rr_buf_addc(out, '\n');
                rr_buf_addc(&sh, ';');
            }
            rr_buf_adds(out, h[i].name);
            rr_buf_addc(out, ':');
            rr_buf_adds(&sh, h[i].name);
        }
        add_trimmed(out, req->headers[h[i].idx].value);
    }
    if (req->nheaders)
        rr_buf_addc(out, '\n');
    rr_buf_addc(out, '\n');
    rr_buf_add(out, rr_buf_data(&sh), rr_buf_len(&sh));
    rr_buf_addc(out, '\n');
    rr_buf_adds(out, req->payload_hash);
    rc = rr_buf_error(&sh) ? rr_buf_error(&sh) : rr_buf_error(out);
    if (rc == 0 && signed_headers)
        memcpy(signed_headers, rr_buf_data(&sh), rr_buf_len(&sh) + 1);
    rr_buf_release(&sh);
    return rc;
}

/* ---- signing ------------------------------------------------------------------------------ */

static int creds_ok(const struct sigv4_credentials *c)
{
    return c && c->access_key && c->access_key[0] && c->secret_key && c->secret_key[0] &&
           c->region && c->region[0] && c->service && c->service[0];
}

static void add_scope(struct rr_buf *out, const struct sigv4_credentials *c, const char *amz_date)
{
    rr_buf_add(out, amz_date, 8);
    rr_buf_addf(out, "/%s/%s/aws4_request", c->region, c->service);
}

int sigv4_string_to_sign(const struct sigv4_credentials *c, const char *amz_date,
                         const char *canonical_request, struct rr_buf *out)
{
    char hash[SIGV4_HEX_LEN + 1];
    if (!creds_ok(c) || !date_ok(amz_date) || !canonical_request || !out)
        return RR_ERR_INVAL;
    sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    rr_buf_adds(out, "AWS4-HMAC-SHA256\n");
    rr_buf_adds(out, amz_date);
    rr_buf_addc(out, '\n');
    add_scope(out, c, amz_date);
    rr_buf_addc(out, '\n');
    rr_buf_adds(out, hash);
    return rr_buf_error(out);
}

static void hmac(unsigned char out[crypto_auth_hmacsha256_BYTES], const void *key, size_t klen,
                 const void *msg, size_t mlen)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, msg, (unsigned long long)mlen);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

/* HMAC-SHA256 of sts with the key derived from the secret, date, region and service. */
static int signature_of(const struct sigv4_credentials *c, const char *amz_date, const char *sts,
                        char out[SIGV4_HEX_LEN + 1])
{
    unsigned char k[crypto_auth_hmacsha256_BYTES], sig[crypto_auth_hmacsha256_BYTES];
    char kstart[4 + 256];
    size_t slen = strlen(c->secret_key);
    if (slen > sizeof kstart - 4)
        return RR_ERR_TOOBIG;
    memcpy(kstart, "AWS4", 4);
    memcpy(kstart + 4, c->secret_key, slen);
    hmac(k, kstart, 4 + slen, amz_date, 8);
    sodium_memzero(kstart, sizeof kstart);
    hmac(k, k, sizeof k, c->region, strlen(c->region));
    hmac(k, k, sizeof k, c->service, strlen(c->service));
    hmac(k, k, sizeof k, "aws4_request", 12);
    hmac(sig, k, sizeof k, sts, strlen(sts));
    sodium_memzero(k, sizeof k);
    sodium_bin2hex(out, SIGV4_HEX_LEN + 1, sig, sizeof sig);
    return 0;
}

int sigv4_sign(const struct sigv4_credentials *c, const char *amz_date,
               const struct sigv4_request *req, struct sigv4_result *out)
{
    struct rr_buf cr, sts;
    char cr_store[2048], sts_store[512];
    if (!creds_ok(c) || !date_ok(amz_date) || !out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    rr_buf_init(&cr, cr_store, sizeof cr_store, SIGV4_TEXT_MAX);
    rr_buf_init(&sts, sts_store, sizeof sts_store, SIGV4_TEXT_MAX);
    int rc = sigv4_canonical_request(req, &cr, out->signed_headers);
    if (rc == 0)
        rc = sigv4_string_to_sign(c, amz_date, rr_buf_data(&cr), &sts);
    if (rc == 0)
        rc = signature_of(c, amz_date, rr_buf_data(&sts), out->signature);
    if (rc == 0) {
        struct rr_buf a;
        rr_buf_init(&a, out->authorization, sizeof out->authorization,
                    sizeof out->authorization - 1);
        rr_buf_adds(&a, "AWS4-HMAC-SHA256 Credential=");
        rr_buf_adds(&a, c->access_key);
        rr_buf_addc(&a, '/');
        add_scope(&a, c, amz_date);
        rr_buf_adds(&a, ", SignedHeaders=");
        rr_buf_adds(&a, out->signed_headers);
        rr_buf_adds(&a, ", Signature=");
        rr_buf_adds(&a, out->signature);
        rc = rr_buf_error(&a);
        if (rc < 0)
            out->authorization[0] = '\0';
        rr_buf_release(&a);
    }
    rr_buf_release(&cr);
    rr_buf_release(&sts);
    return rc;
}

int sigv4_presign(const struct sigv4_credentials *c, const char *amz_date, int64_t expires,
                  const struct sigv4_request *req, struct rr_buf *out)
{
    struct sigv4_pair q[SIGV4_MAX_PARAMS];
    struct sigv4_result res;
    char cred[512], exp_text[24], sh[SIGV4_SIGNED_HEADERS_MAX];
    if (!creds_ok(c) || !date_ok(amz_date) || !req || !out || expires < 1 ||
        expires > SIGV4_PRESIGN_MAX_SECONDS || (req->nquery && !req->query))
        return RR_ERR_INVAL;
    if (req->nquery + 5 > SIGV4_MAX_PARAMS)
        return RR_ERR_TOOBIG;
    /* The signed-header list goes into the query, so compute it first from the headers. */
    struct sigv4_request probe = *req;
    struct rr_buf tmp;
    char tmp_store[1024];
    rr_buf_init(&tmp, tmp_store, sizeof tmp_store, SIGV4_TEXT_MAX);
    probe.nquery = 0;
    probe.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
    int rc = sigv4_canonical_request(&probe, &tmp, sh);
    rr_buf_release(&tmp);
    if (rc < 0)
        return rc;
    int n = snprintf(cred, sizeof cred, "%s/%.8s/%s/%s/aws4_request", c->access_key, amz_date,
                     c->region, c->service);
    if (n < 0 || (size_t)n >= sizeof cred)
        return RR_ERR_TOOBIG;
    snprintf(exp_text, sizeof exp_text, "%lld", (long long)expires);
    if (req->nquery)
        memcpy(q, req->query, req->nquery * sizeof q[0]);
    size_t nq = req->nquery;
    q[nq++] = (struct sigv4_pair){"X-Amz-Algorithm", "AWS4-HMAC-SHA256"};
    q[nq++] = (struct sigv4_pair){"X-Amz-Credential", cred};
    q[nq++] = (struct sigv4_pair){"X-Amz-Date", amz_date};
    q[nq++] = (struct sigv4_pair){"X-Amz-Expires", exp_text};
    q[nq++] = (struct sigv4_pair){"X-Amz-SignedHeaders", sh};
    struct sigv4_request full = *req;
    full.query = q;
    full.nquery = nq;
    full.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
    rc = sigv4_sign(c, amz_date, &full, &res);
    if (rc < 0)
        return rc;
    rc = sigv4_canonical_query(&full, out);
    if (rc < 0)
        return rc;
    rr_buf_adds(out, "&X-Amz-Signature=");
    rr_buf_adds(out, res.signature);
    return rr_buf_error(out);
}
