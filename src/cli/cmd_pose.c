/*
 * cmd_pose.c - `repright pose IMAGE|VIDEO`: the 33 BlazePose landmarks of every frame, as a table
 * or as one JSON document (schema "repright.pose/1", the readable style of
 * pipeline/landmarks_file.h).
 *
 * Frames come from the one decode -> pose stream (pipeline/pose_stream.h), the input path of
 * `repright analyze` and the job worker: what this verification tool shows is what production
 * computes. The input is sniffed by content (an image is one frame). JSON is streamed frame by
 * frame (memory stays flat however long the clip is). Messages on stderr are for people (plain
 * text); the command does not log.
 */
#include "cli/commands.h"

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "base/rr_landmarks.h"
#include "pipeline/landmarks_file.h"
#include "pipeline/pose_stream.h"
#include "pose/blazepose.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POSE_MAX_THREADS 64

struct pose_args {
    const char *file;
    const char *models_dir;
    enum pose_model_kind model;
    const char *model_name;
    int static_mode;
    int json;
    int threads;
    enum net_backend backend;
};

void cmd_pose_usage(void)
{
    fprintf(stderr,
            "usage: repright pose IMAGE|VIDEO [--model lite|full|heavy] [--static] [--json]\n"
            "                     [--threads N] [--backend xnnpack|reference] [--models DIR]\n"
            "  --model     landmark model (default full)\n"
            "  --static    treat every video frame independently (no tracking or smoothing)\n"
            "  --json      one JSON document (schema repright.pose/1) instead of tables\n"
            "  --threads   compute threads, 1..%d (default 1)\n"
            "  --backend   xnnpack (default) or reference (slow plain C, for checking)\n"
            "  --models    model directory (default $REPRIGHT_MODEL_DIR or ~/.cache/repright/models)\n"
            "exit status: 0 ok, 2 unreadable or unsupported input, 3 no person found, 64 bad usage\n",
            POSE_MAX_THREADS);
}

__attribute__((format(printf, 1, 2))) static int pose_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "repright pose: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    cmd_pose_usage();
    return CLI_EXIT_USAGE;
}

/* Returns -1 to go on, or an exit status. */
static int pose_parse(int argc, char **argv, struct pose_args *a)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},   {"static", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},          {"threads", required_argument, NULL, 't'},
        {"backend", required_argument, NULL, 'b'}, {"models", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    a->model = POSE_MODEL_FULL;
    a->model_name = "full";
    a->threads = 1;
    a->backend = NET_BACKEND_XNN;
    opterr = 0;
    optind = 1;
    int c;
    for (;;) {
        c = getopt_long(argc, argv, ":h", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'm':
            if (pose_model_kind_parse(optarg, &a->model) < 0)
                return pose_usage_error("unknown model '%s' (lite, full or heavy)", optarg);
            a->model_name = optarg;
            break;
        case 's':
            a->static_mode = 1;
            break;
        case 'j':
            a->json = 1;
            break;
        case 't':
            if (cli_parse_int(optarg, 1, POSE_MAX_THREADS, &a->threads) < 0)
                return pose_usage_error("--threads wants a number from 1 to %d, not '%s'",
                                        POSE_MAX_THREADS, optarg);
            break;
        case 'b':
            if (cli_parse_backend(optarg, &a->backend) < 0)
                return pose_usage_error("unknown backend '%s' (xnnpack or reference)", optarg);
            break;
        case 'd':
            a->models_dir = optarg;
            break;
        case 'h':
            cmd_pose_usage();
            return CLI_EXIT_OK;
        case ':':
            return pose_usage_error("%s needs a value", argv[optind - 1]);
        default:
            return pose_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return pose_usage_error("missing IMAGE or VIDEO file");
    if (optind + 1 < argc)
        return pose_usage_error("unexpected argument '%s'", argv[optind + 1]);
    a->file = argv[optind];
    return -1;
}

/* --- output ------------------------------------------------------------------------------- */

#define POSE_JSON_CHUNK ((size_t)1 << 20) /* bytes of JSON one frame may take */

struct pose_out {
    const struct pose_args *args;
    struct landmarks_file_head head;
    struct rr_json json; /* drained to stdout after every frame */
    int frames;
    int with_pose;
};

/* What the JSON writer holds, to stdout; 0 or RR_ERR_*. */
static int pose_flush(struct pose_out *o)
{
    int err = rr_json_error(&o->json);
    if (!err && fwrite(rr_json_data(&o->json), 1, rr_json_len(&o->json), stdout) !=
                    rr_json_len(&o->json))
        err = RR_ERR_IO;
    rr_json_drain(&o->json);
    return err;
}

static int pose_begin(struct pose_out *o, const struct pose_stream_info *info)
{
    if (!o->args->json) {
        printf("%s: %s %dx%d, model %s\n", o->args->file, info->is_image ? "image" : "video",
               info->video.width, info->video.height, o->args->model_name);
        return 0;
    }
    struct landmarks_file_head h = {LANDMARKS_FILE_READABLE, o->args->file, o->args->model_name,
                                    info->video.width, info->video.height, 0};
    o->head = h;
    landmarks_file_write_head(&o->json, &o->head);
    return pose_flush(o);
}

static void pose_end(struct pose_out *o)
{
    if (o->args->json) {
        landmarks_file_write_tail(&o->json);
        pose_flush(o);
    }
    fflush(stdout);
}

static void pose_print_table(const struct pose_out *o, const struct rr_pose_frame *pf)
{
    printf("\nframe %d  t=%.1f ms  ", o->frames, (double)pf->t_us / 1000.0);
    if (!pf->has_pose) {
        printf("no person\n");
        return;
    }
    printf("pose score %.3f\n", (double)pf->score);
    printf("%3s %-17s %9s %9s %9s %6s %6s | %8s %8s %8s\n", "id", "landmark", "x", "y", "z",
           "vis", "pres", "world x", "world y", "world z");
    for (int i = 0; i < RR_NUM_LANDMARKS; i++) {
        const struct rr_landmark *l = &pf->image[i];
        const struct rr_landmark *w = &pf->world[i];
        printf("%3d %-17s %9.4f %9.4f %9.4f %6.3f %6.3f | %8.4f %8.4f %8.4f\n", i,
               rr_landmark_name(i), (double)l->x, (double)l->y, (double)l->z,
               (double)l->visibility, (double)l->presence, (double)w->x, (double)w->y,
               (double)w->z);
    }
}

static int pose_emit(struct pose_out *o, const struct rr_pose_frame *pf)
{
    if (o->args->json) {
        landmarks_file_write_frame(&o->json, &o->head, pf, NULL);
        int ret = pose_flush(o);
        if (ret < 0)
            return ret;
    } else {
        pose_print_table(o, pf);
    }
    o->frames++;
    if (pf->has_pose)
        o->with_pose++;
    return 0;
}

/* --- running ------------------------------------------------------------------------------ */

static int pose_load_models(const struct pose_args *a, struct pose_models **models)
{
    char msg[512] = "";
    char dirbuf[4096];
    const char *dir = a->models_dir ? a->models_dir : pose_model_dir_default(dirbuf, sizeof dirbuf);
    int ret = pose_models_load(dir, a->model, models, msg, sizeof msg);
    if (ret < 0) {
        fprintf(stderr,
                "repright pose: cannot load the %s models from %s: %s (run scripts/setup.sh)\n",
                a->model_name, dir ? dir : "(no directory)", msg[0] ? msg : rr_strerror(ret));
        return CLI_EXIT_SOFTWARE;
    }
    return -1;
}

/* Every frame of the stream to the output; -1 when the stream ended, else an exit status. */
static int pose_run(const struct pose_args *a, struct pose_stream *ps, struct pose_out *o)
{
    char msg[512] = "";
    if (pose_begin(o, pose_stream_get_info(ps)) < 0) {
        fprintf(stderr, "repright pose: cannot write the output\n");
        return CLI_EXIT_SOFTWARE;
    }
    int status = -1;
    for (;;) {
        struct rr_pose_frame pf;
        int ret = pose_stream_next(ps, &pf, msg, sizeof msg);
        if (ret == RR_ERR_EOF)
            break;
        if (ret < 0) {
            struct pose_stream_stats st;
            pose_stream_get_stats(ps, &st);
            pose_end(o); /* the JSON stays a whole document */
            if (st.failed == POSE_STREAM_DECODE) {
                fprintf(stderr, "repright pose: %s: %s\n", a->file, msg);
                return CLI_EXIT_INPUT;
            }
            fprintf(stderr, "repright pose: pose engine failed on %s at frame %zu: %s\n", a->file,
                    st.frames, msg);
            return CLI_EXIT_SOFTWARE;
        }
        if (pose_emit(o, &pf) < 0) {
            fprintf(stderr, "repright pose: cannot write the output\n");
            status = CLI_EXIT_SOFTWARE;
            break;
        }
    }
    pose_end(o);
    return status;
}

int cmd_pose(int argc, char **argv)
{
    struct pose_args a;
    int status = pose_parse(argc, argv, &a);
    if (status >= 0)
        return status;

    char msg[512] = "";
    struct pose_stream *ps = NULL;
    struct pose_models *models = NULL;
    struct pose_stream_opts so = pose_stream_opts_default();
    so.backend = a.backend;
    so.threads = a.threads;
    so.static_mode = a.static_mode; /* an image is always one independent frame */
    so.accept_images = 1;
    /* the input first: a bad file is reported even where no model is installed */
    int ret = pose_stream_open(a.file, &so, &ps, msg, sizeof msg);
    if (ret < 0) {
        fprintf(stderr, "repright pose: %s%s\n", msg[0] ? msg : rr_strerror(ret),
                ret == RR_ERR_UNSUPPORTED ? " (images: jpeg, png; videos: mp4, mov, mkv, webm)"
                                          : "");
        return CLI_EXIT_INPUT;
    }
    struct pose_out o;
    memset(&o, 0, sizeof o);
    o.args = &a;
    rr_json_init(&o.json, NULL, 0, POSE_JSON_CHUNK);
    status = pose_load_models(&a, &models);
    if (status >= 0)
        goto out;
    ret = pose_stream_start(ps, models, msg, sizeof msg);
    if (ret < 0) {
        fprintf(stderr, "repright pose: cannot start the pose engine: %s\n",
                msg[0] ? msg : rr_strerror(ret));
        status = CLI_EXIT_SOFTWARE;
        goto out;
    }
    status = pose_run(&a, ps, &o);
    if (status < 0 && o.with_pose == 0) {
        fprintf(stderr, "repright pose: no person found in %s\n", a.file);
        status = CLI_EXIT_NOPOSE;
    } else if (status < 0) {
        status = CLI_EXIT_OK;
    }
out:
    rr_json_release(&o.json);
    pose_stream_close(ps);
    pose_models_free(models);
    return status;
}
