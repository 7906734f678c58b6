/*
 * sandbox.c - the parent side of sandbox.h: start `repright analyze-child`, answer its header
 * with the job's frame budget, collect its records before a deadline, reap it and say how it
 * ended.
 */
#define _GNU_SOURCE
#include "pipeline/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis/report_write.h"
#include "base/rr_error.h"
#include "base/rr_json.h"
#include "pipeline/sandbox_int.h"

extern char **environ;

/* Parent-side descriptors are parked this high before the child's file actions move them to
 * 3, 4, 5, so no dup2 can overwrite another source. */
#define PARK_FD 100

static size_t rec_max_analysis(char type)
{
    switch (type) {
    case 'R':
        return ANALYSIS_REPORT_MAX_BYTES;
    case 'L':
        return SANDBOX_TRACK_MAX_BYTES;
    case 'I':
    case 'P':
    case 'S':
    case 'E':
        return SANDBOX_SMALL_MAX;
    default:
        return 0;
    }
}

static size_t rec_max_render(char type)
{
    switch (type) {
    case 'B':
    case 'W':
        return SANDBOX_THUMB_MAX_BYTES;
    case 'I':
    case 'P':
    case 'S':
    case 'E':
        return SANDBOX_SMALL_MAX;
    default:
        return 0;
    }
}

/* The environment the child gets: sanitizer, FFmpeg-log and fault-injection switches only
 * (never a secret or a URL). */
static size_t child_env(char **env, size_t cap)
{
    static const char *const keep[] = {"ASAN_OPTIONS=",  "UBSAN_OPTIONS=",
                                       "LSAN_OPTIONS=",  "TSAN_OPTIONS=",
                                       "REPRIGHT_FFMPEG_LOG=", "REPRIGHT_FAULTS="};
    size_t n = 0;
    for (char **e = environ; e && *e && n + 1 < cap; e++)
        for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
            if (strncmp(*e, keep[k], strlen(keep[k])) == 0)
                env[n++] = *e;
    env[n] = NULL;
    return n;
}

struct spawned {
    pid_t pid;
    int out_r; /* child's records */
    int in_w;  /* our answers */
};

/* What the child gets beyond 0-2 on /dev/null and the two pipes: the video on 3 and, from 6
 * on, extra[i] (-1: /dev/null). */
struct spawn_spec {
    const char *exe;
    char *const *argv;
    int video_fd;
    int extra[3];
    int n_extra;
    const char *what; /* "analysis" | "render", for messages */
};

#define MAX_PASSED 6

static int spawn_child(const struct spawn_spec *spec, struct spawned *sp, char *msg,
                       size_t msg_len)
{
    char *env[8];
    child_env(env, sizeof env / sizeof env[0]);

    int out_p[2] = {-1, -1}, in_p[2] = {-1, -1};
    int park[MAX_PASSED] = {-1, -1, -1, -1, -1, -1};
    int n_park = 3 + spec->n_extra;
    int rc = RR_ERR_IO;
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    if (spec->n_extra < 0 || n_park > MAX_PASSED)
        return RR_ERR_INVAL;
    if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(in_p, O_CLOEXEC) != 0) {
        snprintf(msg, msg_len, "cannot create pipes: %s", strerror(errno));
        goto out;
    }
    int src[MAX_PASSED] = {spec->video_fd, out_p[1], in_p[0], -1, -1, -1};
    for (int i = 0; i < spec->n_extra; i++)
        src[3 + i] = spec->extra[i];
    for (int i = 0; i < n_park; i++)
        if (src[i] >= 0 && (park[i] = fcntl(src[i], F_DUPFD_CLOEXEC, PARK_FD)) < 0) {
            snprintf(msg, msg_len, "cannot pass descriptors: %s", strerror(errno));
            goto out;
        }
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto out;
    fa_ok = 1;
    int e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    for (int i = 0; !e && i < n_park; i++)
        e = park[i] >= 0 ? posix_spawn_file_actions_adddup2(&fa, park[i], SANDBOX_FD_VIDEO + i)
                         : posix_spawn_file_actions_addopen(&fa, SANDBOX_FD_VIDEO + i,
                                                            "/dev/null", O_RDONLY, 0);
    if (!e) /* nothing else of ours crosses: database, sockets, logs */
        e = posix_spawn_file_actions_addclosefrom_np(&fa, SANDBOX_FD_VIDEO + n_park);
    if (!e)
        e = posix_spawn(&sp->pid, spec->exe, &fa, NULL, spec->argv, env);
    if (e) {
        snprintf(msg, msg_len, "cannot start the %s process %s: %s", spec->what, spec->exe,
                 strerror(e));
        goto out;
    }
    sp->out_r = out_p[0];
    sp->in_w = in_p[1];
    out_p[0] = in_p[1] = -1;
    rc = 0;
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    int fds[] = {out_p[0], out_p[1], in_p[0], in_p[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    for (int i = 0; i < MAX_PASSED; i++)
        if (park[i] >= 0)
            close(park[i]);
    return rc;
}

/* The limits every child gets on its command line. */
struct limit_args {
    char mem[32], cpu[32], bytes[32], size[32], dur[32];
};

static void limit_args(struct limit_args *l, int64_t memory_bytes, int cpu_seconds,
                       const struct video_limits *lim)
{
    snprintf(l->mem, sizeof l->mem, "%lld", (long long)memory_bytes);
    snprintf(l->cpu, sizeof l->cpu, "%d", cpu_seconds);
    snprintf(l->bytes, sizeof l->bytes, "%lld", (long long)lim->max_file_bytes);
    int side = lim->max_width > lim->max_height ? lim->max_width : lim->max_height;
    snprintf(l->size, sizeof l->size, "%d", side);
    snprintf(l->dur, sizeof l->dur, "%lld", (long long)lim->max_duration_us);
}

/* ---- records from the child ------------------------------------------------------------- */

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int64_t jint(json_t *o, const char *k, int64_t lo, int64_t hi)
{
    double d = jnum(o, k);
    return isfinite(d) && d >= (double)lo && d <= (double)hi ? (int64_t)d : 0;
}

static void read_info(json_t *o, struct video_info *in)
{
    in->width = (int)jint(o, "width", 0, 1 << 16);
    in->height = (int)jint(o, "height", 0, 1 << 16);
    in->rotation = (int)jint(o, "rotation", 0, 270);
    double fps = jnum(o, "fps");
    in->fps = isfinite(fps) && fps > 0 && fps < 10000 ? fps : 0;
    in->duration_us = jint(o, "duration_us", 0, INT64_C(1) << 50);
    in->frames = jint(o, "frames", 0, INT64_C(1) << 40);
}

static void read_stats(json_t *o, struct pipeline_stats *s, struct video_info *in)
{
#define REAL(name) { double d = jnum(o, #name); s->name = isfinite(d) && d >= 0 ? d : 0; }
    REAL(wall_ms) REAL(pose_wall_ms) REAL(pose_busy_ms) REAL(decode_busy_ms) REAL(analysis_ms)
    REAL(fps)
#undef REAL
    s->frames = (size_t)jint(o, "frames", 0, INT64_C(1) << 40);
    s->frames_with_pose = (size_t)jint(o, "frames_with_pose", 0, INT64_C(1) << 40);
    s->detector_runs = (size_t)jint(o, "detector_runs", 0, INT64_C(1) << 40);
    int64_t d = jint(o, "duration_us", 0, INT64_C(1) << 50);
    if (d > 0)
        in->duration_us = d;
}

/* The go record: {"max_frames": N}; N = 0 refuses. */
static int send_go(int fd, int64_t max_frames)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "{\"max_frames\":%lld}", (long long)max_frames);
    return sandbox__rec_write(fd, 'G', buf, (size_t)n);
}

/* Where the records of one child go: the analysis fills `an`, the render `rn` and `thumb`. */
struct run_state {
    int err_code;          /* from an 'E' record, else 0 */
    char err_msg[512];
    int refused;           /* the admit callback said no (its reason in msg) */
    int got_report, got_stats;
    struct video_info *info;
    double *startup_ms;
    struct sandbox_result *an;        /* analysis, else NULL */
    struct sandbox_render_result *rn; /* render, else NULL */
    char *thumb[2];                   /* render: best, worst JPEG bytes */
    size_t thumb_len[2];
};

struct run_params {
    struct video_limits limits;
    sandbox_admit_fn admit;
    void *admit_ud;
    void (*progress)(void *ud, const char *stage, double fraction);
    void *progress_ud;
};

static int take_record(const struct run_params *rp, const struct spawned *sp, int64_t t0,
                       char type, char **data, size_t len, json_t *o, struct run_state *st,
                       char *msg, size_t msg_len)
{
    switch (type) {
    case 'I': {
        read_info(o, st->info);
        *st->startup_ms = (double)(sandbox__now_ms() - t0);
        int64_t max_frames = rp->limits.max_frames > 0 ? rp->limits.max_frames : INT64_MAX / 2;
        if (rp->admit) {
            int rc = rp->admit(rp->admit_ud, st->info, &max_frames, msg, msg_len);
            if (rc < 0) {
                st->refused = rc;
                max_frames = 0;
            }
        }
        if (send_go(sp->in_w, max_frames > 0 ? max_frames : 0) < 0 && !st->refused)
            return RR_ERR_IO;
        return 0;
    }
    case 'P': {
        json_t *stage = json_object_get(o, "stage");
        double f = jnum(o, "fraction");
        if (rp->progress && json_is_string(stage) && isfinite(f) && f >= 0 && f <= 1)
            rp->progress(rp->progress_ud, json_string_value(stage), f);
        return 0;
    }
    case 'R':
        if (st->an && !st->an->report) {
            st->an->report = *data;
            st->an->report_len = len;
            *data = NULL;
            st->got_report = 1;
        }
        return 0;
    case 'L':
        if (st->an && !st->an->track) {
            st->an->track = *data;
            st->an->track_len = len;
            *data = NULL;
        }
        return 0;
    case 'B':
    case 'W': {
        int k = type == 'W';
        /* a JPEG: SOI marker first, EOI last; anything else is not stored */
        const unsigned char *b = (const unsigned char *)*data;
        if (len < 4 || b[0] != 0xff || b[1] != 0xd8 || b[len - 2] != 0xff || b[len - 1] != 0xd9)
            return RR_ERR_CORRUPT;
        if (!st->thumb[k]) {
            st->thumb[k] = *data;
            st->thumb_len[k] = len;
            *data = NULL;
        }
        return 0;
    }
    case 'S':
        if (st->an) {
            read_stats(o, &st->an->stats, st->info);
        } else {
            st->rn->frames = (size_t)jint(o, "frames", 0, INT64_C(1) << 40);
            double d = jnum(o, "render_ms");
            st->rn->render_ms = isfinite(d) && d >= 0 ? d : 0;
        }
        st->got_stats = 1;
        return 0;
    case 'E': {
        double c = jnum(o, "code");
        json_t *m = json_object_get(o, "message");
        st->err_code = isfinite(c) && c < 0 && c > -100 ? (int)c : RR_ERR_INTERNAL;
        snprintf(st->err_msg, sizeof st->err_msg, "%s",
                 json_is_string(m) ? json_string_value(m) : rr_strerror(st->err_code));
        return 0;
    }
    default:
        return RR_ERR_CORRUPT;
    }
}

/* Read records until the child's end of stream, an error record, or the deadline. */
static int collect(const struct run_params *rp, const struct spawned *sp, int64_t deadline,
                   int64_t t0, struct run_state *st, char *msg, size_t msg_len)
{
    size_t (*rec_max)(char) = st->an ? rec_max_analysis : rec_max_render;
    for (;;) {
        char type = 0, *data = NULL;
        size_t len = 0;
        int rc = sandbox__rec_read(sp->out_r, deadline, rec_max, &type, &data, &len);
        if (rc == RR_ERR_EOF)
            return 0;
        if (rc < 0)
            return rc;
        json_t *o = NULL;
        if (type == 'I' || type == 'P' || type == 'S' || type == 'E') {
            o = json_loadb(data, len, 0, NULL);
            if (!json_is_object(o)) {
                json_decref(o);
                free(data);
                return RR_ERR_CORRUPT;
            }
        }
        rc = take_record(rp, sp, t0, type, &data, len, o, st, msg, msg_len);
        json_decref(o);
        free(data);
        if (rc < 0)
            return rc;
    }
}

/* Wait for the child to end (it should, once its stream ended), killing it at the deadline. */
static void reap(pid_t pid, int64_t deadline, int *status, struct rusage *ru, int *killed)
{
    *killed = 0;
    for (;;) {
        pid_t r = wait4(pid, status, WNOHANG, ru);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        if (sandbox__now_ms() >= deadline && !*killed) {
            kill(pid, SIGKILL);
            *killed = 1;
            r = wait4(pid, status, 0, ru);
            return;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

struct run_end {
    double cpu_ms;
    int64_t max_rss_kb;
};

/* Start the child, collect its records, reap it and say how it ended (0: it ended well and
 * sent its figures; whether it sent everything else is the caller's to check). */
static int run_child(const struct spawn_spec *spec, const struct run_params *rp, int cpu_seconds,
                     int64_t wall_ms, struct run_state *st, struct run_end *end, char *msg,
                     size_t msg_len)
{
    int64_t t0 = sandbox__now_ms(), deadline = t0 + wall_ms;
    struct spawned sp = {-1, -1, -1};
    int rc = spawn_child(spec, &sp, msg, msg_len);
    if (rc < 0)
        return rc;
    int crc = collect(rp, &sp, deadline, t0, st, msg, msg_len);
    close(sp.in_w);
    close(sp.out_r);
    int we_killed = crc == RR_ERR_TIMEOUT || crc == RR_ERR_CORRUPT;
    if (we_killed) /* stop it now */
        kill(sp.pid, SIGKILL);
    int status = 0, killed = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    /* a child that ended its stream gets 10 s to exit */
    int64_t exit_deadline = sandbox__now_ms() + 10000;
    reap(sp.pid, exit_deadline < deadline ? exit_deadline : deadline, &status, &ru, &killed);
    end->cpu_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 +
                  (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
    end->max_rss_kb = ru.ru_maxrss;

    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (st->refused) {
        rc = st->refused; /* msg already says why */
    } else if (crc == RR_ERR_TIMEOUT || killed) {
        snprintf(msg, msg_len, "the %s took longer than the %lld s allowed", spec->what,
                 (long long)(wall_ms / 1000));
        rc = RR_ERR_TOOBIG;
    } else if (sig == SIGXCPU || (sig == SIGKILL && cpu_seconds > 0 &&
                                  end->cpu_ms >= cpu_seconds * 1000.0)) {
        snprintf(msg, msg_len, "the %s used more than the %d s of processing allowed",
                 spec->what, cpu_seconds);
        rc = RR_ERR_TOOBIG;
    } else if (sig == SIGXFSZ) {
        snprintf(msg, msg_len, "the %s's output grew past the file-size limit of the "
                               "sandbox", spec->what);
        rc = RR_ERR_TOOBIG;
    } else if (st->err_code) {
        snprintf(msg, msg_len, "%s", st->err_msg);
        rc = st->err_code;
    } else if (sig && !we_killed) {
        snprintf(msg, msg_len, "the video could not be processed safely (the %s process "
                               "stopped with signal %d)", spec->what, sig);
        rc = RR_ERR_CORRUPT;
    } else if (crc < 0) {
        snprintf(msg, msg_len, "the %s process sent malformed results (%s)", spec->what,
                 rr_strerror(crc));
        rc = RR_ERR_CORRUPT;
    } else if (!st->got_stats || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(msg, msg_len, "the %s process ended without results (exit status %d)",
                 spec->what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        rc = RR_ERR_INTERNAL;
    } else {
        rc = 0;
    }
    return rc;
}

int sandbox_analyze(const struct sandbox_request *rq, struct sandbox_result *out, char *msg,
                    size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (!out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (!rq || !rq->exe || !rq->model_dir || !rq->model || rq->video_fd < 0 || rq->wall_ms <= 0)
        return RR_ERR_INVAL;
    struct limit_args la = {"", "", "", "", ""};
    limit_args(&la, rq->memory_bytes, rq->cpu_seconds, &rq->limits);
    char *argv[] = {"repright", SANDBOX_CHILD_COMMAND, "--model-dir", (char *)rq->model_dir,
                    "--model", (char *)rq->model, "--memory", la.mem, "--cpu", la.cpu,
                    "--max-bytes", la.bytes, "--max-size", la.size, "--max-duration-us", la.dur,
                    rq->exercise ? "--exercise" : NULL, (char *)rq->exercise, NULL};
    struct spawn_spec spec = {rq->exe, argv, rq->video_fd, {-1, -1, -1}, 0, "analysis"};
    struct run_params rp = {rq->limits, rq->admit, rq->admit_ud, rq->progress, rq->progress_ud};
    struct run_state st;
    memset(&st, 0, sizeof st);
    st.info = &out->info;
    st.startup_ms = &out->startup_ms;
    st.an = out;
    struct run_end end = {0, 0};
    int rc = run_child(&spec, &rp, rq->cpu_seconds, rq->wall_ms, &st, &end, msg, msg_len);
    out->child_cpu_ms = end.cpu_ms;
    out->child_max_rss_kb = end.max_rss_kb;
    if (rc == 0 && (!st.got_report || !out->track)) {
        snprintf(msg, msg_len, "the analysis process ended without results (no %s)",
                 st.got_report ? "landmark track" : "report");
        rc = RR_ERR_INTERNAL;
    }
    if (rc < 0)
        sandbox_result_release(out);
    return rc;
}

void sandbox_result_release(struct sandbox_result *r)
{
    if (!r)
        return;
    free(r->report);
    free(r->track);
    r->report = r->track = NULL;
    r->report_len = r->track_len = 0;
}

/* ---- the render ---------------------------------------------------------------------------- */

static void fsync_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

/* data[0..len) into path through path.part, fsync'ed and renamed. 0 or RR_ERR_IO. */
static int publish_bytes(const char *path, const char *data, size_t len)
{
    char part[4200];
    snprintf(part, sizeof part, "%s.part", path);
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return RR_ERR_IO;
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = RR_ERR_IO;
        else
            done += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = RR_ERR_IO;
    close(fd);
    if (rc == 0 && rename(part, path) != 0)
        rc = RR_ERR_IO;
    if (rc != 0)
        unlink(part);
    else
        fsync_dir_of(path);
    return rc;
}

/* The overlay the child wrote: an mp4 ("ftyp" box first), fsync'ed and renamed into place. */
static int publish_overlay(int fd, const char *part, const char *path, char *msg,
                           size_t msg_len)
{
    unsigned char head[8];
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 8 || pread(fd, head, sizeof head, 0) != 8 ||
        memcmp(head + 4, "ftyp", 4) != 0) {
        snprintf(msg, msg_len, "the render process wrote no overlay video");
        return RR_ERR_CORRUPT;
    }
    if (fsync(fd) != 0 || rename(part, path) != 0) {
        snprintf(msg, msg_len, "cannot move the overlay into place: %s", strerror(errno));
        return RR_ERR_IO;
    }
    fsync_dir_of(path);
    return 0;
}

/* A sealed memory file holding text (the child reads it; nothing on disk). */
static int memory_file(const char *name, const char *text, size_t len)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    return fd;
}

int sandbox_render(const struct sandbox_render_request *rq, struct sandbox_render_result *out,
                   char *msg, size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (!out)
        return RR_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (!rq || !rq->exe || rq->video_fd < 0 || !rq->report || rq->track_fd < 0 ||
        rq->wall_ms <= 0 || (!rq->overlay_path && !rq->thumbs_dir) ||
        rq->report_len > ANALYSIS_REPORT_MAX_BYTES)
        return RR_ERR_INVAL;
    char part[4200] = "";
    int overlay_fd = -1, report_fd = -1;
    if (rq->overlay_path) {
        snprintf(part, sizeof part, "%s.part", rq->overlay_path);
        overlay_fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (overlay_fd < 0) {
            snprintf(msg, msg_len, "cannot create the overlay file: %s", strerror(errno));
            return RR_ERR_IO;
        }
    }
    report_fd = memory_file("report", rq->report, rq->report_len);
    if (report_fd < 0) {
        snprintf(msg, msg_len, "cannot pass the report: %s", strerror(errno));
        if (overlay_fd >= 0) {
            close(overlay_fd);
            unlink(part);
        }
        return RR_ERR_IO;
    }
    struct limit_args la = {"", "", "", "", ""};
    limit_args(&la, rq->memory_bytes, rq->cpu_seconds, &rq->limits);
    char *argv[] = {"repright", SANDBOX_CHILD_COMMAND, "--render", "--memory", la.mem, "--cpu",
                    la.cpu, "--max-bytes", la.bytes, "--max-size", la.size,
                    "--max-duration-us", la.dur, rq->overlay_path ? "--overlay" : "--thumbs",
                    rq->overlay_path && rq->thumbs_dir ? "--thumbs" : NULL, NULL};
    struct spawn_spec spec = {rq->exe, argv, rq->video_fd, {overlay_fd, report_fd, rq->track_fd},
                              3, "render"};
    struct run_params rp = {rq->limits, rq->admit, rq->admit_ud, rq->progress, rq->progress_ud};
    struct run_state st;
    memset(&st, 0, sizeof st);
    st.info = &out->info;
    st.startup_ms = &out->startup_ms;
    st.rn = out;
    struct run_end end = {0, 0};
    int rc = run_child(&spec, &rp, rq->cpu_seconds, rq->wall_ms, &st, &end, msg, msg_len);
    close(report_fd);
    out->child_cpu_ms = end.cpu_ms;
    out->child_max_rss_kb = end.max_rss_kb;
    int published = 0;
    if (rc == 0 && overlay_fd >= 0) {
        rc = publish_overlay(overlay_fd, part, rq->overlay_path, msg, msg_len);
        published = rc == 0;
    }
    static const char *const names[2] = {"best", "worst"};
    char *paths[2] = {out->thumb_best, out->thumb_worst};
    for (int k = 0; rc == 0 && rq->thumbs_dir && k < 2; k++) {
        if (!st.thumb[k])
            continue;
        snprintf(paths[k], sizeof out->thumb_best, "%s/%s.jpg", rq->thumbs_dir, names[k]);
        rc = publish_bytes(paths[k], st.thumb[k], st.thumb_len[k]);
        if (rc < 0)
            snprintf(msg, msg_len, "cannot write the %s thumbnail", names[k]);
        out->has_thumbs = 1;
    }
    if (overlay_fd >= 0) {
        close(overlay_fd);
        if (rc < 0) /* a failed render publishes nothing */
            unlink(published ? rq->overlay_path : part);
    }
    if (rc < 0) {
        for (int k = 0; k < 2; k++)
            if (paths[k][0]) {
                unlink(paths[k]);
                paths[k][0] = '\0';
            }
        out->has_thumbs = 0;
    }
    free(st.thumb[0]);
    free(st.thumb[1]);
    return rc;
}
