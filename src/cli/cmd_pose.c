/*
 * cmd_pose.c - `repright pose IMAGE|VIDEO`: the 33 BlazePose landmarks of every frame, as a table
 * or as one JSON document (schema "repright.pose/1").
 *
 * The input is sniffed by content: image_load() first, video_open() when it is not an image.
 * JSON for a video is streamed frame by frame (memory stays flat however long the clip is); each
 * frame object is built and printed with jansson.
 */
#include "commands.h"

#include "base/rr_error.h"
#include "base/rr_image.h"
#include "base/rr_landmarks.h"
#include "pose/blazepose.h"
#include "video/decode.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POSE_MAX_THREADS 64
#define POSE_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7))

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

struct pose_out {
    const struct pose_args *args;
    int frames;
    int with_pose;
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

static json_t *pose_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *pose_landmarks_json(const struct rr_landmark *lm)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < RR_NUM_LANDMARKS; i++) {
        json_t *o = json_object();
        if (!o) {
            json_decref(arr);
            return NULL;
        }
        json_object_set_new(o, "name", json_string(rr_landmark_name(i)));
        json_object_set_new(o, "x", pose_num(lm[i].x));
        json_object_set_new(o, "y", pose_num(lm[i].y));
        json_object_set_new(o, "z", pose_num(lm[i].z));
        json_object_set_new(o, "visibility", pose_num(lm[i].visibility));
        json_object_set_new(o, "presence", pose_num(lm[i].presence));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int pose_print_json_frame(const struct pose_out *o, const struct rr_pose_frame *pf)
{
    json_t *fr = json_object();
    if (!fr)
        return RR_ERR_NOMEM;
    json_object_set_new(fr, "t_ms", json_real((double)pf->t_us / 1000.0));
    json_object_set_new(fr, "pose", json_boolean(pf->has_pose));
    if (pf->has_pose) {
        json_object_set_new(fr, "score", pose_num(pf->score));
        json_object_set_new(fr, "landmarks", pose_landmarks_json(pf->image));
        json_object_set_new(fr, "world_landmarks", pose_landmarks_json(pf->world));
    }
    char *s = json_dumps(fr, POSE_JSON_FLAGS);
    json_decref(fr);
    if (!s)
        return RR_ERR_NOMEM;
    printf("%s%s", o->frames > 0 ? ",\n" : "\n", s);
    free(s);
    return 0;
}

/* A JSON string for any file name (bytes that are not UTF-8 become '?'). */
static char *pose_json_string(const char *text)
{
    json_t *s = json_string(text);
    if (!s) {
        size_t n = strlen(text);
        char *clean = malloc(n + 1);
        if (!clean)
            return NULL;
        for (size_t i = 0; i < n; i++)
            clean[i] = (unsigned char)text[i] < 0x80 ? text[i] : '?';
        clean[n] = '\0';
        s = json_string(clean);
        free(clean);
    }
    char *out = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    return out;
}

static int pose_begin(const struct pose_out *o, int width, int height, const char *kind)
{
    if (!o->args->json) {
        printf("%s: %s %dx%d, model %s\n", o->args->file, kind, width, height, o->args->model_name);
        return 0;
    }
    char *file = pose_json_string(o->args->file);
    if (!file)
        return RR_ERR_NOMEM;
    printf("{\"schema\":\"repright.pose/1\",\"file\":%s,\"width\":%d,\"height\":%d,\"model\":\"%s\","
           "\"frames\":[",
           file, width, height, o->args->model_name);
    free(file);
    return 0;
}

static void pose_end(const struct pose_out *o)
{
    if (o->args->json)
        printf("\n]}\n");
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
        int ret = pose_print_json_frame(o, pf);
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

static int pose_session_for(const struct pose_args *a, int static_mode, struct pose_models **models,
                            struct pose_session **session)
{
    char msg[512] = "";
    char dirbuf[4096];
    const char *dir = a->models_dir ? a->models_dir : pose_model_dir_default(dirbuf, sizeof dirbuf);
    int ret = pose_models_load(dir, a->model, models, msg, sizeof msg);
    if (ret < 0) {
        fprintf(stderr, "repright pose: cannot load the %s models from %s: %s (run scripts/setup.sh)\n",
                a->model_name, dir ? dir : "(no directory)", msg[0] ? msg : rr_strerror(ret));
        return CLI_EXIT_SOFTWARE;
    }
    struct pose_session_opts opts = pose_session_opts_default();
    opts.backend = a->backend;
    opts.threads = a->threads;
    opts.static_mode = static_mode;
    ret = pose_session_new(*models, &opts, session, msg, sizeof msg);
    if (ret < 0) {
        fprintf(stderr, "repright pose: cannot start the pose engine: %s\n", msg[0] ? msg : rr_strerror(ret));
        return CLI_EXIT_SOFTWARE;
    }
    return -1;
}

static int pose_run_frame(struct pose_session *s, struct pose_out *o, const struct rr_image *img,
                          int64_t t_us)
{
    struct rr_pose_frame pf;
    memset(&pf, 0, sizeof pf);
    int ret = pose_session_run(s, img, t_us, &pf);
    if (ret < 0) {
        fprintf(stderr, "repright pose: pose engine failed on %s at %.1f ms: %s\n", o->args->file,
                (double)t_us / 1000.0, rr_strerror(ret));
        return CLI_EXIT_SOFTWARE;
    }
    pf.t_us = t_us;
    pf.width = img->width;
    pf.height = img->height;
    if (pose_emit(o, &pf) < 0) {
        fprintf(stderr, "repright pose: out of memory\n");
        return CLI_EXIT_SOFTWARE;
    }
    return -1;
}

static int pose_image(const struct pose_args *a, struct rr_rgbbuf *rgb, struct pose_out *o)
{
    struct pose_models *models = NULL;
    struct pose_session *session = NULL;
    int status = pose_session_for(a, 1, &models, &session);
    if (status >= 0)
        goto out;
    struct rr_image img = rr_rgbbuf_view(rgb);
    if (pose_begin(o, img.width, img.height, "image") < 0) {
        status = CLI_EXIT_SOFTWARE;
        goto out;
    }
    status = pose_run_frame(session, o, &img, 0);
    pose_end(o);
out:
    pose_session_free(session);
    pose_models_free(models);
    return status;
}

static int pose_video(const struct pose_args *a, struct video *v, struct pose_out *o)
{
    struct pose_models *models = NULL;
    struct pose_session *session = NULL;
    char msg[512] = "";
    int began = 0;
    int status = pose_session_for(a, a->static_mode, &models, &session);
    if (status >= 0)
        goto out;
    const struct video_info *info = video_get_info(v);
    if (pose_begin(o, info->width, info->height, "video") < 0) {
        status = CLI_EXIT_SOFTWARE;
        goto out;
    }
    began = 1;
    for (;;) {
        struct rr_image img;
        int64_t t_us = 0;
        int ret = video_next(v, &img, &t_us, msg, sizeof msg);
        if (ret == RR_ERR_EOF)
            break;
        if (ret < 0) {
            pose_end(o);
            began = 0;
            fprintf(stderr, "repright pose: %s: %s\n", a->file, msg);
            status = CLI_EXIT_INPUT;
            goto out;
        }
        status = pose_run_frame(session, o, &img, t_us);
        if (status >= 0)
            goto out;
    }
    status = -1;
out:
    if (began)
        pose_end(o);
    pose_session_free(session);
    pose_models_free(models);
    return status;
}

int cmd_pose(int argc, char **argv)
{
    struct pose_args a;
    int status = pose_parse(argc, argv, &a);
    if (status >= 0)
        return status;

    char msg[512] = "";
    struct rr_rgbbuf rgb = {0};
    struct video *v = NULL;
    int ret = image_load(a.file, &rgb, msg, sizeof msg);
    if (ret == RR_ERR_UNSUPPORTED) {
        char vmsg[512] = "";
        ret = video_open(a.file, NULL, &v, vmsg, sizeof vmsg);
        if (ret == RR_ERR_UNSUPPORTED) {
            fprintf(stderr, "repright pose: %s (images: jpeg, png; videos: mp4, mov, mkv, webm)\n",
                    vmsg);
            status = CLI_EXIT_INPUT;
            goto out;
        }
        memcpy(msg, vmsg, sizeof msg);
    }
    if (ret < 0) {
        fprintf(stderr, "repright pose: %s\n", msg[0] ? msg : rr_strerror(ret));
        status = CLI_EXIT_INPUT;
        goto out;
    }
    /* Tracking across frames only for videos; an image is always one independent frame. */
    struct pose_out o = {&a, 0, 0};
    status = v ? pose_video(&a, v, &o) : pose_image(&a, &rgb, &o);
    if (status < 0 && o.with_pose == 0) {
        fprintf(stderr, "repright pose: no person found in %s\n", a.file);
        status = CLI_EXIT_NOPOSE;
    } else if (status < 0) {
        status = CLI_EXIT_OK;
    }
out:
    video_close(v);
    rr_rgbbuf_release(&rgb);
    return status;
}
