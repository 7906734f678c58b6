/*
 * rr_fault.c - the armed half of fault injection (see rr_fault.h): spec parsing, countdowns,
 * the REPRIGHT_FAULTS environment variable and its spec file.
 *
 * DESIGN: one global table of rules, one per site, under a mutex. rr_fault__armed is the only
 * thing the hot path reads; it is non-zero while any rule is set or a spec file is watched.
 * A spec file is checked on every hit (a stat(), only in armed test processes) and reloaded when
 * its inode, size or mtime changed, so the test controls faults without a side channel into
 * the server.
 */
#include "base/rr_fault.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/rr_error.h"
#include "base/rr_log.h"

#define FAULT_SPEC_MAX 4096
#define FAULT_PATH_MAX 4096
#define FAULT_NTH_MAX 1000000000ULL

enum fault_mode { FAULT_OFF, FAULT_ONCE, FAULT_FROM, FAULT_PROB };

struct fault_rule {
    enum fault_mode mode;
    uint64_t nth;
    double p;
};

static const char *const site_names[RR_FAULT_NSITES] = {
#define RR__FAULT_NAME(id, name, what) name,
    RR_FAULT_SITES(RR__FAULT_NAME)
#undef RR__FAULT_NAME
};

atomic_int rr_fault__armed;

static struct {
    pthread_mutex_t mu;
    struct fault_rule rule[RR_FAULT_NSITES];
    uint64_t hits[RR_FAULT_NSITES];
    uint64_t fired[RR_FAULT_NSITES];
    uint64_t rng;
    int nrules;
    int verbose; /* armed from the environment: report each injected failure on stderr */
    char file[FAULT_PATH_MAX];
    struct stat file_seen;
    int file_known; /* file_seen describes the file's last loaded version */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .rng = 0x9e3779b97f4a7c15ULL};

const char *rr_fault_name(enum rr_fault_site site)
{
    return (unsigned)site < RR_FAULT_NSITES ? site_names[site] : NULL;
}

static void update_armed(void)
{
    atomic_store(&rr_fault__armed, g.nrules > 0 || g.file[0] != '\0');
}

/* Non-negative decimal integer in [lo, hi]. */
static int parse_count(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return RR_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > hi)
            return RR_ERR_INVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v < lo || v > hi)
        return RR_ERR_INVAL;
    *out = v;
    return 0;
}

/* "0.25", "1", ".5": a probability in (0, 1]. */
static int parse_prob(const char *s, size_t n, double *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return RR_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            return RR_ERR_INVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    double p = strtod(buf, &end);
    if (!end || *end != '\0' || !(p > 0.0 && p <= 1.0))
        return RR_ERR_INVAL;
    *out = p;
    return 0;
}

static int site_of(const char *s, size_t n)
{
    for (int i = 0; i < RR_FAULT_NSITES; i++)
        if (strlen(site_names[i]) == n && memcmp(site_names[i], s, n) == 0)
            return i;
    return -1;
}

/* Parse spec into rules (+ *seed when given); 0 or INVAL. Surrounding white space is ignored. */
static int parse_spec(const char *spec, struct fault_rule *rules, uint64_t *seed, int *nrules)
{
    *nrules = 0;
    if (!spec)
        return 0;
    size_t total = strnlen(spec, FAULT_SPEC_MAX + 1);
    if (total > FAULT_SPEC_MAX)
        return RR_ERR_INVAL;
    const char *p = spec, *end = spec + total;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *colon = memchr(p, ':', (size_t)(stop - p));
        if (!colon)
            return RR_ERR_INVAL;
        const char *arg = colon + 1;
        size_t alen = (size_t)(stop - arg);
        if ((size_t)(colon - p) == 4 && memcmp(p, "seed", 4) == 0) {
            if (parse_count(arg, alen, 0, 1000000000000000000ULL, seed) < 0)
                return RR_ERR_INVAL;
        } else {
            int site = site_of(p, (size_t)(colon - p));
            if (site < 0)
                return RR_ERR_INVAL;
            struct fault_rule r = {FAULT_ONCE, 0, 0.0};
            if (alen > 0 && arg[0] == '~') {
                r.mode = FAULT_PROB;
                if (parse_prob(arg + 1, alen - 1, &r.p) < 0)
                    return RR_ERR_INVAL;
            } else {
                if (alen > 0 && arg[alen - 1] == '+') {
                    r.mode = FAULT_FROM;
                    alen--;
                }
                if (parse_count(arg, alen, 1, FAULT_NTH_MAX, &r.nth) < 0)
                    return RR_ERR_INVAL;
            }
            if (rules[site].mode == FAULT_OFF)
                (*nrules)++;
            rules[site] = r;
        }
        if (!comma)
            break;
        p = comma + 1;
        if (p == end)
            return RR_ERR_INVAL; /* trailing comma */
    }
    return 0;
}

/* Replace the rules; caller holds g.mu. */
static int apply_locked(const char *spec)
{
    struct fault_rule rules[RR_FAULT_NSITES];
    uint64_t seed = 0;
    int n = 0;
    memset(rules, 0, sizeof rules);
    int rc = parse_spec(spec, rules, &seed, &n);
    if (rc < 0)
        return rc;
    memcpy(g.rule, rules, sizeof rules);
    memset(g.hits, 0, sizeof g.hits);
    memset(g.fired, 0, sizeof g.fired);
    if (seed)
        g.rng = seed;
    g.nrules = n;
    update_armed();
    return 0;
}

int rr_fault_set(const char *spec)
{
    pthread_mutex_lock(&g.mu);
    int rc = apply_locked(spec);
    pthread_mutex_unlock(&g.mu);
    return rc;
}

void rr_fault_clear(void)
{
    pthread_mutex_lock(&g.mu);
    g.file[0] = '\0';
    g.file_known = 0;
    apply_locked(NULL);
    pthread_mutex_unlock(&g.mu);
}

uint64_t rr_fault_hits(enum rr_fault_site site)
{
    if ((unsigned)site >= RR_FAULT_NSITES)
        return 0;
    pthread_mutex_lock(&g.mu);
    uint64_t n = g.hits[site];
    pthread_mutex_unlock(&g.mu);
    return n;
}

uint64_t rr_fault_fired(enum rr_fault_site site)
{
    if ((unsigned)site >= RR_FAULT_NSITES)
        return 0;
    pthread_mutex_lock(&g.mu);
    uint64_t n = g.fired[site];
    pthread_mutex_unlock(&g.mu);
    return n;
}

static int same_version(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reload the spec file when it changed; caller holds g.mu. A missing file means no faults; a
 * malformed one is reported and arms nothing. */
static void reload_file_locked(void)
{
    struct stat st;
    if (stat(g.file, &st) != 0) {
        if (g.file_known || g.nrules)
            apply_locked(NULL);
        g.file_known = 0;
        return;
    }
    if (g.file_known && same_version(&st, &g.file_seen))
        return;
    char spec[FAULT_SPEC_MAX + 1];
    size_t n = 0;
    FILE *f = fopen(g.file, "r");
    if (f) {
        n = fread(spec, 1, FAULT_SPEC_MAX, f);
        fclose(f);
    }
    spec[n] = '\0';
    g.file_seen = st;
    g.file_known = 1;
    if (apply_locked(spec) < 0) {
        rr_log_msg(RR_LOG_ERROR, "malformed fault spec file: nothing armed");
        apply_locked(NULL);
    }
}

static double next_unit(void)
{
    uint64_t x = g.rng; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g.rng = x;
    return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

bool rr_fault__hit(enum rr_fault_site site)
{
    bool fail = false;
    if ((unsigned)site >= RR_FAULT_NSITES)
        return false;
    pthread_mutex_lock(&g.mu);
    if (g.file[0])
        reload_file_locked();
    struct fault_rule *r = &g.rule[site];
    if (r->mode != FAULT_OFF) {
        uint64_t hit = ++g.hits[site];
        if (r->mode == FAULT_ONCE && hit == r->nth) {
            fail = true;
            r->mode = FAULT_OFF;
            g.nrules--;
        } else if (r->mode == FAULT_FROM) {
            fail = hit >= r->nth;
        } else if (r->mode == FAULT_PROB) {
            fail = next_unit() < r->p;
        }
        if (fail) {
            g.fired[site]++;
            if (g.verbose)
                rr_log(RR_LOG_WARN, "fault injected", RR_LOG_STR("site", site_names[site]),
                       RR_LOG_UINT("hit", hit));
        }
        update_armed();
    }
    pthread_mutex_unlock(&g.mu);
    return fail;
}

/* REPRIGHT_FAULTS, read once when the program starts (before main). */
__attribute__((constructor)) static void rr_fault__from_env(void)
{
    const char *env = getenv("REPRIGHT_FAULTS");
    if (!env || !env[0])
        return;
    pthread_mutex_lock(&g.mu);
    g.verbose = 1;
    int rc = 0;
    if (env[0] == '@') {
        size_t n = strlen(env + 1);
        if (n == 0 || n >= sizeof g.file)
            rc = RR_ERR_INVAL;
        else
            memcpy(g.file, env + 1, n + 1);
        update_armed();
    } else {
        rc = apply_locked(env);
    }
    pthread_mutex_unlock(&g.mu);
    if (rc < 0) {
        fprintf(stderr, "REPRIGHT_FAULTS: malformed fault spec (want SITE:N, SITE:N+ or "
                        "SITE:~P, comma-separated, or @FILE)\n");
        exit(2);
    }
    rr_log(RR_LOG_WARN, "fault injection armed from REPRIGHT_FAULTS",
           RR_LOG_STR("mode", g.file[0] ? "file" : "spec"));
}
