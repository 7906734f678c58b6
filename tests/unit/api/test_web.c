/* test_web.c - the static-file helpers of src/api/web.c: content types, Cache-Control per path,
 * the relative-path rules, If-None-Match matching, the start check of the web dir, and the
 * --web-dir / REPRIGHT_WEB_DIR configuration. (The route itself is tested black-box by
 * tests/api/test_web_static.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "api/web.h"
#include "base/rr_error.h"

static void web__content_types(void **state)
{
    (void)state;
    assert_string_equal(web_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(web_content_type("js/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(web_content_type("a.mjs"), "text/javascript; charset=utf-8");
    assert_string_equal(web_content_type("css/app.css"), "text/css; charset=utf-8");
    assert_string_equal(web_content_type("manifest.webmanifest"), "application/manifest+json");
    assert_string_equal(web_content_type("wasm/x.wasm"), "application/wasm");
    assert_string_equal(web_content_type("x.json"), "application/json");
    assert_string_equal(web_content_type("i.png"), "image/png");
    assert_string_equal(web_content_type("i.svg"), "image/svg+xml");
    assert_string_equal(web_content_type("f.ico"), "image/x-icon");
    assert_string_equal(web_content_type("r.txt"), "text/plain; charset=utf-8");
    for (size_t i = 0; i < 4; i++) {
        const char *p[] = {"m/p.data", "m/p.binarypb", "m/p.tflite", "noext"};
        assert_string_equal(web_content_type(p[i]), "application/octet-stream");
    }
    /* the extension is the last segment's: a dotted directory does not count */
    assert_string_equal(web_content_type("a.js/readme"), "application/octet-stream");
    assert_string_equal(web_content_type("x.JS"), "application/octet-stream");
}

static void web__cache_control(void **state)
{
    (void)state;
    assert_string_equal(web_cache_control("index.html"), "no-cache");
    assert_string_equal(web_cache_control("live.html"), "no-cache");
    assert_string_equal(web_cache_control("sw.js"), "no-cache");
    assert_string_equal(web_cache_control("manifest.webmanifest"), "no-cache");
    assert_string_equal(web_cache_control("vendor/mediapipe-pose/pose.js"),
                        "public, max-age=86400");
    assert_string_equal(web_cache_control("wasm/rr_analysis.wasm"), "public, max-age=86400");
    assert_string_equal(web_cache_control("js/sw.js"), "public, max-age=3600");
    assert_string_equal(web_cache_control("js/app.js"), "public, max-age=3600");
}

static void web__path_rules(void **state)
{
    (void)state;
    assert_int_equal(web_path_ok("index.html"), 0);
    assert_int_equal(web_path_ok("vendor/mediapipe-pose/pose.js"), 0);
    assert_int_equal(web_path_ok("a..b/c"), 0); /* dots inside a name are fine */
    const char *bad[] = {"", ".hidden", "js/.x", "..", "a/../b", "a//b", "/abs", "a/",
                         "a\\b", "..\\x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(web_path_ok(bad[i]), RR_ERR_INVAL);
    char longp[1100];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(web_path_ok(longp), RR_ERR_INVAL);
}

static void web__etag_matching(void **state)
{
    (void)state;
    const char *e = "\"1f-abc\"";
    assert_int_equal(web_etag_matches(NULL, e), 0);
    assert_int_equal(web_etag_matches("", e), 0);
    assert_int_equal(web_etag_matches("\"1f-abc\"", e), 1);
    assert_int_equal(web_etag_matches("W/\"1f-abc\"", e), 1);
    assert_int_equal(web_etag_matches("\"x\", \"1f-abc\"", e), 1);
    assert_int_equal(web_etag_matches("\"x\",W/\"1f-abc\" ", e), 1);
    assert_int_equal(web_etag_matches("*", e), 1);
    assert_int_equal(web_etag_matches("\"1f-ab\"", e), 0);
    assert_int_equal(web_etag_matches("\"1f-abcd\", \"y\"", e), 0);
    assert_int_equal(web_etag_matches(" , ,", e), 0);
}

static void web__accept_encoding(void **state)
{
    (void)state;
    static const char *const yes[] = {"gzip", "GZIP", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8",
                                      "deflate , gzip ; q=0.001", "x-gzip", "gzip;q=1",
                                      "gzip;level=9", "br, gzip;q=0.5", NULL};
    static const char *const no[] = {"", "identity", "br", "deflate, br", "gzip;q=0",
                                     "gzip; q=0.000", "gzip;Q=0", "gzipx", "xgzip, br",
                                     "*", "gzip-ish;q=1", NULL};
    for (int i = 0; yes[i]; i++)
        if (!web_accepts_gzip(yes[i]))
            fail_msg("should accept gzip: \"%s\"", yes[i]);
    for (int i = 0; no[i]; i++)
        if (web_accepts_gzip(no[i]))
            fail_msg("should not accept gzip: \"%s\"", no[i]);
    assert_int_equal(web_accepts_gzip(NULL), 0);
}

static void web__dir_check(void **state)
{
    (void)state;
    char dir[] = "/tmp/rr-web-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(web_dir_check(NULL), RR_ERR_NOTFOUND);
    assert_int_equal(web_dir_check(""), RR_ERR_NOTFOUND);
    assert_int_equal(web_dir_check(dir), RR_ERR_NOTFOUND); /* no index.html */
    char p[256];
    snprintf(p, sizeof p, "%s/index.html", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("<!doctype html>", f);
    fclose(f);
    assert_int_equal(web_dir_check(dir), 0);
    assert_int_equal(web_dir_check(p), RR_ERR_NOTFOUND); /* a file, not a directory */
    unlink(p);
    rmdir(dir);
    assert_non_null(strstr(web_csp, "'wasm-unsafe-eval'"));
}

static void web__config(void **state)
{
    (void)state;
    struct app_config cfg;
    char msg[128];
    unsetenv("REPRIGHT_WEB_DIR");
    char *argv0[] = {"serve"};
    assert_int_equal(app_config_load(&cfg, APP_CMD_SERVE, 1, argv0, msg, sizeof msg), 0);
    size_t dl = strlen(cfg.web_dir); /* the build's web dir, compiled in */
    assert_true(dl >= 4 && strcmp(cfg.web_dir + dl - 4, "/web") == 0);
    setenv("REPRIGHT_WEB_DIR", "/srv/env-web", 1);
    assert_int_equal(app_config_load(&cfg, APP_CMD_SERVE, 1, argv0, msg, sizeof msg), 0);
    assert_string_equal(cfg.web_dir, "/srv/env-web");
    char *argv1[] = {"serve", "--web-dir", "/srv/flag-web"};
    assert_int_equal(app_config_load(&cfg, APP_CMD_SERVE, 3, argv1, msg, sizeof msg), 0);
    assert_string_equal(cfg.web_dir, "/srv/flag-web");
    char *argv2[] = {"serve", "--web-dir="};
    assert_int_equal(app_config_load(&cfg, APP_CMD_SERVE, 2, argv2, msg, sizeof msg), 0);
    assert_string_equal(cfg.web_dir, ""); /* explicitly none */
    unsetenv("REPRIGHT_WEB_DIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(web__content_types), cmocka_unit_test(web__cache_control),
        cmocka_unit_test(web__path_rules),    cmocka_unit_test(web__etag_matching),
        cmocka_unit_test(web__dir_check),     cmocka_unit_test(web__config),
        cmocka_unit_test(web__accept_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
