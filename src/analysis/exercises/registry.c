/* registry.c - the exercise table. Adding an exercise = one file in this folder + one line. */
#include <string.h>

#include "analysis/exercise.h"

static const struct exercise_def *const registry[] = {
    &exercise_squat,          &exercise_push_up,     &exercise_lunge,
    &exercise_deadlift,       &exercise_biceps_curl, &exercise_shoulder_press,
    &exercise_jumping_jack,   &exercise_pull_up,     &exercise_plank,
};

static const char *const names[] = {
    "squat", "push_up", "lunge", "deadlift", "biceps_curl", "shoulder_press", "jumping_jack",
    "pull_up", "plank",
};

_Static_assert(sizeof registry / sizeof registry[0] == sizeof names / sizeof names[0],
               "registry and names disagree");
_Static_assert(sizeof registry / sizeof registry[0] <= ANALYSIS_MAX_EXERCISES,
               "too many exercises");

int exercise_count(void)
{
    return (int)(sizeof registry / sizeof registry[0]);
}

const struct exercise_def *exercise_at(int i)
{
    return (i >= 0 && i < exercise_count()) ? registry[i] : NULL;
}

const struct exercise_def *exercise_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < exercise_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

int exercise_index(const struct exercise_def *ex)
{
    for (int i = 0; i < exercise_count(); i++)
        if (registry[i] == ex)
            return i;
    return -1;
}

int analysis_exercises(const char *const **out)
{
    *out = names;
    return exercise_count();
}
