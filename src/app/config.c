/*
 * config.c - the settings table and what is generated from it: the parser (defaults ->
 * REPRIGHT_* -> flags), the options part of --help and the markdown table of the docs.
 *
 * DESIGN: a row says where its value lives (offset and size in struct app_config) and how it is
 * checked (text with a minimum length, an unsigned integer within bounds, a choice stored as its
 * index). Defaults are text run through the same parser, so the documented default is the value
 * used and cannot be out of bounds; the few defaults that depend on other settings or on the
 * build (database and blob URLs under the data dir, the model and web directories) are computed
 * in app_config_load and documented by the row's def_doc.
 */
#include "app/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "base/rr_log.h"
#include "store/store.h"

#define F(field) offsetof(struct app_config, field), sizeof(((struct app_config *)0)->field)
#define ALL (APP_CMD_SERVE | APP_CMD_WORKER | APP_CMD_MIGRATE)
#define RUN (APP_CMD_SERVE | APP_CMD_WORKER)
#define SRV APP_CMD_SERVE

static const char *const model_names[] = {"lite", "full", "heavy", NULL};
_Static_assert(POSE_MODEL_LITE == 0 && POSE_MODEL_FULL == 1 && POSE_MODEL_HEAVY == 2,
               "model_names follows enum pose_model_kind");
_Static_assert(sizeof(enum pose_model_kind) == sizeof(int), "a choice is stored as an int");
static const char *const off_on[] = {"off", "on", NULL};
static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};
_Static_assert(RR_LOG_DEBUG == 0 && RR_LOG_INFO == 1 && RR_LOG_WARN == 2 && RR_LOG_ERROR == 3,
               "level_names follows enum rr_log_level");

static const struct app_setting settings[] = {
    {"DATA_DIR", "--data-dir", "REPRIGHT_DATA_DIR", APP_SET_TEXT, F(data_dir), 1, 0, NULL,
     "./repright-data", NULL, "DIR", ALL, "database, blobs, uploads and the server secret"},
    {"DATABASE_URL", "--database-url", "REPRIGHT_DATABASE_URL", APP_SET_TEXT, F(database_url), 1,
     0, NULL, NULL, "sqlite:<data_dir>/repright.db", "URL", ALL,
     "the store: sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DB (libpq URL)"},
    {"BLOB_URL", "--blob-url", "REPRIGHT_BLOB_URL", APP_SET_TEXT, F(blob_url), 1, 0, NULL, NULL,
     "file:<data_dir>/blobs", "URL", RUN,
     "the blob store: file:DIR, or s3://BUCKET?endpoint=http(s)://HOST[:PORT]&region=R "
     "(credentials from REPRIGHT_S3_ACCESS_KEY_ID and REPRIGHT_S3_SECRET_ACCESS_KEY, or their "
     "_FILE variants; see docs/internals/blob.md); unfinished tus uploads stay in "
     "<data_dir>/uploads"},
    {"QUEUE_URL", "--queue-url", "REPRIGHT_QUEUE_URL", APP_SET_TEXT, F(queue_url), 0, 0, NULL,
     "db", NULL, "URL", RUN,
     "the job queue: db = the store's jobs table; redis://[:PASSWORD@]HOST[:PORT][/DB] = Redis "
     "Streams (the store stays the record)"},
    {"CACHE_TTL_S", "--cache-ttl-s", "REPRIGHT_CACHE_TTL_S", APP_SET_INT, F(cache_ttl_s), 0,
     3600, NULL, "60", NULL, "SECONDS", SRV,
     "with a redis:// queue: the workout list and the analytics summary are cached per user "
     "in Redis this long, invalidated on every write (0 = off; docs/internals/cache.md)"},
    {"MODEL_DIR", "--model-dir", "REPRIGHT_MODEL_DIR", APP_SET_TEXT, F(model_dir), 0, 0, NULL,
     NULL, "~/.cache/repright/models", "DIR", RUN, "where the pose models are"},
    {"MODEL", "--model", "REPRIGHT_MODEL", APP_SET_CHOICE, F(model), 0, 0, model_names, "full",
     NULL, "lite|full|heavy", RUN, "pose landmark model of analysis jobs"},
    {"WORKERS", "--workers", "REPRIGHT_WORKERS", APP_SET_INT, F(workers), 0, 64, NULL, "1", NULL,
     "N", RUN, "job worker threads (serve: embedded, 0 = none; worker: at least 1)"},
    {"JOB_MAX_ATTEMPTS", "--job-max-attempts", "REPRIGHT_JOB_MAX_ATTEMPTS", APP_SET_INT,
     F(job_max_attempts), 1, STORE_JOB_ATTEMPTS_MAX, NULL, "3", NULL, "N", SRV,
     "attempts of an analysis job before it is dead-lettered"},
    {"JOB_LEASE_S", "--job-lease-s", "REPRIGHT_JOB_LEASE_S", APP_SET_INT, F(job_lease_s), 3,
     86400, NULL, "60", NULL, "SECONDS", RUN,
     "job lease: a job whose worker stops heartbeating (every lease/3) runs again after it"},
    {"BIND", "--bind", "REPRIGHT_BIND", APP_SET_TEXT, F(http.bind), 1, 0, NULL, "127.0.0.1", NULL,
     "ADDR", SRV, "listen address (IPv6 literals allowed)"},
    {"PORT", "--port", "REPRIGHT_PORT", APP_SET_INT, F(http.port), 0, 65535, NULL, "8080", NULL,
     "N", SRV, "TCP port (0 = any free port, logged at start)"},
    {"HTTP_THREADS", "--http-threads", "REPRIGHT_HTTP_THREADS", APP_SET_INT, F(http.threads), 1,
     256, NULL, NULL, "32 per core, 64..256", "N", SRV,
     "HTTP threads (a write holds its thread while it waits for its group commit's fsync)"},
    {"UPLOAD_LIMIT", "--upload-limit", "REPRIGHT_UPLOAD_LIMIT", APP_SET_INT, F(http.upload_limit),
     1, 1LL << 40, NULL, "536870912", NULL, "BYTES", RUN,
     "largest upload (413 above); also the largest object of the blob store"},
    {"JSON_LIMIT", "--json-limit", "REPRIGHT_JSON_LIMIT", APP_SET_INT, F(http.json_limit), 1024,
     64LL << 20, NULL, "1048576", NULL, "BYTES", SRV, "largest JSON request body (413 above)"},
    {"HEADER_LIMIT", "--header-limit", "REPRIGHT_HEADER_LIMIT", APP_SET_INT,
     F(http.header_limit), 1024, 1LL << 20, NULL, "16384", NULL, "BYTES", SRV,
     "request line and headers (431 above)"},
    {"MAX_CONNECTIONS", "--max-connections", "REPRIGHT_MAX_CONNECTIONS", APP_SET_INT,
     F(http.max_connections), 1, 100000, NULL, "512", NULL, "N", SRV, "open connections"},
    {"MAX_PER_IP", "--max-per-ip", "REPRIGHT_MAX_PER_IP", APP_SET_INT, F(http.max_per_ip), 0,
     100000, NULL, "32", NULL, "N", SRV, "open connections per client address (0 = no cap)"},
    {"TRUSTED_PROXIES", "--trusted-proxies", "REPRIGHT_TRUSTED_PROXIES", APP_SET_TEXT,
     F(http.trusted_proxies), 0, 0, NULL, "", NULL, "CIDRS", SRV,
     "reverse proxies (CIDR blocks, comma-separated) whose X-Forwarded-For / X-Real-IP give the "
     "client address; from any other peer those headers are ignored (empty = none)"},
    {"IDLE_TIMEOUT_S", "--idle-timeout-s", "REPRIGHT_IDLE_TIMEOUT_S", APP_SET_INT,
     F(http.idle_timeout_s), 1, 3600, NULL, "30", NULL, "SECONDS", SRV,
     "a connection without traffic for this long is closed"},
    {"HEADER_TIMEOUT_S", "--header-timeout-s", "REPRIGHT_HEADER_TIMEOUT_S", APP_SET_INT,
     F(http.header_timeout_s), 0, 3600, NULL, "10", NULL, "SECONDS", SRV,
     "time to send complete headers, also the keep-alive idle limit (0 = none)"},
    {"BODY_MIN_RATE", "--body-min-rate", "REPRIGHT_BODY_MIN_RATE", APP_SET_INT,
     F(http.body_min_rate), 0, 1LL << 30, NULL, "1024", NULL, "BYTES/S", SRV,
     "slowest average body rate once the grace is over (0 = none)"},
    {"BODY_GRACE_S", "--body-grace-s", "REPRIGHT_BODY_GRACE_S", APP_SET_INT,
     F(http.body_grace_s), 0, 3600, NULL, "10", NULL, "SECONDS", SRV,
     "body time before the rate is checked"},
    {"DRAIN_TIMEOUT_MS", "--drain-timeout-ms", "REPRIGHT_DRAIN_TIMEOUT_MS", APP_SET_INT,
     F(http.drain_timeout_ms), 0, 600000, NULL, "25000", NULL, "MS", SRV,
     "how long requests in flight may finish at stop"},
    {"ACCESS_LOG_SAMPLE", "--access-log-sample", "REPRIGHT_ACCESS_LOG_SAMPLE", APP_SET_INT,
     F(http.access_log_sample), 0, 1000000, NULL, "1", NULL, "N", SRV,
     "access-log one successful request in N (errors and cut-off requests always; 0 = none)"},
    {"LOGIN_ACCOUNT_LIMIT", "--login-account-limit", "REPRIGHT_LOGIN_ACCOUNT_LIMIT", APP_SET_INT,
     F(login_account_limit), 1, 1000000, NULL, NULL, "auth policy: 5", "N", SRV,
     "failed password checks per account and window from one address, or from one device"},
    {"LOGIN_IP_LIMIT", "--login-ip-limit", "REPRIGHT_LOGIN_IP_LIMIT", APP_SET_INT,
     F(login_ip_limit), 1, 1000000, NULL, NULL, "auth policy: 20", "N", SRV,
     "failed password checks per client address and window"},
    {"LOGIN_UNTRUSTED_LIMIT", "--login-untrusted-limit", "REPRIGHT_LOGIN_UNTRUSTED_LIMIT",
     APP_SET_INT, F(login_untrusted_limit), 1, 1000000, NULL, NULL, "20", "N", SRV,
     "failed password checks per account and window from clients without its device cookie"},
    {"REGISTER_LIMIT", "--register-limit", "REPRIGHT_REGISTER_LIMIT", APP_SET_INT,
     F(register_limit), 1, 1000000, NULL, NULL, "10", "N", SRV,
     "registrations per client address in 10 minutes"},
    {"LOGIN_WINDOW_S", "--login-window-s", "REPRIGHT_LOGIN_WINDOW_S", APP_SET_INT,
     F(login_window_s), 1, 86400, NULL, NULL, "auth policy: 60", "SECONDS", SRV,
     "sliding window of the login limits"},
    {"LOGIN_BACKOFF_S", "--login-backoff-s", "REPRIGHT_LOGIN_BACKOFF_S", APP_SET_INT,
     F(login_backoff_s), 1, 86400, NULL, NULL, "auth policy: 60", "SECONDS", SRV,
     "first block of a key over its limit (doubles while failures go on)"},
    {"LOGIN_BACKOFF_MAX_S", "--login-backoff-max-s", "REPRIGHT_LOGIN_BACKOFF_MAX_S", APP_SET_INT,
     F(login_backoff_max_s), 1, 86400, NULL, NULL, "auth policy: 900", "SECONDS", SRV,
     "longest account block (at most a day: the purge horizon)"},
    {"LOG_LEVEL", "--log-level", "REPRIGHT_LOG_LEVEL", APP_SET_CHOICE, F(log_level), 0, 0,
     level_names, "info", NULL, "debug|info|warn|error", RUN, "least severe level logged"},
    {"WEB_DIR", "--web-dir", "REPRIGHT_WEB_DIR", APP_SET_TEXT, F(web_dir), 0, 0, NULL, NULL,
     "the build's web app (build/web)", "DIR", SRV, "the web app served at / (empty = none)"},
    {"STORAGE_QUOTA", "--storage-quota", "REPRIGHT_STORAGE_QUOTA", APP_SET_INT,
     F(storage_quota), 0, 1LL << 50, NULL, "10737418240", NULL, "BYTES", SRV,
     "what one user may store: original videos plus unfinished uploads (507 above; 0 = no quota)"},
    {"MIN_FREE_BYTES", "--min-free-bytes", "REPRIGHT_MIN_FREE_BYTES", APP_SET_INT,
     F(min_free_bytes), 0, 1LL << 50, NULL, "268435456", NULL, "BYTES", SRV,
     "an upload that would leave less free disk space than this is refused (507)"},
    {"READY_MIN_FREE_BYTES", "--ready-min-free-bytes", "REPRIGHT_READY_MIN_FREE_BYTES",
     APP_SET_INT, F(ready_min_free_bytes), 0, 1LL << 50, NULL, "67108864", NULL, "BYTES", SRV,
     "/readyz answers 503 when the data directory has less free disk space than this"},
    {"SWEEP_INTERVAL_S", "--sweep-interval-s", "REPRIGHT_SWEEP_INTERVAL_S", APP_SET_INT,
     F(sweep_interval_s), 1, 86400, NULL, "600", NULL, "SECONDS", RUN,
     "abandoned temporary files, scratch directories and expired uploads are swept at start "
     "and this often"},
    {"JOB_USER_CONCURRENCY", "--job-user-concurrency", "REPRIGHT_JOB_USER_CONCURRENCY",
     APP_SET_INT, F(job_user_concurrency), 0, 64, NULL, "2", NULL, "N", RUN,
     "analysis jobs one user may have running at once, across all workers (0 = no cap); users "
     "take turns either way"},
    {"JOB_CPU_BUDGET_S", "--job-cpu-budget-s", "REPRIGHT_JOB_CPU_BUDGET_S", APP_SET_INT,
     F(job_cpu_budget_s), 0, 86400, NULL, "1200", NULL, "SECONDS", RUN,
     "estimated CPU time one analysis may take (frames x pixels x model cost), checked before "
     "it starts; 0 = no limit"},
    {"DEFAULT_PLAN", "--default-plan", "REPRIGHT_DEFAULT_PLAN", APP_SET_TEXT, F(default_plan), 1,
     0, NULL, "free", NULL, "PLAN", SRV,
     "plan of new accounts (an id of the plans table: free, pro, gym)"},
    /* webhooks (issue 13): docs/internals/webhooks.md */
    {"WEBHOOK_RETRY_BASE_MS", "--webhook-retry-base-ms", "REPRIGHT_WEBHOOK_RETRY_BASE_MS",
     APP_SET_INT, F(webhook_retry_base_ms), 10, 3600000, NULL, "10000", NULL, "MS", RUN,
     "first webhook retry after this; each later one waits twice as long (jittered, at most 2 h)"},
    {"WEBHOOK_RETRY_WINDOW_S", "--webhook-retry-window-s", "REPRIGHT_WEBHOOK_RETRY_WINDOW_S",
     APP_SET_INT, F(webhook_retry_window_s), 1, 7 * 86400, NULL, "86400", NULL, "SECONDS", RUN,
     "a webhook delivery is retried for this long after its event, then marked failed"},
    {"WEBHOOK_ALLOW_HTTP_LOOPBACK", "--webhook-allow-http-loopback",
     "REPRIGHT_WEBHOOK_ALLOW_HTTP_LOOPBACK", APP_SET_INT, F(webhook_allow_http_loopback), 0, 1,
     NULL, "0", NULL, "0|1", RUN,
     "development only: webhooks may go to loopback addresses, over plain http too (every other "
     "internal address stays refused)"},
    {"ANALYSIS_SANDBOX", "--analysis-sandbox", "REPRIGHT_ANALYSIS_SANDBOX", APP_SET_CHOICE,
     F(analysis_sandbox), 0, 0, off_on, "on", NULL, "on|off", RUN,
     "decode and analyse each uploaded video in a child process with rlimits and a seccomp "
     "filter (no files, no network), so a decoder bug cannot reach the server"},
    {"ANALYSIS_MEMORY_BYTES", "--analysis-memory-bytes", "REPRIGHT_ANALYSIS_MEMORY_BYTES",
     APP_SET_INT, F(analysis_memory_bytes), 0, 1LL << 50, NULL, "3221225472", NULL, "BYTES", RUN,
     "address-space limit of a sandboxed analysis (0 = none)"},
    {"ANALYZER", "--analyzer", "REPRIGHT_ANALYZER", APP_SET_TEXT, F(analyzer), 1, 0, NULL,
     "/proc/self/exe", NULL, "PATH", RUN,
     "the repright binary whose analyze-child command runs sandboxed analyses"},
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

const struct app_setting *app_settings(size_t *n)
{
    *n = N_SETTINGS;
    return settings;
}

/* A decimal integer with nothing after it; 0 or RR_ERR_INVAL. */
static int parse_ll(const char *s, long long *out)
{
    if (!s || !*s)
        return RR_ERR_INVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return RR_ERR_INVAL;
    *out = v;
    return 0;
}

static void put_uint(void *dst, size_t size, unsigned long long v)
{
    if (size == sizeof(uint16_t)) {
        uint16_t x = (uint16_t)v;
        memcpy(dst, &x, sizeof x);
    } else if (size == sizeof(uint32_t)) {
        uint32_t x = (uint32_t)v;
        memcpy(dst, &x, sizeof x);
    } else {
        uint64_t x = (uint64_t)v;
        memcpy(dst, &x, sizeof x);
    }
}

/* What a row accepts, for errors, --help and the docs ("an integer 0..65535"). */
static void accepted(const struct app_setting *s, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    switch (s->type) {
    case APP_SET_INT:
        snprintf(out, cap, "an integer %lld..%lld", s->lo, s->hi);
        break;
    case APP_SET_CHOICE:
        for (size_t i = 0; s->choices[i]; i++) {
            int k = snprintf(out + used, cap - used, "%s%s", i ? ", " : "one of ", s->choices[i]);
            if (k < 0 || (size_t)k >= cap - used)
                break;
            used += (size_t)k;
        }
        break;
    case APP_SET_TEXT:
        snprintf(out, cap, "%s of at most %zu bytes", s->lo > 0 ? "a non-empty text" : "a text",
                 s->size - 1);
        break;
    }
}

/* Check v against the row and store it; RR_ERR_INVAL when it does not fit. */
static int set_value(struct app_config *cfg, const struct app_setting *s, const char *v)
{
    unsigned char *field = (unsigned char *)cfg + s->offset;
    long long x = 0;
    switch (s->type) {
    case APP_SET_TEXT: {
        size_t n = strlen(v);
        if (n < (size_t)s->lo || n >= s->size)
            return RR_ERR_INVAL;
        memcpy(field, v, n + 1);
        return 0;
    }
    case APP_SET_INT:
        if (parse_ll(v, &x) < 0 || x < s->lo || x > s->hi)
            return RR_ERR_INVAL;
        put_uint(field, s->size, (unsigned long long)x);
        return 0;
    case APP_SET_CHOICE:
        for (int i = 0; s->choices[i]; i++) {
            if (strcmp(s->choices[i], v) == 0) {
                memcpy(field, &i, sizeof i);
                return 0;
            }
        }
        return RR_ERR_INVAL;
    }
    return RR_ERR_INVAL;
}

static int refuse(char *msg, size_t msg_len, const struct app_setting *s, const char *who,
                  const char *v)
{
    char what[160];
    accepted(s, what, sizeof what);
    if (msg && msg_len)
        snprintf(msg, msg_len, "bad value for %s ('%.64s%s'): %s", who, v,
                 strlen(v) > 64 ? "..." : "", what);
    return RR_ERR_INVAL;
}

/* The flag in arg ("--port" or "--port=VALUE") among cmd's settings, or NULL; *inline_val is
 * the part after '=' when there is one. */
static const struct app_setting *find_flag(const char *arg, enum app_command cmd,
                                           const char **inline_val)
{
    *inline_val = NULL;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct app_setting *s = &settings[i];
        size_t fl = strlen(s->flag);
        if (!(s->commands & cmd) || strncmp(arg, s->flag, fl) != 0)
            continue;
        if (arg[fl] == '=') {
            *inline_val = arg + fl + 1;
            return s;
        }
        if (arg[fl] == '\0')
            return s;
    }
    return NULL;
}

unsigned app_config_http_threads(long cores)
{
    /* A libmicrohttpd pool thread serves its connections one request at a time, and a write
     * holds it for its batch's COMMIT (an fsync: milliseconds, no CPU). Group commit only
     * batches writes that are in flight together, so 4 threads capped a batch at 4 and POST
     * /v1/sync at ~1,600/s; 64 threads carry 64 connections' writes in batches of ~40. */
    long n = cores > 0 ? 32 * cores : 64;
    return n < 64 ? 64u : n > 256 ? 256u : (unsigned)n;
}

/* Defaults that depend on the build or the environment outside the table. */
static void computed_defaults(struct app_config *cfg)
{
    cfg->http.threads = app_config_http_threads(sysconf(_SC_NPROCESSORS_ONLN));
    if (!pose_model_dir_default(cfg->model_dir, sizeof cfg->model_dir))
        cfg->model_dir[0] = '\0';
#ifdef RR_DEFAULT_WEB_DIR
    if (strlen(RR_DEFAULT_WEB_DIR) < sizeof cfg->web_dir)
        memcpy(cfg->web_dir, RR_DEFAULT_WEB_DIR, sizeof RR_DEFAULT_WEB_DIR);
#endif
}

int app_config_load(struct app_config *cfg, enum app_command cmd, int argc, char **argv,
                    char *msg, size_t msg_len)
{
    const struct app_setting *db = NULL, *blob = NULL;
    int db_set = 0, blob_set = 0;
    if (msg && msg_len)
        msg[0] = '\0';
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct app_setting *s = &settings[i];
        if (s->def && set_value(cfg, s, s->def) < 0) {
            if (msg && msg_len)
                snprintf(msg, msg_len, "default of %s is invalid", s->env); /* a table bug */
            return RR_ERR_INTERNAL;
        }
        if (s->offset == offsetof(struct app_config, database_url))
            db = s;
        if (s->offset == offsetof(struct app_config, blob_url))
            blob = s;
    }
    computed_defaults(cfg);

    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct app_setting *s = &settings[i];
        const char *v = getenv(s->env);
        if (!v)
            continue;
        if (set_value(cfg, s, v) < 0)
            return refuse(msg, msg_len, s, s->env, v);
        db_set |= s == db;
        blob_set |= s == blob;
    }
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        const struct app_setting *s = find_flag(argv[i], cmd, &v);
        if (!s) {
            if (msg && msg_len)
                snprintf(msg, msg_len, "unknown option '%.200s'", argv[i]);
            return RR_ERR_INVAL;
        }
        if (!v) {
            if (i + 1 >= argc) {
                if (msg && msg_len)
                    snprintf(msg, msg_len, "%s needs a value", s->flag);
                return RR_ERR_INVAL;
            }
            v = argv[++i];
        }
        if (set_value(cfg, s, v) < 0)
            return refuse(msg, msg_len, s, s->flag, v);
        db_set |= s == db;
        blob_set |= s == blob;
    }

    int n1 = db_set ? 0
                    : snprintf(cfg->database_url, sizeof cfg->database_url,
                               "sqlite:%s/repright.db", cfg->data_dir);
    int n2 = blob_set ? 0
                      : snprintf(cfg->blob_url, sizeof cfg->blob_url, "file:%s/blobs",
                                 cfg->data_dir);
    if (n1 < 0 || (size_t)n1 >= sizeof cfg->database_url || n2 < 0 ||
        (size_t)n2 >= sizeof cfg->blob_url) {
        if (msg && msg_len)
            snprintf(msg, msg_len, "data directory path too long");
        return RR_ERR_INVAL;
    }
    return 0;
}

/* ---- generated text ------------------------------------------------------------------------ */

static void commands_text(unsigned bits, char *out, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{APP_CMD_SERVE, "serve"}, {APP_CMD_WORKER, "worker"}, {APP_CMD_MIGRATE, "migrate"}};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(bits & names[i].bit))
            continue;
        int k = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", names[i].name);
        if (k < 0 || (size_t)k >= cap - used)
            break;
        used += (size_t)k;
    }
}

void app_config_usage(FILE *out, enum app_command cmd)
{
    char bounds[64];
    fprintf(out, "options (flags win over REPRIGHT_* variables, which win over defaults):\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct app_setting *s = &settings[i];
        if (!(s->commands & cmd))
            continue;
        bounds[0] = '\0';
        if (s->type == APP_SET_INT)
            snprintf(bounds, sizeof bounds, "; %lld..%lld", s->lo, s->hi);
        fprintf(out, "  %s %s  (%s%s; default %s)\n        %s\n", s->flag, s->arg, s->env, bounds,
                s->def ? (s->def[0] ? s->def : "empty") : s->def_doc, s->help);
    }
}

/* One markdown table cell: '|' escaped (GitHub tables split on it, even inside code), and
 * outside code '<' and '>' as entities (else "<data_dir>" would read as an HTML tag). */
static void md_cell(FILE *out, const char *text, int code, int last)
{
    fputs(code ? "| `" : "| ", out);
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputs("\\|", out);
        else if (!code && *p == '<')
            fputs("&lt;", out);
        else if (!code && *p == '>')
            fputs("&gt;", out);
        else
            fputc(*p, out);
    }
    fputs(code ? "` " : " ", out);
    if (last)
        fputs("|\n", out);
}

void app_config_markdown(FILE *out)
{
    char what[160], cmds[40], flag[96];
    fprintf(out, "| variable | flag | default | accepted | commands | what |\n"
                 "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct app_setting *s = &settings[i];
        accepted(s, what, sizeof what);
        commands_text(s->commands, cmds, sizeof cmds);
        snprintf(flag, sizeof flag, "%s %s", s->flag, s->arg);
        md_cell(out, s->env, 1, 0);
        md_cell(out, flag, 1, 0);
        md_cell(out, s->def ? s->def : s->def_doc, s->def != NULL, 0);
        md_cell(out, what, 0, 0);
        md_cell(out, cmds, 0, 0);
        md_cell(out, s->help, 0, 1);
    }
}
