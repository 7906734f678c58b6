/* report_write.c - analysis report -> JSON text through base/rr_json.h (report_write.h). */
#include "analysis/report_write.h"

#include <stdint.h>

static double secs(int64_t us)
{
    return (double)us * 1e-6;
}

static void write_check(struct rr_json *j, const struct analysis_check *c)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "name");
    rr_json_string(j, c->name);
    RR_JSON_KEY(j, "outcome");
    rr_json_string(j, analysis_outcome_name(c->outcome));
    RR_JSON_KEY(j, "confidence");
    rr_json_real(j, c->confidence);
    RR_JSON_KEY(j, "reason");
    rr_json_string(j, c->reason);
    RR_JSON_KEY(j, "value");
    rr_json_real(j, c->value);
    RR_JSON_KEY(j, "threshold");
    rr_json_real(j, c->threshold);
    RR_JSON_KEY(j, "fault_when");
    rr_json_string(j, c->above ? "above" : "below");
    RR_JSON_KEY(j, "unit");
    rr_json_string(j, c->unit);
    RR_JSON_KEY(j, "severity");
    rr_json_string(j, analysis_severity_name(c->severity));
    RR_JSON_KEY(j, "cue");
    rr_json_string(j, c->cue);
    rr_json_object_end(j);
}

static void write_checks(struct rr_json *j, const struct analysis_check *c, int n)
{
    rr_json_array_begin(j);
    for (int i = 0; i < n; i++)
        write_check(j, &c[i]);
    rr_json_array_end(j);
}

void analysis_write_rep(struct rr_json *j, const struct analysis_rep *p)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "index");
    rr_json_int(j, p->index);
    RR_JSON_KEY(j, "t_start_s");
    rr_json_real(j, secs(p->t_start_us));
    RR_JSON_KEY(j, "t_turn_s");
    rr_json_real(j, secs(p->t_turn_us));
    RR_JSON_KEY(j, "t_end_s");
    rr_json_real(j, secs(p->t_end_us));
    RR_JSON_KEY(j, "frame_start");
    rr_json_uint(j, p->frame_start);
    RR_JSON_KEY(j, "frame_turn");
    rr_json_uint(j, p->frame_turn);
    RR_JSON_KEY(j, "frame_end");
    rr_json_uint(j, p->frame_end);
    RR_JSON_KEY(j, "score");
    rr_json_real(j, p->score);
    RR_JSON_KEY(j, "verdict");
    rr_json_string(j, analysis_verdict_name(p->verdict));
    RR_JSON_KEY(j, "confidence");
    rr_json_real(j, p->confidence);
    RR_JSON_KEY(j, "cannot_judge_reason");
    rr_json_string(j, p->cannot_judge_reason);
    RR_JSON_KEY(j, "symmetry_deg");
    rr_json_real(j, p->symmetry_deg);
    RR_JSON_KEY(j, "rom");
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "value");
    rr_json_real(j, p->rom);
    RR_JSON_KEY(j, "unit");
    rr_json_string(j, p->rom_unit);
    rr_json_object_end(j);
    RR_JSON_KEY(j, "depth");
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "name");
    rr_json_string(j, p->depth_name);
    RR_JSON_KEY(j, "value");
    rr_json_real(j, p->depth);
    rr_json_object_end(j);
    RR_JSON_KEY(j, "tempo");
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "concentric_s");
    rr_json_real(j, p->concentric_s);
    RR_JSON_KEY(j, "eccentric_s");
    rr_json_real(j, p->eccentric_s);
    rr_json_object_end(j);
    RR_JSON_KEY(j, "faults");
    rr_json_array_begin(j);
    for (int i = 0; i < p->n_checks; i++)
        if (p->checks[i].outcome == ANALYSIS_FAULT)
            rr_json_string(j, p->checks[i].name);
    rr_json_array_end(j);
    RR_JSON_KEY(j, "checks");
    write_checks(j, p->checks, p->n_checks);
    rr_json_object_end(j);
}

static void write_hold(struct rr_json *j, const struct analysis_hold *h)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "hold_s");
    rr_json_real(j, h->hold_s);
    RR_JSON_KEY(j, "good_form_s");
    rr_json_real(j, h->good_form_s);
    RR_JSON_KEY(j, "mean_score");
    rr_json_real(j, h->mean_score);
    RR_JSON_KEY(j, "checks");
    write_checks(j, h->checks, h->n_checks);
    RR_JSON_KEY(j, "windows");
    rr_json_array_begin(j);
    for (size_t i = 0; i < h->n_windows; i++) {
        const struct analysis_hold_window *w = &h->windows[i];
        rr_json_object_begin(j);
        RR_JSON_KEY(j, "t_start_s");
        rr_json_real(j, secs(w->t_start_us));
        RR_JSON_KEY(j, "t_end_s");
        rr_json_real(j, secs(w->t_end_us));
        RR_JSON_KEY(j, "score");
        rr_json_real(j, w->score);
        RR_JSON_KEY(j, "verdict");
        rr_json_string(j, analysis_verdict_name(w->verdict));
        RR_JSON_KEY(j, "fault");
        rr_json_string(j, w->fault);
        rr_json_object_end(j);
    }
    rr_json_array_end(j);
    rr_json_object_end(j);
}

static void write_partial(struct rr_json *j, const struct analysis_partial *p)
{
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "t_start_s");
    rr_json_real(j, secs(p->t_start_us));
    RR_JSON_KEY(j, "t_turn_s");
    rr_json_real(j, secs(p->t_turn_us));
    RR_JSON_KEY(j, "frame_start");
    rr_json_uint(j, p->frame_start);
    RR_JSON_KEY(j, "frame_turn");
    rr_json_uint(j, p->frame_turn);
    RR_JSON_KEY(j, "reached");
    rr_json_real(j, p->reached);
    rr_json_object_end(j);
}

void analysis_write_report_members(struct rr_json *j, const struct analysis_report *r)
{
    const struct analysis_set *st = &r->set;
    RR_JSON_KEY(j, "schema");
    rr_json_string(j, ANALYSIS_REPORT_SCHEMA);
    RR_JSON_KEY(j, "exercise");
    rr_json_string(j, r->exercise);
    RR_JSON_KEY(j, "exercise_source");
    rr_json_string(j, r->exercise_given ? "given" : "recognised");
    RR_JSON_KEY(j, "confidence");
    rr_json_real(j, r->confidence);
    RR_JSON_KEY(j, "view");
    rr_json_string(j, analysis_view_name(r->view));
    RR_JSON_KEY(j, "camera");
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "view");
    rr_json_string(j, analysis_view_name(r->view));
    RR_JSON_KEY(j, "roll_deg");
    rr_json_real(j, r->camera_roll_deg);
    rr_json_object_end(j);
    RR_JSON_KEY(j, "people");
    rr_json_int(j, r->people);
    RR_JSON_KEY(j, "athlete");
    if (r->athlete >= 0)
        rr_json_int(j, r->athlete);
    else
        rr_json_null(j);
    RR_JSON_KEY(j, "duration_s");
    rr_json_real(j, r->duration_s);
    RR_JSON_KEY(j, "is_hold");
    rr_json_bool(j, r->is_hold);
    RR_JSON_KEY(j, "candidates");
    rr_json_array_begin(j);
    for (int i = 0; i < r->n_candidates; i++) {
        rr_json_object_begin(j);
        RR_JSON_KEY(j, "exercise");
        rr_json_string(j, r->candidates[i].exercise);
        RR_JSON_KEY(j, "score");
        rr_json_real(j, r->candidates[i].score);
        rr_json_object_end(j);
    }
    rr_json_array_end(j);
    RR_JSON_KEY(j, "frames");
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "total");
    rr_json_uint(j, r->n_frames);
    RR_JSON_KEY(j, "used");
    rr_json_uint(j, r->n_frames_used);
    rr_json_object_end(j);
    RR_JSON_KEY(j, "set");
    rr_json_object_begin(j);
    RR_JSON_KEY(j, "reps");
    rr_json_int(j, st->reps);
    RR_JSON_KEY(j, "partial_reps");
    rr_json_int(j, st->partial_reps);
    RR_JSON_KEY(j, "good");
    rr_json_int(j, st->good);
    RR_JSON_KEY(j, "bad");
    rr_json_int(j, st->bad);
    RR_JSON_KEY(j, "cannot_judge");
    rr_json_int(j, st->cannot_judge);
    RR_JSON_KEY(j, "mean_score");
    rr_json_real(j, st->mean_score);
    RR_JSON_KEY(j, "top_fault");
    rr_json_string(j, st->top_fault);
    RR_JSON_KEY(j, "top_fault_reps");
    rr_json_int(j, st->top_fault_reps);
    RR_JSON_KEY(j, "time_under_tension_s");
    rr_json_real(j, st->time_under_tension_s);
    rr_json_object_end(j);
    RR_JSON_KEY(j, "reps");
    rr_json_array_begin(j);
    for (size_t k = 0; k < r->n_reps; k++)
        analysis_write_rep(j, &r->reps[k]);
    rr_json_array_end(j);
    RR_JSON_KEY(j, "partial_reps");
    rr_json_array_begin(j);
    for (size_t k = 0; k < r->n_partials; k++)
        write_partial(j, &r->partials[k]);
    rr_json_array_end(j);
    RR_JSON_KEY(j, "hold");
    if (r->is_hold)
        write_hold(j, &r->hold);
    else
        rr_json_null(j);
}

void analysis_write_report(struct rr_json *j, const struct analysis_report *r)
{
    rr_json_object_begin(j);
    analysis_write_report_members(j, r);
    rr_json_object_end(j);
}

char *analysis_report_json(const struct analysis_report *r)
{
    if (!r)
        return NULL;
    struct rr_json j;
    rr_json_init(&j, NULL, 0, ANALYSIS_REPORT_MAX_BYTES);
    analysis_write_report(&j, r);
    return rr_json_detach(&j, NULL);
}
