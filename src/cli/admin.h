/*
 * admin.h - `repright admin`: operator commands over the same store as the server, as a table of
 * (group, verb) rows. cmd_admin.c owns the table and the shared start (configuration, the admin
 * container app_open_admin); each group's handlers live in their own file (admin_org.c,
 * admin_key.c, ...). Adding a verb = one handler + one row in cmd_admin.c's table.
 *
 * A handler gets argv from the verb on (argv[0] = verb) and the opened app; it prints JSON, one
 * record a line, on stdout and one-line reasons on stderr, and returns an exit status
 * (commands.h). Flags of a verb come after its positional arguments, as `--flag VALUE`.
 * Not thread-safe (process entry points).
 */
#ifndef RR_CLI_ADMIN_H
#define RR_CLI_ADMIN_H

#include <stddef.h>

#include "app/app.h"

struct admin_verb {
    const char *group;   /* "org", "key", ... */
    const char *verb;    /* "create", "list", ... */
    const char *args;    /* usage of the arguments, e.g. "ORG --scopes LIST [--expires DAYS]" */
    const char *summary; /* one line */
    int nargs;           /* positional arguments required after the verb */
    int (*run)(struct app *a, int argc, char **argv);
};

/* Handlers (admin_<group>.c). */
int admin_org_create(struct app *a, int argc, char **argv);
int admin_org_list(struct app *a, int argc, char **argv);
int admin_org_add_admin(struct app *a, int argc, char **argv);
int admin_org_invite(struct app *a, int argc, char **argv);
int admin_key_create(struct app *a, int argc, char **argv);
int admin_key_list(struct app *a, int argc, char **argv);
int admin_key_revoke(struct app *a, int argc, char **argv);

/* Shared by the handlers (cmd_admin.c): the value of `--name VALUE` among argv[from..argc), NULL
 * when absent; *bad = 1 when a flag other than those in `known` (NULL-terminated) appears or a
 * flag lacks its value. */
const char *admin_flag(int argc, char **argv, int from, const char *name,
                       const char *const *known, int *bad);
/* Print a store/app error for `what` on stderr and map it to an exit status. */
int admin_fail(const char *what, int err);
/* Print a JSON record (a finished rr_json document) as one line on stdout. */
struct rr_json;
int admin_print(struct rr_json *j);

#endif
