/* filter.c - one-euro and low-pass landmark smoothing as MediaPipe does it (see filter.h). */
#include "pose/filter.h"

#include <math.h>
#include <string.h>

#define FILTER_PI 3.14159265358979323846

void filter_lowpass_init(struct filter_lowpass *f, double alpha)
{
    memset(f, 0, sizeof *f);
    f->alpha = alpha;
}

double filter_lowpass_apply(struct filter_lowpass *f, double v)
{
    double out = v;
    if (f->initialized)
        out = f->alpha * v + (1.0 - f->alpha) * f->stored;
    else
        f->initialized = 1;
    f->raw = v;
    f->stored = out;
    return out;
}

double filter_lowpass_apply_alpha(struct filter_lowpass *f, double v, double alpha)
{
    if (alpha >= 0.0 && alpha <= 1.0)
        f->alpha = alpha;
    return filter_lowpass_apply(f, v);
}

void filter_one_euro_init(struct filter_one_euro *f, double frequency, double min_cutoff,
                          double beta, double derivate_cutoff)
{
    f->frequency = frequency;
    f->min_cutoff = min_cutoff;
    f->beta = beta;
    f->derivate_cutoff = derivate_cutoff;
    filter_lowpass_init(&f->x, 0.0);
    filter_lowpass_init(&f->dx, 0.0);
    f->last_time_ns = 0;
}

static double one_euro_alpha(const struct filter_one_euro *f, double cutoff)
{
    double te = 1.0 / f->frequency;
    double tau = 1.0 / (2 * FILTER_PI * cutoff);
    return 1.0 / (1.0 + tau / te);
}

double filter_one_euro_apply(struct filter_one_euro *f, int64_t t_ns, double value_scale,
                             double value)
{
    if (f->last_time_ns >= t_ns)
        return value;
    if (f->last_time_ns != 0 && t_ns != 0)
        f->frequency = 1.0 / ((double)(t_ns - f->last_time_ns) * 1e-9);
    f->last_time_ns = t_ns;
    double dvalue = f->x.initialized ? (value - f->x.raw) * value_scale * f->frequency : 0.0;
    double edvalue = filter_lowpass_apply_alpha(&f->dx, dvalue, one_euro_alpha(f, f->derivate_cutoff));
    double cutoff = f->min_cutoff + f->beta * fabs(edvalue);
    return filter_lowpass_apply_alpha(&f->x, value, one_euro_alpha(f, cutoff));
}

void filter_landmarks_init(struct filter_landmarks *f, const struct filter_one_euro_params *p)
{
    f->p = *p;
    f->n = 0;
}

void filter_landmarks_reset(struct filter_landmarks *f)
{
    f->n = 0;
}

void filter_landmarks_apply(struct filter_landmarks *f, int64_t t_us, float object_scale,
                            float (*xyz)[3], int n)
{
    if (n > FILTER_MAX_LANDMARKS)
        n = FILTER_MAX_LANDMARKS;
    if (n != f->n) {
        for (int i = 0; i < n; i++)
            for (int a = 0; a < 3; a++)
                filter_one_euro_init(&f->f[i][a], f->p.frequency, f->p.min_cutoff, f->p.beta,
                                     f->p.derivate_cutoff);
        f->n = n;
    }
    double value_scale = 1.0;
    if (!f->p.disable_value_scaling) {
        if (object_scale < f->p.min_allowed_object_scale)
            return;
        value_scale = 1.0f / object_scale;
    }
    int64_t t_ns = t_us * 1000;
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 3; a++)
            xyz[i][a] = (float)filter_one_euro_apply(&f->f[i][a], t_ns, value_scale, xyz[i][a]);
}

void filter_visibility_init(struct filter_visibility *f, double alpha)
{
    f->alpha = alpha;
    f->n = 0;
}

void filter_visibility_reset(struct filter_visibility *f)
{
    f->n = 0;
}

void filter_visibility_apply(struct filter_visibility *f, float *vis, int n)
{
    if (n > FILTER_MAX_LANDMARKS)
        n = FILTER_MAX_LANDMARKS;
    if (n != f->n) {
        for (int i = 0; i < n; i++)
            filter_lowpass_init(&f->f[i], f->alpha);
        f->n = n;
    }
    for (int i = 0; i < n; i++)
        vis[i] = (float)filter_lowpass_apply(&f->f[i], vis[i]);
}

/* The calculator options are proto floats: keep their float rounding. */
static struct filter_one_euro_params params(float min_cutoff, float beta, int no_scaling)
{
    struct filter_one_euro_params p = {
        .frequency = 30.0,
        .min_cutoff = min_cutoff,
        .beta = beta,
        .derivate_cutoff = 1.0,
        .min_allowed_object_scale = 1e-6f,
        .disable_value_scaling = no_scaling,
    };
    return p;
}

struct filter_one_euro_params filter_params_pose_image(void)
{
    return params(0.05f, 80.0f, 0);
}

struct filter_one_euro_params filter_params_pose_world(void)
{
    return params(0.1f, 40.0f, 1);
}

struct filter_one_euro_params filter_params_pose_aux(void)
{
    return params(0.01f, 10.0f, 0);
}
