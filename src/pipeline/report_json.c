/* report_json.c - analysis report -> JSON text, schema repright.report/2 (report_json.h). */
#include "pipeline/report_json.h"

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
