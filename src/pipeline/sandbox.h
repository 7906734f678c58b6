/*
 * sandbox.h - the analysis of an untrusted video in a child process that cannot reach the
 * server: its memory, its files, its database, the network.
 *
 * The parent (a serve or worker process) runs sandbox_analyze(): it starts the repright binary
 * again (posix_spawn, a fresh address space: no secrets, no database pages, no open sockets)
 * as `repright analyze-child`, with an empty environment but for sanitizer options, stdin,
 * stdout and stderr on /dev/null, and exactly three descriptors: 3 the video (read-only),
 * 4 the child's records to the parent, 5 the parent's answer. The child (sandbox_child_main)
 *   1. sets its rlimits: address space (memory), CPU seconds, open files, file size 0, no core;
 *      dies with the parent (PR_SET_PDEATHSIG) and can gain no privilege (PR_SET_NO_NEW_PRIVS);
 *   2. loads the pose models (the only files it opens by name);
 *   3. installs a seccomp filter: an allow-list of the system calls decoding and inference make
 *      (memory, threads, reading and writing descriptors it holds, clocks); everything else
 *      fails with EPERM: no open, no socket, no exec, no ptrace; clone only for threads;
 *   4. opens the video from descriptor 3 (video_open_fd: nothing by name) and sends its
 *      geometry ('I'); the parent answers how many frames the job's CPU budget allows, or 0 to
 *      refuse (the cost check runs on the child's reading of the header, never the parent's);
 *   5. runs pipeline_analyze, sending progress ('P'), then the report ('R', repright.report/2),
 *      the landmark track ('L', repright.pose/1) and the run's figures ('S'), or an error ('E').
 * The parent reads with a wall-clock deadline, kills the child past it, reaps it with wait4 and
 * maps how it ended: an error record -> its code; killed by the CPU limit or the deadline ->
 * RR_ERR_TOOBIG; any other signal (a decoder crash, the memory limit) -> RR_ERR_CORRUPT. Every
 * record is bounded (the report by ANALYSIS_REPORT_MAX_BYTES, the track by
 * SANDBOX_TRACK_MAX_BYTES, the rest by 4 KiB), so a hostile child cannot make the parent
 * allocate without bound; what it sends is only ever parsed as data.
 *
 * Ownership: the result's texts are malloc'd and freed by sandbox_result_release().
 * Errors: RR_ERR_INVAL (bad request), RR_ERR_IO (cannot start the child: `msg` says why), the
 * child's own codes (RR_ERR_CORRUPT, RR_ERR_UNSUPPORTED, RR_ERR_NOPOSE, RR_ERR_NOMEM, ...),
 * RR_ERR_TOOBIG (refused by the budget, or over the CPU or wall-clock limit); `msg` gets a
 * one-line reason.
 * Thread-safety: sandbox_analyze is reentrant (one child per call; several at once are fine).
 * sandbox_child_main is a process entry point.
 */
#ifndef RR_PIPELINE_SANDBOX_H
#define RR_PIPELINE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/analyze.h"
#include "video/decode.h"

#define SANDBOX_TRACK_MAX_BYTES ((size_t)256 << 20)
#define SANDBOX_THUMB_MAX_BYTES ((size_t)8 << 20)
#define SANDBOX_OVERLAY_MAX_BYTES (INT64_C(4) << 30) /* RLIMIT_FSIZE of a render */
#define SANDBOX_CHILD_COMMAND "analyze-child"

/* The parent's decision on the video's header: 0 and *max_frames (> 0) to run; a negative
 * RR_ERR_* (with err) to refuse. */
typedef int (*sandbox_admit_fn)(void *ud, const struct video_info *in, int64_t *max_frames,
                                char *err, size_t err_len);

struct sandbox_request {
    const char *exe;        /* the repright binary ("/proc/self/exe" in serve and worker) */
    int video_fd;           /* the original, readable; the child gets its own copy */
    const char *model_dir;  /* where the pose models are */
    const char *model;      /* "lite" | "full" | "heavy" */
    const char *exercise;   /* NULL: recognise */
    struct video_limits limits;
    int64_t memory_bytes;   /* address-space limit of the child; 0: none */
    int cpu_seconds;        /* CPU-time limit of the child (all its threads); 0: none */
    int64_t wall_ms;        /* the parent kills the child after this long; > 0 */
    sandbox_admit_fn admit; /* may be NULL: run with `limits` as they are */
    void *admit_ud;
    void (*progress)(void *ud, const char *stage, double fraction); /* may be NULL */
    void *progress_ud;
};

struct sandbox_result {
    char *report;     /* repright.report/2 text */
    size_t report_len;
    char *track;      /* repright.pose/1 landmark track */
    size_t track_len;
    struct video_info info;      /* width, height, fps, duration_us, frames */
    struct pipeline_stats stats; /* the child's figures */
    double child_cpu_ms;         /* user + system time of the child */
    int64_t child_max_rss_kb;
    double startup_ms;           /* spawn until the child had loaded the models and opened the video */
};

int sandbox_analyze(const struct sandbox_request *rq, struct sandbox_result *out, char *msg,
                    size_t msg_len);
void sandbox_result_release(struct sandbox_result *r);

/* ---- the render (overlay video and thumbnails) ------------------------------------------
 *
 * sandbox_render() runs pipeline_render in the same kind of child (`repright analyze-child
 * --render`), with the same rlimits, environment and filter; the filter is installed before the
 * video is opened, the HUD font is opened before it (the only file opened by name). The child
 * gets 3 the video, 4/5 the record pipes, 6 the overlay file (created here as
 * "<overlay_path>.part", read-write: the mp4 muxer seeks; /dev/null when no overlay is asked
 * for; RLIMIT_FSIZE is SANDBOX_OVERLAY_MAX_BYTES instead of 0), 7 the stored report (a sealed memory file of rq->report), 8 the stored landmark track
 * (rq->track_fd, read-only). It sends the geometry ('I', answered by the same admit callback
 * and 'G'), progress ('P', stage "overlay"), the thumbnails as JPEG bytes ('B' best, 'W' worst,
 * at most SANDBOX_THUMB_MAX_BYTES each, checked to look like JPEG) and its figures last ('S').
 * Only when the child ended well does the parent publish: the overlay is fsync'ed and renamed
 * to overlay_path (it must look like an mp4), the thumbnails written to thumbs_dir/best.jpg and
 * worst.jpg (.part, fsync, rename). Whatever else happens, nothing is left under a final name
 * and the .part file is removed. Errors and their mapping as sandbox_analyze. */
struct sandbox_render_request {
    const char *exe;
    int video_fd;             /* the original, readable */
    const char *report;       /* the stored report text (repright.report/1 or /2) */
    size_t report_len;
    int track_fd;             /* the stored landmark track (repright.pose/1), readable */
    const char *overlay_path; /* NULL: no overlay */
    const char *thumbs_dir;   /* NULL: no thumbnails */
    struct video_limits limits;
    int64_t memory_bytes;
    int cpu_seconds;
    int64_t wall_ms;
    sandbox_admit_fn admit;   /* may be NULL */
    void *admit_ud;
    void (*progress)(void *ud, const char *stage, double fraction); /* may be NULL */
    void *progress_ud;
};

struct sandbox_render_result {
    struct video_info info;      /* as the child read the header */
    size_t frames;               /* frames decoded and drawn */
    double render_ms;            /* the child's render pass */
    int has_thumbs;
    char thumb_best[4096], thumb_worst[4096]; /* published paths, "" when none */
    double child_cpu_ms;
    int64_t child_max_rss_kb;
    double startup_ms;           /* spawn until the child had opened the video */
};

int sandbox_render(const struct sandbox_render_request *rq, struct sandbox_render_result *out,
                   char *msg, size_t msg_len);

/* `repright analyze-child ...` (argv[0] is the command name). Returns the exit status. */
int sandbox_child_main(int argc, char **argv);

/* For tests and `repright analyze-child --check`: install the same rlimits and filter in this
 * process and report on `out` which forbidden operations were refused. 0 when every one was. */
int sandbox_self_check(char *out, size_t out_len);

#endif
