/*
 * cmd_worker.c - `repright worker`: job workers only, no HTTP (scale-out: run as many worker
 * processes as the machine allows beside `repright serve --workers 0`, all on the same store).
 */
#include "cli/commands.h"

#define WORKER_WHAT "job worker threads only, on the same database and blob store as serve"

void cmd_worker_usage(void)
{
    cli_config_usage(APP_CMD_WORKER, "worker", WORKER_WHAT);
}

int cmd_worker(int argc, char **argv)
{
    return cli_run_daemon(APP_CMD_WORKER, argc, argv, WORKER_WHAT);
}
