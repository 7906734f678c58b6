/* params.c - the shipped analysis constants and named access to them (params.h). */
#include "analysis/params.h"

#include <stddef.h>
#include <string.h>

/* Every value is the one tools/eval/rr_eval --loso chose on all dev sources; every held-out
 * fold chose the same (docs/internals/analysis.md "Constants"; CTest eval/corpus checks it).
 * In words: a 50 ms low-pass, a hysteresis band of 35 % of the athlete's range, a full rep is at
 * least 40 % of it and counts when 60 % back, gaps over 2 s end a movement, a rep lasts at least
 * 0.25 s, half the cycles must fit the exercise, one cycle can be a set, a plank is held 2 s, a
 * rep starts and ends 15 % of its range from rest. */
static const struct analysis_params defaults = {
    .counter = {.tau_s = 0.05f,
                .h_frac = 0.35f,
                .keep_frac = 0.4f,
                .ret_frac = 0.6f,
                .gap_s = 2.0f,
                .min_cycle_s = 0.25f,
                .min_rom_frac = 0.05f},
    .valid_frac = 0.5f,
    .min_cycles = 1.0f,
    .hold_min_s = 2.0f,
    .edge_frac = 0.15f,
};

const struct analysis_params *analysis_params_default(void)
{
    return &defaults;
}

struct field {
    const char *name;
    size_t offset;
};

#define F(n) {#n, offsetof(struct analysis_params, n)}
static const struct field fields[] = {
    F(counter.tau_s),   F(counter.h_frac), F(counter.keep_frac), F(counter.ret_frac),
    F(counter.gap_s),   F(counter.min_cycle_s), F(counter.min_rom_frac), F(valid_frac),
    F(min_cycles),
    F(hold_min_s),      F(edge_frac),
};
#undef F

float *analysis_params_field(struct analysis_params *p, const char *name)
{
    if (!p || !name)
        return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, name) == 0)
            return (float *)(void *)((char *)p + fields[i].offset);
    return NULL;
}

const char *const *analysis_params_names(void)
{
    static const char *const names[] = {
        "counter.tau_s",  "counter.h_frac",      "counter.keep_frac", "counter.ret_frac",
        "counter.gap_s",  "counter.min_cycle_s", "counter.min_rom_frac", "valid_frac",
        "min_cycles",
        "hold_min_s",     "edge_frac",           NULL,
    };
    _Static_assert(sizeof names / sizeof names[0] == sizeof fields / sizeof fields[0] + 1,
                   "names and fields disagree");
    return names;
}
