/*
 * commands.h - the `repright` sub-commands: one function per command, one file per command
 * (cmd_<name>.c), registered in the table in main.c.
 *
 * Each command gets argv with argv[0] = the command name and returns the process exit status:
 * 0 ok, 2 unreadable or unsupported input, 3 no person found, 64 bad usage (EX_USAGE),
 * 70 internal failure (EX_SOFTWARE). Commands print results on stdout and one-line reasons on
 * stderr. Not thread-safe (process-level entry points).
 */
#ifndef RR_CLI_COMMANDS_H
#define RR_CLI_COMMANDS_H

#include "app/config.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_INPUT 2
#define CLI_EXIT_NOPOSE 3
#define CLI_EXIT_USAGE 64
#define CLI_EXIT_SOFTWARE 70

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*usage)(void); /* prints this command's usage on stderr; may be NULL */
};

int cmd_analyze(int argc, char **argv); /* cmd_analyze.c */
void cmd_analyze_usage(void);
#include "pose/net.h"

/* Flag values (options.c): 0 and *out set, or -1 when s is not valid. */
int cli_parse_int(const char *s, int min, int max, int *out);
/* "xnnpack" | "reference" */
int cli_parse_backend(const char *s, enum net_backend *out);

int cmd_pose(int argc, char **argv); /* cmd_pose.c */
void cmd_pose_usage(void);
int cmd_worker(int argc, char **argv);
void cmd_worker_usage(void);

/* The foreground life cycle of serve and worker (daemon.c): load the configuration of cmd, open
 * the app, start the worker pool (and for serve the HTTP server), wait for SIGTERM/SIGINT, stop
 * gracefully. argv[0] is the command's name; `what` is its one-line description for --help.
 * Returns the exit status. */
int cli_run_daemon(enum app_command cmd, int argc, char **argv, const char *what);
/* `repright <name> --help` of a command configured by the table (app/config.h), on stderr. */
void cli_config_usage(enum app_command cmd, const char *name, const char *what);

int cmd_serve(int argc, char **argv); /* cmd_serve.c */
void cmd_serve_usage(void);
int cmd_migrate(int argc, char **argv); /* cmd_migrate.c */
/* `repright analyze-child`: the sandboxed side of an analysis (pipeline/sandbox.h); started by
 * serve and worker, or by hand with --check to see that the sandbox holds on this machine. */
int cmd_analyze_child(int argc, char **argv); /* cmd_analyze_child.c */
void cmd_migrate_usage(void);
int cmd_admin(int argc, char **argv); /* cmd_admin.c: operator commands (cli/admin.h) */
void cmd_admin_usage(void);

/* Table lookup (NULL when unknown) and the whole table, for help text. */
const struct cli_command *cli_command_find(const char *name);
const struct cli_command *cli_commands(int *count);

#endif
