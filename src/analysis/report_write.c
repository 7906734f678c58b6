/* report_write.c - analysis report -> JSON text without a JSON library (report_write.h). */
#include "report_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rr_error.h"

void jbuf_init(struct rr_jbuf *jb)
{
    memset(jb, 0, sizeof *jb);
}

void jbuf_free(struct rr_jbuf *jb)
{
    free(jb->s);
    jbuf_init(jb);
}

char *jbuf_release(struct rr_jbuf *jb)
{
    char *s = NULL;
    if (!jb->err) {
        jbuf_raw(jb, ""); /* an empty buffer still gives "" */
        if (!jb->err) {
            s = jb->s;
            jb->s = NULL;
        }
    }
    jbuf_free(jb);
    return s;
}

static void put(struct rr_jbuf *jb, const char *s, size_t n)
{
    if (jb->err)
        return;
    if (n >= RR_JBUF_MAX - jb->len) {
        jb->err = RR_ERR_TOOBIG;
        return;
    }
    if (jb->len + n + 1 > jb->cap) {
        size_t cap = jb->cap ? jb->cap : 1024;
        while (cap < jb->len + n + 1)
            cap *= 2;
        char *ns = realloc(jb->s, cap);
        if (!ns) {
            jb->err = RR_ERR_NOMEM;
            return;
        }
        jb->s = ns;
        jb->cap = cap;
    }
    memcpy(jb->s + jb->len, s, n);
    jb->len += n;
    jb->s[jb->len] = '\0';
}

void jbuf_raw(struct rr_jbuf *jb, const char *s)
{
    put(jb, s, strlen(s));
}

void jbuf_str(struct rr_jbuf *jb, const char *s)
{
    if (!s) {
        jbuf_raw(jb, "null");
        return;
    }
    put(jb, "\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(jb, e, 2);
        } else if (c < 0x20) {
            char e[8];
            int k = snprintf(e, sizeof e, "\\u%04x", c);
            put(jb, e, (size_t)k);
        } else {
            put(jb, p, 1);
        }
    }
    put(jb, "\"", 1);
}

void jbuf_real(struct rr_jbuf *jb, double v)
{
    if (!isfinite(v)) {
        jbuf_raw(jb, "null");
        return;
    }
    char b[40];
    int k = snprintf(b, sizeof b - 2, "%.17g", v);
    if (k < 0 || (size_t)k >= sizeof b - 2) {
        jb->err = jb->err ? jb->err : RR_ERR_INVAL; /* cannot happen for a finite double */
        return;
    }
    if (!strpbrk(b, ".e")) {
        b[k++] = '.';
        b[k++] = '0';
        b[k] = '\0';
    }
    put(jb, b, (size_t)k);
}

void jbuf_int(struct rr_jbuf *jb, long long v)
{
    char b[32];
    int k = snprintf(b, sizeof b, "%lld", v);
    put(jb, b, (size_t)k);
}

void jbuf_key(struct rr_jbuf *jb, const char *k)
{
    jbuf_str(jb, k);
    put(jb, ":", 1);
}

static double secs(int64_t us)
{
    return (double)us * 1e-6;
}

static void write_check(struct rr_jbuf *jb, const struct analysis_check *c)
{
    jbuf_raw(jb, "{");
    jbuf_key(jb, "name");
    jbuf_str(jb, c->name);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "outcome");
    jbuf_str(jb, analysis_outcome_name(c->outcome));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "confidence");
    jbuf_real(jb, c->confidence);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "reason");
    jbuf_str(jb, c->reason);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "value");
    jbuf_real(jb, c->value);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "threshold");
    jbuf_real(jb, c->threshold);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "fault_when");
    jbuf_str(jb, c->above ? "above" : "below");
    jbuf_raw(jb, ",");
    jbuf_key(jb, "unit");
    jbuf_str(jb, c->unit);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "severity");
    jbuf_str(jb, analysis_severity_name(c->severity));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "cue");
    jbuf_str(jb, c->cue);
    jbuf_raw(jb, "}");
}

static void write_checks(struct rr_jbuf *jb, const struct analysis_check *c, int n)
{
    jbuf_raw(jb, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            jbuf_raw(jb, ",");
        write_check(jb, &c[i]);
    }
    jbuf_raw(jb, "]");
}

void analysis_write_rep(struct rr_jbuf *jb, const struct analysis_rep *p)
{
    jbuf_raw(jb, "{");
    jbuf_key(jb, "index");
    jbuf_int(jb, p->index);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "t_start_s");
    jbuf_real(jb, secs(p->t_start_us));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "t_turn_s");
    jbuf_real(jb, secs(p->t_turn_us));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "t_end_s");
    jbuf_real(jb, secs(p->t_end_us));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "frame_start");
    jbuf_int(jb, (long long)p->frame_start);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "frame_turn");
    jbuf_int(jb, (long long)p->frame_turn);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "frame_end");
    jbuf_int(jb, (long long)p->frame_end);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "score");
    jbuf_real(jb, p->score);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "verdict");
    jbuf_str(jb, analysis_verdict_name(p->verdict));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "confidence");
    jbuf_real(jb, p->confidence);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "cannot_judge_reason");
    jbuf_str(jb, p->cannot_judge_reason);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "symmetry_deg");
    jbuf_real(jb, p->symmetry_deg);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "rom");
    jbuf_raw(jb, "{");
    jbuf_key(jb, "value");
    jbuf_real(jb, p->rom);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "unit");
    jbuf_str(jb, p->rom_unit);
    jbuf_raw(jb, "},");
    jbuf_key(jb, "depth");
    jbuf_raw(jb, "{");
    jbuf_key(jb, "name");
    jbuf_str(jb, p->depth_name);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "value");
    jbuf_real(jb, p->depth);
    jbuf_raw(jb, "},");
    jbuf_key(jb, "tempo");
    jbuf_raw(jb, "{");
    jbuf_key(jb, "concentric_s");
    jbuf_real(jb, p->concentric_s);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "eccentric_s");
    jbuf_real(jb, p->eccentric_s);
    jbuf_raw(jb, "},");
    jbuf_key(jb, "faults");
    jbuf_raw(jb, "[");
    int nf = 0;
    for (int i = 0; i < p->n_checks; i++) {
        if (p->checks[i].outcome != ANALYSIS_FAULT)
            continue;
        if (nf++)
            jbuf_raw(jb, ",");
        jbuf_str(jb, p->checks[i].name);
    }
    jbuf_raw(jb, "],");
    jbuf_key(jb, "checks");
    write_checks(jb, p->checks, p->n_checks);
    jbuf_raw(jb, "}");
}

static void write_hold(struct rr_jbuf *jb, const struct analysis_hold *h)
{
    jbuf_raw(jb, "{");
    jbuf_key(jb, "hold_s");
    jbuf_real(jb, h->hold_s);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "good_form_s");
    jbuf_real(jb, h->good_form_s);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "mean_score");
    jbuf_real(jb, h->mean_score);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "checks");
    write_checks(jb, h->checks, h->n_checks);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "windows");
    jbuf_raw(jb, "[");
    for (size_t i = 0; i < h->n_windows; i++) {
        const struct analysis_hold_window *w = &h->windows[i];
        jbuf_raw(jb, i ? ",{" : "{");
        jbuf_key(jb, "t_start_s");
        jbuf_real(jb, secs(w->t_start_us));
        jbuf_raw(jb, ",");
        jbuf_key(jb, "t_end_s");
        jbuf_real(jb, secs(w->t_end_us));
        jbuf_raw(jb, ",");
        jbuf_key(jb, "score");
        jbuf_real(jb, w->score);
        jbuf_raw(jb, ",");
        jbuf_key(jb, "verdict");
        jbuf_str(jb, analysis_verdict_name(w->verdict));
        jbuf_raw(jb, ",");
        jbuf_key(jb, "fault");
        jbuf_str(jb, w->fault);
        jbuf_raw(jb, "}");
    }
    jbuf_raw(jb, "]}");
}

static void write_partial(struct rr_jbuf *jb, const struct analysis_partial *p, int comma)
{
    jbuf_raw(jb, comma ? ",{" : "{");
    jbuf_key(jb, "t_start_s");
    jbuf_real(jb, secs(p->t_start_us));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "t_turn_s");
    jbuf_real(jb, secs(p->t_turn_us));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "frame_start");
    jbuf_int(jb, (long long)p->frame_start);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "frame_turn");
    jbuf_int(jb, (long long)p->frame_turn);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "reached");
    jbuf_real(jb, p->reached);
    jbuf_raw(jb, "}");
}

void analysis_write_report(struct rr_jbuf *jb, const struct analysis_report *r)
{
    const struct analysis_set *st = &r->set;
    jbuf_raw(jb, "{");
    jbuf_key(jb, "schema");
    jbuf_str(jb, ANALYSIS_REPORT_SCHEMA);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "exercise");
    jbuf_str(jb, r->exercise);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "exercise_source");
    jbuf_str(jb, r->exercise_given ? "given" : "recognised");
    jbuf_raw(jb, ",");
    jbuf_key(jb, "confidence");
    jbuf_real(jb, r->confidence);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "view");
    jbuf_str(jb, analysis_view_name(r->view));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "camera");
    jbuf_raw(jb, "{");
    jbuf_key(jb, "view");
    jbuf_str(jb, analysis_view_name(r->view));
    jbuf_raw(jb, ",");
    jbuf_key(jb, "roll_deg");
    jbuf_real(jb, r->camera_roll_deg);
    jbuf_raw(jb, "},");
    jbuf_key(jb, "people");
    jbuf_int(jb, r->people);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "athlete");
    if (r->athlete >= 0)
        jbuf_int(jb, r->athlete);
    else
        jbuf_raw(jb, "null");
    jbuf_raw(jb, ",");
    jbuf_key(jb, "duration_s");
    jbuf_real(jb, r->duration_s);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "is_hold");
    jbuf_raw(jb, r->is_hold ? "true" : "false");
    jbuf_raw(jb, ",");
    jbuf_key(jb, "candidates");
    jbuf_raw(jb, "[");
    for (int i = 0; i < r->n_candidates; i++) {
        jbuf_raw(jb, i ? ",{" : "{");
        jbuf_key(jb, "exercise");
        jbuf_str(jb, r->candidates[i].exercise);
        jbuf_raw(jb, ",");
        jbuf_key(jb, "score");
        jbuf_real(jb, r->candidates[i].score);
        jbuf_raw(jb, "}");
    }
    jbuf_raw(jb, "],");
    jbuf_key(jb, "frames");
    jbuf_raw(jb, "{");
    jbuf_key(jb, "total");
    jbuf_int(jb, (long long)r->n_frames);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "used");
    jbuf_int(jb, (long long)r->n_frames_used);
    jbuf_raw(jb, "},");
    jbuf_key(jb, "set");
    jbuf_raw(jb, "{");
    jbuf_key(jb, "reps");
    jbuf_int(jb, st->reps);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "partial_reps");
    jbuf_int(jb, st->partial_reps);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "good");
    jbuf_int(jb, st->good);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "bad");
    jbuf_int(jb, st->bad);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "cannot_judge");
    jbuf_int(jb, st->cannot_judge);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "mean_score");
    jbuf_real(jb, st->mean_score);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "top_fault");
    jbuf_str(jb, st->top_fault);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "top_fault_reps");
    jbuf_int(jb, st->top_fault_reps);
    jbuf_raw(jb, ",");
    jbuf_key(jb, "time_under_tension_s");
    jbuf_real(jb, st->time_under_tension_s);
    jbuf_raw(jb, "},");
    jbuf_key(jb, "reps");
    jbuf_raw(jb, "[");
    for (size_t k = 0; k < r->n_reps; k++) {
        if (k)
            jbuf_raw(jb, ",");
        analysis_write_rep(jb, &r->reps[k]);
    }
    jbuf_raw(jb, "],");
    jbuf_key(jb, "partial_reps");
    jbuf_raw(jb, "[");
    for (size_t k = 0; k < r->n_partials; k++)
        write_partial(jb, &r->partials[k], k > 0);
    jbuf_raw(jb, "],");
    jbuf_key(jb, "hold");
    if (r->is_hold)
        write_hold(jb, &r->hold);
    else
        jbuf_raw(jb, "null");
    jbuf_raw(jb, "}");
}

char *analysis_report_json(const struct analysis_report *r)
{
    if (!r)
        return NULL;
    struct rr_jbuf jb;
    jbuf_init(&jb);
    analysis_write_report(&jb, r);
    return jbuf_release(&jb);
}
