/*
 * admin_flag.c - `repright admin flag list|set|rule`: the feature flags an operator turns on (a
 * percentage rollout by the stable hash of the user id) and the rules that pin a flag on or off
 * for a plan, an organisation or one account (docs/internals/plans.md "Feature flags").
 */
#include "cli/admin.h"
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

int admin_flag_list(struct app *a, int argc, char **argv)
{
    struct store_flag *f = NULL;
    size_t n = 0;
    const char *email = argc == 2 ? argv[1] : NULL;
    if (argc > 2) {
        fprintf(stderr, "repright admin flag list: expected at most USER_EMAIL\n");
        return CLI_EXIT_USAGE;
    }
    if (email) { /* each flag as that account gets it, and why */
        struct store_user u;
        struct app_flag *af = NULL;
        if (store_user_get_by_email(a->store, email, &u) < 0) {
            fprintf(stderr, "repright admin flag list: no account has the email %s\n", email);
            return CLI_EXIT_INPUT;
        }
        if (app_flags(a, u.id, &af, &n) < 0) {
            fprintf(stderr, "repright admin flag list: cannot read the flags\n");
            return CLI_EXIT_SOFTWARE;
        }
        printf("%-24s %-4s %s\n", "flag", "on", "decided by");
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-4s %s\n", af[i].name, af[i].enabled ? "yes" : "no", af[i].source);
        free(af);
        return CLI_EXIT_OK;
    }
    int rc = store_flag_list(a->store, NULL, NULL, NULL, &f, &n);
    if (rc < 0) {
        fprintf(stderr, "repright admin flag list: %s\n", rr_strerror(rc));
        return CLI_EXIT_SOFTWARE;
    }
    printf("%-24s %7s  %s\n", "flag", "rollout", "description");
    for (size_t i = 0; i < n; i++)
        printf("%-24s %6d%%  %s\n", f[i].name, f[i].rollout_percent, f[i].description);
    free(f);
    return CLI_EXIT_OK;
}

int admin_flag_set(struct app *a, int argc, char **argv)
{
    int pct = -1;
    if (argc < 3 || argc > 4 || cli_parse_int(argv[2], 0, 100, &pct) < 0) {
        fprintf(stderr, "repright admin flag set: expected NAME PERCENT(0..100) [DESCRIPTION]\n");
        return CLI_EXIT_USAGE;
    }
    int rc = store_flag_set(a->store, argv[1], argc == 4 ? argv[3] : NULL, pct);
    if (rc == RR_ERR_INVAL || rc == RR_ERR_TOOBIG) {
        fprintf(stderr, "repright admin flag set: a flag name is 1..63 of a-z 0-9 _ . -\n");
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "repright admin flag set: %s\n", rr_strerror(rc));
        return CLI_EXIT_SOFTWARE;
    }
    printf("%s: %d%% rollout\n", argv[1], pct);
    return CLI_EXIT_OK;
}

int admin_flag_rule(struct app *a, int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "repright admin flag rule: expected NAME plan|org|user SUBJECT "
                        "on|off|clear\n");
        return CLI_EXIT_USAGE;
    }
    const char *scope = argv[2], *subject = argv[3], *what = argv[4];
    int enabled = strcmp(what, "on") == 0 ? 1 : strcmp(what, "off") == 0 ? 0
                  : strcmp(what, "clear") == 0 ? -1 : -2;
    if (enabled == -2) {
        fprintf(stderr, "repright admin flag rule: the last word is on, off or clear\n");
        return CLI_EXIT_USAGE;
    }
    struct store_user u;
    if (strcmp(scope, "user") == 0) { /* an account by email, like the other commands */
        if (store_user_get_by_email(a->store, subject, &u) < 0) {
            fprintf(stderr, "repright admin flag rule: no account has the email %s\n", subject);
            return CLI_EXIT_INPUT;
        }
        subject = u.id;
    }
    int rc = store_flag_rule(a->store, argv[1], scope, subject, enabled);
    if (rc == RR_ERR_NOTFOUND) {
        fprintf(stderr, "repright admin flag rule: no flag '%s'%s\n", argv[1],
                enabled < 0 ? " or no such rule" : "");
        return CLI_EXIT_INPUT;
    }
    if (rc == RR_ERR_INVAL) {
        fprintf(stderr, "repright admin flag rule: the scope is plan, org or user\n");
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "repright admin flag rule: %s\n", rr_strerror(rc));
        return CLI_EXIT_SOFTWARE;
    }
    printf("%s: %s %s %s\n", argv[1], scope, argv[3], what);
    return CLI_EXIT_OK;
}
