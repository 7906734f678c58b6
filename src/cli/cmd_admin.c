/*
 * cmd_admin.c - `repright admin [CONFIG FLAGS] GROUP VERB [ARGS]`: operator commands over the
 * configured store (cli/admin.h). The configuration is migrate's (data dir, database URL, ...:
 * `--flag VALUE` pairs before GROUP, or REPRIGHT_* variables); the container is
 * app_open_admin (store + secret-derived keys, so API keys are hashed with the server's pepper).
 */
#include "cli/admin.h"
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "base/rr_error.h"
#include "base/rr_json.h"

static const struct admin_verb admin_table[] = {
    {"org", "create", "NAME", "create an organisation (a gym)", 1, admin_org_create},
    {"org", "list", "", "list organisations", 0, admin_org_list},
    {"org", "add-admin", "ORG EMAIL", "let a user manage ORG in the web console", 2,
     admin_org_add_admin},
    {"org", "invite", "ORG [--days N]", "a one-time link code for a member (printed once)", 1,
     admin_org_invite},
    {"key", "create", "ORG --scopes LIST [--expires DAYS] [--name N] [--rate PER_MIN]",
     "a new API key (printed once); LIST of members:read,workouts:read,analytics:read,"
     "webhooks:write", 1, admin_key_create},
    {"key", "list", "ORG", "the org's keys: prefix, scopes, expiry, revocation, last use", 1,
     admin_key_list},
    {"key", "revoke", "KEYID", "revoke a key now", 1, admin_key_revoke},
};
#define ADMIN_N (sizeof admin_table / sizeof admin_table[0])

void cmd_admin_usage(void)
{
    fprintf(stderr, "usage: repright admin [--data-dir DIR] [--database-url URL] GROUP VERB "
                    "[ARGS]\n\n");
    for (size_t i = 0; i < ADMIN_N; i++)
        fprintf(stderr, "  %s %s %s\n      %s\n", admin_table[i].group, admin_table[i].verb,
                admin_table[i].args, admin_table[i].summary);
    fprintf(stderr, "\nrecords are printed as JSON, one a line; exit 0 ok, 64 bad usage, "
                    "65 not found / conflict, 70 failure\n");
}

const char *admin_flag(int argc, char **argv, int from, const char *name,
                       const char *const *known, int *bad)
{
    const char *val = NULL;
    for (int i = from; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            *bad = 1;
            continue;
        }
        int ok = 0;
        for (size_t k = 0; known[k]; k++)
            ok |= strcmp(argv[i], known[k]) == 0;
        if (!ok || i + 1 >= argc) {
            *bad = 1;
            continue;
        }
        if (strcmp(argv[i], name) == 0)
            val = argv[i + 1];
        i++;
    }
    return val;
}

int admin_fail(const char *what, int err)
{
    fprintf(stderr, "repright admin: %s: %s\n", what, rr_strerror(err));
    if (err == RR_ERR_NOTFOUND || err == RR_ERR_CONFLICT)
        return 65; /* EX_DATAERR */
    if (err == RR_ERR_INVAL || err == RR_ERR_TOOBIG)
        return CLI_EXIT_USAGE;
    return CLI_EXIT_SOFTWARE;
}

int admin_print(struct rr_json *j)
{
    int err = rr_json_finish(j);
    if (!err)
        printf("%.*s\n", (int)rr_json_len(j), rr_json_data(j));
    rr_json_release(j);
    return err ? admin_fail("output", err) : CLI_EXIT_OK;
}

int cmd_admin(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd_admin_usage();
            return CLI_EXIT_OK;
        }
        if (strncmp(argv[i], "--", 2) != 0)
            break;
        if (!strchr(argv[i], '=')) /* `--flag VALUE` */
            i++;
    }
    if (i + 1 >= argc) {
        cmd_admin_usage();
        return CLI_EXIT_USAGE;
    }
    const struct admin_verb *v = NULL;
    for (size_t k = 0; k < ADMIN_N && !v; k++)
        if (strcmp(admin_table[k].group, argv[i]) == 0 &&
            strcmp(admin_table[k].verb, argv[i + 1]) == 0)
            v = &admin_table[k];
    if (!v) {
        fprintf(stderr, "repright admin: unknown command \"%s %s\"\n", argv[i], argv[i + 1]);
        cmd_admin_usage();
        return CLI_EXIT_USAGE;
    }
    int vargc = argc - (i + 1);
    char **vargv = argv + i + 1;
    if (vargc - 1 < v->nargs) {
        fprintf(stderr, "usage: repright admin %s %s %s\n", v->group, v->verb, v->args);
        return CLI_EXIT_USAGE;
    }
    struct app_config cfg;
    char msg[512];
    if (app_config_load(&cfg, APP_CMD_MIGRATE, i, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright admin: %s\n", msg);
        return CLI_EXIT_USAGE;
    }
    struct app *a = NULL;
    if (app_open_admin(&cfg, &a, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright admin: %s\n", msg);
        return CLI_EXIT_SOFTWARE;
    }
    int rc = v->run(a, vargc, vargv);
    app_close(a);
    return rc;
}
