/* admin_key.c - `repright admin key ...`: an org's API keys (create: the key is printed once). */
#include "cli/admin.h"
#include "cli/commands.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/partners.h"
#include "base/rr_json.h"

int admin_key_create(struct app *a, int argc, char **argv)
{
    static const char *const known[] = {"--scopes", "--expires", "--name", "--rate", NULL};
    int bad = 0, days = 0, rate = 0;
    if (!admin_args(argc, argv, 1, "key create ORG --scopes LIST [--expires DAYS] [--name N] "
                                   "[--rate PER_MIN]"))
        return CLI_EXIT_USAGE;
    const char *scopes_s = admin_flag(argc, argv, 2, "--scopes", known, &bad);
    const char *exp_s = admin_flag(argc, argv, 2, "--expires", known, &bad);
    const char *name = admin_flag(argc, argv, 2, "--name", known, &bad);
    const char *rate_s = admin_flag(argc, argv, 2, "--rate", known, &bad);
    if (bad || !scopes_s || (exp_s && cli_parse_int(exp_s, 1, 3650, &days) < 0) ||
        (rate_s && cli_parse_int(rate_s, 1, APP_KEY_RATE_MAX, &rate) < 0)) {
        fprintf(stderr, "usage: repright admin key create ORG --scopes LIST [--expires 1..3650] "
                        "[--name N] [--rate 1..%d]\n", APP_KEY_RATE_MAX);
        return CLI_EXIT_USAGE;
    }
    unsigned scopes = 0;
    char msg[160];
    if (app_scopes_parse(scopes_s, &scopes, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright admin: key create: %s\n", msg);
        return CLI_EXIT_USAGE;
    }
    struct app_new_key k;
    int err = app_apikey_create(a, argv[1], name, scopes, days, rate, &k);
    if (err)
        return admin_fail("key create", err);
    struct rr_json j;
    rr_json_init(&j, NULL, 0, 1u << 16);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "key");
    rr_json_string(&j, k.key);
    RR_JSON_KEY(&j, "note");
    rr_json_string(&j, "store this key now: it is shown once and cannot be recovered");
    RR_JSON_KEY(&j, "record");
    app_json_apikey(&j, &k.rec, store_now(a->store));
    rr_json_object_end(&j);
    sodium_memzero(&k, sizeof k);
    int rc = admin_print(&j);
    return rc;
}

int admin_key_list(struct app *a, int argc, char **argv)
{
    if (!admin_args(argc, argv, 1, "key list ORG"))
        return CLI_EXIT_USAGE;
    struct store_org o;
    int err = store_org_get(a->store, argv[1], &o);
    if (err)
        return admin_fail("key list: no such org", err);
    struct store_apikey *items = NULL;
    size_t n = 0;
    err = store_apikey_list(a->store, o.id, &items, &n);
    if (err)
        return admin_fail("key list", err);
    int rc = CLI_EXIT_OK;
    int64_t now = store_now(a->store);
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
        struct rr_json j;
        rr_json_init(&j, NULL, 0, 1u << 16);
        app_json_apikey(&j, &items[i], now);
        rc = admin_print(&j);
    }
    free(items);
    return rc;
}

int admin_key_revoke(struct app *a, int argc, char **argv)
{
    if (!admin_args(argc, argv, 1, "key revoke KEYID"))
        return CLI_EXIT_USAGE;
    int err = app_apikey_revoke(a, NULL, argv[1]);
    if (err)
        return admin_fail("key revoke: no such key", err);
    printf("{\"id\":\"%s\",\"state\":\"revoked\"}\n", argv[1]);
    return CLI_EXIT_OK;
}
