/* admin_util.c - what the partner subcommands of `repright admin` share (cli/admin.h). */
#include "cli/admin.h"
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "base/rr_error.h"
#include "base/rr_json.h"

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

int admin_args(int argc, char **argv, int n, const char *usage)
{
    for (int i = 1; i <= n; i++)
        if (i >= argc || strncmp(argv[i], "--", 2) == 0) {
            fprintf(stderr, "usage: repright admin %s\n", usage);
            return 0;
        }
    return 1;
}

int admin_fail(const char *what, int err)
{
    fprintf(stderr, "repright admin: %s: %s\n", what, rr_strerror(err));
    if (err == RR_ERR_NOTFOUND || err == RR_ERR_CONFLICT)
        return CLI_EXIT_INPUT;
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
