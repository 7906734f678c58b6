/*
 * cmd_serve.c - `repright serve`: the API server with its embedded workers, in the foreground
 * (the process life cycle is in daemon.c, shared with `repright worker`; the options are the
 * configuration table's, app/config.h).
 */
#include "cli/commands.h"

#define SERVE_WHAT "the API, the web app and the embedded job workers"

void cmd_serve_usage(void)
{
    cli_config_usage(APP_CMD_SERVE, "serve", SERVE_WHAT);
}

int cmd_serve(int argc, char **argv)
{
    return cli_run_daemon(APP_CMD_SERVE, argc, argv, SERVE_WHAT);
}
