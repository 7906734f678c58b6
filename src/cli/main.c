/*
 * main.c - the `repright` command: global flags (--help, --version) and the command table.
 *
 * Adding a command = one file src/cli/cmd_<name>.c exporting `int cmd_<name>(int, char **)`, a
 * declaration in commands.h and one line in cli_table below.
 */
#include "cli/commands.h"

#include "pipeline/pipeline_version.h"

#include <stdio.h>
#include <string.h>

static const struct cli_command cli_table[] = {
    {"analyze", "per-rep form report for a workout video", cmd_analyze, cmd_analyze_usage},
    {"pose", "33 body landmarks per image or video frame", cmd_pose, cmd_pose_usage},
    {"serve", "API, dashboard and embedded workers", cmd_serve, cmd_serve_usage},
    {"worker", "job workers only (scale-out)", cmd_worker, cmd_worker_usage},
    {"migrate", "apply database schema migrations", cmd_migrate, cmd_migrate_usage},
    {"admin", "operator commands: organisations, API keys", cmd_admin, cmd_admin_usage},
    {"analyze-child", "(internal) one sandboxed analysis, started by serve and worker",
     cmd_analyze_child, NULL},
};

const struct cli_command *cli_commands(int *count)
{
    *count = (int)(sizeof cli_table / sizeof cli_table[0]);
    return cli_table;
}

const struct cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof cli_table / sizeof cli_table[0]; i++)
        if (strcmp(cli_table[i].name, name) == 0)
            return &cli_table[i];
    return NULL;
}

static void cli_usage(FILE *f)
{
    fprintf(f, "usage: repright COMMAND [ARGS...]\n"
               "       repright --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cli_table / sizeof cli_table[0]; i++)
        fprintf(f, "  %-13s %s\n", cli_table[i].name, cli_table[i].summary);
    fprintf(f, "\n`repright COMMAND --help` shows a command's options.\n"
               "exit status: 0 ok, 2 unreadable or unsupported input, 3 no person found, 64 bad usage\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
        cli_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("repright %s\n", pipeline_version());
        return CLI_EXIT_OK;
    }
    const struct cli_command *cmd = cli_command_find(first);
    if (!cmd) {
        fprintf(stderr, "repright: unknown command '%s'\n\n", first);
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}
