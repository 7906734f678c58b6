/*
 * storetest.c - the store of a store test (see storetest.h).
 */
#include "support/storetest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/pgtest.h"

static int64_t test_clock(void *ctx)
{
    return *(int64_t *)ctx;
}

void storetest_open(struct store **s, char dir[STORETEST_DIR_MAX], const char *tag,
                    int64_t *now)
{
    char url[128], msg[256] = "";
    snprintf(dir, STORETEST_DIR_MAX, "/tmp/rr-store-%s-XXXXXX", tag);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(pgtest_store_url(dir, "test.db", url, sizeof url), 0);
    assert_int_equal(store_open(url, s, msg, sizeof msg), 0);
    if (now)
        store_set_clock(*s, test_clock, now);
    if (store_migrate(*s, NULL, msg, sizeof msg) != 0)
        fail_msg("migrate: %s", msg);
}

void storetest_user(struct store *s, const char *email, char id[STORE_ID_LEN + 1])
{
    struct store_user u;
    assert_int_equal(store_user_create(s, email, "hash", "user", &u), 0);
    memcpy(id, u.id, STORE_ID_LEN + 1);
}

void storetest_close(struct store *s, const char *dir)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[128];
    store_close(s);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(path, sizeof path, "%s/test.db%s", dir, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}
