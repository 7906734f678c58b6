/*
 * cmd_migrate.c - `repright migrate`: apply the embedded schema migrations to the configured
 * database and report the schema version (serve does the same at start; this command lets an
 * operator do it ahead of a rolling deploy).
 */
#include "commands.h"

#include "api/app.h"
#include "base/rr_error.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void cmd_migrate_usage(void)
{
    fprintf(stderr, "usage: repright migrate [--data-dir DIR] [--database-url URL]\n"
                    "  applies pending migrations; prints the schema version reached\n");
}

int cmd_migrate(int argc, char **argv)
{
    struct app_config cfg;
    struct store *s = NULL;
    char msg[512];
    int applied = 0, version = 0;
    int rc = CLI_EXIT_OK;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd_migrate_usage();
            return CLI_EXIT_OK;
        }
    if (app_config_load(&cfg, argc, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright migrate: %s\n", msg);
        cmd_migrate_usage();
        return CLI_EXIT_USAGE;
    }
    if (mkdir(cfg.data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "repright migrate: cannot create %s: %s\n", cfg.data_dir, strerror(errno));
        return CLI_EXIT_SOFTWARE;
    }
    if (store_open(cfg.database_url, &s, msg, sizeof msg) < 0 ||
        store_migrate(s, &applied, msg, sizeof msg) < 0 ||
        store_schema_version(s, &version) < 0) {
        fprintf(stderr, "repright migrate: %s\n", msg[0] ? msg : "database error");
        rc = CLI_EXIT_SOFTWARE;
        goto out;
    }
    printf("{\"applied\":%d,\"schema_version\":%d,\"store\":\"%s\"}\n", applied, version,
           store_backend_name(s));
out:
    store_close(s);
    return rc;
}
