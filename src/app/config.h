/*
 * config.h - the configuration of `repright serve | worker | migrate` as ONE table.
 *
 * Every setting is one row of app_settings (config.c): name, command-line flag, REPRIGHT_*
 * variable, type, default, bounds, the commands it applies to and a line of help. The parser,
 * each command's --help and the markdown table in docs/internals/app.md are all generated from
 * it (a unit test keeps the docs current), so a setting's name lives in one place.
 *
 * Precedence: defaults, then REPRIGHT_* variables (every one is read, whatever the command),
 * then flags (only the command's own: another command's flag is an unknown option). A value is
 * checked against its row (integer bounds, a choice from a list, a non-empty text) and refused
 * with the variable or flag named. Flags take `--flag VALUE` or `--flag=VALUE`.
 *
 * Ownership: struct app_config is plain caller-owned storage (no pointers into itself).
 * Errors: app_config_load returns RR_ERR_INVAL with a one-line reason in msg.
 * Thread-safety: the table is read-only; app_config_load only touches its arguments (and reads
 * the environment).
 */
#ifndef RR_APP_CONFIG_H
#define RR_APP_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pose/blazepose.h"

/* The commands a setting applies to (bits). */
enum app_command {
    APP_CMD_SERVE = 1u << 0,
    APP_CMD_WORKER = 1u << 1,
    APP_CMD_MIGRATE = 1u << 2,
};

/* What the HTTP server is started with (api/ maps it onto struct http_config). */
struct app_http_config {
    char bind[64];
    uint16_t port;
    unsigned threads;
    unsigned max_connections;
    unsigned max_per_ip;
    char trusted_proxies[1024]; /* "" = none; CIDR list (http/proxy.h) */
    size_t header_limit;
    size_t json_limit;
    uint64_t upload_limit; /* also the blob store's object limit and the tus upload limit */
    unsigned idle_timeout_s;
    unsigned header_timeout_s;
    unsigned body_min_rate;
    unsigned body_grace_s;
    unsigned drain_timeout_ms;
    unsigned access_log_sample; /* 1 = every request; N = one success in N; 0 = no successes */
};

struct app_config {
    char data_dir[1024];
    char database_url[1200];
    char blob_url[1200];
    char queue_url[256];
    char model_dir[1024];
    enum pose_model_kind model;
    int workers;
    int job_max_attempts;
    int job_lease_s;
    struct app_http_config http;
    int login_account_limit; /* 0 = the auth module's policy (same for the four below) */
    int login_ip_limit;
    int login_untrusted_limit;
    int register_limit;
    int login_window_s;
    int login_backoff_s;
    int login_backoff_max_s;
    int log_level;           /* 0 debug, 1 info, 2 warn, 3 error (enum log_level's order) */
    char web_dir[1024];      /* "" = no web app */
    /* storage and fair analysis (issue 15): docs/internals/app.md "Storage" and "Jobs" */
    uint64_t storage_quota;        /* bytes per user (videos + unfinished uploads); 0 = none */
    uint64_t min_free_bytes;       /* writes that would leave less free space: 507 */
    uint64_t ready_min_free_bytes; /* /readyz is red below this */
    int sweep_interval_s;          /* the sweeper runs at start and this often */
    int job_user_concurrency;      /* running analysis jobs per user; 0 = no cap */
    int job_cpu_budget_s;          /* estimated CPU seconds one analysis may cost; 0 = none */
    /* webhooks (issue 13): docs/internals/webhooks.md */
    int webhook_retry_base_ms;       /* first retry delay; doubles per attempt, jittered */
    int webhook_retry_window_s;      /* retried this long after the event, then failed */
    int webhook_allow_http_loopback; /* development: loopback (and plain http to it) allowed */
    /* the analysis sandbox (pipeline/sandbox.h; docs/internals/pipeline.md "Sandbox") */
    int analysis_sandbox;          /* 1: analyses run in a sandboxed child process */
    uint64_t analysis_memory_bytes; /* the child's address-space limit; 0 = none */
    char analyzer[1024];           /* the program whose analyze-child command is the child */
    char default_plan[16];         /* plan of new accounts (issue 13, docs/internals/plans.md) */
    int cache_ttl_s;               /* hot reads cached in the queue's Redis; 0 = off (cache.md) */
};

enum app_setting_type {
    APP_SET_TEXT,   /* char array; lo = minimum length */
    APP_SET_INT,    /* unsigned integer field of `size` bytes (int fields hold values >= 0) */
    APP_SET_CHOICE, /* int field = index into choices */
};

struct app_setting {
    const char *name;            /* "PORT" */
    const char *flag;            /* "--port" */
    const char *env;             /* "REPRIGHT_PORT" */
    enum app_setting_type type;
    size_t offset, size;         /* the field in struct app_config */
    long long lo, hi;            /* INT bounds (inclusive); TEXT: minimum length in lo */
    const char *const *choices;  /* CHOICE: NULL-terminated */
    const char *def;             /* default, as text through the same parser; NULL = computed */
    const char *def_doc;         /* how a computed default is found (docs and --help) */
    const char *arg;             /* value placeholder in --help, e.g. "N", "DIR" */
    unsigned commands;           /* enum app_command bits */
    const char *help;            /* one line */
};

/* The table, in the order --help and the docs show it. */
const struct app_setting *app_settings(size_t *n);

/* The default HTTP thread count for a machine with `cores` cores: 32 per core, 64..256. */
unsigned app_config_http_threads(long cores);

/* Defaults, then REPRIGHT_* variables, then the flags of `cmd` in argv[1..argc-1] (argv[0] is
 * the command's name). RR_ERR_INVAL with msg naming the variable or flag. */
int app_config_load(struct app_config *cfg, enum app_command cmd, int argc, char **argv,
                    char *msg, size_t msg_len);

/* The options part of `repright <cmd> --help`: one entry per setting of cmd. */
void app_config_usage(FILE *out, enum app_command cmd);

/* The markdown table of every setting (docs/internals/app.md holds it between markers). */
void app_config_markdown(FILE *out);

#endif
