/*
 * daemon.c - the foreground life cycle shared by `repright serve` and `repright worker`.
 *
 * SIGTERM / SIGINT are blocked before any thread starts (so every thread inherits the mask) and
 * taken synchronously with sigwait() by the main thread, which then runs the graceful app_close():
 * stop accepting, let requests in flight finish, let running jobs finish or release their
 * leases, close the services. At start one JSON log line says what runs; for serve it is
 * "listening" with the port, so callers that asked for port 0 learn it.
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

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int cli_run_daemon(const char *name, enum app_run run, int argc, char **argv,
                   void (*usage)(void))
{
    struct app_config cfg;
    struct app *a = NULL;
    char msg[512];
    if (wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    if (app_config_load(&cfg, argc, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright %s: %s\n", name, msg);
        usage();
        return CLI_EXIT_USAGE;
    }
    if (run == APP_RUN_WORKERS && cfg.workers < 1) {
        fprintf(stderr, "repright %s: --workers must be at least 1\n", name);
        return CLI_EXIT_USAGE;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int err = app_open(&cfg, run, &a, msg, sizeof msg);
    if (err < 0) {
        log_event(LOG_LEVEL_ERROR, "start failed",
                  json_pack("{s:s,s:s}", "error", msg, "code", rr_strerror(err)));
        return CLI_EXIT_SOFTWARE;
    }
    if (run == APP_RUN_SERVE)
        log_event(LOG_LEVEL_INFO, "listening",
                  json_pack("{s:s,s:i,s:s,s:s,s:i}", "bind", a->cfg.http.bind_addr, "port",
                            (int)http_server_port(a->http), "data_dir", a->cfg.data_dir, "store",
                            store_backend_name(a->store), "workers",
                            a->workers ? a->cfg.workers : 0));
    else
        log_event(LOG_LEVEL_INFO, "working",
                  json_pack("{s:s,s:s,s:i}", "data_dir", a->cfg.data_dir, "store",
                            store_backend_name(a->store), "workers", a->cfg.workers));

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_event(LOG_LEVEL_INFO, "shutting down",
              json_pack("{s:s}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    app_close(a);
    log_event(LOG_LEVEL_INFO, "stopped", NULL);
    return CLI_EXIT_OK;
}
