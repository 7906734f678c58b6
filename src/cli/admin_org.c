/* admin_org.c - `repright admin org ...`: organisations, their console admins, invite codes. */
#include "cli/admin.h"
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>

#include "app/partners.h"
#include "base/rr_error.h"
#include "base/rr_json.h"

int admin_org_create(struct app *a, int argc, char **argv)
{
    if (!admin_args(argc, argv, 1, "org create NAME"))
        return CLI_EXIT_USAGE;
    if (argc != 2)
        return admin_fail("org create: unexpected arguments after NAME", RR_ERR_INVAL);
    struct store_org o;
    int err = app_org_create(a, argv[1], &o);
    if (err)
        return admin_fail(err == RR_ERR_CONFLICT ? "org create: the name is taken" : "org create",
                          err);
    struct rr_json j;
    rr_json_init(&j, NULL, 0, 1u << 16);
    app_json_org(&j, &o);
    return admin_print(&j);
}

int admin_org_list(struct app *a, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct store_org *items = NULL;
    size_t n = 0;
    int err = store_org_list(a->store, NULL, &items, &n);
    if (err)
        return admin_fail("org list", err);
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
        struct rr_json j;
        rr_json_init(&j, NULL, 0, 1u << 16);
        app_json_org(&j, &items[i]);
        rc = admin_print(&j);
    }
    free(items);
    return rc;
}

int admin_org_add_admin(struct app *a, int argc, char **argv)
{
    if (!admin_args(argc, argv, 2, "org add-admin ORG EMAIL"))
        return CLI_EXIT_USAGE;
    int err = app_org_add_admin(a, argv[1], argv[2]);
    if (err)
        return admin_fail("org add-admin: no such org or user", err);
    printf("{\"org_id\":\"%s\",\"admin\":\"added\"}\n", argv[1]);
    return CLI_EXIT_OK;
}

int admin_org_invite(struct app *a, int argc, char **argv)
{
    static const char *const known[] = {"--days", NULL};
    int bad = 0, days = APP_INVITE_DAYS_DEFAULT;
    if (!admin_args(argc, argv, 1, "org invite ORG [--days 1..90]"))
        return CLI_EXIT_USAGE;
    const char *d = admin_flag(argc, argv, 2, "--days", known, &bad);
    if (bad || (d && cli_parse_int(d, 1, 90, &days) < 0))
        return admin_fail("org invite: usage: ORG [--days 1..90]", RR_ERR_INVAL);
    struct store_invite inv;
    char code[APP_INVITE_CODE_LEN + 1];
    int err = app_invite_create(a, argv[1], days, &inv, code);
    if (err)
        return admin_fail("org invite", err);
    struct rr_json j;
    rr_json_init(&j, NULL, 0, 1u << 16);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "code");
    rr_json_string(&j, code);
    RR_JSON_KEY(&j, "invite");
    app_json_invite(&j, &inv, store_now(a->store));
    rr_json_object_end(&j);
    return admin_print(&j);
}
