/*
 * exercises.c - the exercise list of the API and the web app, read from the one place it lives:
 * the analysis registry (analysis_exercises). Copied once into a NULL-terminated array so static
 * tables (the sync schema's enum) can point at it.
 */
#include "app/app.h"

#include <pthread.h>
#include <string.h>

#include "analysis/analysis.h"

const char *app_exercise_names[ANALYSIS_MAX_EXERCISES + 1];
static size_t exercise_n;
static pthread_once_t exercise_once = PTHREAD_ONCE_INIT;

static void exercises_build(void)
{
    const char *const *names = NULL;
    int n = analysis_exercises(&names);
    for (int i = 0; i < n && i < ANALYSIS_MAX_EXERCISES; i++)
        app_exercise_names[exercise_n++] = names[i];
    app_exercise_names[exercise_n] = NULL;
}

const char *const *app_exercises(size_t *n)
{
    pthread_once(&exercise_once, exercises_build);
    if (n)
        *n = exercise_n;
    return app_exercise_names;
}

int app_exercise_known(const char *name)
{
    size_t n = 0;
    const char *const *list = app_exercises(&n);
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}
