/*
 * admin.h - `repright admin`: operator commands over the same store the server uses (the
 * configuration options of `serve` choose it: --data-dir, --database-url). cmd_admin.c holds the
 * subcommand table; each group of subcommands lives in its own file (admin_org.c, admin_key.c:
 * partners; admin_plan.c: plans and usage; admin_flag.c: feature flags; admin_user.c: account
 * deletion) and exposes one handler
 * per row.
 *
 * A handler gets the opened app and argv with argv[0] = its last name word ("create", "list",
 * ...); it prints results on stdout (partners: JSON, one record a line; plans, usage and flags:
 * a table with a header line), one-line reasons on
 * stderr, and returns the exit status: CLI_EXIT_OK, CLI_EXIT_USAGE (bad arguments),
 * CLI_EXIT_INPUT (no such org, key or user; a name taken), CLI_EXIT_SOFTWARE (the store
 * failed). Flags of a subcommand come after its positional arguments, as `--flag VALUE`.
 * Not thread-safe (a process-level entry point).
 */
#ifndef RR_CLI_ADMIN_H
#define RR_CLI_ADMIN_H

#include "app/app.h"

typedef int (*admin_fn)(struct app *a, int argc, char **argv);

struct admin_command {
    const char *group;   /* "org", "key", ... */
    const char *name;    /* "create", "list", or NULL when the group is the command */
    const char *args;    /* usage text of the arguments */
    const char *summary; /* one line for --help */
    admin_fn run;
};

/* admin_org.c */
int admin_org_create(struct app *a, int argc, char **argv);    /* org create NAME */
int admin_org_list(struct app *a, int argc, char **argv);      /* org list */
int admin_org_add_admin(struct app *a, int argc, char **argv); /* org add-admin ORG EMAIL */
int admin_org_invite(struct app *a, int argc, char **argv);    /* org invite ORG [--days N] */
/* admin_key.c */
int admin_key_create(struct app *a, int argc, char **argv); /* key create ORG --scopes ... */
int admin_key_list(struct app *a, int argc, char **argv);   /* key list ORG */
int admin_key_revoke(struct app *a, int argc, char **argv); /* key revoke KEYID */
/* admin_plan.c */
int admin_plan_set(struct app *a, int argc, char **argv);  /* plan set USER_EMAIL PLAN */
int admin_plan_list(struct app *a, int argc, char **argv); /* plan list */
int admin_usage(struct app *a, int argc, char **argv);     /* usage [--month YYYY-MM] [EMAIL] */
/* admin_flag.c */
int admin_flag_list(struct app *a, int argc, char **argv); /* flag list [USER_EMAIL] */
int admin_flag_set(struct app *a, int argc, char **argv);  /* flag set NAME PERCENT [DESC] */
int admin_flag_rule(struct app *a, int argc, char **argv); /* flag rule NAME SCOPE SUBJECT on|off|clear */
/* admin_user.c */
int admin_user_delete(struct app *a, int argc, char **argv); /* user delete --email E --yes */

/* Shared by the partner handlers (admin_util.c). The value of `name` among the flags in
 * argv[from..argc), NULL when absent; *bad = 1 when anything else than a flag of `known`
 * (NULL-terminated) with its value appears. */
const char *admin_flag(int argc, char **argv, int from, const char *name,
                       const char *const *known, int *bad);
/* Exactly n positional arguments after the subcommand word (argv[1..n]), else a usage line on
 * stderr and 0. */
int admin_args(int argc, char **argv, int n, const char *usage);
/* Print "repright admin: what: error" on stderr; the exit status for err. */
int admin_fail(const char *what, int err);
/* Print a finished rr_json document as one line on stdout and release it. */
struct rr_json;
int admin_print(struct rr_json *j);

#endif
