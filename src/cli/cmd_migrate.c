/*
 * cmd_migrate.c - `repright migrate`: apply the embedded schema migrations to the configured
 * database and report the schema version (serve does the same at start; this command lets an
 * operator do it ahead of a rolling deploy). The work is the app's (app_migrate).
 */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "app/app.h"

#define MIGRATE_WHAT "apply pending migrations; print the schema version reached"

void cmd_migrate_usage(void)
{
    cli_config_usage(APP_CMD_MIGRATE, "migrate", MIGRATE_WHAT);
}

int cmd_migrate(int argc, char **argv)
{
    struct app_config cfg;
    char msg[512], backend[16];
    int applied = 0, version = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd_migrate_usage();
            return CLI_EXIT_OK;
        }
    if (app_config_load(&cfg, APP_CMD_MIGRATE, argc, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright migrate: %s\n(`repright migrate --help` lists the options)\n",
                msg);
        return CLI_EXIT_USAGE;
    }
    if (app_migrate(&cfg, &applied, &version, backend, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright migrate: %s\n", msg[0] ? msg : "database error");
        return CLI_EXIT_SOFTWARE;
    }
    printf("{\"applied\":%d,\"schema_version\":%d,\"store\":\"%s\"}\n", applied, version, backend);
    return CLI_EXIT_OK;
}
