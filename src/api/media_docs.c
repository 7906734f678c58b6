/*
 * media_docs.c - OpenAPI examples of the video routes: tus uploads and the single upload
 * (uploads.c), videos and their media (videos.c), jobs and their progress stream (jobs.c).
 * tus answers carry their state in headers (Upload-Offset, Location) and media routes answer
 * bytes: those rows say why they have no example (x-no-example) instead.
 */
#include "api/api.h"

#define VIDEO_ID "7cd2ea4accab7cac80b0d896e2c77210"
#define JOB_ID "54e3e0f80b3d44662ce21c3f33e7da4f"
#define UPLOAD_ID "e148d843ad0d0cd17e4d3879a73ad608"
#define SHA "\"e96760a87768717bcebcfd25ddc7d46b4dbc95a4b0014def080c08539f7d90d0\""
#define BASE "/v1/videos/" VIDEO_ID

#define VIDEO_HEAD                                                                                 \
    "\"id\":\"" VIDEO_ID "\",\"status\":\"analysed\",\"size\":10485760,\"sha256\":" SHA ","      \
    "\"duration_ms\":9640,\"created_at\":1796565279620,\"links\":{\"original\":\"" BASE          \
    "/original\",\"overlay\":\"" BASE "/overlay\",\"thumb_best\":\"" BASE "/thumbs/best\","      \
    "\"thumb_worst\":\"" BASE "/thumbs/worst\",\"report\":\"" BASE "/report\",\"landmarks\":\""  \
    BASE "/landmarks\"}"
#define JOB                                                                                        \
    "{\"id\":\"" JOB_ID "\",\"kind\":\"analyze_video\",\"state\":\"running\",\"attempts\":1,"     \
    "\"max_attempts\":3,\"progress\":40,\"stage\":\"pose\",\"error\":null,\"created_at\":"        \
    "1796565279620,\"updated_at\":1796565281200,\"video_id\":\"" VIDEO_ID "\"}"
#define SIG "?uid=d61efe85219576ec0093986f053fc5ef&exp=1796572479&sig=0bb49a1dc88874b3a9cec0830c9" \
            "0faad728e829977ecff01b95ad1f0441057ec"

const struct http_route_doc api_media_docs[] = {
    {.name = "uploads.options", .status = 204,
     .no_example = "204 No Content: the tus capabilities are headers (Tus-Version, "
                   "Tus-Extension, Tus-Max-Size)"},
    {.name = "uploads.create", .status = 201,
     .no_example = "201 without a body (tus creation): the upload's URL is the Location header, "
                   "Upload-Offset 0"},
    {.name = "uploads.get",
     .example = "{\"id\":\"" UPLOAD_ID "\",\"offset\":10485760,\"length\":10485760,"
                "\"complete\":true,\"video_id\":\"" VIDEO_ID "\",\"job_id\":\"" JOB_ID "\"}"},
    {.name = "uploads.patch", .status = 204,
     .no_example = "204 No Content (tus): the new offset is the Upload-Offset header"},
    {.name = "uploads.delete", .status = 204,
     .no_example = "204 No Content (tus termination)"},
    {.name = "videos.upload", .status = 201,
     .example = "{\"video_id\":\"" VIDEO_ID "\",\"job_id\":\"" JOB_ID "\",\"size\":10485760,"
                "\"sha256\":" SHA ",\"status\":\"uploaded\"}"},
    {.name = "videos.list", .example = "{\"items\":[{" VIDEO_HEAD "}],\"next_cursor\":null}"},
    {.name = "videos.get",
     .example = "{" VIDEO_HEAD ",\"overlay\":true,\"analyze_job\":{\"id\":\"" JOB_ID "\","
                "\"state\":\"done\"},\"render_job\":{\"id\":"
                "\"9f8e7d6c5b4a39281706f5e4d3c2b1a0\",\"state\":\"done\"}}"},
    {.name = "videos.delete", .status = 204,
     .no_example = "204 No Content: the video, its media, jobs and workout are gone"},
    {.name = "videos.media_links",
     .example = "{\"expires_at\":1796572479,\"ttl_s\":7200,\"original\":\"" BASE "/original" SIG
                "\",\"overlay\":\"" BASE "/overlay" SIG "\",\"thumb_best\":\"" BASE
                "/thumbs/best" SIG "\",\"thumb_worst\":\"" BASE "/thumbs/worst" SIG "\"}"},
    {.name = "videos.original", .media_type = "video/mp4",
     .no_example = "video bytes (the uploaded file's own type; Range requests answer 206)"},
    {.name = "videos.overlay", .media_type = "video/mp4",
     .no_example = "video bytes (Range requests answer 206)"},
    {.name = "videos.thumb", .media_type = "image/jpeg", .no_example = "JPEG image bytes"},
    {.name = "videos.report",
     .example = "{\"schema\":\"repright.report/2\",\"exercise\":\"squat\",\"exercise_source\":"
                "\"recognised\",\"confidence\":0.97,\"view\":\"side\",\"camera\":{\"view\":"
                "\"side\",\"roll_deg\":4.0},\"people\":1,\"athlete\":0,\"duration_s\":9.64,"
                "\"is_hold\":false,\"candidates\":[{\"exercise\":\"squat\",\"score\":0.97}],"
                "\"frames\":{\"total\":290,\"used\":288},\"set\":{\"reps\":2,\"good\":1,"
                "\"bad\":1,\"cannot_judge\":0,\"partial_reps\":0,\"mean_score\":78.5,"
                "\"top_fault\":\"knees_in\",\"top_fault_reps\":1,\"time_under_tension_s\":5.1},"
                "\"reps\":[{\"index\":1,\"t_start_s\":0.67,\"t_turn_s\":2.2,\"t_end_s\":3.43,"
                "\"score\":64,\"verdict\":\"bad\",\"confidence\":0.93,\"cannot_judge_reason\":"
                "null,\"faults\":[\"knees_in\"]}],\"partial_reps\":[],\"hold\":null}"},
    {.name = "videos.analyze", .status = 202,
     .example = "{\"job_id\":\"" JOB_ID "\",\"video_id\":\"" VIDEO_ID "\",\"exercise\":\"lunge\"}",
     .request_example = "{\"exercise\":\"lunge\"}"},
    {.name = "videos.render", .status = 202,
     .example = "{\"job_id\":\"" JOB_ID "\",\"video_id\":\"" VIDEO_ID "\",\"queued\":true}"},
    {.name = "videos.landmarks",
     .example = "{\"schema\":\"repright.pose/1\",\"file\":\"clip.mp4\",\"width\":1280,"
                "\"height\":720,\"model\":\"full\",\"fps\":30.0,\"frames\":[{\"t_ms\":0.0,"
                "\"pose\":true,\"score\":0.98,\"landmarks\":[[0.538,0.243,-0.045,0.99,0.99]]},"
                "{\"t_ms\":33.367,\"pose\":false}]}"},
    {.name = "jobs.list", .example = "{\"items\":[" JOB "],\"next_cursor\":null}"},
    {.name = "jobs.get", .example = JOB},
    {.name = "jobs.events", .media_type = "text/event-stream",
     .example = ":\n\nevent: progress\ndata: {\"id\":\"" JOB_ID "\",\"state\":\"running\","
                "\"progress\":40,\"stage\":\"pose\",\"attempts\":1}\n\nevent: done\ndata: "
                "{\"id\":\"" JOB_ID "\",\"state\":\"done\",\"progress\":100,\"stage\":"
                "\"done\",\"attempts\":1}\n\n"},
};
const size_t api_media_docs_n = sizeof api_media_docs / sizeof api_media_docs[0];
