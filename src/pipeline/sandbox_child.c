/*
 * sandbox_child.c - `repright analyze-child`: the sandboxed side of sandbox.h. Limits, models,
 * seccomp filter, then the one analysis of the video on descriptor 3, reported as records on 4.
 */
#define _GNU_SOURCE
#include "pipeline/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/report_write.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "pipeline/landmarks_file.h"
#include "pipeline/report_json.h"
#include "pipeline/sandbox_int.h"
#include "pose/blazepose.h"
#include "video/draw.h"

/* AddressSanitizer and ThreadSanitizer reserve terabytes of address space for their shadow
 * memory: an address-space limit would stop them at start, so their builds go without it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif
#ifndef SANDBOX_SANITIZED
#define SANDBOX_SANITIZED 0
#endif

/* What decoding (libavcodec, its threads) and inference (XNNPACK) do once the models are in
 * memory. Anything else fails with EPERM. */
static const int allowed_syscalls[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
    SCMP_SYS(preadv), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(fcntl), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(mmap), SCMP_SYS(munmap),
    SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex),
    SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(exit), SCMP_SYS(exit_group),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(getrandom), SCMP_SYS(tgkill),
    SCMP_SYS(getrusage), SCMP_SYS(sysinfo), SCMP_SYS(membarrier), SCMP_SYS(prlimit64),
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
};

static int install_filter(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return RR_ERR_NOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof allowed_syscalls / sizeof allowed_syscalls[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
    /* threads only: clone must carry CLONE_THREAD (no fork); clone3's flags sit behind a
     * pointer a filter cannot read, so it answers ENOSYS and glibc falls back to clone */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* prctl only to name a thread */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc == 0 ? 0 : RR_ERR_INTERNAL;
}

static void set_limit(int what, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    (void)setrlimit(what, &rl);
}

/* Limits that hold from here on; the memory limit only where sanitizers allow it. */
static void set_limits(int64_t memory_bytes, int cpu_seconds, int render)
{
    set_limit(RLIMIT_CORE, 0, 0);
    /* no file to write, but a render's overlay (on the descriptor the parent made); set once,
     * here, before any file is touched: a hard limit lowered cannot be raised again */
    if (render)
        set_limit(RLIMIT_FSIZE, (rlim_t)SANDBOX_OVERLAY_MAX_BYTES,
                  (rlim_t)SANDBOX_OVERLAY_MAX_BYTES);
    else
        set_limit(RLIMIT_FSIZE, 0, 0);
    if (cpu_seconds > 0)
        set_limit(RLIMIT_CPU, (rlim_t)cpu_seconds, (rlim_t)cpu_seconds + 5);
    if (memory_bytes > 0 && !SANDBOX_SANITIZED)
        set_limit(RLIMIT_AS, (rlim_t)memory_bytes, (rlim_t)memory_bytes);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* ---- records --------------------------------------------------------------------------- */

static size_t go_max(char type)
{
    return type == 'G' ? SANDBOX_SMALL_MAX : 0;
}

static int send_json(char type, struct rr_json *j)
{
    int rc = rr_json_finish(j);
    if (rc == 0)
        rc = sandbox__rec_write(SANDBOX_FD_OUT, type, rr_json_data(j), rr_json_len(j));
    rr_json_release(j);
    return rc;
}

static int send_error(int code, const char *msg)
{
    struct rr_json j;
    char stack[768];
    rr_json_init(&j, stack, sizeof stack, SANDBOX_SMALL_MAX);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "code");
    rr_json_int(&j, code);
    RR_JSON_KEY(&j, "message");
    const char *text = msg && msg[0] ? msg : rr_strerror(code);
    rr_json_string_lossy(&j, text, strlen(text));
    rr_json_object_end(&j);
    return send_json('E', &j);
}

static void on_progress(void *ud, const char *stage, double fraction)
{
    (void)ud;
    struct rr_json j;
    char stack[128];
    rr_json_init(&j, stack, sizeof stack, SANDBOX_SMALL_MAX);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "stage");
    rr_json_string(&j, stage);
    RR_JSON_KEY(&j, "fraction");
    rr_json_real(&j, fraction);
    rr_json_object_end(&j);
    (void)send_json('P', &j);
}

static int send_info(const struct video_info *in)
{
    struct rr_json j;
    char stack[512];
    rr_json_init(&j, stack, sizeof stack, SANDBOX_SMALL_MAX);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "width");
    rr_json_int(&j, in->width);
    RR_JSON_KEY(&j, "height");
    rr_json_int(&j, in->height);
    RR_JSON_KEY(&j, "rotation");
    rr_json_int(&j, in->rotation);
    RR_JSON_KEY(&j, "fps");
    rr_json_real(&j, in->fps);
    RR_JSON_KEY(&j, "duration_us");
    rr_json_int(&j, in->duration_us);
    RR_JSON_KEY(&j, "frames");
    rr_json_int(&j, in->frames);
    rr_json_object_end(&j);
    return send_json('I', &j);
}

static int send_stats(const struct pipeline_result *res)
{
    const struct pipeline_stats *s = &res->stats;
    struct rr_json j;
    char stack[768];
    rr_json_init(&j, stack, sizeof stack, SANDBOX_SMALL_MAX);
    rr_json_object_begin(&j);
#define REAL(name) RR_JSON_KEY(&j, #name); rr_json_real(&j, s->name);
#define UINT(name) RR_JSON_KEY(&j, #name); rr_json_uint(&j, s->name);
    REAL(wall_ms) REAL(pose_wall_ms) REAL(pose_busy_ms) REAL(decode_busy_ms) REAL(analysis_ms)
    UINT(frames) UINT(frames_with_pose) UINT(detector_runs) REAL(fps)
#undef REAL
#undef UINT
    RR_JSON_KEY(&j, "duration_us");
    rr_json_int(&j, res->info.duration_us);
    rr_json_object_end(&j);
    return send_json('S', &j);
}

/* The parent's go: {"max_frames": N}, N > 0. 0 when it refused or is gone. */
static int64_t wait_go(void)
{
    char type = 0, *data = NULL;
    size_t len = 0;
    int64_t max_frames = 0;
    if (sandbox__rec_read(SANDBOX_FD_IN, 0, go_max, &type, &data, &len) == 0 && type == 'G') {
        const char *p = strstr(data, "\"max_frames\":");
        if (p)
            max_frames = strtoll(p + 13, NULL, 10);
    }
    free(data);
    return max_frames > 0 ? max_frames : 0;
}

/* ---- the run --------------------------------------------------------------------------- */

struct child_args {
    const char *model_dir, *model, *exercise;
    struct video_limits limits;
    int64_t memory_bytes;
    int cpu_seconds;
    int check;
    int render, overlay, thumbs; /* --render: the overlay (fd 6) and/or the thumbnails */
};

/* The command line, one row per option: where it goes in struct child_args, and its bounds. */
enum child_arg_kind {
    ARG_FLAG, /* no value: the int at `at` becomes 1 */
    ARG_STR,  /* a const char * (borrowed from argv) */
    ARG_I64,  /* an int64_t in lo..hi */
    ARG_INT,  /* an int in lo..hi */
    ARG_INT2, /* an int in lo..hi, at `at` and at `also` (--max-size: width and height) */
};

struct child_arg {
    const char *name;
    enum child_arg_kind kind;
    size_t at;
    int64_t lo, hi;
    size_t also;
};

#define AT(field) offsetof(struct child_args, field)
static const struct child_arg child_arg_table[] = {
    {"--check", ARG_FLAG, AT(check), 0, 0, 0},
    {"--render", ARG_FLAG, AT(render), 0, 0, 0},
    {"--overlay", ARG_FLAG, AT(overlay), 0, 0, 0},
    {"--thumbs", ARG_FLAG, AT(thumbs), 0, 0, 0},
    {"--model-dir", ARG_STR, AT(model_dir), 0, 0, 0},
    {"--model", ARG_STR, AT(model), 0, 0, 0},
    {"--exercise", ARG_STR, AT(exercise), 0, 0, 0},
    {"--memory", ARG_I64, AT(memory_bytes), 0, INT64_MAX, 0},
    {"--cpu", ARG_INT, AT(cpu_seconds), 0, 1 << 30, 0},
    {"--max-bytes", ARG_I64, AT(limits.max_file_bytes), 1, INT64_MAX, 0},
    {"--max-size", ARG_INT2, AT(limits.max_width), 1, 1 << 16, AT(limits.max_height)},
    {"--max-duration-us", ARG_I64, AT(limits.max_duration_us), 1, INT64_MAX, 0},
};
#undef AT

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* One option's value (NULL for a flag, or when missing) into *a; -1 if missing or out of bounds. */
static int set_arg(struct child_args *a, const struct child_arg *o, const char *v)
{
    char *base = (char *)a;
    int64_t n = 0;
    if (o->kind == ARG_FLAG) {
        *(int *)(base + o->at) = 1;
        return 0;
    }
    if (!v)
        return -1;
    if (o->kind == ARG_STR) {
        *(const char **)(base + o->at) = v;
        return 0;
    }
    if (parse_i64(v, o->lo, o->hi, &n) < 0)
        return -1;
    if (o->kind == ARG_I64)
        *(int64_t *)(base + o->at) = n;
    else
        *(int *)(base + o->at) = (int)n;
    if (o->kind == ARG_INT2)
        *(int *)(base + o->also) = (int)n;
    return 0;
}

static int parse_args(int argc, char **argv, struct child_args *a)
{
    const size_t n_args = sizeof child_arg_table / sizeof child_arg_table[0];
    memset(a, 0, sizeof *a);
    a->limits = video_limits_default();
    for (int i = 1; i < argc; i++) {
        const struct child_arg *o = NULL;
        for (size_t k = 0; k < n_args && !o; k++)
            if (strcmp(argv[i], child_arg_table[k].name) == 0)
                o = &child_arg_table[k];
        if (!o)
            return -1;
        const char *v = NULL;
        if (o->kind != ARG_FLAG) {
            i++;
            v = i < argc ? argv[i] : NULL;
        }
        if (set_arg(a, o, v) < 0)
            return -1;
    }
    if (a->render)
        return a->overlay || a->thumbs ? 0 : -1;
    return a->check || (a->model_dir && a->model) ? 0 : -1;
}

static int run(const struct child_args *a)
{
    char msg[512] = "", model_msg[512] = "";
    enum pose_model_kind kind;
    struct pose_models *models = NULL;
    int model_rc = pose_model_kind_parse(a->model, &kind);
    if (model_rc == 0)
        model_rc = pose_models_load(a->model_dir, kind, &models, model_msg, sizeof model_msg);
    if (model_rc == 0) {
        /* one session made and dropped: XNNPACK and its CPU probe (which reads /proc and /sys)
         * initialise now, while files can still be opened */
        struct pose_session *warm = NULL;
        struct pose_session_opts so = pose_session_opts_default();
        model_rc = pose_session_new(models, &so, &warm, model_msg, sizeof model_msg);
        pose_session_free(warm);
    }
    /* from here on: no new files, no network, no new programs */
    int rc = install_filter();
    if (rc < 0) {
        pose_models_free(models);
        return send_error(rc, "cannot install the system-call filter");
    }
    struct video_limits lim = a->limits;
    struct video *v = NULL;
    rc = video_open_fd(SANDBOX_FD_VIDEO, "the video", &lim, &v, msg, sizeof msg);
    if (rc == 0) {
        rc = send_info(video_get_info(v));
        video_close(v);
    }
    if (rc < 0) {
        pose_models_free(models);
        return send_error(rc, msg);
    }
    /* the budget is decided before the models matter: a costly video is refused as such even
     * where the models are missing */
    lim.max_frames = wait_go();
    if (lim.max_frames <= 0) { /* refused: the parent said why */
        pose_models_free(models);
        return RR_ERR_TOOBIG;
    }
    if (model_rc < 0) { /* the same words as an analysis in process */
        pose_models_free(models);
        snprintf(msg, sizeof msg, "cannot load the pose models: %.400s",
                 model_msg[0] ? model_msg : rr_strerror(model_rc));
        return send_error(model_rc, msg);
    }
    struct pipeline_opts o = pipeline_opts_default();
    o.limits = lim;
    o.input_fd = SANDBOX_FD_VIDEO;
    o.threads = 1;
    o.exercise = a->exercise;
    o.progress = on_progress;
    struct pipeline_result res;
    rc = pipeline_analyze("the video", models, &o, &res, msg, sizeof msg);
    if (rc < 0) {
        rc = send_error(rc, msg);
    } else {
        char *report = report_json_dumps(res.report);
        char *track = landmarks_file_write_track(res.frames, res.n_frames, res.info.fps,
                                                 res.info.width, res.info.height);
        if (!report || !track)
            rc = send_error(RR_ERR_NOMEM, "out of memory writing the results");
        else if ((rc = sandbox__rec_write(SANDBOX_FD_OUT, 'R', report, strlen(report))) == 0 &&
                 (rc = sandbox__rec_write(SANDBOX_FD_OUT, 'L', track, strlen(track))) == 0)
            rc = send_stats(&res);
        free(report);
        free(track);
    }
    pipeline_result_release(&res);
    pose_models_free(models);
    return rc;
}

/* ---- the render --------------------------------------------------------------------- */

static int thumb_sink(void *ud, const char *name, const uint8_t *jpeg, size_t len)
{
    (void)ud;
    if (len > SANDBOX_THUMB_MAX_BYTES)
        return RR_ERR_TOOBIG;
    return sandbox__rec_write(SANDBOX_FD_OUT, strcmp(name, "worst") == 0 ? 'W' : 'B', jpeg, len);
}

/* The stored report from descriptor 7, at most ANALYSIS_REPORT_MAX_BYTES. */
static int read_report(char **text, size_t *len)
{
    struct stat st;
    *text = NULL;
    *len = 0;
    if (fstat(SANDBOX_FD_REPORT, &st) != 0 || st.st_size <= 0 ||
        (uintmax_t)st.st_size > ANALYSIS_REPORT_MAX_BYTES)
        return RR_ERR_CORRUPT;
    size_t n = (size_t)st.st_size, got = 0;
    char *buf = malloc(n + 1);
    if (!buf)
        return RR_ERR_NOMEM;
    while (got < n) {
        ssize_t r = pread(SANDBOX_FD_REPORT, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return got == n ? 0 : RR_ERR_IO;
}

static int send_render_stats(const struct pipeline_result *res)
{
    struct rr_json j;
    char stack[256];
    rr_json_init(&j, stack, sizeof stack, SANDBOX_SMALL_MAX);
    rr_json_object_begin(&j);
    RR_JSON_KEY(&j, "frames");
    rr_json_uint(&j, res->stats.frames);
    RR_JSON_KEY(&j, "render_ms");
    rr_json_real(&j, res->stats.render_ms);
    RR_JSON_KEY(&j, "wall_ms");
    rr_json_real(&j, res->stats.wall_ms);
    rr_json_object_end(&j);
    return send_json('S', &j);
}

static int run_render(const struct child_args *a)
{
    char msg[512] = "";
    /* the HUD font is the one file opened by name, before the filter (sized per video later) */
    struct draw_font *font = NULL;
    if (draw_font_open(NULL, 16, &font) < 0)
        font = NULL; /* no font installed: skeleton only, as in process */
    int rc = install_filter();
    if (rc < 0) {
        draw_font_free(font);
        return send_error(rc, "cannot install the system-call filter");
    }
    struct video_limits lim = a->limits;
    struct video *v = NULL;
    rc = video_open_fd(SANDBOX_FD_VIDEO, "the video", &lim, &v, msg, sizeof msg);
    if (rc == 0) {
        rc = send_info(video_get_info(v));
        video_close(v);
    }
    if (rc < 0) {
        draw_font_free(font);
        return send_error(rc, msg);
    }
    lim.max_frames = wait_go();
    if (lim.max_frames <= 0) { /* refused: the parent said why */
        draw_font_free(font);
        return RR_ERR_TOOBIG;
    }
    char *report = NULL;
    size_t report_len = 0;
    rc = read_report(&report, &report_len);
    if (rc < 0) {
        free(report);
        draw_font_free(font);
        return send_error(rc, "cannot read the stored report");
    }
    struct pipeline_opts o = pipeline_opts_default();
    o.limits = lim;
    o.input_fd = SANDBOX_FD_VIDEO;
    o.overlay_fd = a->overlay ? SANDBOX_FD_OVERLAY : 0;
    o.thumb_sink = a->thumbs ? thumb_sink : NULL;
    o.font = font;
    o.progress = on_progress;
    struct pipeline_result res;
    rc = pipeline_render("the video", report, report_len, SANDBOX_FD_TRACK, &o, &res, msg,
                         sizeof msg);
    rc = rc < 0 ? send_error(rc, msg) : send_render_stats(&res);
    pipeline_result_release(&res);
    free(report);
    draw_font_free(font);
    return rc;
}

static void *thread_noop(void *p)
{
    return p;
}

int sandbox_self_check(char *out, size_t out_len)
{
    int rc = install_filter(); /* the filter only: stdout may be a file (RLIMIT_FSIZE) */
    if (rc < 0) {
        snprintf(out, out_len, "the filter could not be installed");
        return rc;
    }
    int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    int open_refused = fd < 0 && errno == EPERM;
    if (fd >= 0)
        close(fd);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int socket_refused = s < 0 && errno == EPERM;
    if (s >= 0)
        close(s);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    int fork_refused = pid < 0;
    char *const argv[] = {"true", NULL};
    int exec_refused = execve("/bin/true", argv, NULL) < 0 && errno == EPERM;
    pthread_t t;
    int thread_ok = pthread_create(&t, NULL, thread_noop, NULL) == 0 && pthread_join(t, NULL) == 0;
    snprintf(out, out_len,
             "open refused: %s, socket refused: %s, fork refused: %s, exec refused: %s, "
             "threads work: %s",
             open_refused ? "yes" : "no", socket_refused ? "yes" : "no",
             fork_refused ? "yes" : "no", exec_refused ? "yes" : "no", thread_ok ? "yes" : "no");
    return open_refused && socket_refused && fork_refused && exec_refused && thread_ok
               ? 0
               : RR_ERR_INTERNAL;
}

int sandbox_child_main(int argc, char **argv)
{
    struct child_args a;
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "usage: repright %s --model-dir DIR --model lite|full|heavy "
                        "[--exercise NAME] [--memory BYTES] [--cpu SECONDS] [--max-bytes N] "
                        "[--max-size PX] [--max-duration-us N] | --render [--overlay] "
                        "[--thumbs] [--memory ...] | --check\n",
                SANDBOX_CHILD_COMMAND);
        return 64;
    }
    if (a.check) {
        char out[256];
        int rc = sandbox_self_check(out, sizeof out);
        printf("%s\n", out);
        fflush(stdout); /* the command ends with _exit */
        return rc == 0 ? 0 : 1;
    }
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() == 1) /* the parent died before the line above */
        return 70;
    (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    set_limits(a.memory_bytes, a.cpu_seconds, a.render);
    int rc = a.render ? run_render(&a) : run(&a);
    return rc == 0 ? 0 : 2;
}
