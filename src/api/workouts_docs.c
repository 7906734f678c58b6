/*
 * workouts_docs.c - OpenAPI examples of the training history routes: workouts and device sync
 * (workouts.c), analytics (analytics.c) and the exercise list (exercises.c), with the request
 * bodies their schemas accept and the answers the handlers write.
 */
#include "api/api.h"

#define WORKOUT_ID "\"01a24ba2a36984347f03e2bfab213a03\""
#define WORKOUT                                                                                    \
    "\"id\":" WORKOUT_ID ",\"exercise\":\"squat\",\"started_at\":\"2026-11-03T18:00:00.000Z\","   \
    "\"duration_ms\":2900,\"score\":80.0,\"video_id\":null,\"source\":\"device\",\"created_at\":" \
    "\"2026-11-03T18:01:02.593Z\",\"name\":\"leg day\",\"reps\":2,\"verdicts\":{\"good\":1,"      \
    "\"bad\":1,\"cannot_judge\":0}"
#define REP(i, t0, t1, v, f)                                                                       \
    "{\"idx\":" #i ",\"t_start\":" #t0 ",\"t_end\":" #t1 ",\"score\":80.0,\"verdict\":\"" v       \
    "\",\"metrics\":{\"rom\":92.5,\"rom_unit\":\"deg\"},\"faults\":[" f "]}"
#define DETAIL                                                                                     \
    "{" WORKOUT ",\"sets\":[{\"idx\":0,\"exercise\":\"squat\",\"rep_count\":2,\"score\":80.0,"    \
    "\"load_kg\":60.0,\"hold_ms\":0,\"reps\":[" REP(1, 0.0, 0.9, "good", "") ","                  \
    REP(2, 1.0, 1.9, "bad", "\"knees_in\"") "]}]}"
#define STREAK "{\"current\":0,\"longest\":1,\"current_start\":null,\"last_day\":\"2026-11-03\"}"
#define BUCKET                                                                                     \
    "{\"label\":\"2026-W45\",\"start\":\"2026-11-02\",\"sessions\":1,\"reps\":2,\"volume_kg\":"   \
    "120.0,\"mean_score\":80.0}"

const struct http_route_doc api_workouts_docs[] = {
    {.name = "workouts.list", .example = "{\"items\":[{" WORKOUT "}],\"next_cursor\":null}"},
    {.name = "workouts.export", .example = "{\"workouts\":[" DETAIL "]}"},
    {.name = "workouts.get", .example = DETAIL},
    {.name = "workouts.patch", .example = "{" WORKOUT "}",
     .request_example = "{\"name\":\"leg day\"}"},
    {.name = "workouts.delete", .status = 204,
     .no_example = "204 No Content: the workout (and its video) are gone, analytics updated"},
    {.name = "workouts.sync", .status = 201,
     .example = "{\"workout_id\":" WORKOUT_ID ",\"created\":true,\"workout\":{" WORKOUT "}}",
     .request_example =
         "{\"client_id\":\"3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f\",\"session_id\":\"s-2026-11-03\","
         "\"started_at\":\"2026-11-03T18:00:00Z\",\"exercise\":\"squat\",\"duration_ms\":2900,"
         "\"load_kg\":60,\"reps\":[{\"t_start\":0,\"t_end\":0.9,\"score\":85,\"verdict\":"
         "\"good\",\"faults\":[],\"metrics\":{\"rom\":92.5,\"rom_unit\":\"deg\"}},{\"t_start\":1,"
         "\"t_end\":1.9,\"score\":75,\"verdict\":\"bad\",\"faults\":[\"knees_in\"],\"cue\":"
         "\"push your knees out\"}]}"},
    {.name = "analytics.summary",
     .example = "{\"period\":\"week\",\"from\":\"2026-09-14\",\"to\":\"2026-12-06\",\"totals\":"
                "{\"sessions\":1,\"reps\":2,\"volume_kg\":120.0,\"mean_score\":80.0},"
                "\"buckets\":[" BUCKET "],\"streak\":" STREAK ",\"top_faults\":{\"squat\":"
                "[{\"fault\":\"knees_in\",\"count\":1}]}}"},
    {.name = "analytics.trend",
     .example = "{\"exercise\":\"squat\",\"period\":\"week\",\"from\":\"2026-09-14\",\"to\":"
                "\"2026-12-06\",\"points\":[" BUCKET "]}"},
    {.name = "analytics.records",
     .example = "{\"records\":[{\"exercise\":\"squat\",\"kind\":\"most_reps_in_set\",\"value\":"
                "2.0,\"workout_id\":" WORKOUT_ID ",\"day\":\"2026-11-03\"},{\"exercise\":"
                "\"squat\",\"kind\":\"best_set_score\",\"value\":80.0,\"workout_id\":" WORKOUT_ID
                ",\"day\":\"2026-11-03\"}],\"streak\":" STREAK "}"},
    {.name = "exercises.list",
     .example = "{\"items\":[{\"name\":\"squat\"},{\"name\":\"push_up\"},{\"name\":\"lunge\"},"
                "{\"name\":\"deadlift\"},{\"name\":\"plank\"}]}"},
};
const size_t api_workouts_docs_n = sizeof api_workouts_docs / sizeof api_workouts_docs[0];
