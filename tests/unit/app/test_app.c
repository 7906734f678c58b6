/*
 * test_app.c - the service container and what the adapters share: app_open migrates and derives
 * stable keys on a temporary data directory (and names the service that fails), app_migrate
 * reports the schema, the job kinds and worker configuration handed to the pool, the blob keys of
 * a video's derived objects, and the exercise list read from the analysis registry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "app/app.h"
#include "base/rr_error.h"
#include "store/store.h"

static int clear_env(void **state)
{
    (void)state;
    size_t n = 0;
    const struct app_setting *t = app_settings(&n);
    for (size_t i = 0; i < n; i++)
        unsetenv(t[i].env);
    unsetenv("REPRIGHT_JWT_SECRET");
    unsetenv("REPRIGHT_JWT_SECRET_FILE");
    return 0;
}

static void load(struct app_config *c, const char *data_dir)
{
    char arg[400], msg[256];
    snprintf(arg, sizeof arg, "--data-dir=%s", data_dir);
    char *argv[] = {"serve", arg, NULL};
    assert_int_equal(app_config_load(c, APP_CMD_SERVE, 2, argv, msg, sizeof msg), 0);
}

static void app__open_migrates_derives_stable_keys_and_closes(void **state)
{
    (void)state;
    char dir[] = "/tmp/rr-app-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char data[256];
    snprintf(data, sizeof data, "%s/data", dir);
    struct app_config c;
    struct app *a = NULL;
    char msg[256];
    load(&c, data);
    assert_int_equal(app_open(&c, &a, msg, sizeof msg), 0);
    assert_non_null(a->store);
    assert_non_null(a->blob);
    assert_non_null(a->tus);
    assert_non_null(a->queue);
    int v = 0;
    assert_int_equal(store_schema_version(a->store, &v), 0);
    assert_int_equal(v, store_schema_known());
    uint8_t zero[32] = {0};
    assert_memory_not_equal(a->jwt_key, zero, 32);
    assert_memory_not_equal(a->jwt_key, a->token_pepper, 32);
    assert_memory_not_equal(a->jwt_key, a->media_key, 32);
    uint8_t key1[32];
    memcpy(key1, a->jwt_key, 32);
    app_close(a);
    /* the persisted secret gives the same key next time */
    assert_int_equal(app_open(&c, &a, msg, sizeof msg), 0);
    assert_memory_equal(a->jwt_key, key1, 32);
    app_close(a);
    app_close(NULL);

    /* a data dir that is a file, an unknown store, blob or queue, a bad secret: named in msg */
    char file[300];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(c.data_dir, sizeof c.data_dir, "%s", file);
    assert_true(app_open(&c, &a, msg, sizeof msg) < 0);
    assert_null(a);
    assert_non_null(strstr(msg, "data dir"));
    snprintf(c.data_dir, sizeof c.data_dir, "%s", data);
    snprintf(c.database_url, sizeof c.database_url, "nosuch:x");
    assert_true(app_open(&c, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "store"));
    snprintf(c.database_url, sizeof c.database_url, "sqlite:%s/repright.db", data);
    snprintf(c.blob_url, sizeof c.blob_url, "nosuch:x");
    assert_true(app_open(&c, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "blob"));
    snprintf(c.blob_url, sizeof c.blob_url, "file:%s/blobs", data);
    snprintf(c.queue_url, sizeof c.queue_url, "redis://x");
    assert_true(app_open(&c, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "queue"));
    snprintf(c.queue_url, sizeof c.queue_url, "db");
    setenv("REPRIGHT_JWT_SECRET", "abcd", 1); /* too short: refused, never stretched */
    assert_true(app_open(&c, &a, msg, sizeof msg) < 0);
    assert_non_null(strstr(msg, "secret"));
    unsetenv("REPRIGHT_JWT_SECRET");

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void app__migrate_reports_the_schema_and_refuses_what_it_cannot_open(void **state)
{
    (void)state;
    char dir[] = "/tmp/rr-app-mig-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char data[256], msg[256], backend[16];
    int applied = -1, version = -1;
    snprintf(data, sizeof data, "%s/d", dir);
    struct app_config c;
    load(&c, data);
    assert_int_equal(app_migrate(&c, &applied, &version, backend, msg, sizeof msg), 0);
    assert_true(applied >= 3);
    assert_int_equal(version, store_schema_known());
    assert_string_equal(backend, "sqlite");
    assert_int_equal(app_migrate(&c, &applied, &version, backend, msg, sizeof msg), 0);
    assert_int_equal(applied, 0);
    snprintf(c.database_url, sizeof c.database_url, "nosuch:x");
    assert_true(app_migrate(&c, &applied, &version, backend, msg, sizeof msg) < 0);
    assert_true(msg[0] != '\0');
    snprintf(c.data_dir, sizeof c.data_dir, "%s/d/repright.db/sub", dir); /* under a file */
    assert_int_equal(app_migrate(&c, &applied, &version, backend, msg, sizeof msg), RR_ERR_IO);
    assert_non_null(strstr(msg, "cannot create"));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void app__hands_its_kinds_and_itself_to_the_worker_pool(void **state)
{
    (void)state;
    size_t n = 0;
    const struct job_kind *k = app_job_kinds(&n);
    assert_int_equal(n, 3);
    assert_string_equal(k[0].name, "analyze_video");
    assert_non_null(k[0].run);
    assert_non_null(k[0].dead);
    /* the overlay and thumbnails: their own kind, made only when asked */
    assert_string_equal(k[1].name, "render_video");
    assert_non_null(k[1].run);
    assert_null(k[1].dead);
    /* a partner's webhook deliveries (app/webhook_job.c) */
    assert_string_equal(k[2].name, "deliver_webhook");
    assert_non_null(k[2].run);
    struct app a;
    memset(&a, 0, sizeof a);
    a.store = (struct store *)&a; /* only copied */
    a.cfg.job_lease_s = 42;
    snprintf(a.cfg.queue_url, sizeof a.cfg.queue_url, "db");
    struct worker_config wc;
    app_worker_config(&a, 3, &wc);
    assert_ptr_equal(wc.store, a.store);
    assert_ptr_equal(wc.ctx, &a);
    assert_ptr_equal(wc.kinds, k);
    assert_int_equal(wc.n_kinds, 3);
    assert_int_equal(wc.threads, 3);
    assert_int_equal(wc.lease_s, 42);
    assert_string_equal(wc.queue_url, "db");
}

static void app__names_the_blobs_of_a_video(void **state)
{
    (void)state;
    const char *id = "0123456789abcdef0123456789abcdef";
    char key[256];
    static const char *const want[][2] = {
        {"overlay", "overlay.mp4"}, {"best", "thumbs/best.jpg"}, {"worst", "thumbs/worst.jpg"},
        {"report", "report.json"},  {"landmarks", "landmarks.json"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char expect[256];
        snprintf(expect, sizeof expect, "videos/%s/%s", id, want[i][1]);
        assert_string_equal(app_video_key(id, want[i][0], key, sizeof key), expect);
    }
    assert_null(app_video_key("xyz", "overlay", key, sizeof key));
    assert_null(app_video_key("0123456789ABCDEF0123456789abcdef", "overlay", key, sizeof key));
    assert_null(app_video_key(id, "other", key, sizeof key));
    assert_null(app_video_key(id, "best", key, 10));
    assert_null(app_video_key(id, NULL, key, sizeof key));
    assert_null(app_video_key(NULL, "best", key, sizeof key));
}

static void app__exercises_come_from_the_analysis_registry(void **state)
{
    (void)state;
    const char *const *reg = NULL;
    int nreg = analysis_exercises(&reg);
    size_t n = 0;
    const char *const *list = app_exercises(&n);
    assert_int_equal(n, (size_t)nreg);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(list[i], reg[i]);
        assert_true(app_exercise_known(reg[i]));
    }
    assert_null(list[n]);
    assert_ptr_equal(list, app_exercise_names);
    assert_true(app_exercise_known("squat"));
    assert_true(app_exercise_known("plank"));
    assert_false(app_exercise_known("Squat"));
    assert_false(app_exercise_known("yoga"));
    assert_false(app_exercise_known(""));
    assert_false(app_exercise_known(NULL));
    assert_ptr_equal(app_exercises(NULL), list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(app__open_migrates_derives_stable_keys_and_closes, clear_env),
        cmocka_unit_test_setup(app__migrate_reports_the_schema_and_refuses_what_it_cannot_open,
                               clear_env),
        cmocka_unit_test(app__hands_its_kinds_and_itself_to_the_worker_pool),
        cmocka_unit_test(app__names_the_blobs_of_a_video),
        cmocka_unit_test(app__exercises_come_from_the_analysis_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
