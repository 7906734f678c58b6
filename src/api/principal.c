/*
 * principal.c - who is calling: the http_config.authenticate hook that turns an
 * "Authorization: Bearer <access JWT>" header into a struct api_principal.
 * Without that header, a GET or HEAD under /v1/videos/ may instead carry a signed link's
 * uid/exp/sig query (auth/media_sig.h, minted by GET /v1/videos/{id}/media-links): the link
 * proves its user for that one path until it expires, so a <video> element can stream the
 * original with Range requests. Handlers still scope every id to that user.
 *
 * Routes marked HTTP_AUTH_KEY take a partner API key instead (partner_auth.c), and only that.
 * Fail closed: no header, another scheme, an over-long or malformed token, a token of the wrong
 * type (a refresh token), a bad signature, wrong issuer/audience, expired or not yet valid -> 401
 * with the one error body and "WWW-Authenticate: Bearer". Why it failed goes to the debug log
 * (jwt_reason_name), never to the client. The principal lives in the request arena.
 * A request that may change something (any method but GET and HEAD) with an access token also
 * needs the token's user to exist: a deleted account's tokens write nothing, ever (DELETE
 * /v1/me). Reads skip that lookup (the read cache exists to spare the store): the deleted
 * user's token reads only the nothing that is left - GET /v1/me answers 401 - until it expires
 * (at most 15 min).
 */
#include "api/api.h"

#include "auth/jwt.h"
#include "auth/media_sig.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "store/store.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int principal_refuse(struct http_request *req, const char *why)
{
    rr_log(RR_LOG_DEBUG, "authentication refused", RR_LOG_REQUEST_ID(http_request_id(req)),
           RR_LOG_STR("reason", why));
    http_reply_error(req, 401, "unauthenticated", "a valid access token is required", NULL);
    http_reply_header(req, "WWW-Authenticate", "Bearer");
    return RR_ERR_UNAUTHENTICATED;
}

/* A user id as the store makes them: exactly STORE_ID_LEN lowercase hex digits. */
static int user_id_ok(const char *uid)
{
    size_t n = 0;
    for (; uid && n <= STORE_ID_LEN && uid[n]; n++)
        if (!((uid[n] >= '0' && uid[n] <= '9') || (uid[n] >= 'a' && uid[n] <= 'f')))
            return 0;
    return uid && n == STORE_ID_LEN;
}

static int set_principal(struct http_request *req, const char *uid, size_t len)
{
    struct api_principal *p = http_request_alloc(req, sizeof *p);
    if (!p)
        return RR_ERR_NOMEM;
    memset(p, 0, sizeof *p);
    memcpy(p->user_id, uid, len);
    p->user_id[len] = '\0';
    http_request_set_principal(req, p, NULL);
    return 0;
}

/* A signed media link: GET/HEAD under /v1/videos/ with uid, exp and sig in the query. */
static int signed_link(struct http_request *req, const struct app *a, const char *sig)
{
    const char *method = http_request_method(req);
    const char *path = http_request_path(req);
    const char *uid = http_request_query(req, "uid");
    if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) || !path ||
        strncmp(path, "/v1/videos/", 11) != 0)
        return principal_refuse(req, "link_not_for_this_request");
    if (!user_id_ok(uid))
        return principal_refuse(req, "link_bad_subject");
    if (media_sig_check(a->media_key, path, uid, http_request_query(req, "exp"), sig,
                        (int64_t)time(NULL)) < 0)
        return principal_refuse(req, "link_invalid_or_expired");
    return set_principal(req, uid, STORE_ID_LEN);
}

int api_authenticate(struct http_request *req, void *app)
{
    const struct app *a = app;
    const struct http_route *rt = http_request_route(req);
    if (rt && rt->auth == HTTP_AUTH_KEY)
        return api_authenticate_key(req, app);
    const char *h = http_request_header(req, "Authorization");
    const char *sig = h ? NULL : http_request_query(req, "sig");
    if (sig)
        return signed_link(req, a, sig);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return principal_refuse(req, "no_bearer");
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    size_t len = strnlen(tok, JWT_MAX_TOKEN + 1);
    if (len == 0 || len > JWT_MAX_TOKEN)
        return principal_refuse(req, "too_long");

    struct jwt_claims claims;
    enum jwt_reason reason = JWT_OK;
    struct jwt_expect expect = {a->jwt_issuer, a->jwt_audience, JWT_TYP_ACCESS};
    int rc = jwt_verify(tok, len, a->jwt_key, sizeof a->jwt_key, &expect, (int64_t)time(NULL),
                        &claims, &reason);
    if (rc < 0)
        return principal_refuse(req, jwt_reason_name(reason));
    if (!user_id_ok(claims.sub)) /* only ids the store could have made: 32 lowercase hex */
        return principal_refuse(req, "bad_subject");
    const char *method = http_request_method(req);
    if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
        struct store_user u;
        rc = store_user_get(a->store, claims.sub, &u);
        sodium_memzero(&u, sizeof u);
        if (rc == RR_ERR_NOTFOUND)
            return principal_refuse(req, "account_deleted");
        if (rc < 0)
            return rc;
    }

    return set_principal(req, claims.sub, STORE_ID_LEN);
}

const struct api_principal *api_principal(const struct http_request *req)
{
    return http_request_principal(req);
}
