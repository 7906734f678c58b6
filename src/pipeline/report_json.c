/* report_json.c - analysis report -> JSON text, schema repright.report/2 (report_json.h). */
#include "pipeline/report_json.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"
#include "base/rr_json.h"
#include "pipeline/analyze.h"

static void report_writer(struct rr_json *j)
{
    rr_json_init(j, NULL, 0, ANALYSIS_REPORT_MAX_BYTES);
    rr_json_set_precision(j, REPORT_JSON_DIGITS);
}

char *report_json_dumps(const struct analysis_report *r)
{
    if (!r)
        return NULL;
    struct rr_json j;
    report_writer(&j);
    analysis_write_report(&j, r);
    return rr_json_detach(&j, NULL);
}

/* The "source" block: what the report was made from. */
static void write_source(struct rr_json *j, const char *file, const char *model,
                         const struct pipeline_result *res)
{
    rr_json_object_begin(j);
    if (res->from_landmarks) {
        /* no video: the landmark file and what it said about itself */
        const struct landmarks_file_info *lm = &res->landmarks;
        RR_JSON_KEY(j, "landmarks");
        rr_json_string_lossy(j, file, file ? strlen(file) : 0);
        RR_JSON_KEY(j, "format");
        rr_json_string(j, lm->schema);
        RR_JSON_KEY(j, "model");
        rr_json_string_lossy(j, model, model ? strlen(model) : 0);
        RR_JSON_KEY(j, "video");
        if (lm->file[0])
            rr_json_string_lossy(j, lm->file, strlen(lm->file));
        else
            rr_json_null(j);
        RR_JSON_KEY(j, "width");
        rr_json_int(j, res->info.width);
        RR_JSON_KEY(j, "height");
        rr_json_int(j, res->info.height);
        RR_JSON_KEY(j, "fps");
        if (res->info.fps > 0)
            rr_json_real(j, res->info.fps);
        else
            rr_json_null(j);
        RR_JSON_KEY(j, "frames");
        rr_json_uint(j, res->stats.frames);
        RR_JSON_KEY(j, "frames_with_pose");
        rr_json_uint(j, res->stats.frames_with_pose);
        RR_JSON_KEY(j, "has_world");
        rr_json_bool(j, lm->has_world);
        RR_JSON_KEY(j, "has_visibility");
        rr_json_bool(j, lm->has_visibility);
        RR_JSON_KEY(j, "wall_ms");
        rr_json_real(j, res->stats.wall_ms);
    } else {
        RR_JSON_KEY(j, "file");
        rr_json_string_lossy(j, file, file ? strlen(file) : 0);
        RR_JSON_KEY(j, "model");
        rr_json_string_lossy(j, model, model ? strlen(model) : 0);
        RR_JSON_KEY(j, "width");
        rr_json_int(j, res->info.width);
        RR_JSON_KEY(j, "height");
        rr_json_int(j, res->info.height);
        RR_JSON_KEY(j, "rotation");
        rr_json_int(j, res->info.rotation);
        RR_JSON_KEY(j, "fps");
        rr_json_real(j, res->info.fps);
        RR_JSON_KEY(j, "frames");
        rr_json_uint(j, res->stats.frames);
        RR_JSON_KEY(j, "frames_with_pose");
        rr_json_uint(j, res->stats.frames_with_pose);
        RR_JSON_KEY(j, "pose_fps");
        rr_json_real(j, res->stats.fps);
        RR_JSON_KEY(j, "wall_ms");
        rr_json_real(j, res->stats.wall_ms);
    }
    rr_json_object_end(j);
}

int report_json_print(FILE *out, const char *file, const char *model,
                      const struct pipeline_result *res)
{
    if (!out || !res || !res->report)
        return RR_ERR_INVAL;
    struct rr_json j;
    report_writer(&j);
    rr_json_set_indent(&j, 2);
    rr_json_object_begin(&j);
    analysis_write_report_members(&j, res->report);
    RR_JSON_KEY(&j, "source");
    write_source(&j, file, model, res);
    rr_json_object_end(&j);
    rr_json_raw(&j, "\n", 1);
    int err = rr_json_finish(&j);
    if (!err && (fwrite(rr_json_data(&j), 1, rr_json_len(&j), out) != rr_json_len(&j) ||
                 fflush(out) != 0))
        err = RR_ERR_IO;
    rr_json_release(&j);
    return err;
}

/* ---- reading a stored report back (for the overlay render) --------------------------------- */

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key)); /* NULL for null or absent */
}

static int64_t us_of(double s)
{
    return isfinite(s) ? (int64_t)llround(s * 1e6) : 0;
}

static size_t frame_of(json_t *o, const char *key)
{
    double v = num(o, key);
    return isfinite(v) && v >= 0 && v < 1e9 ? (size_t)v : 0;
}

static enum analysis_verdict verdict_of(const char *v)
{
    if (v && strcmp(v, "good") == 0)
        return ANALYSIS_GOOD;
    if (v && strcmp(v, "bad") == 0)
        return ANALYSIS_BAD;
    return ANALYSIS_CANNOT_JUDGE;
}

static enum analysis_outcome outcome_of(const char *o)
{
    if (o && strcmp(o, "fault") == 0)
        return ANALYSIS_FAULT;
    if (o && strcmp(o, "pass") == 0)
        return ANALYSIS_PASS;
    return ANALYSIS_NOT_JUDGED;
}

void report_json_doc_free(void *doc)
{
    json_decref(doc);
}

int report_json_load(const char *text, size_t len, struct analysis_report **out, void **doc,
                     char *msg, size_t msg_len)
{
    char dummy[8];
    if (!msg || !msg_len) {
        msg = dummy;
        msg_len = sizeof dummy;
    }
    msg[0] = '\0';
    if (!text || !out || !doc)
        return RR_ERR_INVAL;
    *out = NULL;
    *doc = NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    json_t *reps = json_object_get(root, "reps");
    const char *schema = str(root, "schema");
    if (!json_is_object(root) || !schema || strncmp(schema, "repright.report/", 16) != 0 ||
        !json_is_array(reps)) {
        snprintf(msg, msg_len, "not a repright report%s%s", root ? "" : ": ",
                 root ? "" : je.text);
        json_decref(root);
        return RR_ERR_CORRUPT;
    }
    struct analysis_report *r = calloc(1, sizeof *r);
    size_t n = json_array_size(reps);
    if (r && n)
        r->reps = calloc(n, sizeof *r->reps);
    if (!r || (n && !r->reps)) {
        free(r);
        json_decref(root);
        return RR_ERR_NOMEM;
    }
    r->exercise = str(root, "exercise");
    r->exercise_given = str(root, "exercise_source") &&
                        strcmp(str(root, "exercise_source"), "given") == 0;
    r->is_hold = json_is_true(json_object_get(root, "is_hold"));
    r->duration_s = (float)num(root, "duration_s");
    r->athlete = -1;
    r->n_reps = n;
    json_t *set = json_object_get(root, "set"), *hold = json_object_get(root, "hold");
    r->set.mean_score = (float)num(set, "mean_score");
    r->hold.hold_s = (float)num(hold, "hold_s");
    r->hold.good_form_s = (float)num(hold, "good_form_s");
    r->hold.mean_score = (float)num(hold, "mean_score");
    for (size_t k = 0; k < n; k++) {
        json_t *j = json_array_get(reps, k);
        struct analysis_rep *p = &r->reps[k];
        p->index = (int)(isfinite(num(j, "index")) ? num(j, "index") : (double)(k + 1));
        p->frame_start = frame_of(j, "frame_start");
        p->frame_turn = frame_of(j, "frame_turn");
        p->frame_end = frame_of(j, "frame_end");
        p->t_start_us = us_of(num(j, "t_start_s"));
        p->t_turn_us = us_of(num(j, "t_turn_s"));
        p->t_end_us = us_of(num(j, "t_end_s"));
        p->score = (float)num(j, "score");
        p->verdict = verdict_of(str(j, "verdict"));
        p->confidence = (float)num(j, "confidence");
        p->cannot_judge_reason = str(j, "cannot_judge_reason");
        p->symmetry_deg = (float)num(j, "symmetry_deg");
        json_t *rom = json_object_get(j, "rom"), *depth = json_object_get(j, "depth");
        json_t *tempo = json_object_get(j, "tempo");
        p->rom = (float)num(rom, "value");
        p->rom_unit = str(rom, "unit");
        p->depth = (float)num(depth, "value");
        p->depth_name = str(depth, "name");
        p->concentric_s = (float)num(tempo, "concentric_s");
        p->eccentric_s = (float)num(tempo, "eccentric_s");
        json_t *checks = json_object_get(j, "checks");
        for (size_t c = 0; c < json_array_size(checks) && p->n_checks < ANALYSIS_MAX_CHECKS;
             c++) {
            json_t *cj = json_array_get(checks, c);
            struct analysis_check *ck = &p->checks[p->n_checks++];
            ck->name = str(cj, "name") ? str(cj, "name") : "";
            ck->cue = str(cj, "cue");
            ck->unit = str(cj, "unit");
            ck->value = (float)num(cj, "value");
            ck->threshold = (float)num(cj, "threshold");
            ck->outcome = outcome_of(str(cj, "outcome"));
            ck->confidence = (float)num(cj, "confidence");
            ck->reason = str(cj, "reason");
            if (ck->outcome == ANALYSIS_FAULT)
                p->n_faults++;
        }
    }
    *out = r;
    *doc = root;
    return 0;
}
