/*
 * daemon.c - the foreground life cycle shared by `repright serve` and `repright worker`, and the
 * one place that composes the process: the app's services (app_open), the worker pool over the
 * app's kind table (worker_pool_start), and for serve the HTTP server with the API
 * (api_server_start).
 *
 * SIGTERM / SIGINT are blocked before any thread starts (so every thread inherits the mask) and
 * taken synchronously with sigwait() by the main thread, which then stops gracefully in the
 * reverse order: HTTP (stop accepting, let requests in flight finish), workers (running jobs
 * finish or release their leases), services. At start one JSON log line says what runs; for
 * serve it is "listening" with the port, so callers that asked for port 0 learn it.
 */
#include "cli/commands.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "base/rr_error.h"
#include "base/rr_log.h"
#include "queue/worker.h"
#include "store/store.h"

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

void cli_config_usage(enum app_command cmd, const char *name, const char *what)
{
    fprintf(stderr, "usage: repright %s [OPTIONS]\n  %s\n", name, what);
    app_config_usage(stderr, cmd);
    if (cmd != APP_CMD_MIGRATE)
        fprintf(stderr, "SIGTERM or SIGINT stop it gracefully.\n");
}

static int start_failed(struct app *a, const char *what, const char *msg, int err)
{
    char text[600];
    snprintf(text, sizeof text, "%s%s", what, msg);
    rr_log(RR_LOG_ERROR, "start failed", RR_LOG_STR("error", text),
           RR_LOG_STR("code", rr_strerror(err)));
    app_close(a);
    return CLI_EXIT_SOFTWARE;
}

int cli_run_daemon(enum app_command cmd, int argc, char **argv, const char *what)
{
    struct app_config cfg;
    struct app *a = NULL;
    struct worker_pool *pool = NULL;
    struct http_server *http = NULL;
    struct app_sweeper *sweeper = NULL;
    const char *name = argv[0];
    char msg[512] = "";
    if (wants_help(argc, argv)) {
        cli_config_usage(cmd, name, what);
        return CLI_EXIT_OK;
    }
    if (app_config_load(&cfg, cmd, argc, argv, msg, sizeof msg) < 0) {
        fprintf(stderr, "repright %s: %s\n(`repright %s --help` lists the options)\n", name,
                msg, name);
        return CLI_EXIT_USAGE;
    }
    if (cmd == APP_CMD_WORKER && cfg.workers < 1) {
        fprintf(stderr, "repright %s: --workers must be at least 1\n", name);
        return CLI_EXIT_USAGE;
    }
    rr_log_set_level((enum rr_log_level)cfg.log_level);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int err = app_open(&cfg, &a, msg, sizeof msg);
    if (err < 0)
        return start_failed(NULL, "", msg, err);
    /* leftovers of earlier runs go before anything is served, then every sweep interval */
    err = app_sweeper_start(a, &sweeper, msg, sizeof msg);
    if (err < 0)
        return start_failed(a, "sweeper: ", msg, err);
    if (a->cfg.workers > 0) {
        struct worker_config wc;
        app_worker_config(a, a->cfg.workers, &wc);
        err = worker_pool_start(&wc, &pool, msg, sizeof msg);
        if (err < 0) {
            app_sweeper_stop(sweeper);
            return start_failed(a, "workers: ", msg, err);
        }
    }
    if (cmd == APP_CMD_SERVE) {
        err = api_server_start(a, &http, msg, sizeof msg);
        if (err < 0) {
            worker_pool_stop(pool);
            app_sweeper_stop(sweeper);
            return start_failed(a, "http: ", msg, err);
        }
        rr_log(RR_LOG_INFO, "listening", RR_LOG_STR("bind", a->cfg.http.bind),
               RR_LOG_INT("port", http_server_port(http)), RR_LOG_STR("data_dir", a->cfg.data_dir),
               RR_LOG_STR("store", store_backend_name(a->store)),
               RR_LOG_INT("workers", pool ? a->cfg.workers : 0));
    } else {
        rr_log(RR_LOG_INFO, "working", RR_LOG_STR("data_dir", a->cfg.data_dir),
               RR_LOG_STR("store", store_backend_name(a->store)),
               RR_LOG_INT("workers", a->cfg.workers));
    }

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    rr_log(RR_LOG_INFO, "shutting down", RR_LOG_STR("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    if (http && http_server_stop(http) < 0)
        rr_log_msg(RR_LOG_WARN, "http drain timed out");
    worker_pool_stop(pool);
    app_sweeper_stop(sweeper);
    app_close(a);
    rr_log_msg(RR_LOG_INFO, "stopped");
    return CLI_EXIT_OK;
}
