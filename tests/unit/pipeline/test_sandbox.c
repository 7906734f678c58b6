/*
 * test_sandbox.c - the sandboxed analysis (pipeline/sandbox.h) with the real binary
 * (REPRIGHT_ANALYZER, set by CTest) and, for the ways a child can go wrong, small shell scripts
 * standing in for it: a real clip gives a report and a track the parent can load; the filter
 * refuses open, socket, fork and exec; garbage is refused in plain words; the budget refuses
 * before any frame is decoded; the wall-clock deadline kills; a crashing child, a lying child
 * (a record over its bound) and a silent one are told apart; the child gets no descriptor and
 * no environment variable of the parent's but those it needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rr_error.h"
#include "pipeline/report_json.h"
#include "pipeline/sandbox.h"
#include "support/rrtest.h"
#include "video/decode.h"

#define T "pipeline/test_sandbox"
#define CLIP "media/videos/squat_side_BAD_heels_k_i002.mp4"

static char models[1024], tmp[256];

static const char *analyzer(void)
{
    const char *p = getenv("REPRIGHT_ANALYZER");
    if (!p || access(p, X_OK) != 0)
        rrtest_skip_case(T, "REPRIGHT_ANALYZER is not the repright binary");
    return p;
}

static struct sandbox_request request(const char *exe, int fd)
{
    struct sandbox_request rq = {
        .exe = exe,
        .video_fd = fd,
        .model_dir = models,
        .model = "lite",
        .limits = video_limits_default(),
        .memory_bytes = 3LL << 30,
        .cpu_seconds = 120,
        .wall_ms = 120000,
    };
    return rq;
}

static int open_clip(void)
{
    char path[1024];
    if (!rrtest_case_shared(T, CLIP, path, sizeof path))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

/* A stand-in child: a shell script at tmp/name. */
static const char *script(const char *name, const char *body)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(path, 0700), 0);
    return path;
}

static int stages;

static void count_progress(void *ud, const char *stage, double fraction)
{
    (void)ud;
    assert_true(fraction >= 0 && fraction <= 1);
    if (strcmp(stage, "pose") == 0)
        stages |= 1;
    if (strcmp(stage, "analysis") == 0)
        stages |= 2;
}

static void a_real_clip_comes_back_as_a_report_and_a_track(void **state)
{
    (void)state;
    const char *exe = analyzer();
    int fd = open_clip();
    struct sandbox_request rq = request(exe, fd);
    rq.exercise = "squat";
    rq.progress = count_progress;
    stages = 0;
    struct sandbox_result r;
    char msg[512];
    int rc = sandbox_analyze(&rq, &r, msg, sizeof msg);
    assert_int_equal(rc, 0);
    assert_int_equal(stages, 3);
    assert_true(r.info.width > 0 && r.info.height > 0 && r.info.fps > 0);
    assert_true(r.stats.frames > 10 && r.stats.frames_with_pose > 0);
    assert_true(r.child_cpu_ms > 0 && r.child_max_rss_kb > 0 && r.startup_ms > 0);
    assert_non_null(strstr(r.track, "repright.pose/1"));
    struct analysis_report *rep = NULL;
    void *doc = NULL;
    assert_int_equal(report_json_load(r.report, r.report_len, &rep, &doc, msg, sizeof msg), 0);
    assert_string_equal(rep->exercise, "squat");
    assert_true(rep->n_reps >= 1);
    assert_true(rep->set.mean_score == rep->set.mean_score); /* read back, not NaN */
    printf("sandboxed analysis: %zu frames, %zu reps, startup %.0f ms, child CPU %.0f ms, "
           "max RSS %lld KiB\n",
           r.stats.frames, rep->n_reps, r.startup_ms, r.child_cpu_ms,
           (long long)r.child_max_rss_kb);
    analysis_report_free(rep);
    report_json_doc_free(doc);
    sandbox_result_release(&r);
    close(fd);
}

static int refuse(void *ud, const struct video_info *in, int64_t *max_frames, char *err,
                  size_t err_len);

/* A real analysis through the sandbox, its track written to tmp/track.json: the render's
 * inputs as the server stores them. */
struct stored {
    struct sandbox_result an;
    int track_fd;
};

static void analyse_and_store(const char *exe, int fd, struct stored *s)
{
    struct sandbox_request rq = request(exe, fd);
    rq.exercise = "squat";
    char msg[512], path[512];
    assert_int_equal(sandbox_analyze(&rq, &s->an, msg, sizeof msg), 0);
    snprintf(path, sizeof path, "%s/track.json", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(s->an.track, 1, s->an.track_len, f), s->an.track_len);
    fclose(f);
    s->track_fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(s->track_fd >= 0);
}

static struct sandbox_render_request render_request(const char *exe, int fd,
                                                    const struct stored *s, const char *overlay,
                                                    const char *thumbs)
{
    struct sandbox_render_request rq = {
        .exe = exe,
        .video_fd = fd,
        .report = s->an.report,
        .report_len = s->an.report_len,
        .track_fd = s->track_fd,
        .overlay_path = overlay,
        .thumbs_dir = thumbs,
        .limits = video_limits_default(),
        .memory_bytes = 3LL << 30,
        .cpu_seconds = 120,
        .wall_ms = 120000,
    };
    return rq;
}

static int overlay_stages;

static void count_overlay(void *ud, const char *stage, double fraction)
{
    (void)ud;
    assert_true(fraction >= 0 && fraction <= 1);
    if (strcmp(stage, "overlay") == 0)
        overlay_stages++;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void a_real_render_publishes_a_playable_overlay_and_jpegs(void **state)
{
    (void)state;
    const char *exe = analyzer();
    int fd = open_clip();
    struct stored s;
    analyse_and_store(exe, fd, &s);
    char overlay[700], thumbs[512], msg[512];
    snprintf(thumbs, sizeof thumbs, "%s/render", tmp);
    assert_int_equal(mkdir(thumbs, 0700), 0);
    snprintf(overlay, sizeof overlay, "%s/overlay.mp4", thumbs);
    struct sandbox_render_request rq = render_request(exe, fd, &s, overlay, thumbs);
    rq.progress = count_overlay;
    overlay_stages = 0;
    struct sandbox_render_result r;
    int rc = sandbox_render(&rq, &r, msg, sizeof msg);
    if (rc != 0)
        printf("sandbox_render: %s\n", msg);
    assert_int_equal(rc, 0);
    assert_true(overlay_stages > 0);
    assert_int_equal(r.frames, s.an.stats.frames);
    assert_true(r.child_cpu_ms > 0 && r.startup_ms > 0);
    /* the overlay decodes, frame for frame */
    struct video *v = NULL;
    struct video_limits lim = video_limits_default();
    assert_int_equal(video_open(overlay, &lim, &v, msg, sizeof msg), 0);
    size_t n = 0;
    struct rr_image im;
    int64_t t;
    while (video_next(v, &im, &t, msg, sizeof msg) == 0)
        n++;
    video_close(v);
    assert_int_equal(n, r.frames);
    char part[800];
    snprintf(part, sizeof part, "%s.part", overlay);
    assert_false(exists(part));
    /* the thumbnails are JPEGs that decode */
    assert_true(r.has_thumbs);
    const char *jpegs[2] = {r.thumb_best, r.thumb_worst};
    for (int k = 0; k < 2; k++) {
        assert_true(jpegs[k][0]);
        struct rr_rgbbuf buf = {0};
        assert_int_equal(image_load(jpegs[k], &buf, msg, sizeof msg), 0);
        assert_true(buf.width > 0 && buf.height > 0);
        rr_rgbbuf_release(&buf);
    }
    printf("sandboxed render: %zu frames, render %.0f ms, startup %.0f ms, child CPU %.0f ms, "
           "max RSS %lld KiB\n",
           r.frames, r.render_ms, r.startup_ms, r.child_cpu_ms, (long long)r.child_max_rss_kb);
    /* a child that crashes leaves nothing under a final name, and no part file */
    char dir2[512], overlay2[600];
    snprintf(dir2, sizeof dir2, "%s/render-crash", tmp);
    assert_int_equal(mkdir(dir2, 0700), 0);
    snprintf(overlay2, sizeof overlay2, "%s/overlay.mp4", dir2);
    rq = render_request(script("crash-render", "printf 'overlay' >&6; kill -SEGV $$"), fd, &s,
                        overlay2, dir2);
    assert_int_equal(sandbox_render(&rq, &r, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "signal 11"));
    snprintf(part, sizeof part, "%s.part", overlay2);
    assert_false(exists(overlay2));
    assert_false(exists(part));
    assert_false(r.has_thumbs);
    /* a child stopped by its file-size limit is "too big", not a decoder crash */
    rq = render_request(script("fsize-render", "printf 'overlay' >&6; kill -XFSZ $$"), fd, &s,
                        overlay2, dir2);
    assert_int_equal(sandbox_render(&rq, &r, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_non_null(strstr(msg, "file-size limit"));
    assert_false(exists(overlay2));
    assert_false(exists(part));
    /* a child that claims success without an mp4 publishes nothing either */
    rq = render_request(script("fake-render",
                               "printf 'not an mp4' >&6; m='{\"frames\":3,\"render_ms\":1}'; "
                               "printf 'S\\037\\000\\000\\000%s' \"$m\" >&4"),
                        fd, &s, overlay2, dir2);
    assert_int_equal(sandbox_render(&rq, &r, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_false(exists(overlay2));
    assert_false(exists(part));
    /* thumbnails that are not JPEGs are refused */
    rq = render_request(script("bad-thumb", "printf 'B\\004\\000\\000\\000GIF8' >&4; sleep 5"),
                        fd, &s, NULL, dir2);
    assert_int_equal(sandbox_render(&rq, &r, msg, sizeof msg), RR_ERR_CORRUPT);
    char best[600];
    snprintf(best, sizeof best, "%s/best.jpg", dir2);
    assert_false(exists(best));
    /* the render is held to the budget on the child's reading of the header */
    int width = 0;
    rq = render_request(exe, fd, &s, overlay2, dir2);
    rq.admit = refuse;
    rq.admit_ud = &width;
    assert_int_equal(sandbox_render(&rq, &r, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_string_equal(msg, "too costly for this test");
    assert_true(width > 0);
    assert_false(exists(overlay2));
    assert_false(exists(part));
    close(s.track_fd);
    sandbox_result_release(&s.an);
    close(fd);
}

static void the_filter_refuses_files_sockets_fork_and_exec(void **state)
{
    (void)state;
    const char *exe = analyzer();
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s %s --check", exe, SANDBOX_CHILD_COMMAND);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, p));
    int status = pclose(p);
    printf("analyze-child --check: %s", line);
    assert_int_equal(status, 0);
    assert_non_null(strstr(line, "open refused: yes"));
    assert_non_null(strstr(line, "socket refused: yes"));
    assert_non_null(strstr(line, "fork refused: yes"));
    assert_non_null(strstr(line, "exec refused: yes"));
    assert_non_null(strstr(line, "threads work: yes"));
}

static void garbage_is_refused_in_plain_words(void **state)
{
    (void)state;
    const char *exe = analyzer();
    char path[512];
    snprintf(path, sizeof path, "%s/garbage.mp4", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct sandbox_request rq = request(exe, fd);
    struct sandbox_result r;
    char msg[512];
    int rc = sandbox_analyze(&rq, &r, msg, sizeof msg);
    assert_true(rc == RR_ERR_UNSUPPORTED || rc == RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "not a supported video"));
    assert_null(r.report);
    close(fd);
}

static int refuse(void *ud, const struct video_info *in, int64_t *max_frames, char *err,
                  size_t err_len)
{
    (void)max_frames;
    *(int *)ud = in->width;
    snprintf(err, err_len, "too costly for this test");
    return RR_ERR_TOOBIG;
}

static void the_budget_refuses_on_the_childs_reading_of_the_header(void **state)
{
    (void)state;
    const char *exe = analyzer();
    int fd = open_clip();
    int width = 0;
    struct sandbox_request rq = request(exe, fd);
    rq.admit = refuse;
    rq.admit_ud = &width;
    struct sandbox_result r;
    char msg[512];
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_string_equal(msg, "too costly for this test");
    assert_true(width > 0);
    assert_int_equal(r.stats.frames, 0);
    close(fd);
}

static void the_wall_clock_deadline_kills(void **state)
{
    (void)state;
    int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct sandbox_request rq = request(script("slow", "sleep 30"), fd);
    rq.wall_ms = 300;
    struct sandbox_result r;
    char msg[512];
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_TOOBIG);
    assert_non_null(strstr(msg, "longer than"));
    close(fd);
}

static void crashing_lying_and_silent_children_are_told_apart(void **state)
{
    (void)state;
    int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct sandbox_result r;
    char msg[512];
    struct sandbox_request rq = request(script("crash", "kill -SEGV $$"), fd);
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "signal 11"));
    /* a report record announcing 4 GiB: refused before anything is allocated */
    rq = request(script("liar", "printf 'R\\377\\377\\377\\377' >&4; sleep 5"), fd);
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_CORRUPT);
    assert_non_null(strstr(msg, "malformed"));
    rq = request(script("unknown", "printf 'X\\001\\000\\000\\000x' >&4"), fd);
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_CORRUPT);
    rq = request(script("silent", "exit 0"), fd);
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_INTERNAL);
    assert_non_null(strstr(msg, "without results"));
    /* an error record is the child's word for what went wrong */
    rq = request(script("nopose", "m='{\"code\":-9,\"message\":\"no person\"}'; "
                                  "printf 'E\\041\\000\\000\\000%s' \"$m\" >&4"),
                 fd);
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_NOPOSE);
    assert_string_equal(msg, "no person");
    close(fd);
}

static void the_child_gets_no_descriptor_or_secret_of_ours(void **state)
{
    (void)state;
    int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int nul = open("/dev/null", O_RDONLY);
    int leaky = fcntl(nul, F_DUPFD, 50); /* no FD_CLOEXEC: it would cross a plain exec */
    close(nul);
    assert_true(leaky >= 50);
    setenv("REPRIGHT_SECRET", "do-not-pass", 1);
    char body[2048], out[512];
    snprintf(out, sizeof out, "%s/seen", tmp);
    snprintf(body, sizeof body, "ls /proc/self/fd | sort -n | tr '\\n' ' ' > %s; env >> %s", out,
             out);
    struct sandbox_request rq = request(script("spy", body), fd);
    struct sandbox_result r;
    char msg[512];
    assert_int_equal(sandbox_analyze(&rq, &r, msg, sizeof msg), RR_ERR_INTERNAL);
    size_t len = 0;
    char *seen = rrtest_read_file(out, 1 << 16, &len);
    assert_non_null(seen);
    printf("child descriptors: %.40s\n", seen);
    /* 0-2 on /dev/null, 3 video, 4 and 5 the pipes (ls's own directory descriptor may show) */
    char *env = strchr(seen, '\n');
    *env = '\0';
    int bad = 0;
    char *rest = NULL;
    for (char *p = strtok_r(seen, " ", &rest); p; p = strtok_r(NULL, " ", &rest))
        if (strtol(p, NULL, 10) > 6)
            bad = 1;
    assert_false(bad);
    assert_null(strstr(env + 1, "REPRIGHT_SECRET"));
    free(seen);
    unsetenv("REPRIGHT_SECRET");
    close(leaky);
    close(fd);
}

/* The limits cross to the child on its command line: --max-size is its width and height. */
static void the_childs_size_limit_comes_from_the_request(void **state)
{
    (void)state;
    const char *exe = analyzer();
    int fd = open_clip();
    struct sandbox_request rq = request(exe, fd);
    rq.limits.max_width = rq.limits.max_height = 64;
    struct sandbox_result r;
    char msg[512];
    int rc = sandbox_analyze(&rq, &r, msg, sizeof msg);
    assert_int_equal(rc, RR_ERR_TOOBIG);
    if (!strstr(msg, "over the limit of 64x64"))
        fail_msg("%s", msg);
    assert_null(r.report);
    sandbox_result_release(&r);
    close(fd);
}

/* The child's command line (a table in sandbox_child.c): every bad one is the usage, exit 64,
 * before anything is set up (so this runs in the test's own process). */
static void a_bad_child_command_line_is_the_usage(void **state)
{
    (void)state;
    static const char *const bad[][9] = {
        {"analyze-child"},
        {"analyze-child", "--model-dir", "d"},
        {"analyze-child", "--model-dir"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--bogus"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--cpu"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--cpu", "-1"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--cpu", "1073741825"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--memory", "12x"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--max-bytes", "0"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--max-size", "0"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--max-size", "65537"},
        {"analyze-child", "--model-dir", "d", "--model", "lite", "--max-duration-us", ""},
        {"analyze-child", "--render", "--memory", "1"},
        {"analyze-child", "--render", "--overlay", "--max-size", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = 0;
        while (argc < 9 && bad[i][argc])
            argc++;
        char *argv[10] = {NULL};
        memcpy(argv, bad[i], sizeof bad[i]);
        if (sandbox_child_main(argc, argv) != 64)
            fail_msg("row %zu: not refused", i);
    }
}

int main(void)
{
    rrtest_require_model(T, "pose_landmark_lite.tflite", models, sizeof models);
    snprintf(tmp, sizeof tmp, "/tmp/rr-sandbox-XXXXXX");
    if (!mkdtemp(tmp))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_real_clip_comes_back_as_a_report_and_a_track),
        cmocka_unit_test(a_real_render_publishes_a_playable_overlay_and_jpegs),
        cmocka_unit_test(the_filter_refuses_files_sockets_fork_and_exec),
        cmocka_unit_test(garbage_is_refused_in_plain_words),
        cmocka_unit_test(the_budget_refuses_on_the_childs_reading_of_the_header),
        cmocka_unit_test(the_wall_clock_deadline_kills),
        cmocka_unit_test(crashing_lying_and_silent_children_are_told_apart),
        cmocka_unit_test(the_child_gets_no_descriptor_or_secret_of_ours),
        cmocka_unit_test(the_childs_size_limit_comes_from_the_request),
        cmocka_unit_test(a_bad_child_command_line_is_the_usage),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return rrtest_status(failed);
}
