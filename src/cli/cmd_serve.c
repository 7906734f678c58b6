/*
 * cmd_serve.c - `repright serve`: the API server with its embedded workers, in the foreground.
 *
 * SIGTERM / SIGINT are blocked before any thread starts (so every thread inherits the mask) and
 * taken synchronously with sigwait() by the main thread, which then runs the graceful app_close():
 * stop accepting, let requests in flight finish, release job leases, close the services.
 * At start one JSON log line says where the server listens ("msg":"listening", "port": N), so
 * callers that asked for port 0 learn the port.
 */
#include "commands.h"

#include "api/app.h"
#include "base/rr_error.h"
#include "http/log.h"
#include "store/store.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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

static int serve_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    struct app_config cfg;
    struct app *a = NULL;
    char msg[512];
    if (serve_wants_help(argc, argv)) {
        cmd_serve_usage();
        return CLI_EXIT_OK;
    }
    if (app_config_load(&cfg, argc, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright serve: %s\n", msg);
        cmd_serve_usage();
        return CLI_EXIT_USAGE;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int err = app_open(&cfg, 1, &a, msg, sizeof msg);
    if (err < 0) {
        log_event(LOG_LEVEL_ERROR, "start failed",
                  json_pack("{s:s,s:s}", "error", msg, "code", rr_strerror(err)));
        return CLI_EXIT_SOFTWARE;
    }
    log_event(LOG_LEVEL_INFO, "listening",
              json_pack("{s:s,s:i,s:s,s:s,s:i}", "bind", a->cfg.http.bind_addr, "port",
                        (int)http_server_port(a->http), "data_dir", a->cfg.data_dir, "store",
                        store_backend_name(a->store), "workers", a->workers ? a->cfg.workers : 0));

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_event(LOG_LEVEL_INFO, "shutting down", json_pack("{s:s}", "signal",
                                                         sig == SIGINT ? "SIGINT" : "SIGTERM"));
    app_close(a);
    log_event(LOG_LEVEL_INFO, "stopped", NULL);
    return CLI_EXIT_OK;
}
