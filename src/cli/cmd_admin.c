/*
 * cmd_admin.c - `repright admin [OPTIONS] GROUP [NAME] ARGS...`: operator commands over the
 * store the server uses. OPTIONS are `serve`'s configuration options (--data-dir,
 * --database-url, ...; REPRIGHT_* variables work the same), so an operator points the command at
 * the same database as the server. The subcommands are rows of the table below; their handlers
 * live in admin_*.c files (cli/admin.h): admin_org.c and admin_key.c (partners: organisations,
 * invite codes, API keys), admin_plan.c (plans, usage) and admin_flag.c (feature flags).
 */
#include "cli/admin.h"
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "base/rr_log.h"

static const struct admin_command admin_table[] = {
    {"org", "create", "NAME", "create an organisation (a gym)", admin_org_create},
    {"org", "list", "", "list organisations", admin_org_list},
    {"org", "add-admin", "ORG EMAIL", "let a user manage ORG in the web console",
     admin_org_add_admin},
    {"org", "invite", "ORG [--days N]", "a one-time link code for a member (printed once)",
     admin_org_invite},
    {"key", "create", "ORG --scopes LIST [--expires DAYS] [--name N] [--rate PER_MIN]",
     "a new API key (printed once); LIST: members:read,workouts:read,analytics:read,"
     "webhooks:write", admin_key_create},
    {"key", "list", "ORG", "the org's keys: prefix, scopes, expiry, revocation, last use",
     admin_key_list},
    {"key", "revoke", "KEYID", "revoke a key now", admin_key_revoke},
    {"plan", "set", "USER_EMAIL PLAN", "move an account to another plan", admin_plan_set},
    {"plan", "list", "", "the plans and their limits", admin_plan_list},
    {"usage", NULL, "[--month YYYY-MM] [USER_EMAIL]",
     "metered usage of a month (default this one), of one account or of everyone",
     admin_usage},
    {"flag", "list", "[USER_EMAIL]", "the feature flags, or how one account gets each",
     admin_flag_list},
    {"flag", "set", "NAME PERCENT [DESCRIPTION]", "create a flag or change its rollout",
     admin_flag_set},
    {"flag", "rule", "NAME plan|org|user SUBJECT on|off|clear",
     "pin a flag for a plan, an organisation or an account (by email)", admin_flag_rule},
    {"user", "delete", "(--email EMAIL | --id USER_ID) --yes",
     "delete an account and everything derived from it (irreversible)", admin_user_delete},
};
#define ADMIN_N (sizeof admin_table / sizeof admin_table[0])

void cmd_admin_usage(void)
{
    fprintf(stderr, "usage: repright admin [OPTIONS] COMMAND [ARGS]\n"
                    "  operator commands over the server's store\n\ncommands:\n");
    for (size_t i = 0; i < ADMIN_N; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s%s%s %s", admin_table[i].group,
                 admin_table[i].name ? " " : "", admin_table[i].name ? admin_table[i].name : "",
                 admin_table[i].args);
        fprintf(stderr, "  %-44s %s\n", head, admin_table[i].summary);
    }
    fprintf(stderr, "\nOPTIONS are those of `repright serve` (the store to use):\n");
    app_config_usage(stderr, APP_CMD_SERVE);
}

static const struct admin_command *find(int argc, char **argv, int *used)
{
    for (size_t i = 0; i < ADMIN_N; i++) {
        const struct admin_command *c = &admin_table[i];
        if (strcmp(argv[0], c->group) != 0)
            continue;
        if (!c->name) {
            *used = 1;
            return c;
        }
        if (argc > 1 && strcmp(argv[1], c->name) == 0) {
            *used = 2;
            return c;
        }
    }
    return NULL;
}

int cmd_admin(int argc, char **argv)
{
    /* configuration options first: "--name=value" or "--name value" (all of them take one) */
    int i = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        if (strcmp(argv[i], "--help") == 0) {
            cmd_admin_usage();
            return CLI_EXIT_OK;
        }
        i += strchr(argv[i], '=') ? 1 : 2;
    }
    if (i >= argc) {
        cmd_admin_usage();
        return CLI_EXIT_USAGE;
    }
    int used = 0;
    const struct admin_command *c = find(argc - i, argv + i, &used);
    if (!c) {
        fprintf(stderr, "repright admin: unknown command '%s%s%s'\n", argv[i],
                i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
        cmd_admin_usage();
        return CLI_EXIT_USAGE;
    }
    struct app_config cfg;
    char msg[512];
    if (app_config_load(&cfg, APP_CMD_SERVE, i, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright admin: %s\n(`repright admin --help` lists the options)\n", msg);
        return CLI_EXIT_USAGE;
    }
    rr_log_set_level(RR_LOG_WARN);
    struct app *a = NULL;
    if (app_open(&cfg, &a, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright admin: %s\n", msg);
        return CLI_EXIT_SOFTWARE;
    }
    /* the handler sees its own words: argv[0] = its name ("set", "usage") */
    int first = i + used - 1;
    int rc = c->run(a, argc - first, argv + first);
    app_close(a);
    return rc;
}
