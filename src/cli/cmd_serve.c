/*
 * cmd_serve.c - `repright serve`: the API server with its embedded workers, in the foreground
 * (the process life cycle is in daemon.c, shared with `repright worker`).
 */
#include "commands.h"

#include "api/app.h"

#include <stdio.h>

void cmd_serve_usage(void)
{
    fprintf(stderr,
            "usage: repright serve [--port N] [--bind ADDR] [--data-dir DIR] [--workers N]\n"
            "                      [--model lite|full|heavy] [--database-url URL] [--blob-url URL]\n"
            "  --port      TCP port (default 8080; 0 = any free port, logged at start)\n"
            "  --bind      listen address (default 127.0.0.1)\n"
            "  --data-dir  database, blobs, uploads and the server secret (default ./repright-data)\n"
            "  --workers   embedded job worker threads (default 1; 0 = none)\n"
            "  --model     pose landmark model for analysis jobs (default full)\n"
            "Every setting can also come from REPRIGHT_<NAME> (REPRIGHT_PORT, REPRIGHT_DATA_DIR, ...);\n"
            "flags win. SIGTERM or SIGINT shut down gracefully.\n");
}

int cmd_serve(int argc, char **argv)
{
    return cli_run_daemon("serve", APP_RUN_SERVE, argc, argv, cmd_serve_usage);
}
