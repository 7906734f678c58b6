/*
 * admin_user.c - `repright admin user delete (--email E | --id ID) --yes`: an operator deletes an
 * account with everything derived from it (app_account_delete: videos and their files on disk or
 * S3, workouts, sessions, consents - linked orgs hear member.unlinked - and usage counters).
 * Irreversible, so --yes is required; without it nothing changes and the command says what it
 * would delete. Running it again after a failure finishes the deletion.
 */
#include "cli/admin.h"
#include "cli/commands.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/partners.h"
#include "base/rr_error.h"

#define USER_USAGE "user delete (--email EMAIL | --id USER_ID) --yes"

int admin_user_delete(struct app *a, int argc, char **argv)
{
    const char *email = NULL, *id = NULL;
    int yes = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--yes") == 0)
            yes = 1;
        else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc && !email)
            email = argv[++i];
        else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc && !id)
            id = argv[++i];
        else
            bad = 1;
    }
    if (bad || !email == !id) {
        fprintf(stderr, "usage: repright admin " USER_USAGE "\n");
        return CLI_EXIT_USAGE;
    }
    struct store_user u;
    int err = email ? store_user_get_by_email(a->store, email, &u)
                    : store_user_get(a->store, id, &u);
    if (err == RR_ERR_NOTFOUND) {
        fprintf(stderr, "repright admin user delete: no account has the %s %s\n",
                email ? "email" : "id", email ? email : id);
        return CLI_EXIT_INPUT;
    }
    if (err < 0)
        return admin_fail("user delete", err);
    char uid[sizeof u.id];
    memcpy(uid, u.id, sizeof uid);
    sodium_memzero(&u, sizeof u);
    if (!yes) {
        fprintf(stderr,
                "repright admin user delete: this deletes account %s and everything derived from "
                "it (videos and their files, workouts, sessions, consents, usage); nothing was "
                "changed: add --yes to do it\n",
                uid);
        return CLI_EXIT_USAGE;
    }
    err = app_account_delete(a, uid);
    if (err < 0)
        return admin_fail("user delete (run it again to finish)", err);
    printf("{\"id\":\"%s\",\"state\":\"deleted\"}\n", uid);
    return CLI_EXIT_OK;
}
