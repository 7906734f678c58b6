/* report_json.c - analysis report -> JSON, schema repright.report/1 (report_json.h). */
#include "report_json.h"

#include <math.h>
#include <stdlib.h>

#include "../base/rr_error.h"
#include "analyze.h"

/* Builders return 0 or -1; every json_object_set_new() result is checked through `ok`. */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static double secs(int64_t us)
{
    return (double)us * 1e-6;
}

static int set(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *check_json(const struct analysis_check *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= set(o, "name", json_string(c->name));
    bad |= set(o, "outcome", json_string(analysis_outcome_name(c->outcome)));
    bad |= set(o, "value", num(c->value));
    bad |= set(o, "threshold", num(c->threshold));
    bad |= set(o, "fault_when", json_string(c->above ? "above" : "below"));
    bad |= set(o, "unit", str_or_null(c->unit));
    bad |= set(o, "severity", json_string(analysis_severity_name(c->severity)));
    bad |= set(o, "cue", str_or_null(c->cue));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *checks_json(const struct analysis_check *c, int n, json_t **faults)
{
    json_t *a = json_array();
    json_t *f = faults ? json_array() : NULL;
    if (!a || (faults && !f))
        goto fail;
    for (int i = 0; i < n; i++) {
        if (json_array_append_new(a, check_json(&c[i])) != 0)
            goto fail;
        if (f && c[i].outcome == ANALYSIS_FAULT && json_array_append_new(f, json_string(c[i].name)) != 0)
            goto fail;
    }
    if (faults)
        *faults = f;
    return a;
fail:
    json_decref(a);
    json_decref(f);
    return NULL;
}

static json_t *rep_json(const struct analysis_rep *p)
{
    json_t *o = json_object(), *rom = json_object(), *depth = json_object(), *tempo = json_object();
    json_t *faults = NULL;
    json_t *checks = checks_json(p->checks, p->n_checks, &faults);
    int bad = !o || !rom || !depth || !tempo || !checks;
    if (!bad) {
        bad |= set(rom, "value", num(p->rom));
        bad |= set(rom, "unit", str_or_null(p->rom_unit));
        bad |= set(depth, "name", str_or_null(p->depth_name));
        bad |= set(depth, "value", num(p->depth));
        bad |= set(tempo, "concentric_s", num(p->concentric_s));
        bad |= set(tempo, "eccentric_s", num(p->eccentric_s));
        bad |= set(o, "index", json_integer(p->index));
        bad |= set(o, "t_start_s", num(secs(p->t_start_us)));
        bad |= set(o, "t_turn_s", num(secs(p->t_turn_us)));
        bad |= set(o, "t_end_s", num(secs(p->t_end_us)));
        bad |= set(o, "frame_start", json_integer((json_int_t)p->frame_start));
        bad |= set(o, "frame_turn", json_integer((json_int_t)p->frame_turn));
        bad |= set(o, "frame_end", json_integer((json_int_t)p->frame_end));
        bad |= set(o, "score", num(p->score));
        bad |= set(o, "verdict", json_string(analysis_verdict_name(p->verdict)));
        bad |= set(o, "symmetry_deg", num(p->symmetry_deg));
        bad |= json_object_set(o, "rom", rom);
        bad |= json_object_set(o, "depth", depth);
        bad |= json_object_set(o, "tempo", tempo);
        bad |= json_object_set(o, "faults", faults);
        bad |= json_object_set(o, "checks", checks);
    }
    json_decref(rom);
    json_decref(depth);
    json_decref(tempo);
    json_decref(faults);
    json_decref(checks);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *hold_json(const struct analysis_hold *h)
{
    json_t *o = json_object(), *w = json_array();
    json_t *checks = checks_json(h->checks, h->n_checks, NULL);
    int bad = !o || !w || !checks;
    for (size_t i = 0; !bad && i < h->n_windows; i++) {
        const struct analysis_hold_window *x = &h->windows[i];
        json_t *e = json_object();
        if (!e) {
            bad = 1;
            break;
        }
        bad |= set(e, "t_start_s", num(secs(x->t_start_us)));
        bad |= set(e, "t_end_s", num(secs(x->t_end_us)));
        bad |= set(e, "score", num(x->score));
        bad |= set(e, "verdict", json_string(analysis_verdict_name(x->verdict)));
        bad |= set(e, "fault", str_or_null(x->fault));
        bad |= json_array_append_new(w, e);
    }
    if (!bad) {
        bad |= set(o, "hold_s", num(h->hold_s));
        bad |= set(o, "good_form_s", num(h->good_form_s));
        bad |= set(o, "mean_score", num(h->mean_score));
        bad |= json_object_set(o, "checks", checks);
        bad |= json_object_set(o, "windows", w);
    }
    json_decref(w);
    json_decref(checks);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *report_json_build(const struct analysis_report *r)
{
    if (!r)
        return NULL;
    json_t *o = json_object(), *cands = json_array(), *frames = json_object(), *s = json_object();
    json_t *reps = json_array();
    int bad = !o || !cands || !frames || !s || !reps;
    for (int i = 0; !bad && i < r->n_candidates; i++) {
        json_t *c = json_object();
        bad |= !c;
        if (c) {
            bad |= set(c, "exercise", json_string(r->candidates[i].exercise));
            bad |= set(c, "score", num(r->candidates[i].score));
            bad |= json_array_append_new(cands, c);
        }
    }
    for (size_t k = 0; !bad && k < r->n_reps; k++)
        bad |= json_array_append_new(reps, rep_json(&r->reps[k]));
    if (!bad) {
        const struct analysis_set *st = &r->set;
        bad |= set(frames, "total", json_integer((json_int_t)r->n_frames));
        bad |= set(frames, "used", json_integer((json_int_t)r->n_frames_used));
        bad |= set(s, "reps", json_integer(st->reps));
        bad |= set(s, "good", json_integer(st->good));
        bad |= set(s, "bad", json_integer(st->bad));
        bad |= set(s, "cannot_judge", json_integer(st->cannot_judge));
        bad |= set(s, "mean_score", num(st->mean_score));
        bad |= set(s, "top_fault", str_or_null(st->top_fault));
        bad |= set(s, "top_fault_reps", json_integer(st->top_fault_reps));
        bad |= set(s, "time_under_tension_s", num(st->time_under_tension_s));
        bad |= set(o, "schema", json_string(REPORT_JSON_SCHEMA));
        bad |= set(o, "exercise", str_or_null(r->exercise));
        bad |= set(o, "exercise_source", json_string(r->exercise_given ? "given" : "recognised"));
        bad |= set(o, "confidence", num(r->confidence));
        bad |= set(o, "view", json_string(analysis_view_name(r->view)));
        bad |= set(o, "duration_s", num(r->duration_s));
        bad |= set(o, "is_hold", json_boolean(r->is_hold));
        bad |= json_object_set(o, "candidates", cands);
        bad |= json_object_set(o, "frames", frames);
        bad |= json_object_set(o, "set", s);
        bad |= json_object_set(o, "reps", reps);
        bad |= set(o, "hold", r->is_hold ? hold_json(&r->hold) : json_null());
    }
    json_decref(cands);
    json_decref(frames);
    json_decref(s);
    json_decref(reps);
    if (bad) {
        json_decref(o);
        return NULL;
    }
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
