/*
 * cmd_analyze.c - `repright analyze VIDEO`: the per-rep form report of a workout video.
 *
 * Runs the shared pipeline (src/pipeline/analyze.h) and prints a readable report (per rep: time,
 * verdict, score, cue) or, with --json, the versioned report document (docs/report-schema.md).
 * A progress bar goes to stderr when stderr is a terminal. `--landmarks FILE` analyses a landmark
 * file (docs/landmarks-format.md) instead of a video, with no models; `--save-landmarks FILE`
 * writes the series the analysis used, so the same report can be made again from it.
 */
#include "cli/commands.h"

#include "analysis/analysis.h"
#include "base/rr_error.h"
#include "pipeline/analyze.h"
#include "pipeline/landmarks_file.h"
#include "pipeline/report_json.h"
#include "pose/blazepose.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANALYZE_MAX_THREADS 64

struct analyze_args {
    const char *file; /* the video, or the landmark file with --landmarks */
    int from_landmarks;
    const char *save_landmarks;
    const char *models_dir;
    const char *model_name;
    enum pose_model_kind model;
    const char *exercise;
    const char *overlay;
    const char *thumbs;
    int json;
    int threads;
    enum net_backend backend;
};

void cmd_analyze_usage(void)
{
    const char *const *names = NULL;
    int n = analysis_exercises(&names);
    fprintf(stderr,
            "usage: repright analyze VIDEO [--exercise E] [--model lite|full|heavy] [--json]\n"
            "                        [--overlay OUT.mp4] [--thumbs DIR] [--save-landmarks FILE]\n"
            "                        [--threads N] [--backend xnnpack|reference] [--models DIR]\n"
            "       repright analyze --landmarks FILE [--exercise E] [--json]\n"
            "                        [--save-landmarks FILE]\n"
            "  --exercise  one of:");
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s", names[i]);
    fprintf(stderr,
            " (default: recognised)\n"
            "  --model     landmark model (default full)\n"
            "  --json      the report as JSON (schema repright.report/2)\n"
            "  --overlay   write an H.264 video with the skeleton, green/red reps and cues\n"
            "  --thumbs    write best.jpg and worst.jpg (best and worst rep) into DIR\n"
            "  --landmarks FILE  analyse a landmark file instead of a video, with no models\n"
            "              (repright.pose/1 as `repright pose --json` prints it, or a MediaPipe\n"
            "              dump: docs/landmarks-format.md); --model, --threads, --backend and\n"
            "              --models are then ignored\n"
            "  --save-landmarks FILE  also write the landmarks the analysis used\n"
            "              (repright.pose/1): `analyze --landmarks FILE` gives the same report\n"
            "  --threads   inference threads, 1..%d (default: cores - 1, at most 4; here %d)\n"
            "exit status: 0 ok, 2 unreadable or unsupported input, 3 no person found, 64 bad usage\n",
            ANALYZE_MAX_THREADS, pipeline_default_threads());
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "repright analyze: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    cmd_analyze_usage();
    return CLI_EXIT_USAGE;
}

static int known_exercise(const char *e)
{
    const char *const *names = NULL;
    int n = analysis_exercises(&names);
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], e) == 0)
            return 1;
    return 0;
}

/* 1 when files can be created in `dir` (or in the directory part of a file path). */
static int dir_writable(const char *path, int is_file)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    if (is_file) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == dir)
            dir[1] = 0;
        else
            *slash = 0;
    }
    return access(dir, W_OK | X_OK) == 0;
}

static int parse(int argc, char **argv, struct analyze_args *a)
{
    static const struct option longopts[] = {
        {"exercise", required_argument, NULL, 'e'}, {"model", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},           {"overlay", required_argument, NULL, 'o'},
        {"thumbs", required_argument, NULL, 'T'},   {"threads", required_argument, NULL, 't'},
        {"backend", required_argument, NULL, 'b'},  {"models", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},           {"landmarks", required_argument, NULL, 'L'},
        {"save-landmarks", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->model = POSE_MODEL_FULL;
    a->model_name = "full";
    a->threads = pipeline_default_threads();
    a->backend = NET_BACKEND_XNN;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (!known_exercise(optarg))
                return usage_error("unknown exercise", optarg);
            a->exercise = optarg;
            break;
        case 'm':
            if (pose_model_kind_parse(optarg, &a->model) < 0)
                return usage_error("unknown model", optarg);
            a->model_name = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'o':
            a->overlay = optarg;
            break;
        case 'T':
            a->thumbs = optarg;
            break;
        case 't':
            if (cli_parse_int(optarg, 1, ANALYZE_MAX_THREADS, &a->threads) < 0)
                return usage_error("--threads wants 1..64", optarg);
            break;
        case 'b':
            if (cli_parse_backend(optarg, &a->backend) < 0)
                return usage_error("unknown backend", optarg);
            break;
        case 'd':
            a->models_dir = optarg;
            break;
        case 'L':
            a->file = optarg;
            a->from_landmarks = 1;
            break;
        case 'S':
            a->save_landmarks = optarg;
            break;
        case 'h':
            cmd_analyze_usage();
            return CLI_EXIT_OK;
        case ':':
            return usage_error("option needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (a->from_landmarks) {
        if (optind < argc)
            return usage_error("give a VIDEO or --landmarks FILE, not both", argv[optind]);
        if (a->overlay || a->thumbs)
            return usage_error("--overlay and --thumbs need a video, not --landmarks", NULL);
    } else {
        if (optind != argc - 1)
            return usage_error(optind >= argc ? "missing VIDEO (or --landmarks FILE)"
                                              : "too many arguments",
                               NULL);
        a->file = argv[optind];
    }
    /* refuse unwritable outputs now, not after minutes of analysis */
    if (a->overlay && !dir_writable(a->overlay, 1))
        return usage_error("cannot write the overlay there", a->overlay);
    if (a->thumbs && !dir_writable(a->thumbs, 0))
        return usage_error("cannot write thumbnails into (missing or read-only directory)",
                           a->thumbs);
    if (a->save_landmarks && !dir_writable(a->save_landmarks, 1))
        return usage_error("cannot write the landmarks there", a->save_landmarks);
    return -1;
}

static void progress_bar(void *ud, const char *stage, double f)
{
    (void)ud;
    int width = 30, fill = (int)(f * width + 0.5);
    fprintf(stderr, "\r%-9s [", stage);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(f * 100 + 0.5));
    if (strcmp(stage, "done") == 0)
        fprintf(stderr, "\r%60s\r", "");
    fflush(stderr);
}

static void print_check(const struct analysis_check *c)
{
    printf("      %-20s %-11s %8.2f %-5s (limit %s %.2f)%s%s\n", c->name,
           analysis_outcome_name(c->outcome), (double)c->value, c->unit, c->above ? ">" : "<",
           (double)c->threshold, c->outcome == ANALYSIS_FAULT ? "  -> " : "",
           c->outcome == ANALYSIS_FAULT ? c->cue : "");
}

static void print_text(const struct analyze_args *a, const struct pipeline_result *res)
{
    const struct analysis_report *r = res->report;
    if (res->from_landmarks) {
        char size[32] = "size unknown";
        if (res->info.width > 0 && res->info.height > 0)
            snprintf(size, sizeof size, "%dx%d", res->info.width, res->info.height);
        printf("landmarks %s (%s, %s, %.1f s, %zu frames, person in %zu)\n", a->file,
               res->landmarks.schema, size, (double)r->duration_s, res->n_frames,
               res->stats.frames_with_pose);
    } else {
        printf("file      %s (%dx%d, %.1f s, %zu frames, person in %zu)\n", a->file,
               res->info.width, res->info.height, (double)r->duration_s, res->n_frames,
               res->stats.frames_with_pose);
    }
    if (!r->exercise) {
        printf("exercise  none recognised\n");
        return;
    }
    printf("exercise  %s (%s, confidence %.2f), view %s\n", r->exercise,
           r->exercise_given ? "given" : "recognised", (double)r->confidence,
           analysis_view_name(r->view));
    char mean[16] = "-"; /* nothing could be scored */
    float m = r->is_hold ? r->hold.mean_score : r->set.mean_score;
    if (!isnan(m))
        snprintf(mean, sizeof mean, "%.0f", (double)m);
    if (r->is_hold) {
        printf("hold      %.1f s, good form %.1f s, score %s\n", (double)r->hold.hold_s,
               (double)r->hold.good_form_s, mean);
        for (int c = 0; c < r->hold.n_checks; c++)
            print_check(&r->hold.checks[c]);
        return;
    }
    printf("reps      %d (good %d, bad %d, cannot judge %d), mean score %s\n", r->set.reps,
           r->set.good, r->set.bad, r->set.cannot_judge, mean);
    if (r->set.partial_reps > 0)
        printf("partial   %d (movements short of a rep, not counted)\n", r->set.partial_reps);
    if (r->set.top_fault)
        printf("top fault %s (%d reps)\n", r->set.top_fault, r->set.top_fault_reps);
    for (size_t k = 0; k < r->n_reps; k++) {
        const struct analysis_rep *rep = &r->reps[k];
        const char *cue = NULL;
        for (int c = 0; c < rep->n_checks && !cue; c++)
            if (rep->checks[c].outcome == ANALYSIS_FAULT)
                cue = rep->checks[c].cue;
        char score[16] = "  -"; /* a rep that cannot be judged has no score */
        if (!isnan(rep->score))
            snprintf(score, sizeof score, "%3.0f", (double)rep->score);
        const char *what = cue ? cue : "";
        if (!cue && rep->verdict == ANALYSIS_GOOD)
            what = "good rep";
        else if (!cue && rep->cannot_judge_reason)
            what = rep->cannot_judge_reason;
        printf("  rep %2d  %6.2f-%6.2f s  %-12s score %s  %s\n", rep->index,
               (double)rep->t_start_us / 1e6, (double)rep->t_end_us / 1e6,
               analysis_verdict_name(rep->verdict), score, what);
        for (int c = 0; c < rep->n_checks; c++)
            print_check(&rep->checks[c]);
    }
}

static int exit_for(int rc)
{
    switch (rc) {
    case RR_ERR_NOPOSE:
        return CLI_EXIT_NOPOSE;
    case RR_ERR_NOTFOUND:
    case RR_ERR_IO:
    case RR_ERR_UNSUPPORTED:
    case RR_ERR_CORRUPT:
    case RR_ERR_TOOBIG:
    case RR_ERR_EOF:
        return CLI_EXIT_INPUT;
    default:
        return CLI_EXIT_SOFTWARE;
    }
}

/* --save-landmarks: the series the report was made from, with the video's size, fps and model
 * (or what the landmark file said). */
static int save_landmarks(const struct analyze_args *a, const struct pipeline_result *res)
{
    struct landmarks_file_info info;
    char msg[512] = "";
    if (res->from_landmarks) {
        info = res->landmarks;
    } else {
        memset(&info, 0, sizeof info);
        info.width = res->info.width;
        info.height = res->info.height;
        info.fps = res->info.fps;
        snprintf(info.model, sizeof info.model, "%s", a->model_name);
        snprintf(info.file, sizeof info.file, "%s", a->file);
    }
    int rc = landmarks_file_save(a->save_landmarks, res->frames, res->n_frames, NULL, &info, msg,
                                 sizeof msg);
    if (rc < 0)
        fprintf(stderr, "repright analyze: cannot save the landmarks: %s\n",
                msg[0] ? msg : rr_strerror(rc));
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    struct analyze_args a;
    int st = parse(argc, argv, &a);
    if (st >= 0)
        return st;
    char dir[4096], msg[512] = "";
    struct pose_models *models = NULL;
    int rc;
    if (!a.from_landmarks) {
        if (!a.models_dir)
            a.models_dir = pose_model_dir_default(dir, sizeof dir);
        rc = pose_models_load(a.models_dir, a.model, &models, msg, sizeof msg);
        if (rc < 0) {
            fprintf(stderr, "repright analyze: cannot load the %s model from %s: %s\n",
                    a.model_name, a.models_dir, msg[0] ? msg : rr_strerror(rc));
            return CLI_EXIT_SOFTWARE;
        }
    }
    struct pipeline_opts o = pipeline_opts_default();
    o.backend = a.backend;
    o.threads = a.threads;
    o.exercise = a.exercise;
    o.overlay_path = a.overlay;
    o.thumbs_dir = a.thumbs;
    if (isatty(STDERR_FILENO))
        o.progress = progress_bar;
    struct pipeline_result res;
    if (a.from_landmarks)
        rc = pipeline_analyze_landmarks(a.file, &o, &res, msg, sizeof msg);
    else
        rc = pipeline_analyze(a.file, models, &o, &res, msg, sizeof msg);
    if (rc < 0) {
        if (o.progress)
            fprintf(stderr, "\n");
        fprintf(stderr, "repright analyze: %s\n", msg[0] ? msg : rr_strerror(rc));
        pipeline_result_release(&res);
        pose_models_free(models);
        return exit_for(rc);
    }
    /* the landmarks first: a report is only printed when every output was written */
    if (a.save_landmarks && save_landmarks(&a, &res) < 0) {
        rc = -1;
    } else if (a.json) {
        const char *model =
            a.from_landmarks ? (res.landmarks.model[0] ? res.landmarks.model : NULL) : a.model_name;
        rc = report_json_print(stdout, a.file, model, &res);
        if (rc < 0)
            fprintf(stderr, "repright analyze: cannot write JSON: %s\n", rr_strerror(rc));
    } else {
        print_text(&a, &res);
        if (a.overlay)
            printf("overlay   %s\n", a.overlay);
        if (res.has_thumbs)
            printf("thumbs    %s %s\n", res.thumb_best, res.thumb_worst);
    }
    pipeline_result_release(&res);
    pose_models_free(models);
    return rc < 0 ? CLI_EXIT_SOFTWARE : CLI_EXIT_OK;
}
