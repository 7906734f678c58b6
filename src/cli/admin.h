/*
 * admin.h - `repright admin`: operator commands over the same store the server uses (the
 * configuration options of `serve` choose it: --data-dir, --database-url). cmd_admin.c holds the
 * subcommand table; each group of subcommands lives in its own file (admin_plan.c: plans and
 * usage; admin_flag.c: feature flags) and exposes one handler per row.
 *
 * A handler gets the opened app and argv with argv[0] = its last name word ("set", "list",
 * "usage"); it prints results on stdout, one-line reasons on stderr, and returns the exit
 * status: CLI_EXIT_OK, CLI_EXIT_USAGE (bad arguments), CLI_EXIT_INPUT (no such user, plan or
 * month), CLI_EXIT_SOFTWARE (the store failed). Not thread-safe (a process-level entry point).
 */
#ifndef RR_CLI_ADMIN_H
#define RR_CLI_ADMIN_H

#include "app/app.h"

typedef int (*admin_fn)(struct app *a, int argc, char **argv);

struct admin_command {
    const char *group;   /* "plan", "usage" */
    const char *name;    /* "set", "list", or NULL when the group is the command */
    const char *args;    /* usage text of the arguments */
    const char *summary; /* one line for --help */
    admin_fn run;
};

/* admin_plan.c */
int admin_plan_set(struct app *a, int argc, char **argv);  /* plan set USER_EMAIL PLAN */
int admin_plan_list(struct app *a, int argc, char **argv); /* plan list */
int admin_usage(struct app *a, int argc, char **argv);     /* usage [--month YYYY-MM] [EMAIL] */

/* admin_flag.c */
int admin_flag_list(struct app *a, int argc, char **argv); /* flag list [USER_EMAIL] */
int admin_flag_set(struct app *a, int argc, char **argv);  /* flag set NAME PERCENT [DESC] */
int admin_flag_rule(struct app *a, int argc, char **argv); /* flag rule NAME SCOPE SUBJECT on|off|clear */

#endif
