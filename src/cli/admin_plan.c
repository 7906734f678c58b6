/*
 * admin_plan.c - `repright admin plan set|list` and `repright admin usage`: an operator moves a
 * user to another plan (the same store write a billing event makes), lists the plans and their
 * limits, and reads the metered usage of a month (one user, or everyone and every organisation).
 */
#include "cli/admin.h"
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

static void limit_text(int64_t v, char *out, size_t cap)
{
    if (v < 0)
        snprintf(out, cap, "unlimited");
    else
        snprintf(out, cap, "%lld", (long long)v);
}

int admin_plan_set(struct app *a, int argc, char **argv)
{
    struct store_user u;
    if (argc != 3) {
        fprintf(stderr, "repright admin plan set: expected USER_EMAIL PLAN\n");
        return CLI_EXIT_USAGE;
    }
    int rc = store_user_get_by_email(a->store, argv[1], &u);
    if (rc == RR_ERR_NOTFOUND) {
        fprintf(stderr, "repright admin plan set: no account has the email %s\n", argv[1]);
        return CLI_EXIT_INPUT;
    }
    if (rc == 0)
        rc = store_user_set_plan(a->store, u.id, argv[2]);
    if (rc == 0)
        app_cache_invalidate(a, u.id); /* the history window of the cached reads moved */
    if (rc == RR_ERR_INVAL) {
        fprintf(stderr, "repright admin plan set: no plan is named '%s' (see `plan list`)\n",
                argv[2]);
        return CLI_EXIT_INPUT;
    }
    if (rc < 0) {
        fprintf(stderr, "repright admin plan set: %s\n", rr_strerror(rc));
        return CLI_EXIT_SOFTWARE;
    }
    printf("%s: %s -> %s\n", u.email, u.plan, argv[2]);
    return CLI_EXIT_OK;
}

int admin_plan_list(struct app *a, int argc, char **argv)
{
    (void)argv;
    struct store_plan *p = NULL;
    size_t n = 0;
    if (argc != 1) {
        fprintf(stderr, "repright admin plan list: takes no arguments\n");
        return CLI_EXIT_USAGE;
    }
    int rc = store_plan_list(a->store, &p, &n);
    if (rc < 0) {
        fprintf(stderr, "repright admin plan list: %s\n", rr_strerror(rc));
        return CLI_EXIT_SOFTWARE;
    }
    printf("%-6s %-6s %10s %12s %13s %-5s %-7s %9s\n", "plan", "name", "uploads/mo",
           "max video s", "history days", "heavy", "overlay", "price/mo");
    for (size_t i = 0; i < n; i++) {
        char up[24], len[24], hist[24]; /* an int64 in decimal fits */
        limit_text(p[i].uploads_per_month, up, sizeof up);
        limit_text(p[i].max_video_s, len, sizeof len);
        limit_text(p[i].history_days, hist, sizeof hist);
        printf("%-6s %-6s %10s %12s %13s %-5s %-7s %6lld.%02lld\n", p[i].id, p[i].name, up, len,
               hist, p[i].heavy_model ? "yes" : "no", p[i].overlay_video ? "yes" : "no",
               (long long)(p[i].price_cents / 100), (long long)(p[i].price_cents % 100));
    }
    free(p);
    return CLI_EXIT_OK;
}

int admin_usage(struct app *a, int argc, char **argv)
{
    char month[STORE_MONTH_LEN + 1];
    const char *email = NULL;
    store_month_of(store_now(a->store), month);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--month") == 0 && i + 1 < argc) {
            if (strlen(argv[i + 1]) != STORE_MONTH_LEN) {
                fprintf(stderr, "repright admin usage: --month wants YYYY-MM\n");
                return CLI_EXIT_USAGE;
            }
            snprintf(month, sizeof month, "%s", argv[++i]);
        } else if (argv[i][0] == '-' || email) {
            fprintf(stderr, "repright admin usage: unexpected argument '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else {
            email = argv[i];
        }
    }
    struct store_user u;
    if (email) {
        int rc = store_user_get_by_email(a->store, email, &u);
        if (rc < 0) {
            fprintf(stderr, "repright admin usage: no account has the email %s\n", email);
            return rc == RR_ERR_NOTFOUND ? CLI_EXIT_INPUT : CLI_EXIT_SOFTWARE;
        }
    }
    struct store_usage_row *rows = NULL;
    size_t n = 0;
    int rc = store_usage_list(a->store, month, email ? u.id : NULL, &rows, &n);
    if (rc == RR_ERR_INVAL) {
        fprintf(stderr, "repright admin usage: --month wants YYYY-MM (01..12)\n");
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "repright admin usage: %s\n", rr_strerror(rc));
        return CLI_EXIT_SOFTWARE;
    }
    printf("%-7s %-5s %-40s %-6s %-14s %10s\n", "month", "kind", "subject", "plan", "metric",
           "count");
    for (size_t i = 0; i < n; i++)
        printf("%-7s %-5s %-40s %-6s %-14s %10lld\n", rows[i].month, rows[i].subject_kind,
               rows[i].email[0] ? rows[i].email : rows[i].subject_id,
               rows[i].plan[0] ? rows[i].plan : "-", rows[i].metric, (long long)rows[i].count);
    if (n == 0)
        printf("(no usage in %s)\n", month);
    free(rows);
    return CLI_EXIT_OK;
}
