/*
 * test_store.c - the store contract, written once and run against every backend in `backends[]`
 * (SQLite on a temporary file; PostgreSQL on a throwaway server when RR_TEST_STORE=postgres, the
 * CTest entry store/test_store_pg). Each test gets a fresh, migrated database. A few tests are
 * SQLite-specific (they inspect the file directly) and say so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "store/store.h"
#include "support/pgtest.h"
#include "support/rrtest.h"

#include <libpq-fe.h>

/* ---- backends ------------------------------------------------------------------------------- */

struct backend {
    const char *name;
    /* make a fresh database URL (dir: scratch directory for cleanup); 0 or RRTEST skip */
    int (*make)(char *url, size_t url_len, char *dir, size_t dir_len);
    void (*destroy)(const char *dir);
    bool is_sqlite;
};

static int sqlite_make(char *url, size_t url_len, char *dir, size_t dir_len)
{
    snprintf(dir, dir_len, "/tmp/rr-store-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(url, url_len, "sqlite:%s/test.db", dir);
    return 0;
}

static void sqlite_destroy(const char *dir)
{
    /* also the extra databases some tests create next to it, in case a test failed midway */
    static const char *const suffix[] = {"",      "-wal",      "-shm",      "-journal", "2",
                                         "2-wal", "2-shm",     "-race",     "-race-wal",
                                         "-race-shm"};
    char path[512];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(path, sizeof path, "%s/test.db%s", dir, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A fresh database, plus its "2" and "-race" twins that some tests open next to it. */
static int pg_make(char *url, size_t url_len, char *dir, size_t dir_len)
{
    static int seq;
    char name[64], twin[80], tmp[512];
    snprintf(name, sizeof name, "rrs_%d_%dx", (int)getpid(), ++seq);
    snprintf(dir, dir_len, "%s", name);
    snprintf(twin, sizeof twin, "%s2", name);
    if (pgtest_create_db(twin, tmp, sizeof tmp) != 0)
        return -1;
    snprintf(twin, sizeof twin, "%s-race", name);
    if (pgtest_create_db(twin, tmp, sizeof tmp) != 0)
        return -1;
    return pgtest_create_db(name, url, url_len);
}

static void pg_destroy(const char *dir)
{
    (void)dir; /* the server and all its databases go at exit */
}

static const struct backend backends[] = {
    {"sqlite", sqlite_make, sqlite_destroy, true},
    {"postgres", pg_make, pg_destroy, false},
};
static const struct backend *g_be;

struct fx {
    struct store *s;
    char url[512];
    char dir[256];
};

static _Atomic int64_t fake_now = 1700000000000;

static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char msg[256] = "";
    assert_non_null(f);
    assert_int_equal(g_be->make(f->url, sizeof f->url, f->dir, sizeof f->dir), 0);
    assert_int_equal(store_open(f->url, &f->s, msg, sizeof msg), 0);
    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), 0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    g_be->destroy(f->dir);
    free(f);
    return 0;
}

static void use_fake_clock(struct fx *f)
{
    atomic_store(&fake_now, 1700000000000);
    store_set_clock(f->s, fake_clock, NULL);
}

static void make_user(struct store *s, const char *email, struct store_user *u)
{
    assert_int_equal(store_user_create(s, email, "$argon2id$v=19$m=19456,t=2,p=1$x$y", "user", u),
                     0);
}

static bool is_hex_id(const char *id)
{
    if (strlen(id) != STORE_ID_LEN)
        return false;
    for (int i = 0; i < STORE_ID_LEN; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return false;
    return true;
}

/* ---- lifecycle, migrations, ids -------------------------------------------------------------- */

static void migrations__are_idempotent_and_recorded_in_the_version_table(void **state)
{
    struct fx *f = *state;
    int applied = -1, version = -1;
    char msg[256] = "";
    assert_int_equal(store_migrate(f->s, &applied, msg, sizeof msg), 0);
    assert_int_equal(applied, 0); /* setup already migrated */
    assert_int_equal(store_schema_version(f->s, &version), 0);
    assert_int_equal(version, store_schema_known());
    assert_true(store_schema_known() >= 1);
    assert_int_equal(store_schema_version(f->s, NULL), RR_ERR_INVAL);
    assert_string_equal(store_backend_name(f->s), g_be->name);

    /* a fresh database migrates from 0 */
    struct store *s2;
    char url[600];
    snprintf(url, sizeof url, "%s2", f->url);
    assert_int_equal(store_open(url, &s2, msg, sizeof msg), 0);
    assert_int_equal(store_schema_version(s2, &version), 0);
    assert_int_equal(version, 0);
    assert_int_equal(store_migrate(s2, &applied, msg, sizeof msg), 0);
    /* every migration ran once; numbers may skip one a parallel branch reserved */
    assert_true(applied >= 6 && applied <= store_schema_known());
    assert_int_equal(store_schema_version(s2, &version), 0);
    assert_int_equal(version, store_schema_known());
    assert_int_equal(store_check(s2, msg, sizeof msg), 0);
    store_close(s2);
    if (g_be->is_sqlite) {
        char path[600];
        snprintf(path, sizeof path, "%s", url + strlen("sqlite:"));
        unlink(path);
        snprintf(path, sizeof path, "%s-wal", url + strlen("sqlite:"));
        unlink(path);
        snprintf(path, sizeof path, "%s-shm", url + strlen("sqlite:"));
        unlink(path);
    }
}

static void migrations__run_safely_from_processes_starting_together(void **state)
{
    struct fx *f = *state;
    char url[600], msg[256];
    snprintf(url, sizeof url, "%s-race", f->url);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            struct store *s;
            int ok = store_open(url, &s, msg, sizeof msg) == 0 &&
                     store_migrate(s, NULL, msg, sizeof msg) == 0;
            if (!ok)
                fprintf(stderr, "migrating child: %s\n", msg);
            _exit(ok ? 0 : 1);
        }
    }
    for (int i = 0; i < 3; i++) {
        int st;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    struct store *s;
    int version;
    assert_int_equal(store_open(url, &s, msg, sizeof msg), 0);
    assert_int_equal(store_schema_version(s, &version), 0);
    assert_int_equal(version, store_schema_known());
    store_close(s);
    if (g_be->is_sqlite) {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open(url + strlen("sqlite:"), &db), SQLITE_OK);
        /* each version recorded once (numbers may skip one reserved by parallel work) */
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT max(version), count(*) - "
                                            "count(DISTINCT version) FROM schema_version",
                                            -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), store_schema_known());
        assert_int_equal(sqlite3_column_int(st, 1), 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        char path[640];
        const char *sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s%s", url + strlen("sqlite:"), sfx[i]);
            unlink(path);
        }
    }
}

/* SQLite-specific: the file is in WAL mode and a newer schema version is refused. */
static void migrations__refuse_a_database_newer_than_the_binary(void **state)
{
    struct fx *f = *state;
    sqlite3 *db;
    sqlite3_stmt *st;
    char sql[128], msg[256] = "";
    snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d, 'future', 0)",
             store_schema_known() + 1);
    if (!g_be->is_sqlite) {
        PGconn *pg = PQconnectdb(f->url);
        assert_int_equal(PQstatus(pg), CONNECTION_OK);
        PGresult *r = PQexec(pg, sql);
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(pg);
        assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), RR_ERR_UNSUPPORTED);
        assert_non_null(strstr(msg, "newer than this binary"));
        return;
    }
    assert_int_equal(sqlite3_open(f->url + strlen("sqlite:"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(store_migrate(f->s, NULL, msg, sizeof msg), RR_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg, "newer than this binary"));
}

static void store__open_refuses_unknown_urls_and_unusable_paths(void **state)
{
    (void)state;
    struct store *s = (struct store *)1;
    char msg[256] = "";
    assert_int_equal(store_open("mysql://localhost/x", &s, msg, sizeof msg),
                     RR_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(msg, "unsupported"));
    /* PostgreSQL down (nothing listens on port 1): a one-line reason, the password masked */
    assert_int_equal(store_open("postgres://rr:s3cret@127.0.0.1:1/x", &s, msg, sizeof msg),
                     RR_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(msg, "cannot connect to database postgres://rr:***@127.0.0.1:1/x"));
    assert_null(strstr(msg, "s3cret"));
    assert_null(strchr(msg, '\n'));
    assert_int_equal(store_open("postgresql://127.0.0.1:1/x?password=s3cret", &s, msg,
                                sizeof msg),
                     RR_ERR_IO);
    assert_null(strstr(msg, "s3cret"));
    assert_int_equal(store_open(NULL, &s, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(store_open("sqlite:", &s, msg, sizeof msg), RR_ERR_INVAL);
    assert_int_equal(store_open("sqlite::memory:", &s, NULL, 0), RR_ERR_INVAL);
    assert_int_equal(store_open("sqlite:/nonexistent-dir/x/y.db", &s, msg, sizeof msg),
                     RR_ERR_IO);
    assert_non_null(strstr(msg, "cannot open"));
    store_close(NULL);
}

static void store__integrity_check_passes_and_clock_is_replaceable(void **state)
{
    struct fx *f = *state;
    char msg[128];
    assert_int_equal(store_check(f->s, msg, sizeof msg), 0);
    use_fake_clock(f);
    assert_int_equal(store_now(f->s), 1700000000000);
    store_set_clock(f->s, NULL, NULL);
    assert_true(store_now(f->s) > 1700000000000);
}

static void ids__are_random_32_lowercase_hex_and_never_repeat(void **state)
{
    (void)state;
    enum { N = 2000 };
    static char ids[N][STORE_ID_LEN + 1];
    long ones = 0;
    for (int i = 0; i < N; i++) {
        store_new_id(ids[i]);
        assert_true(is_hex_id(ids[i]));
        for (int k = 0; k < STORE_ID_LEN; k++) {
            int v = ids[i][k] <= '9' ? ids[i][k] - '0' : ids[i][k] - 'a' + 10;
            ones += __builtin_popcount((unsigned)v);
        }
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(ids[i], ids[j]);
    /* 256000 fair bits: mean 128000, sd ~253; 8 sd is a broken generator, not bad luck */
    assert_true(labs(ones - 128000) < 2024);
    /* consecutive ids are not neighbours */
    assert_int_not_equal(strncmp(ids[0], ids[1], 24), 0);
}

/* ---- users ----------------------------------------------------------------------------------- */

static void users__create_get_update_delete_with_unique_email_ignoring_case(void **state)
{
    struct fx *f = *state;
    struct store_user u, got;
    make_user(f->s, "Ana@Example.com", &u);
    assert_true(is_hex_id(u.id));
    assert_string_equal(u.role, "user");
    assert_int_equal(store_user_create(f->s, "ana@example.COM", "h", "user", NULL),
                     RR_ERR_CONFLICT);
    assert_int_equal(store_user_get_by_email(f->s, "ANA@example.com", &got), 0);
    assert_string_equal(got.id, u.id);
    assert_string_equal(got.email, "Ana@Example.com");
    assert_int_equal(store_user_get(f->s, u.id, &got), 0);
    assert_string_equal(got.password_hash, u.password_hash);
    assert_int_equal(got.created_at, u.created_at);

    assert_int_equal(store_user_set_password(f->s, u.id, "new-hash"), 0);
    assert_int_equal(store_user_get(f->s, u.id, &got), 0);
    assert_string_equal(got.password_hash, "new-hash");

    /* bounds and malformed input */
    char long_email[STORE_EMAIL_MAX + 2];
    memset(long_email, 'a', sizeof long_email - 1);
    long_email[sizeof long_email - 1] = '\0';
    assert_int_equal(store_user_create(f->s, long_email, "h", "user", NULL), RR_ERR_TOOBIG);
    assert_int_equal(store_user_create(f->s, "", "h", "user", NULL), RR_ERR_INVAL);
    assert_int_equal(store_user_create(f->s, "b@x", NULL, "user", NULL), RR_ERR_INVAL);
    assert_int_equal(store_user_create(f->s, "b@x", "h", "", NULL), RR_ERR_INVAL);
    assert_int_equal(store_user_get(f->s, "not-an-id", &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_get(f->s, u.id, NULL), RR_ERR_INVAL);
    assert_int_equal(store_user_get_by_email(f->s, "", &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_get_by_email(f->s, "x", NULL), RR_ERR_INVAL);
    assert_int_equal(store_user_get_by_email(f->s, "nobody@x", &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_set_password(f->s, "zz", "h"), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_set_password(f->s, u.id, ""), RR_ERR_INVAL);

    char other[STORE_ID_LEN + 1];
    store_new_id(other);
    assert_int_equal(store_user_set_password(f->s, other, "h"), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_delete(f->s, u.id), 0);
    assert_int_equal(store_user_get(f->s, u.id, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_delete(f->s, u.id), RR_ERR_NOTFOUND);
    assert_int_equal(store_user_delete(f->s, "bad"), RR_ERR_NOTFOUND);
    /* the email is free again */
    make_user(f->s, "ana@example.com", &u);
}

/* ---- refresh tokens -------------------------------------------------------------------------- */

static void refresh__rotation_spends_the_old_token_and_reuse_revokes_the_family(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    int64_t now = store_now(f->s), day = 86400000;
    struct store_user u;
    struct store_refresh t1, t2, t3, got;
    make_user(f->s, "r@x", &u);
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "hash-1", now + day, &t1), 0);
    assert_true(is_hex_id(t1.family_id));
    assert_int_equal(store_refresh_rotate(f->s, "hash-1", "hash-2", now + day, &t2), 0);
    assert_string_equal(t2.family_id, t1.family_id);
    assert_string_equal(t2.user_id, u.id);
    assert_int_equal(store_refresh_get(f->s, "hash-1", &got), 0);
    assert_int_equal(got.used_at, now);
    assert_int_equal(got.revoked_at, 0);

    /* a second family for the same user is untouched by the first family's revocation */
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "other-1", now + day, &t3), 0);
    assert_string_not_equal(t3.family_id, t1.family_id);

    /* reuse of hash-1: CONFLICT, and hash-2 (same family) dies with it */
    atomic_fetch_add(&fake_now, 1000);
    assert_int_equal(store_refresh_rotate(f->s, "hash-1", "hash-x", now + day, NULL),
                     RR_ERR_CONFLICT);
    assert_int_equal(store_refresh_get(f->s, "hash-2", &got), 0);
    assert_int_equal(got.revoked_at, now + 1000);
    assert_int_equal(store_refresh_rotate(f->s, "hash-2", "hash-3", now + day, NULL),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(store_refresh_get(f->s, "hash-x", &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_refresh_get(f->s, "other-1", &got), 0);
    assert_int_equal(got.revoked_at, 0);

    /* expiry, unknown tokens, explicit family creation, duplicates */
    assert_int_equal(store_refresh_create(f->s, u.id, t3.family_id, "short", now + 10, NULL), 0);
    atomic_fetch_add(&fake_now, 10000);
    assert_int_equal(store_refresh_rotate(f->s, "short", "short-2", now + day, NULL),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(store_refresh_rotate(f->s, "nope", "nope-2", now + day, NULL),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_refresh_rotate(f->s, "", "nope-2", now + day, NULL), RR_ERR_NOTFOUND);
    assert_int_equal(store_refresh_rotate(f->s, "other-1", "", now + day, NULL), RR_ERR_INVAL);
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "other-1", now + day, NULL),
                     RR_ERR_CONFLICT);
    assert_int_equal(store_refresh_create(f->s, "bad", NULL, "z", now + day, NULL), RR_ERR_INVAL);
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "", now + day, NULL), RR_ERR_INVAL);
    char ghost[STORE_ID_LEN + 1];
    store_new_id(ghost);
    assert_int_equal(store_refresh_create(f->s, ghost, NULL, "z", now + day, NULL),
                     RR_ERR_NOTFOUND);
    assert_int_equal(store_refresh_get(f->s, "", &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_refresh_get(f->s, "x", NULL), RR_ERR_INVAL);

    /* logout everywhere */
    assert_int_equal(store_refresh_revoke_user(f->s, u.id), 0);
    assert_int_equal(store_refresh_get(f->s, "other-1", &got), 0);
    assert_true(got.revoked_at > 0);
    assert_int_equal(store_refresh_rotate(f->s, "other-1", "other-2", now + day, NULL),
                     RR_ERR_UNAUTHENTICATED);
    assert_int_equal(store_refresh_revoke_family(f->s, t1.family_id), 0);
    assert_int_equal(store_refresh_revoke_family(f->s, "bad"), RR_ERR_NOTFOUND);
    assert_int_equal(store_refresh_revoke_user(f->s, "bad"), RR_ERR_NOTFOUND);
}

static void refresh__grace_returns_the_same_successor_only_to_its_hash(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    int64_t now = store_now(f->s), day = 86400000;
    struct store_user u;
    struct store_refresh t1, t2, again, got;
    make_user(f->s, "g@x", &u);
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "g-1", now + day, &t1), 0);
    assert_int_equal(store_refresh_rotate_grace(f->s, "g-1", "g-2", now + day, 10000, &t2), 0);
    /* the same client again within the grace: the very same successor, nothing changes */
    atomic_fetch_add(&fake_now, 4000);
    assert_int_equal(store_refresh_rotate_grace(f->s, "g-1", "g-2", now + day, 10000, &again), 0);
    assert_string_equal(again.id, t2.id);
    assert_int_equal(again.used_at, 0);
    assert_int_equal(store_refresh_get(f->s, "g-2", &got), 0);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(store_refresh_rotate_grace(f->s, "g-1", "g-1", now + day, -1, NULL),
                     RR_ERR_INVAL);
    /* another successor hash (another client) within the grace: reuse, the family ends */
    assert_int_equal(store_refresh_rotate_grace(f->s, "g-1", "g-other", now + day, 10000, NULL),
                     RR_ERR_CONFLICT);
    assert_int_equal(store_refresh_get(f->s, "g-2", &got), 0);
    assert_true(got.revoked_at > 0);

    /* past the grace, even the right successor hash is a reuse */
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "h-1", now + day, NULL), 0);
    assert_int_equal(store_refresh_rotate_grace(f->s, "h-1", "h-2", now + day, 10000, NULL), 0);
    atomic_fetch_add(&fake_now, 10001);
    assert_int_equal(store_refresh_rotate_grace(f->s, "h-1", "h-2", now + day, 10000, NULL),
                     RR_ERR_CONFLICT);
    /* and a successor that was spent in the meantime is not handed out again */
    assert_int_equal(store_refresh_create(f->s, u.id, NULL, "k-1", now + 2 * day, NULL), 0);
    assert_int_equal(store_refresh_rotate_grace(f->s, "k-1", "k-2", now + day, 10000, NULL), 0);
    assert_int_equal(store_refresh_rotate_grace(f->s, "k-2", "k-3", now + day, 10000, NULL), 0);
    assert_int_equal(store_refresh_rotate_grace(f->s, "k-1", "k-2", now + day, 10000, NULL),
                     RR_ERR_CONFLICT);
}

/* ---- videos and pagination ------------------------------------------------------------------- */

static void make_video(struct store *s, const char *user_id, struct store_video *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->user_id, sizeof v->user_id, "%s", user_id);
    snprintf(v->blob_key, sizeof v->blob_key, "videos/%s/raw.mp4", user_id);
    snprintf(v->sha256, sizeof v->sha256, "%064d", 0);
    snprintf(v->status, sizeof v->status, "uploaded");
    v->size = 1234;
    assert_int_equal(store_video_create(s, v), 0);
}

static void videos__are_scoped_to_their_owner_and_change_status(void **state)
{
    struct fx *f = *state;
    struct store_user a, b;
    struct store_video v, got;
    make_user(f->s, "a@x", &a);
    make_user(f->s, "b@x", &b);
    make_video(f->s, a.id, &v);
    assert_true(is_hex_id(v.id));
    assert_int_equal(store_video_get(f->s, a.id, v.id, &got), 0);
    assert_string_equal(got.blob_key, v.blob_key);
    assert_int_equal(got.size, 1234);
    assert_int_equal(store_video_get(f->s, b.id, v.id, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_video_get(f->s, NULL, v.id, &got), 0); /* system access */
    assert_int_equal(store_video_set_status(f->s, v.id, "done", 61000), 0);
    assert_int_equal(store_video_set_status(f->s, v.id, "failed", -1), 0);
    assert_int_equal(store_video_get(f->s, a.id, v.id, &got), 0);
    assert_string_equal(got.status, "failed");
    assert_int_equal(got.duration_ms, 61000);
    assert_int_equal(store_video_set_status(f->s, "bad", "done", 0), RR_ERR_NOTFOUND);
    assert_int_equal(store_video_set_status(f->s, v.id, "", 0), RR_ERR_INVAL);

    /* duplicate id, unknown owner, malformed records */
    struct store_video dup = v;
    assert_int_equal(store_video_create(f->s, &dup), RR_ERR_CONFLICT);
    struct store_video ghost = v;
    ghost.id[0] = '\0';
    store_new_id(ghost.user_id);
    assert_int_equal(store_video_create(f->s, &ghost), RR_ERR_NOTFOUND);
    ghost.size = -1;
    assert_int_equal(store_video_create(f->s, &ghost), RR_ERR_INVAL);
    assert_int_equal(store_video_create(f->s, NULL), RR_ERR_INVAL);
    assert_int_equal(store_video_get(f->s, a.id, v.id, NULL), RR_ERR_INVAL);

    assert_int_equal(store_video_delete(f->s, b.id, v.id), RR_ERR_NOTFOUND);
    assert_int_equal(store_video_delete(f->s, a.id, v.id), 0);
    assert_int_equal(store_video_get(f->s, a.id, v.id, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_video_delete(f->s, a.id, "nope"), RR_ERR_NOTFOUND);
}

static void pagination__walks_250_rows_newest_first_without_gaps_or_duplicates(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_user a, b;
    make_user(f->s, "a@x", &a);
    make_user(f->s, "b@x", &b);
    enum { N = 250 };
    static char ids[N][STORE_ID_LEN + 1];
    for (int i = 0; i < N; i++) {
        struct store_video v;
        if (i % 7 == 0)
            atomic_fetch_add(&fake_now, 1); /* runs of rows share a timestamp: ties by id */
        make_video(f->s, a.id, &v);
        memcpy(ids[i], v.id, sizeof ids[i]);
    }
    make_video(f->s, b.id, &(struct store_video){0});

    char cursor[STORE_CURSOR_MAX] = "", next[STORE_CURSOR_MAX];
    int seen = 0, pages = 0;
    int64_t prev_t = INT64_MAX;
    char prev_id[STORE_ID_LEN + 1] = "~";
    static bool hit[N];
    memset(hit, 0, sizeof hit);
    for (;;) {
        struct store_video *items;
        size_t n;
        assert_int_equal(store_video_list(f->s, a.id, cursor, 100, &items, &n, next), 0);
        pages++;
        for (size_t i = 0; i < n; i++) {
            /* strictly descending (created_at, id) */
            assert_true(items[i].created_at < prev_t ||
                        (items[i].created_at == prev_t && strcmp(items[i].id, prev_id) < 0));
            prev_t = items[i].created_at;
            memcpy(prev_id, items[i].id, sizeof prev_id);
            assert_string_equal(items[i].user_id, a.id);
            int k = 0;
            while (k < N && strcmp(ids[k], items[i].id) != 0)
                k++;
            assert_true(k < N);
            assert_false(hit[k]);
            hit[k] = true;
            seen++;
        }
        free(items);
        if (!next[0])
            break;
        assert_true(strlen(next) < STORE_CURSOR_MAX);
        memcpy(cursor, next, sizeof cursor);
    }
    assert_int_equal(seen, N);
    assert_int_equal(pages, 3);

    /* bad arguments */
    struct store_video *items;
    size_t n;
    assert_int_equal(store_video_list(f->s, a.id, NULL, 0, &items, &n, next), RR_ERR_INVAL);
    assert_int_equal(store_video_list(f->s, a.id, NULL, STORE_PAGE_MAX + 1, &items, &n, next),
                     RR_ERR_INVAL);
    assert_int_equal(store_video_list(f->s, a.id, "garbage", 10, &items, &n, next), RR_ERR_INVAL);
    assert_int_equal(store_video_list(f->s, a.id, "c1zzzzzzzzzzzzzzzz0123456789abcdef0123456789abcdef",
                                      10, &items, &n, next),
                     RR_ERR_INVAL);
    assert_int_equal(store_video_list(f->s, a.id, "c1ffffffffffffffff0123456789abcdef0123456789abcdef",
                                      10, &items, &n, next),
                     RR_ERR_INVAL);
    assert_int_equal(store_video_list(f->s, a.id, "c1000000000000000A0123456789abcdef0123456789abcdef",
                                      10, &items, &n, next),
                     RR_ERR_INVAL);
    /* a well-formed cursor from the far future lists from the start; an unknown user sees none */
    assert_int_equal(store_video_list(f->s, a.id, "c17fffffffffffffff0123456789abcdef0123456789abcdef",
                                      5, &items, &n, next),
                     0);
    assert_int_equal(n, 5);
    free(items);
    assert_int_equal(store_video_list(f->s, "bad", NULL, 5, &items, &n, next), 0);
    assert_int_equal(n, 0);
    assert_null(items);
    assert_int_equal(store_video_list(f->s, b.id, NULL, 5, &items, &n, next), 0);
    assert_int_equal(n, 1);
    assert_string_equal(next, "");
    free(items);
}

/* ---- jobs ------------------------------------------------------------------------------------ */

static void jobs__run_through_claim_progress_and_complete(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_user u;
    struct store_job j, got;
    struct store_job_counts c;
    char id1[STORE_ID_LEN + 1], id2[STORE_ID_LEN + 1];
    make_user(f->s, "j@x", &u);
    assert_int_equal(store_job_claim(f->s, "w1", 30000, &j), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_enqueue(f->s, "analyze", u.id, "{\"video\":1}", 3, 0, id1), 0);
    atomic_fetch_add(&fake_now, 1);
    assert_int_equal(store_job_enqueue(f->s, "cleanup", NULL, NULL, 1, 0, id2), 0);
    assert_int_equal(store_job_enqueue(f->s, "later", NULL, "{}", 1, 60000, NULL), 0);
    assert_int_equal(store_job_counts(f->s, &c), 0);
    assert_int_equal(c.queued, 3);
    assert_int_equal(c.running + c.done + c.dead, 0);

    /* oldest runnable first */
    assert_int_equal(store_job_claim(f->s, "w1", 30000, &j), 0);
    assert_string_equal(j.id, id1);
    assert_string_equal(j.kind, "analyze");
    assert_string_equal(j.payload, "{\"video\":1}");
    assert_string_equal(j.user_id, u.id);
    assert_int_equal(j.state, STORE_JOB_RUNNING);
    assert_int_equal(j.attempts, 1);
    assert_string_equal(j.lease_owner, "w1");
    assert_int_equal(j.lease_until, store_now(f->s) + 30000);

    assert_int_equal(store_job_progress(f->s, id1, "w1", 0.5, "pose"), 0);
    assert_int_equal(store_job_progress(f->s, id1, "w1", 0.75, NULL), 0);
    assert_int_equal(store_job_get(f->s, u.id, id1, &got), 0);
    assert_true(got.progress > 0.74 && got.progress < 0.76);
    assert_string_equal(got.stage, "pose");
    assert_int_equal(store_job_progress(f->s, id1, "w1", 1.5, NULL), RR_ERR_INVAL);
    assert_int_equal(store_job_progress(f->s, id1, "w2", 0.8, NULL), RR_ERR_CONFLICT);
    assert_int_equal(store_job_complete(f->s, id1, "w1"), 0);
    assert_int_equal(store_job_complete(f->s, id1, "w1"), RR_ERR_CONFLICT);
    assert_int_equal(store_job_get(f->s, NULL, id1, &got), 0);
    assert_int_equal(got.state, STORE_JOB_DONE);
    assert_true(got.progress == 1.0);
    assert_string_equal(got.lease_owner, "");

    assert_int_equal(store_job_claim(f->s, "w1", 30000, &j), 0);
    assert_string_equal(j.id, id2);
    assert_string_equal(j.user_id, "");
    assert_string_equal(j.payload, "{}");
    assert_int_equal(store_job_claim(f->s, "w1", 30000, &j), RR_ERR_NOTFOUND); /* "later" waits */
    assert_int_equal(store_job_counts(f->s, &c), 0);
    assert_int_equal(c.queued, 1);
    assert_int_equal(c.running, 1);
    assert_int_equal(c.done, 1);

    /* another user's job is invisible; argument checks */
    struct store_user o;
    make_user(f->s, "o@x", &o);
    assert_int_equal(store_job_get(f->s, o.id, id1, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->s, NULL, "bad", &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->s, NULL, id1, NULL), RR_ERR_INVAL);
    assert_int_equal(store_job_enqueue(f->s, "", NULL, NULL, 1, 0, NULL), RR_ERR_INVAL);
    assert_int_equal(store_job_enqueue(f->s, "k", NULL, NULL, 0, 0, NULL), RR_ERR_INVAL);
    assert_int_equal(store_job_enqueue(f->s, "k", "bad", NULL, 1, 0, NULL), RR_ERR_INVAL);
    assert_int_equal(store_job_enqueue(f->s, "k", NULL, NULL, 1, -1, NULL), RR_ERR_INVAL);
    char ghost[STORE_ID_LEN + 1];
    store_new_id(ghost);
    assert_int_equal(store_job_enqueue(f->s, "k", ghost, NULL, 1, 0, NULL), RR_ERR_NOTFOUND);
    char *big = malloc(STORE_PAYLOAD_MAX + 2);
    memset(big, ' ', STORE_PAYLOAD_MAX + 1);
    big[STORE_PAYLOAD_MAX + 1] = '\0';
    assert_int_equal(store_job_enqueue(f->s, "k", NULL, big, 1, 0, NULL), RR_ERR_TOOBIG);
    free(big);
    assert_int_equal(store_job_claim(f->s, "", 1000, &j), RR_ERR_INVAL);
    assert_int_equal(store_job_claim(f->s, "w", 0, &j), RR_ERR_INVAL);
    assert_int_equal(store_job_claim(f->s, "w", 1000, NULL), RR_ERR_INVAL);
    assert_int_equal(store_job_counts(f->s, NULL), RR_ERR_INVAL);
    assert_string_equal(store_job_state_name(STORE_JOB_DEAD), "dead");
    assert_string_equal(store_job_state_name((enum store_job_state)9), "unknown");
}

static void jobs__expired_lease_goes_to_another_worker_and_the_old_owner_is_refused(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_job a, b, got;
    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_job_enqueue(f->s, "analyze", NULL, NULL, 5, 0, id), 0);
    assert_int_equal(store_job_claim(f->s, "worker-a", 1000, &a), 0);
    assert_int_equal(store_job_claim(f->s, "worker-b", 1000, &b), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_heartbeat(f->s, id, "worker-a", 1000), 0);
    atomic_fetch_add(&fake_now, 999);
    assert_int_equal(store_job_claim(f->s, "worker-b", 1000, &b), RR_ERR_NOTFOUND); /* extended */
    atomic_fetch_add(&fake_now, 2);
    assert_int_equal(store_job_claim(f->s, "worker-b", 1000, &b), 0);
    assert_string_equal(b.id, id);
    assert_int_equal(b.attempts, 2);
    assert_string_equal(b.lease_owner, "worker-b");

    assert_int_equal(store_job_heartbeat(f->s, id, "worker-a", 1000), RR_ERR_CONFLICT);
    assert_int_equal(store_job_complete(f->s, id, "worker-a"), RR_ERR_CONFLICT);
    assert_int_equal(store_job_fail(f->s, id, "worker-a", "late", false, NULL), RR_ERR_CONFLICT);
    assert_int_equal(store_job_release(f->s, id, "worker-a"), RR_ERR_CONFLICT);
    assert_int_equal(store_job_heartbeat(f->s, id, "worker-b", 5000), 0);
    assert_int_equal(store_job_get(f->s, NULL, id, &got), 0);
    assert_int_equal(got.lease_until, store_now(f->s) + 5000);
    assert_string_equal(got.lease_owner, "worker-b");

    char ghost[STORE_ID_LEN + 1];
    store_new_id(ghost);
    assert_int_equal(store_job_heartbeat(f->s, ghost, "worker-b", 1000), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_heartbeat(f->s, "bad", "worker-b", 1000), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_heartbeat(f->s, id, "worker-b", 0), RR_ERR_INVAL);
    assert_int_equal(store_job_complete(f->s, ghost, "worker-b"), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_fail(f->s, ghost, "worker-b", "x", false, NULL), RR_ERR_NOTFOUND);

    /* graceful shutdown: release hands the job back without spending the attempt */
    assert_int_equal(store_job_release(f->s, id, "worker-b"), 0);
    assert_int_equal(store_job_get(f->s, NULL, id, &got), 0);
    assert_int_equal(got.state, STORE_JOB_QUEUED);
    assert_int_equal(got.attempts, 1);
    assert_int_equal(store_job_claim(f->s, "worker-c", 1000, &b), 0);
    assert_int_equal(b.attempts, 2);
}

static void jobs__failures_back_off_exponentially_then_dead_letter(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_job j, got;
    enum store_job_state st;
    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_job_enqueue(f->s, "analyze", NULL, NULL, 3, 0, id), 0);
    int64_t expect_delay[] = {STORE_JOB_BACKOFF_BASE_MS, 2 * STORE_JOB_BACKOFF_BASE_MS};
    for (int attempt = 1; attempt <= 3; attempt++) {
        assert_int_equal(store_job_claim(f->s, "w", 60000, &j), 0);
        assert_int_equal(j.attempts, attempt);
        assert_int_equal(store_job_fail(f->s, id, "w", "decoder crashed", false, &st), 0);
        assert_int_equal(store_job_get(f->s, NULL, id, &got), 0);
        assert_string_equal(got.error, "decoder crashed");
        if (attempt == 3) {
            assert_int_equal(st, STORE_JOB_DEAD);
            assert_int_equal(got.state, STORE_JOB_DEAD);
            break;
        }
        assert_int_equal(st, STORE_JOB_QUEUED);
        assert_int_equal(got.run_after, store_now(f->s) + expect_delay[attempt - 1]);
        atomic_fetch_add(&fake_now, expect_delay[attempt - 1] - 1);
        assert_int_equal(store_job_claim(f->s, "w", 60000, &j), RR_ERR_NOTFOUND);
        atomic_fetch_add(&fake_now, 1);
    }
    atomic_fetch_add(&fake_now, STORE_JOB_BACKOFF_CAP_MS * 2);
    assert_int_equal(store_job_claim(f->s, "w", 60000, &j), RR_ERR_NOTFOUND); /* dead stays dead */

    /* permanent failure dead-letters at once; long error text is cut, not refused */
    char long_err[STORE_ERROR_MAX * 2];
    memset(long_err, 'e', sizeof long_err - 1);
    long_err[sizeof long_err - 1] = '\0';
    assert_int_equal(store_job_enqueue(f->s, "analyze", NULL, NULL, 10, 0, id), 0);
    assert_int_equal(store_job_claim(f->s, "w", 60000, &j), 0);
    assert_int_equal(store_job_fail(f->s, id, "w", long_err, true, &st), 0);
    assert_int_equal(st, STORE_JOB_DEAD);
    assert_int_equal(store_job_get(f->s, NULL, id, &got), 0);
    assert_int_equal(strlen(got.error), STORE_ERROR_MAX);

    /* the back-off is capped */
    assert_int_equal(store_job_enqueue(f->s, "analyze", NULL, NULL, 40, 0, id), 0);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(store_job_claim(f->s, "w", 60000, &j), 0);
        assert_int_equal(store_job_fail(f->s, id, "w", NULL, false, NULL), 0);
        atomic_fetch_add(&fake_now, STORE_JOB_BACKOFF_CAP_MS);
    }
    assert_int_equal(store_job_get(f->s, NULL, id, &got), 0);
    assert_int_equal(got.run_after, store_now(f->s));
    assert_string_equal(got.error, "");

    struct store_job_counts c;
    assert_int_equal(store_job_counts(f->s, &c), 0);
    assert_int_equal(c.dead, 2);
    assert_int_equal(c.queued, 1);
}

static void jobs__an_expired_lease_on_the_last_attempt_is_dead_lettered(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_job j, got;
    char id[STORE_ID_LEN + 1];
    assert_int_equal(store_job_enqueue(f->s, "poison", NULL, NULL, 2, 0, id), 0);
    assert_int_equal(store_job_claim(f->s, "w1", 1000, &j), 0);
    atomic_fetch_add(&fake_now, 1000); /* worker killed: lease lapses */
    assert_int_equal(store_job_claim(f->s, "w2", 1000, &j), 0);
    assert_int_equal(j.attempts, 2);
    atomic_fetch_add(&fake_now, 1000); /* killed again on the last attempt */
    assert_int_equal(store_job_claim(f->s, "w3", 1000, &j), RR_ERR_NOTFOUND);
    assert_int_equal(store_job_get(f->s, NULL, id, &got), 0);
    assert_int_equal(got.state, STORE_JOB_DEAD);
    assert_int_equal(got.attempts, 2);
    assert_non_null(strstr(got.error, "lease expired"));
}

static pthread_barrier_t claim_start;

struct claimer {
    struct store *s;
    char owner[16];
    char (*ids)[STORE_ID_LEN + 1];
    int n, max, errors;
};

static void *claim_loop(void *arg)
{
    struct claimer *c = arg;
    struct store_job *j = malloc(sizeof *j);
    pthread_barrier_wait(&claim_start); /* all threads race from the same instant */
    for (;;) {
        int err = store_job_claim(c->s, c->owner, 600000, j);
        if (err == RR_ERR_NOTFOUND)
            break;
        if (err || c->n >= c->max) {
            c->errors++;
            break;
        }
        memcpy(c->ids[c->n++], j->id, STORE_ID_LEN + 1);
        usleep(200); /* "work": lets the other claimers in between */
        if (store_job_complete(c->s, j->id, c->owner) != 0)
            c->errors++;
    }
    free(j);
    return NULL;
}

static void jobs__concurrent_claimers_never_receive_the_same_job(void **state)
{
    struct fx *f = *state;
    enum { JOBS = 200, THREADS = 4 };
    static char all[JOBS][STORE_ID_LEN + 1];
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(store_job_enqueue(f->s, "analyze", NULL, NULL, 3, 0, all[i]), 0);
    struct claimer cl[THREADS];
    pthread_t th[THREADS];
    assert_int_equal(pthread_barrier_init(&claim_start, NULL, THREADS), 0);
    for (int t = 0; t < THREADS; t++) {
        cl[t] = (struct claimer){f->s, "", calloc(JOBS, STORE_ID_LEN + 1), 0, JOBS, 0};
        snprintf(cl[t].owner, sizeof cl[t].owner, "worker-%d", t);
        assert_int_equal(pthread_create(&th[t], NULL, claim_loop, &cl[t]), 0);
    }
    int total = 0;
    static int times[JOBS];
    memset(times, 0, sizeof times);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(cl[t].errors, 0);
        for (int i = 0; i < cl[t].n; i++) {
            int k = 0;
            while (k < JOBS && strcmp(all[k], cl[t].ids[i]) != 0)
                k++;
            assert_true(k < JOBS);
            times[k]++;
        }
        total += cl[t].n;
        free(cl[t].ids);
    }
    pthread_barrier_destroy(&claim_start);
    assert_int_equal(total, JOBS);
    for (int k = 0; k < JOBS; k++)
        assert_int_equal(times[k], 1);
    struct store_job_counts c;
    assert_int_equal(store_job_counts(f->s, &c), 0);
    assert_int_equal(c.done, JOBS);
    print_message("concurrency: %d jobs over %d threads: %d/%d/%d/%d each\n", JOBS, THREADS,
                  cl[0].n, cl[1].n, cl[2].n, cl[3].n);
}

static void jobs__list_per_user_pages_newest_first(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_user u;
    make_user(f->s, "l@x", &u);
    for (int i = 0; i < 23; i++) {
        atomic_fetch_add(&fake_now, i % 3 == 0);
        assert_int_equal(store_job_enqueue(f->s, "analyze", u.id, NULL, 1, 0, NULL), 0);
    }
    assert_int_equal(store_job_enqueue(f->s, "system", NULL, NULL, 1, 0, NULL), 0);
    char cursor[STORE_CURSOR_MAX] = "", next[STORE_CURSOR_MAX];
    int seen = 0;
    for (;;) {
        struct store_job *items;
        size_t n;
        assert_int_equal(store_job_list(f->s, u.id, cursor, 10, &items, &n, next), 0);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(items[i].user_id, u.id);
        seen += (int)n;
        free(items);
        if (!next[0])
            break;
        memcpy(cursor, next, sizeof cursor);
    }
    assert_int_equal(seen, 23);
    struct store_job *items;
    size_t n;
    assert_int_equal(store_job_list(f->s, "x", NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_job_list(f->s, u.id, NULL, 0, &items, &n, next), RR_ERR_INVAL);
}

/* ---- workouts -------------------------------------------------------------------------------- */

static void fill_workout(struct store_workout *w, const char *user_id, const char *video_id,
                         const char *exercise, int64_t started_at, struct store_set sets[2],
                         struct store_rep reps[3])
{
    memset(w, 0, sizeof *w);
    snprintf(w->user_id, sizeof w->user_id, "%s", user_id);
    snprintf(w->video_id, sizeof w->video_id, "%s", video_id ? video_id : "");
    snprintf(w->exercise, sizeof w->exercise, "%s", exercise);
    w->started_at = started_at;
    w->duration_ms = 90000;
    w->score = 81.5;
    memset(sets, 0, 2 * sizeof sets[0]);
    memset(reps, 0, 3 * sizeof reps[0]);
    for (int i = 0; i < 2; i++) {
        sets[i].idx = i;
        snprintf(sets[i].exercise, sizeof sets[i].exercise, "%s", exercise);
        sets[i].reps = 2 - i;
        sets[i].score = 80 + i;
        sets[i].load_kg = 60;
    }
    for (int i = 0; i < 3; i++) {
        reps[i].set_idx = i < 2 ? 0 : 1;
        reps[i].idx = i < 2 ? i : 0;
        reps[i].t_start_ms = 1000 * i;
        reps[i].t_end_ms = 1000 * i + 800;
        reps[i].score = 70 + i;
        snprintf(reps[i].metrics, sizeof reps[i].metrics, "{\"depth\":%d}", 90 + i);
        if (i == 1)
            snprintf(reps[i].faults, sizeof reps[i].faults, "[\"knee_valgus\"]");
    }
}

/* Device sync of a session: its sets append to one workout (next idx, span, rep-weighted score,
 * counts in get and list); a repeated client_id writes nothing; a deleted workout's session key
 * starts a new one; bad arguments are refused. */
static void workouts__sets_of_one_session_are_appended_to_one_workout(void **st)
{
    struct fx *f = *st;
    use_fake_clock(f);
    struct store_user a;
    make_user(f->s, "a@x", &a);
    struct store_workout w1, w2, got;
    struct store_set sets[2];
    struct store_rep reps[3];
    int appended = -1;
    fill_workout(&w1, a.id, NULL, "squat", 10000, sets, reps);
    w1.duration_ms = 20000;
    sets[0].reps = 2;
    sets[0].score = 90;
    assert_int_equal(store_workout_put_session(f->s, &w1, &sets[0], reps, 2, "set-1", "s/1",
                                               &appended), 0);
    assert_int_equal(appended, 0);
    fill_workout(&w2, a.id, NULL, "squat", 50000, sets, reps);
    w2.duration_ms = 10000;
    sets[0].reps = 1;
    sets[0].score = 60;
    reps[0].set_idx = 0;
    assert_int_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, "set-2", "s/1",
                                               &appended), 0);
    assert_int_equal(appended, 1);
    assert_string_equal(w2.id, w1.id);
    assert_int_equal(sets[0].idx, 1);
    assert_int_equal(store_workout_get(f->s, a.id, w1.id, &got), 0);
    assert_int_equal(got.started_at, 10000);
    assert_int_equal(got.duration_ms, 50000); /* 10 s .. 60 s */
    assert_true(fabs(got.score - (2 * 90 + 60) / 3.0) < 1e-9);
    struct store_set *gs;
    size_t ns;
    assert_int_equal(store_workout_sets(f->s, a.id, w1.id, &gs, &ns), 0);
    assert_int_equal(ns, 2);
    assert_int_equal(gs[0].reps + gs[1].reps, 3);
    free(gs);
    /* the same set again: nothing written */
    assert_int_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, "set-2", "s/1",
                                               &appended), RR_ERR_CONFLICT);
    assert_string_equal(w2.id, w1.id);
    struct store_workout *items;
    size_t n;
    char next[STORE_CURSOR_MAX];
    assert_int_equal(store_workout_list(f->s, a.id, NULL, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 1);
    free(items);
    /* the session's workout deleted: its next set starts a new workout */
    assert_int_equal(store_workout_delete(f->s, a.id, w1.id), 0);
    fill_workout(&w2, a.id, NULL, "squat", 90000, sets, reps);
    assert_int_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, "set-3", "s/1",
                                               &appended), 0);
    assert_int_equal(appended, 0);
    assert_string_not_equal(w2.id, w1.id);
    /* bad arguments */
    assert_int_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, NULL, "", &appended),
                     RR_ERR_INVAL);
    assert_int_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, NULL, "k", NULL),
                     RR_ERR_INVAL);
    reps[0].set_idx = 1;
    assert_int_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, NULL, "k", &appended),
                     RR_ERR_INVAL);
    char longkey[STORE_SESSION_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    reps[0].set_idx = 0;
    assert_int_not_equal(store_workout_put_session(f->s, &w2, &sets[0], reps, 1, NULL, longkey,
                                                   &appended), 0);
}

static void workouts__are_saved_whole_upserted_per_video_and_idempotent_per_client_id(void **st)
{
    struct fx *f = *st;
    use_fake_clock(f);
    struct store_user a, b;
    struct store_video v;
    struct store_workout w, w2, got;
    struct store_set sets[2];
    struct store_rep reps[3];
    make_user(f->s, "a@x", &a);
    make_user(f->s, "b@x", &b);
    make_video(f->s, a.id, &v);

    fill_workout(&w, a.id, v.id, "squat", 5000, sets, reps);
    assert_int_equal(store_workout_put(f->s, &w, sets, 2, reps, 3, NULL), 0);
    assert_true(is_hex_id(w.id));
    assert_string_equal(sets[1].workout_id, w.id);
    assert_string_equal(reps[2].set_id, sets[1].id);
    assert_int_equal(store_workout_get(f->s, a.id, w.id, &got), 0);
    assert_string_equal(got.video_id, v.id);
    assert_true(got.score == 81.5);
    assert_int_equal(store_workout_get(f->s, b.id, w.id, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_get_by_video(f->s, v.id, &got), 0);
    assert_string_equal(got.id, w.id);

    struct store_set *gs;
    struct store_rep *gr;
    size_t n;
    assert_int_equal(store_workout_sets(f->s, a.id, w.id, &gs, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(gs[0].idx, 0);
    assert_int_equal(gs[0].reps, 2);
    assert_true(gs[1].load_kg == 60);
    free(gs);
    assert_int_equal(store_workout_reps(f->s, a.id, w.id, &gr, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(gr[2].set_idx, 1);
    assert_string_equal(gr[1].faults, "[\"knee_valgus\"]");
    assert_string_equal(gr[0].faults, "[]");
    assert_string_equal(gr[0].metrics, "{\"depth\":90}");
    assert_int_equal(gr[1].t_end_ms, 1800);
    free(gr);
    assert_int_equal(store_workout_sets(f->s, b.id, w.id, &gs, &n), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_reps(f->s, b.id, w.id, &gr, &n), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_sets(f->s, b.id, "bad", &gs, &n), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_reps(f->s, NULL, "bad", &gr, &n), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_sets(f->s, NULL, w.id, NULL, &n), RR_ERR_INVAL);
    assert_int_equal(store_workout_reps(f->s, NULL, w.id, &gr, NULL), RR_ERR_INVAL);

    /* re-running the analysis of the same video replaces the rows */
    fill_workout(&w2, a.id, v.id, "squat", 5000, sets, reps);
    assert_int_equal(store_workout_put(f->s, &w2, sets, 2, reps, 1, NULL), 0);
    assert_string_not_equal(w2.id, w.id);
    assert_int_equal(store_workout_get(f->s, a.id, w.id, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_reps(f->s, a.id, w2.id, &gr, &n), 0);
    assert_int_equal(n, 1);
    free(gr);

    /* device sync: the same client_id twice writes once */
    struct store_workout d1, d2;
    fill_workout(&d1, a.id, NULL, "push_up", 7000, sets, reps);
    assert_int_equal(store_workout_put(f->s, &d1, sets, 2, reps, 3, "phone-42"), 0);
    fill_workout(&d2, a.id, NULL, "push_up", 7000, sets, reps);
    assert_int_equal(store_workout_put(f->s, &d2, sets, 2, reps, 3, "phone-42"), RR_ERR_CONFLICT);
    assert_string_equal(d2.id, d1.id);
    fill_workout(&d2, b.id, NULL, "push_up", 7000, sets, reps);
    assert_int_equal(store_workout_put(f->s, &d2, sets, 2, reps, 3, "phone-42"), 0); /* per user */

    /* list with filters */
    struct store_workout *items;
    char next[STORE_CURSOR_MAX];
    struct store_workout_filter flt = {"push_up", 0, 0};
    assert_int_equal(store_workout_list(f->s, a.id, &flt, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, d1.id);
    free(items);
    flt = (struct store_workout_filter){NULL, 6000, 8000};
    assert_int_equal(store_workout_list(f->s, a.id, &flt, NULL, 10, &items, &n, next), 0);
    assert_int_equal(n, 1);
    free(items);
    assert_int_equal(store_workout_list(f->s, a.id, NULL, NULL, 1, &items, &n, next), 0);
    assert_int_equal(n, 1);
    assert_true(next[0] != '\0');
    free(items);
    assert_int_equal(store_workout_list(f->s, a.id, NULL, next, 1, &items, &n, next), 0);
    assert_int_equal(n, 1);
    assert_string_equal(next, "");
    free(items);
    assert_int_equal(store_workout_list(f->s, "x", NULL, NULL, 1, &items, &n, next), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_workout_list(f->s, a.id, NULL, NULL, 1000, &items, &n, next),
                     RR_ERR_INVAL);

    /* bad input: rep pointing at a missing set, missing exercise, other user's video */
    fill_workout(&w, a.id, NULL, "squat", 1, sets, reps);
    reps[0].set_idx = 5;
    assert_int_equal(store_workout_put(f->s, &w, sets, 2, reps, 3, NULL), RR_ERR_INVAL);
    fill_workout(&w, a.id, NULL, "", 1, sets, reps);
    assert_int_equal(store_workout_put(f->s, &w, sets, 2, reps, 3, NULL), RR_ERR_INVAL);
    fill_workout(&w, a.id, NULL, "squat", 1, sets, reps);
    sets[1].exercise[0] = '\0';
    assert_int_equal(store_workout_put(f->s, &w, sets, 2, reps, 3, NULL), RR_ERR_INVAL);
    assert_int_equal(store_workout_put(f->s, &w, NULL, 2, reps, 0, NULL), RR_ERR_INVAL);
    assert_int_equal(store_workout_put(f->s, &w, sets, STORE_SETS_MAX + 1, reps, 0, NULL),
                     RR_ERR_TOOBIG);
    fill_workout(&w, b.id, v.id, "squat", 1, sets, reps);
    assert_int_equal(store_workout_put(f->s, &w, sets, 2, reps, 3, NULL), RR_ERR_CONFLICT);

    /* delete cascades to sets and reps */
    assert_int_equal(store_workout_delete(f->s, b.id, w2.id), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_delete(f->s, a.id, w2.id), 0);
    assert_int_equal(store_workout_sets(f->s, a.id, w2.id, &gs, &n), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_delete(f->s, a.id, "bad"), RR_ERR_NOTFOUND);
    assert_int_equal(store_workout_get(f->s, a.id, w2.id, NULL), RR_ERR_INVAL);
    assert_int_equal(store_workout_get_by_video(f->s, "bad", &got), RR_ERR_NOTFOUND);
}

/* ---- analytics, uploads, rate counters ------------------------------------------------------- */

static void analytics__rows_set_and_ranges_filter_by_day_and_exercise(void **state)
{
    struct fx *f = *state;
    struct store_user u;
    struct store_analytics_day *d;
    size_t n;
    make_user(f->s, "an@x", &u);
    assert_int_equal(store_analytics_set(f->s, u.id, "2024-03-01", "squat", 2, 15, 900, 1050, 15),
                     0);
    assert_int_equal(store_analytics_set(f->s, u.id, "2024-03-02", "plank", 1, 0, 0, 0, 0), 0);
    assert_int_equal(store_analytics_set(f->s, u.id, "2024-04-01", "squat", 1, 3, 0, 0, 0), 0);
    assert_int_equal(store_analytics_range(f->s, u.id, "2024-03-01", "2024-03-31", NULL, &d, &n),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].day, "2024-03-01");
    assert_int_equal(d[0].sessions, 2);
    assert_int_equal(d[0].reps, 15);
    assert_true(d[0].volume == 900);
    assert_true(d[0].mean_score > 69.9 && d[0].mean_score < 70.1);
    assert_string_equal(d[1].exercise, "plank");
    assert_true(d[1].mean_score == 0);
    free(d);
    assert_int_equal(store_analytics_range(f->s, u.id, "2024-01-01", "2024-12-31", "squat", &d,
                                           &n),
                     0);
    assert_int_equal(n, 2);
    free(d);
    assert_int_equal(store_analytics_range(f->s, "x", "2024-01-01", "2024-12-31", NULL, &d, &n),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(store_analytics_range(f->s, u.id, "2024-1-01", "2024-12-31", NULL, &d, &n),
                     RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, u.id, "2024-03-0x", "squat", 1, 1, 1, 1, 1),
                     RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, u.id, "2024-03-01", "squat", -1, 1, 1, 1, 1),
                     RR_ERR_INVAL);
    assert_int_equal(store_analytics_set(f->s, u.id, "2024-03-01", "", 1, 1, 1, 1, 1),
                     RR_ERR_INVAL);
    char ghost[STORE_ID_LEN + 1];
    store_new_id(ghost);
    assert_int_equal(store_analytics_set(f->s, ghost, "2024-03-01", "squat", 1, 1, 1, 1, 1),
                     RR_ERR_NOTFOUND);
}

/* Every operation of the backend is implemented: a NULL entry (an op merged into one backend
 * only) makes its store_*() wrapper answer UNSUPPORTED on that backend alone, which only an
 * end-to-end test on that backend would notice. struct store_ops is `name` followed by function
 * pointers only (the static assertion below catches most other layouts), so it is walked as an
 * array of them; the failure names the index of the first NULL entry after `name`. */
typedef void (*any_fn)(void);
_Static_assert(offsetof(struct store_ops, close) == sizeof(const char *) &&
                   (sizeof(struct store_ops) - offsetof(struct store_ops, close)) %
                           sizeof(any_fn) ==
                       0,
               "struct store_ops is no longer a name followed by function pointers");

static void ops__every_operation_of_the_backend_is_implemented(void **state)
{
    struct fx *f = *state;
    const struct store_ops *ops = f->s->ops;
    assert_non_null(ops->name);
    size_t i = 0;
    for (size_t off = offsetof(struct store_ops, close); off < sizeof *ops;
         off += sizeof(any_fn), i++) {
        any_fn fn;
        memcpy(&fn, (const char *)ops + off, sizeof fn);
        if (!fn)
            fail_msg("backend %s: store_ops entry %zu after name (byte %zu) is NULL", ops->name,
                     i, off);
    }
    assert_true(i > 80); /* the walk covered the whole table */
}

static void uploads__offset_moves_only_by_compare_and_set(void **state)
{
    struct fx *f = *state;
    use_fake_clock(f);
    struct store_user a, b;
    struct store_upload up, got;
    make_user(f->s, "up@x", &a);
    make_user(f->s, "up2@x", &b);
    memset(&up, 0, sizeof up);
    memcpy(up.user_id, a.id, sizeof up.user_id);
    up.length = 1000;
    up.expires_at = store_now(f->s) + 3600000;
    snprintf(up.blob_key, sizeof up.blob_key, "uploads/x");
    snprintf(up.metadata, sizeof up.metadata, "filename c3F1YXQubXA0");
    up.offset = 77; /* ignored: a new upload starts empty */
    up.complete = true;
    assert_int_equal(store_upload_create(f->s, &up), 0);
    assert_true(is_hex_id(up.id));
    assert_int_equal(up.offset, 0);
    assert_false(up.complete);
    assert_int_equal(store_upload_set_offset(f->s, up.id, 0, 400), 0);
    assert_int_equal(store_upload_set_offset(f->s, up.id, 0, 400), RR_ERR_CONFLICT); /* lost */
    assert_int_equal(store_upload_set_offset(f->s, up.id, 400, 1001), RR_ERR_INVAL);
    assert_int_equal(store_upload_set_offset(f->s, up.id, 400, -1), RR_ERR_INVAL);
    assert_int_equal(store_upload_set_offset(f->s, up.id, -1, 5), RR_ERR_INVAL);
    assert_int_equal(store_upload_set_offset(f->s, up.id, 400, 300), 0); /* data found missing */
    assert_int_equal(store_upload_set_offset(f->s, "bad", 0, 1), RR_ERR_NOTFOUND);
    char ghost[STORE_ID_LEN + 1];
    store_new_id(ghost);
    assert_int_equal(store_upload_set_offset(f->s, ghost, 0, 1), RR_ERR_NOTFOUND);
    /* Not complete before every byte is recorded. */
    static const char sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_int_equal(store_upload_complete(f->s, up.id, sha), RR_ERR_CONFLICT);
    assert_int_equal(store_upload_set_offset(f->s, up.id, 300, 1000), 0);
    assert_int_equal(store_upload_complete(f->s, up.id, "ABC"), RR_ERR_INVAL);
    assert_int_equal(store_upload_complete(f->s, "nope", sha), RR_ERR_NOTFOUND);
    assert_int_equal(store_upload_complete(f->s, ghost, sha), RR_ERR_NOTFOUND);
    assert_int_equal(store_upload_complete(f->s, up.id, sha), 0);
    assert_int_equal(store_upload_complete(f->s, up.id, sha), 0); /* idempotent */
    char other[65];
    memset(other, 'a', 64);
    other[64] = '\0';
    assert_int_equal(store_upload_complete(f->s, up.id, other), RR_ERR_CONFLICT);
    assert_int_equal(store_upload_set_offset(f->s, up.id, 1000, 1000), RR_ERR_CONFLICT);
    assert_int_equal(store_upload_get(f->s, a.id, up.id, &got), 0);
    assert_int_equal(got.offset, 1000);
    assert_int_equal(got.length, 1000);
    assert_true(got.complete);
    assert_string_equal(got.sha256, sha);
    assert_string_equal(got.blob_key, "uploads/x");
    assert_string_equal(got.metadata, up.metadata);
    assert_int_equal(got.expires_at, up.expires_at);
    assert_int_equal(got.created_at, up.created_at);
    assert_int_equal(store_upload_get(f->s, NULL, up.id, &got), 0);
    assert_int_equal(store_upload_get(f->s, b.id, up.id, &got), RR_ERR_NOTFOUND);
    assert_int_equal(store_upload_get(f->s, b.id, up.id, NULL), RR_ERR_INVAL);
    assert_int_equal(store_upload_get(f->s, "B", up.id, &got), RR_ERR_NOTFOUND);

    struct store_upload up2 = up;
    up2.id[0] = '\0';
    up2.expires_at = store_now(f->s) + 10;
    assert_int_equal(store_upload_create(f->s, &up2), 0);
    assert_int_equal(store_upload_create(f->s, &up2), RR_ERR_CONFLICT);
    struct store_upload bad = up2;
    bad.id[0] = '\0';
    bad.length = -1;
    assert_int_equal(store_upload_create(f->s, &bad), RR_ERR_INVAL);
    bad.length = 1;
    bad.blob_key[0] = '\0';
    assert_int_equal(store_upload_create(f->s, &bad), RR_ERR_INVAL);
    snprintf(bad.blob_key, sizeof bad.blob_key, "k");
    memset(bad.user_id, 'z', STORE_ID_LEN);
    assert_int_equal(store_upload_create(f->s, &bad), RR_ERR_INVAL);
    store_new_id(bad.user_id); /* well-formed, but no such user */
    assert_int_equal(store_upload_create(f->s, &bad), RR_ERR_NOTFOUND);
    assert_int_equal(store_upload_create(f->s, NULL), RR_ERR_INVAL);
    char ids[4][STORE_ID_LEN + 1];
    size_t n;
    assert_int_equal(store_upload_expired(f->s, ids, 4, &n), 0);
    assert_int_equal(n, 0);
    atomic_fetch_add(&fake_now, 10);
    assert_int_equal(store_upload_expired(f->s, ids, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], up2.id);
    assert_int_equal(store_upload_expired(f->s, ids, 0, &n), RR_ERR_INVAL);
    assert_int_equal(store_upload_delete(f->s, NULL, up2.id), 0);
    assert_int_equal(store_upload_delete(f->s, b.id, up.id), RR_ERR_NOTFOUND);
    assert_int_equal(store_upload_delete(f->s, "x", up.id), RR_ERR_NOTFOUND);
    assert_int_equal(store_upload_delete(f->s, a.id, up.id), 0);
    assert_int_equal(store_upload_delete(f->s, a.id, up.id), RR_ERR_NOTFOUND);
    /* A deleted user takes their uploads along. */
    struct store_upload up3 = up;
    up3.id[0] = '\0';
    assert_int_equal(store_upload_create(f->s, &up3), 0);
    assert_int_equal(store_user_delete(f->s, a.id), 0);
    assert_int_equal(store_upload_get(f->s, NULL, up3.id, &got), RR_ERR_NOTFOUND);
}

/* ---- crash safety ---------------------------------------------------------------------------- */

/* Child: enqueue jobs forever, writing each id to the pipe only after the commit returned. */
static void crash_child(const char *url, int fd)
{
    struct store *s;
    char id[STORE_ID_LEN + 2];
    if (store_open(url, &s, NULL, 0) != 0)
        _exit(2);
    for (;;) {
        if (store_job_enqueue(s, "crash", NULL, "{\"n\":1}", 1, 0, id) != 0)
            _exit(3);
        id[STORE_ID_LEN] = '\n';
        if (write(fd, id, STORE_ID_LEN + 1) != STORE_ID_LEN + 1)
            _exit(4);
    }
}

static void crash__kill_9_during_writes_loses_no_acknowledged_row(void **state)
{
    struct fx *f = *state;
    enum { ROUNDS = 5, MAX_IDS = 20000 };
    char(*acked)[STORE_ID_LEN + 1] = calloc(MAX_IDS, STORE_ID_LEN + 1);
    int nacked = 0;
    assert_non_null(acked);
    /* no SQLite connection may cross fork(): close ours, reopen after */
    store_close(f->s);
    f->s = NULL;
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            crash_child(f->url, p[1]);
        }
        close(p[1]);
        usleep(120000 + 37000 * (useconds_t)round);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        char line[STORE_ID_LEN + 1];
        size_t have = 0;
        for (;;) {
            ssize_t r = read(p[0], line + have, sizeof line - have);
            if (r <= 0)
                break;
            have += (size_t)r;
            if (have == sizeof line) {
                assert_true(nacked < MAX_IDS);
                memcpy(acked[nacked], line, STORE_ID_LEN);
                acked[nacked++][STORE_ID_LEN] = '\0';
                have = 0;
            }
        }
        close(p[0]);
        /* after each kill: the file is sound and every acknowledged row is there */
        char msg[256] = "";
        struct store *s;
        assert_int_equal(store_open(f->url, &s, msg, sizeof msg), 0);
        assert_int_equal(store_check(s, msg, sizeof msg), 0);
        struct store_job *j = malloc(sizeof *j);
        for (int i = 0; i < nacked; i++)
            assert_int_equal(store_job_get(s, NULL, acked[i], j), 0);
        free(j);
        store_close(s);
    }
    print_message("crash: %d acknowledged writes over %d kill -9 rounds, all present\n", nacked,
                  ROUNDS);
    assert_true(nacked > 0);
    free(acked);
    char msg[256];
    assert_int_equal(store_open(f->url, &f->s, msg, sizeof msg), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            migrations__are_idempotent_and_recorded_in_the_version_table, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(migrations__run_safely_from_processes_starting_together,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(migrations__refuse_a_database_newer_than_the_binary,
                                        fx_setup, fx_teardown),
        cmocka_unit_test(store__open_refuses_unknown_urls_and_unusable_paths),
        cmocka_unit_test_setup_teardown(store__integrity_check_passes_and_clock_is_replaceable,
                                        fx_setup, fx_teardown),
        cmocka_unit_test(ids__are_random_32_lowercase_hex_and_never_repeat),
        cmocka_unit_test_setup_teardown(
            users__create_get_update_delete_with_unique_email_ignoring_case, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(
            refresh__rotation_spends_the_old_token_and_reuse_revokes_the_family, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(refresh__grace_returns_the_same_successor_only_to_its_hash,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(videos__are_scoped_to_their_owner_and_change_status,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(
            pagination__walks_250_rows_newest_first_without_gaps_or_duplicates, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(jobs__run_through_claim_progress_and_complete, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(
            jobs__expired_lease_goes_to_another_worker_and_the_old_owner_is_refused, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(jobs__failures_back_off_exponentially_then_dead_letter,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(
            jobs__an_expired_lease_on_the_last_attempt_is_dead_lettered, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(jobs__concurrent_claimers_never_receive_the_same_job,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(jobs__list_per_user_pages_newest_first, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(workouts__sets_of_one_session_are_appended_to_one_workout,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(
            workouts__are_saved_whole_upserted_per_video_and_idempotent_per_client_id, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(
            analytics__rows_set_and_ranges_filter_by_day_and_exercise, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(ops__every_operation_of_the_backend_is_implemented,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(uploads__offset_moves_only_by_compare_and_set,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(crash__kill_9_during_writes_loses_no_acknowledged_row,
                                        fx_setup, fx_teardown),
    };
    int failed = 0;
    bool pg = pgtest_store_is_pg();
    if (pg) {
        int rc = pgtest_start();
        if (rc)
            return rc == RRTEST_SKIP_CODE ? rc : 1;
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        if (backends[i].is_sqlite == pg)
            continue;
        g_be = &backends[i];
        failed += cmocka_run_group_tests_name(backends[i].name, tests, NULL, NULL);
    }
    return failed ? 1 : 0;
}
