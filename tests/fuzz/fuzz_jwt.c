/*
 * fuzz_jwt.c - libFuzzer target for jwt_verify: arbitrary bytes as a token, fixed secret.
 *
 * Any input must be refused with RR_ERR_UNAUTHENTICATED and a reason, or accepted with claims
 * that satisfy every documented rule (checked here, so a verifier bug that lets a bad token
 * through aborts instead of passing silently). Also feeds the bytes to the password policy and
 * the API key parser, which read untrusted input too. Seeds: tests/fuzz/corpus/fuzz_jwt (one valid
 * access token signed with the secret below, and a few hostile variants).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/token.h"
#include "base/rr_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

/* The seed tokens were signed with this key: 32 bytes "fuzz-secret-fuzz-secret-fuzz-sec". */
static const uint8_t fuzz_secret[32] = "fuzz-secret-fuzz-secret-fuzz-se";
#define FUZZ_NOW 1700000100LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct jwt_expect expect = {"https://repright.test", "repright-api", JWT_TYP_ACCESS};
    struct jwt_claims out;
    enum jwt_reason why = JWT_OK;
    /* a private copy with no terminator, so a read past size is caught by ASan */
    char *tok = malloc(size ? size : 1);
    if (!tok)
        return 0;
    if (size)
        memcpy(tok, data, size);
    int rc = jwt_verify(tok, size, fuzz_secret, sizeof fuzz_secret, &expect, FUZZ_NOW, &out, &why);
    if (rc == 0) {
        check(why == JWT_OK);
        check(out.typ == JWT_TYP_ACCESS);
        check(strcmp(out.iss, expect.iss) == 0 && strcmp(out.aud, expect.aud) == 0);
        check(out.sub[0] != '\0' && out.jti[0] != '\0');
        check(out.exp > out.iat && out.exp - out.iat <= JWT_ACCESS_MAX_S);
        check(FUZZ_NOW < out.exp + JWT_LEEWAY_S && out.nbf <= FUZZ_NOW + JWT_LEEWAY_S);
        /* re-signing the accepted claims must give a token that verifies to the same claims */
        char again[JWT_MAX_TOKEN + 1];
        struct jwt_claims out2;
        check(jwt_sign(&out, fuzz_secret, sizeof fuzz_secret, again, sizeof again) > 0);
        check(jwt_verify(again, strlen(again), fuzz_secret, sizeof fuzz_secret, &expect, FUZZ_NOW,
                         &out2, NULL) == 0);
        check(memcmp(&out, &out2, sizeof out) == 0);
    } else {
        check(rc == RR_ERR_UNAUTHENTICATED);
        check(why != JWT_OK);
        check(out.sub[0] == '\0' && out.exp == 0);
    }
    enum password_verdict v = password_check_policy(tok, size);
    check(v >= PASSWORD_OK && v <= PASSWORD_COMMON);
    char prefix[TOKEN_APIKEY_PREFIX_LEN + 1];
    rc = token_apikey_parse(tok, size, prefix);
    check(rc == 0 || rc == RR_ERR_CORRUPT);
    free(tok);
    return 0;
}
