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

/* `repright analyze-child ...` (argv[0] is the command name). Returns the exit status. */
int sandbox_child_main(int argc, char **argv);

/* For tests and `repright analyze-child --check`: install the same rlimits and filter in this
 * process and report on `out` which forbidden operations were refused. 0 when every one was. */
int sandbox_self_check(char *out, size_t out_len);

#endif
