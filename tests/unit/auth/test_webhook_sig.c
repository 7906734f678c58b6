/*
 * test_webhook_sig.c - Standard Webhooks signatures: the published vector of the Standard
 * Webhooks reference libraries, a vector computed with Python's hmac module, a fresh random
 * secret cross-checked against python3 at run time (when present), verification (tolerance,
 * several signatures, tampering), argument refusals, and sealing secrets at rest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/webhook_sig.h"
#include "base/rr_error.h"

static void sig__matches_the_standard_webhooks_published_vector(void **state)
{
    (void)state;
    /* standard-webhooks libraries' test vector (also Svix's) */
    static const char body[] = "{\"test\": 2432232314}";
    char sig[WEBHOOK_SIG_SIZE];
    assert_int_equal(webhook_sig_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                      "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                                      sizeof body - 1, sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void sig__matches_python_hmac(void **state)
{
    (void)state;
    /* python3: key = bytes(range(32)); base64(hmac.new(key, b"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W."
     * b"1674087231." + body, "sha256").digest()) */
    static const char body[] = "{\"type\":\"analysis.completed\",\"data\":{\"n\":1}}";
    char sig[WEBHOOK_SIG_SIZE];
    assert_int_equal(webhook_sig_sign("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                                      "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, body,
                                      sizeof body - 1, sig),
                     0);
    assert_string_equal(sig, "v1,58ZEUbbjvHJHct3u/zqfvEzqvSe3qIY+en6Jgxf0LWo=");
}

static void sig__fresh_secret_agrees_with_python_at_run_time(void **state)
{
    (void)state;
    char secret[WEBHOOK_SIG_SECRET_SIZE], sig[WEBHOOK_SIG_SIZE], cmd[512], py[128] = "";
    webhook_sig_secret_new(secret);
    assert_int_equal(strncmp(secret, "whsec_", 6), 0);
    assert_int_equal(strlen(secret), 6 + 44); /* 32 bytes */
    static const char body[] = "{\"id\":\"e1\",\"data\":[1,2,3]}";
    assert_int_equal(webhook_sig_sign(secret, "evt_1", 1700000000, body, sizeof body - 1, sig), 0);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import hmac,hashlib,base64,sys;"
             "k=base64.b64decode(sys.argv[1][6:]);"
             "print(\"v1,\"+base64.b64encode(hmac.new(k,b\"evt_1.1700000000.\"+sys.argv[2]."
             "encode(),hashlib.sha256).digest()).decode())' '%s' '%s' 2>/dev/null",
             secret, body);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(py, sizeof py, p)) {
        if (p)
            pclose(p);
        printf("note: python3 not available, run-time cross-check skipped\n");
        return;
    }
    pclose(p);
    py[strcspn(py, "\n")] = '\0';
    assert_string_equal(sig, py);
    /* two secrets differ */
    char other[WEBHOOK_SIG_SECRET_SIZE];
    webhook_sig_secret_new(other);
    assert_string_not_equal(secret, other);
}

static void sig__verify_accepts_within_tolerance_and_any_listed_signature(void **state)
{
    (void)state;
    char secret[WEBHOOK_SIG_SECRET_SIZE], sig[WEBHOOK_SIG_SIZE], hdr[160];
    webhook_sig_secret_new(secret);
    static const char body[] = "{\"a\":1}";
    assert_int_equal(webhook_sig_sign(secret, "evt_9", 1000, body, 7, sig), 0);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, sig, 1000, 300), 0);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, sig, 1300, 300), 0);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, sig, 1301, 300),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, sig, 699, 300),
                     RR_ERR_UNAUTHENTICATED);
    /* key rotation: several signatures, space separated */
    snprintf(hdr, sizeof hdr, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= %s", sig);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, hdr, 1000, 300), 0);
    /* tampered body, id, timestamp, signature, secret */
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", "{\"a\":2}", 7, sig, 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(webhook_sig_verify(secret, "evt_8", "1000", body, 7, sig, 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1001", body, 7, sig, 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    char bad[WEBHOOK_SIG_SIZE];
    memcpy(bad, sig, sizeof bad);
    bad[5] = bad[5] == 'A' ? 'B' : 'A';
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, bad, 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    char other[WEBHOOK_SIG_SECRET_SIZE];
    webhook_sig_secret_new(other);
    assert_int_equal(webhook_sig_verify(other, "evt_9", "1000", body, 7, sig, 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    /* malformed headers */
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "10x0", body, 7, sig, 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, "v2,abc", 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(webhook_sig_verify(secret, "evt_9", "1000", body, 7, "", 1000, 300),
                     RR_ERR_UNAUTHENTICATED);
}

static void sig__refuses_bad_arguments(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIG_SIZE];
    static const char ok[] = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    assert_int_equal(webhook_sig_sign(NULL, "a", 1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "a", 1, "",
                                      0, sig),
                     RR_ERR_INVAL);                                  /* no prefix */
    /* too short a key */
    assert_int_equal(webhook_sig_sign("whsec_AAECAwQF", "a", 1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign("whsec_!!!!", "a", 1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign(ok, "", 1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign(ok, "a.b", 1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign(ok, "a b", 1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign(ok, "a", -1, "", 0, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign(ok, "a", 1, NULL, 3, sig), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_sign(ok, "a", 1, NULL, 0, sig), 0); /* empty body */
}

static void sig__sealed_secrets_open_only_untampered_with_their_key(void **state)
{
    (void)state;
    uint8_t key[32], other[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)i;
        other[i] = (uint8_t)(i + 1);
    }
    char secret[WEBHOOK_SIG_SECRET_SIZE], sealed[WEBHOOK_SIG_SEALED_SIZE],
        sealed2[WEBHOOK_SIG_SEALED_SIZE], back[WEBHOOK_SIG_SECRET_SIZE];
    webhook_sig_secret_new(secret);
    assert_int_equal(webhook_sig_seal(key, secret, sealed), 0);
    assert_int_equal(strncmp(sealed, "enc1:", 5), 0);
    assert_true(strlen(sealed) < 192);
    assert_null(strstr(sealed, secret + 6));
    assert_int_equal(webhook_sig_open(key, sealed, back), 0);
    assert_string_equal(back, secret);
    /* a fresh nonce each time */
    assert_int_equal(webhook_sig_seal(key, secret, sealed2), 0);
    assert_string_not_equal(sealed, sealed2);
    /* another key, a flipped character, truncation, no tag */
    assert_int_equal(webhook_sig_open(other, sealed, back), RR_ERR_INVAL);
    memcpy(sealed2, sealed, sizeof sealed2);
    sealed2[20] = sealed2[20] == 'A' ? 'B' : 'A';
    assert_int_equal(webhook_sig_open(key, sealed2, back), RR_ERR_INVAL);
    memcpy(sealed2, sealed, sizeof sealed2);
    sealed2[40] = '\0';
    assert_int_equal(webhook_sig_open(key, sealed2, back), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_open(key, secret, back), RR_ERR_INVAL);
    assert_int_equal(webhook_sig_seal(key, "", sealed), RR_ERR_INVAL);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sig__matches_the_standard_webhooks_published_vector),
        cmocka_unit_test(sig__matches_python_hmac),
        cmocka_unit_test(sig__fresh_secret_agrees_with_python_at_run_time),
        cmocka_unit_test(sig__verify_accepts_within_tolerance_and_any_listed_signature),
        cmocka_unit_test(sig__refuses_bad_arguments),
        cmocka_unit_test(sig__sealed_secrets_open_only_untampered_with_their_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
