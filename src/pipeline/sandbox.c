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
#include <sys/resource.h>
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

static size_t rec_max(char type)
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

static int spawn_child(const struct sandbox_request *rq, struct spawned *sp, char *msg,
                       size_t msg_len)
{
    char a_mem[32], a_cpu[32], a_bytes[32], a_size[32], a_dur[32];
    snprintf(a_mem, sizeof a_mem, "%lld", (long long)rq->memory_bytes);
    snprintf(a_cpu, sizeof a_cpu, "%d", rq->cpu_seconds);
    snprintf(a_bytes, sizeof a_bytes, "%lld", (long long)rq->limits.max_file_bytes);
    int side = rq->limits.max_width > rq->limits.max_height ? rq->limits.max_width
                                                            : rq->limits.max_height;
    snprintf(a_size, sizeof a_size, "%d", side);
    snprintf(a_dur, sizeof a_dur, "%lld", (long long)rq->limits.max_duration_us);
    char *argv[] = {"repright", SANDBOX_CHILD_COMMAND, "--model-dir", (char *)rq->model_dir,
                    "--model", (char *)rq->model, "--memory", a_mem, "--cpu", a_cpu,
                    "--max-bytes", a_bytes, "--max-size", a_size, "--max-duration-us", a_dur,
                    rq->exercise ? "--exercise" : NULL, (char *)rq->exercise, NULL};
    char *env[8];
    child_env(env, sizeof env / sizeof env[0]);

    int out_p[2] = {-1, -1}, in_p[2] = {-1, -1}, park[3] = {-1, -1, -1};
    int rc = RR_ERR_IO;
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(in_p, O_CLOEXEC) != 0) {
        snprintf(msg, msg_len, "cannot create pipes: %s", strerror(errno));
        goto out;
    }
    park[0] = fcntl(rq->video_fd, F_DUPFD_CLOEXEC, PARK_FD);
    park[1] = fcntl(out_p[1], F_DUPFD_CLOEXEC, PARK_FD);
    park[2] = fcntl(in_p[0], F_DUPFD_CLOEXEC, PARK_FD);
    if (park[0] < 0 || park[1] < 0 || park[2] < 0) {
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
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, park[0], SANDBOX_FD_VIDEO);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, park[1], SANDBOX_FD_OUT);
    if (!e)
        e = posix_spawn_file_actions_adddup2(&fa, park[2], SANDBOX_FD_IN);
    if (!e) /* nothing else of ours crosses: database, sockets, logs */
        e = posix_spawn_file_actions_addclosefrom_np(&fa, SANDBOX_FD_IN + 1);
    if (!e)
        e = posix_spawn(&sp->pid, rq->exe, &fa, NULL, argv, env);
    if (e) {
        snprintf(msg, msg_len, "cannot start the analysis process %s: %s", rq->exe, strerror(e));
        goto out;
    }
    sp->out_r = out_p[0];
    sp->in_w = in_p[1];
    out_p[0] = in_p[1] = -1;
    rc = 0;
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    int fds[] = {out_p[0], out_p[1], in_p[0], in_p[1], park[0], park[1], park[2]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
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

struct run_state {
    int err_code;          /* from an 'E' record, else 0 */
    char err_msg[512];
    int refused;           /* the admit callback said no (its reason in msg) */
    int got_report, got_stats;
};

/* Read records until the child's end of stream, an error record, or the deadline. */
static int collect(const struct sandbox_request *rq, const struct spawned *sp, int64_t deadline,
                   int64_t t0, struct sandbox_result *out, struct run_state *st, char *msg,
                   size_t msg_len)
{
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
        switch (type) {
        case 'I': {
            read_info(o, &out->info);
            out->startup_ms = (double)(sandbox__now_ms() - t0);
            int64_t max_frames = rq->limits.max_frames > 0 ? rq->limits.max_frames : INT64_MAX / 2;
            if (rq->admit) {
                rc = rq->admit(rq->admit_ud, &out->info, &max_frames, msg, msg_len);
                if (rc < 0) {
                    st->refused = rc;
                    max_frames = 0;
                }
            }
            if (send_go(sp->in_w, max_frames > 0 ? max_frames : 0) < 0 && !st->refused)
                rc = RR_ERR_IO;
            else
                rc = 0;
            break;
        }
        case 'P': {
            json_t *stage = json_object_get(o, "stage");
            double f = jnum(o, "fraction");
            if (rq->progress && json_is_string(stage) && isfinite(f) && f >= 0 && f <= 1)
                rq->progress(rq->progress_ud, json_string_value(stage), f);
            break;
        }
        case 'R':
            if (!out->report) {
                out->report = data;
                out->report_len = len;
                data = NULL;
                st->got_report = 1;
            }
            break;
        case 'L':
            if (!out->track) {
                out->track = data;
                out->track_len = len;
                data = NULL;
            }
            break;
        case 'S':
            read_stats(o, &out->stats, &out->info);
            st->got_stats = 1;
            break;
        case 'E': {
            double c = jnum(o, "code");
            json_t *m = json_object_get(o, "message");
            st->err_code = isfinite(c) && c < 0 && c > -100 ? (int)c : RR_ERR_INTERNAL;
            snprintf(st->err_msg, sizeof st->err_msg, "%s",
                     json_is_string(m) ? json_string_value(m) : rr_strerror(st->err_code));
            break;
        }
        default:
            rc = RR_ERR_CORRUPT;
        }
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
    int64_t t0 = sandbox__now_ms(), deadline = t0 + rq->wall_ms;
    struct spawned sp = {-1, -1, -1};
    int rc = spawn_child(rq, &sp, msg, msg_len);
    if (rc < 0)
        return rc;
    struct run_state st;
    memset(&st, 0, sizeof st);
    int crc = collect(rq, &sp, deadline, t0, out, &st, msg, msg_len);
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
    out->child_cpu_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 +
                        (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
    out->child_max_rss_kb = ru.ru_maxrss;

    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (st.refused) {
        rc = st.refused; /* msg already says why */
    } else if (crc == RR_ERR_TIMEOUT || killed) {
        snprintf(msg, msg_len, "the analysis took longer than the %lld s allowed",
                 (long long)(rq->wall_ms / 1000));
        rc = RR_ERR_TOOBIG;
    } else if (sig == SIGXCPU || (sig == SIGKILL && rq->cpu_seconds > 0 &&
                                  out->child_cpu_ms >= rq->cpu_seconds * 1000.0)) {
        snprintf(msg, msg_len, "the analysis used more than the %d s of processing allowed",
                 rq->cpu_seconds);
        rc = RR_ERR_TOOBIG;
    } else if (st.err_code) {
        snprintf(msg, msg_len, "%s", st.err_msg);
        rc = st.err_code;
    } else if (sig && !we_killed) {
        snprintf(msg, msg_len, "the video could not be processed safely (the analysis process "
                               "stopped with signal %d)", sig);
        rc = RR_ERR_CORRUPT;
    } else if (crc < 0) {
        snprintf(msg, msg_len, "the analysis process sent malformed results (%s)",
                 rr_strerror(crc));
        rc = RR_ERR_CORRUPT;
    } else if (!st.got_report || !out->track || !st.got_stats) {
        snprintf(msg, msg_len, "the analysis process ended without results (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        rc = RR_ERR_INTERNAL;
    } else {
        rc = 0;
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
