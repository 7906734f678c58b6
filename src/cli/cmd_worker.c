/*
 * cmd_worker.c - `repright worker`: job workers only, no HTTP (scale-out: run as many worker
 * processes as the machine allows beside `repright serve --workers 0`, all on the same store).
 */
#include "commands.h"

#include "api/app.h"

#include <stdio.h>

void cmd_worker_usage(void)
{
    fprintf(stderr,
            "usage: repright worker [--data-dir DIR] [--workers N] [--model lite|full|heavy]\n"
            "                       [--database-url URL] [--blob-url URL]\n"
            "  runs N job worker threads (default 1) on the same database and blob store as\n"
            "  `repright serve`; REPRIGHT_<NAME> variables as for serve. SIGTERM or SIGINT stop it\n"
            "  gracefully: running jobs finish or give their lease back.\n");
}

int cmd_worker(int argc, char **argv)
{
    return cli_run_daemon("worker", APP_RUN_WORKERS, argc, argv, cmd_worker_usage);
}
