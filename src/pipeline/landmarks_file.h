/*
 * landmarks_file.h - pose series in and out of files: "repright.pose/1" (docs/landmarks-format.md),
 * RepRight's one landmark schema: what `repright pose --json` prints, what `repright analyze
 * --save-landmarks` writes and `--landmarks FILE` reads, the replay track the analyze job stores
 * for the dashboard (videos/<id>/landmarks.json) and the analysis test fixtures
 * (tests/fixtures/analysis), so landmarks from other tools can be analysed without a video.
 *
 * The reader also accepts, detected from the content, MediaPipe reference dumps (../shared/media
 * /reference/NAME.mp1.json, schema reported as "mediapipe.mpref"): an outside tool's format, the
 * reference the pose engine is measured against. Whatever the variant, it gives plain
 * struct rr_pose_frame (src/base/rr_landmarks.h):
 *  - a landmark that was not found (null, or null x or y) is x = y = z = NAN, visibility 0,
 *    presence 0; a missing z is NAN, a missing visibility or presence is 1, a null one NAN;
 *  - a frame with a pose but no world_landmarks gets RR_POSE_NO_WORLD (world all not found); a
 *    frame whose landmarks carry no visibility gets RR_POSE_NO_VISIBILITY; frames without a pose
 *    get each flag when no frame of the file carries that kind of data, and all landmarks not
 *    found;
 *  - width/height 0 when the file does not say (x and y were then normalised per axis).
 * Everything from the file is checked: JSON syntax, at most LANDMARKS_FILE_MAX_BYTES and
 * ANALYSIS_MAX_FRAMES frames, 33 items per landmark list, finite numbers in range, times >= 0 and
 * non-decreasing. The whole text is never turned into one jansson tree (a 256 MiB file would need
 * gigabytes): a syntax scan delimits the frames and each frame is decoded on its own.
 *
 * The writer (base/rr_json.h underneath) has three styles of the same schema:
 *  - LANDMARKS_FILE_EXACT (landmarks_file_write/_save, --save-landmarks): numbers round-trip
 *    bit-exactly: landmarks_file_parse(landmarks_file_write(x)) gives back x for every field the
 *    format carries (times, sizes, flags, score and landmarks of frames with a pose, labels; not
 *    the contents of frames without a pose, which are not written);
 *  - LANDMARKS_FILE_TRACK (landmarks_file_write_track): the compact replay track the dashboard
 *    draws (about 0.85 KB a frame): image landmarks only, [x,y,z,visibility] with 3 decimals (2
 *    for visibility), at most LANDMARKS_FILE_TRACK_MAX_FRAMES frames (a longer series keeps
 *    every k-th frame; times stay the real ones);
 *  - LANDMARKS_FILE_READABLE (`repright pose --json`, streamed frame by frame): landmarks as
 *    objects with their names, 7 significant digits.
 *
 * Ownership: the caller frees *frames and *labels (free()); landmarks_file_write() and
 * landmarks_file_write_track() return a malloc'd string the caller frees; the streaming
 * functions write into the caller's rr_json. Nothing is kept between calls.
 * Errors (negative RR_ERR_*, with a one-line reason in msg naming the frame, e.g.
 * "frame 12: landmarks must have 33 items"): RR_ERR_CORRUPT malformed content, RR_ERR_TOOBIG a
 * bound exceeded (file size, frame count, label length), RR_ERR_NOTFOUND / RR_ERR_IO the file
 * cannot be opened or read (or is not a regular file), RR_ERR_NOMEM, RR_ERR_INVAL bad arguments.
 * On failure nothing is allocated and the outputs are zero / NULL.
 * Thread-safety: reentrant; no shared state.
 */
#ifndef RR_PIPELINE_LANDMARKS_FILE_H
#define RR_PIPELINE_LANDMARKS_FILE_H

#include <stddef.h>

#include "base/rr_json.h"
#include "base/rr_landmarks.h"

#define LANDMARKS_FILE_SCHEMA "repright.pose/1"
#define LANDMARKS_FILE_MAX_BYTES ((size_t)256 << 20)
#define LANDMARKS_FILE_LABEL_MAX 64    /* bytes of a frame label, without the NUL */
#define LANDMARKS_FILE_MAX_T_MS 1e12   /* frame times beyond this are refused */
#define LANDMARKS_FILE_MAX_SIZE 100000 /* largest width or height accepted */
#define LANDMARKS_FILE_TRACK_MAX_FRAMES 18000 /* 10 min at 30 fps in a replay track */

struct landmarks_file_info {
    char schema[32];   /* "repright.pose/1" or "mediapipe.mpref" */
    int width, height; /* image size of the file (first frame's for MediaPipe); 0 = unknown */
    double fps;        /* 0 = unknown */
    size_t n_frames, n_with_pose;
    int has_world;      /* 1 when some frame with a pose has world landmarks */
    int has_visibility; /* 1 when some landmark carries a visibility */
    char model[32];     /* model that produced the landmarks ("full"), "" when not said */
    char file[256];     /* the video the landmarks came from, "" when not said (truncated) */
};

/* Parse text[0..len) (need not be NUL-terminated). On success: *frames (malloc'd, NULL when
 * n is 0) and *n; if labels != NULL, *labels = malloc'd array of n char[65] ("" = no label), or
 * NULL when no frame has a label; if info != NULL, *info. msg may be NULL. */
int landmarks_file_parse(const char *text, size_t len, struct rr_pose_frame **frames, size_t *n,
                         char (**labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                         struct landmarks_file_info *info, char *msg, size_t msg_len);

/* Read a regular file of at most LANDMARKS_FILE_MAX_BYTES (opened O_NONBLOCK, checked with
 * fstat before reading) and parse it as above. */
int landmarks_file_load(const char *path, struct rr_pose_frame **frames, size_t *n,
                        char (**labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                        struct landmarks_file_info *info, char *msg, size_t msg_len);
/* The same from a descriptor the caller holds (read with pread from offset 0; not closed):
 * nothing is opened by name, for a sandbox that may not open files. */
int landmarks_file_load_fd(int fd, struct rr_pose_frame **frames, size_t *n,
                           char (**labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                           struct landmarks_file_info *info, char *msg, size_t msg_len);

/* Compact repright.pose/1 text of frames[0..n): one frame per line; landmarks as arrays
 * [x,y,z,visibility,presence] ([x,y,z] in frames with RR_POSE_NO_VISIBILITY, null for a
 * landmark whose x or y is not finite, null for any other non-finite value) with 9 significant
 * digits (every float round-trips exactly); world_landmarks left out of frames with
 * RR_POSE_NO_WORLD;
 * frames without a pose as {"t_ms":..,"pose":false}; t_ms = t_us / 1000 with exactly 3
 * decimals. width, height, fps, model and file come from info (may be NULL: the first frame's
 * size); a frame whose size differs from the file's carries its own "width"/"height". labels
 * may be NULL. Returns NULL when out of memory, past LANDMARKS_FILE_MAX_BYTES (the reader's
 * limit) or frames is NULL with n > 0. The text loads back when every t_us is >= 0 and
 * non-decreasing and n <= ANALYSIS_MAX_FRAMES. */
char *landmarks_file_write(const struct rr_pose_frame *frames, size_t n,
                           const char (*labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                           const struct landmarks_file_info *info);

/* The replay track of an analysed video (LANDMARKS_FILE_TRACK above), stored by the analyze job
 * as videos/<id>/landmarks.json and drawn by web/app/js/skeleton.js. Same arguments as the
 * former landmarks_json_dumps(). NULL when out of memory or frames is NULL with n > 0. */
char *landmarks_file_write_track(const struct rr_pose_frame *frames, size_t n, double fps,
                                 int width, int height);

/* Streaming: head, any number of frames, tail, into a JSON writer the caller drains as it
 * likes (`repright pose --json` prints each frame as it comes, memory stays flat). */
enum landmarks_file_style { LANDMARKS_FILE_EXACT, LANDMARKS_FILE_TRACK, LANDMARKS_FILE_READABLE };
struct landmarks_file_head {
    enum landmarks_file_style style;
    const char *file;  /* the video, "" or NULL: not written; not UTF-8: '?' for bad bytes */
    const char *model; /* "" or NULL: not written */
    int width, height; /* of the document; a frame of another size carries its own */
    double fps;        /* <= 0: not written */
};
void landmarks_file_write_head(struct rr_json *j, const struct landmarks_file_head *h);
/* One frame; label may be NULL or "" (none). */
void landmarks_file_write_frame(struct rr_json *j, const struct landmarks_file_head *h,
                                const struct rr_pose_frame *f, const char *label);
void landmarks_file_write_tail(struct rr_json *j);

/* landmarks_file_write() into path, through path.part, fsync and rename, so a failure never
 * leaves a half-written file. RR_ERR_NOMEM or RR_ERR_IO (msg says why). */
int landmarks_file_save(const char *path, const struct rr_pose_frame *frames, size_t n,
                        const char (*labels)[LANDMARKS_FILE_LABEL_MAX + 1],
                        const struct landmarks_file_info *info, char *msg, size_t msg_len);

#endif
