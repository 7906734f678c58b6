/* report_json.c - analysis report -> JSON, schema repright.report/2 (report_json.h). */
#include "report_json.h"

#include <math.h>
#include <stdlib.h>

#include "../base/rr_error.h"
#include "../analysis/report_write.h"
#include "analyze.h"

/* The analysis part is written once, by src/analysis/report_write.c (also used by the
 * WebAssembly build of the live page), and parsed here: the two renderings cannot drift.
 * Floats are written with 17 significant digits, so the parsed doubles are exactly the values
 * the report holds. */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int set(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

json_t *report_json_build(const struct analysis_report *r)
{
    char *text = analysis_report_json(r);
    if (!text)
        return NULL;
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    return o;
}

char *report_json_dumps(const struct analysis_report *r)
{
    json_t *o = report_json_build(r);
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return s;
}

int report_json_print(FILE *out, const char *file, const char *model,
                      const struct pipeline_result *res)
{
    if (!out || !res || !res->report)
        return RR_ERR_INVAL;
    int err = 0;
    json_t *o = report_json_build(res->report);
    json_t *src = json_object();
    if (!o || !src) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    int bad = 0;
    if (res->from_landmarks) {
        /* no video: the landmark file and what it said about itself */
        const struct landmarks_file_info *lm = &res->landmarks;
        bad |= set(src, "landmarks", str_or_null(file));
        bad |= set(src, "format", json_string(lm->schema));
        bad |= set(src, "model", str_or_null(model));
        bad |= set(src, "video", lm->file[0] ? json_string(lm->file) : json_null());
        bad |= set(src, "width", json_integer(res->info.width));
        bad |= set(src, "height", json_integer(res->info.height));
        bad |= set(src, "fps", res->info.fps > 0 ? num(res->info.fps) : json_null());
        bad |= set(src, "frames", json_integer((json_int_t)res->stats.frames));
        bad |= set(src, "frames_with_pose", json_integer((json_int_t)res->stats.frames_with_pose));
        bad |= set(src, "has_world", json_boolean(lm->has_world));
        bad |= set(src, "has_visibility", json_boolean(lm->has_visibility));
        bad |= set(src, "wall_ms", num(res->stats.wall_ms));
        goto done;
    }
    bad |= set(src, "file", str_or_null(file));
    bad |= set(src, "model", str_or_null(model));
    bad |= set(src, "width", json_integer(res->info.width));
    bad |= set(src, "height", json_integer(res->info.height));
    bad |= set(src, "rotation", json_integer(res->info.rotation));
    bad |= set(src, "fps", num(res->info.fps));
    bad |= set(src, "frames", json_integer((json_int_t)res->stats.frames));
    bad |= set(src, "frames_with_pose", json_integer((json_int_t)res->stats.frames_with_pose));
    bad |= set(src, "pose_fps", num(res->stats.fps));
    bad |= set(src, "wall_ms", num(res->stats.wall_ms));
done:
    bad |= json_object_set(o, "source", src);
    if (bad) {
        err = RR_ERR_NOMEM;
        goto out;
    }
    if (json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) != 0 ||
        fputc('\n', out) == EOF)
        err = RR_ERR_IO;
out:
    json_decref(src);
    json_decref(o);
    return err;
}
