/*
 * sandbox_int.h - the record stream between a sandboxed analysis and its parent (internal to
 * src/pipeline): a record is one type byte, a 4-byte little-endian length and that many bytes.
 * Types: 'I' video geometry, 'G' go (parent -> child), 'P' progress, 'R' report, 'L' landmark
 * track, 'S' figures, 'E' error; a render's 'B' and 'W' best and worst thumbnails (JPEG). Small records are JSON objects written with rr_json.
 */
#ifndef RR_PIPELINE_SANDBOX_INT_H
#define RR_PIPELINE_SANDBOX_INT_H

#include <stddef.h>
#include <stdint.h>

#define SANDBOX_FD_VIDEO 3
#define SANDBOX_FD_OUT 4
#define SANDBOX_FD_IN 5
#define SANDBOX_FD_OVERLAY 6 /* the render's overlay file */
#define SANDBOX_FD_REPORT 7  /* the render's stored report */
#define SANDBOX_FD_TRACK 8   /* the render's stored landmark track */
#define SANDBOX_SMALL_MAX 4096

/* Write a whole record (loops over short writes, EINTR). 0 or RR_ERR_IO. */
int sandbox__rec_write(int fd, char type, const void *data, size_t len);

/* Read one record from fd before deadline_ms (CLOCK_MONOTONIC milliseconds; <= 0: no
 * deadline) into a malloc'd, NUL-terminated *data. The length allowed depends on the type
 * (max_for_type). Returns 0, RR_ERR_EOF (clean end between records), RR_ERR_TIMEOUT,
 * RR_ERR_CORRUPT (unknown type, over its bound, cut short), RR_ERR_NOMEM, RR_ERR_IO. */
int sandbox__rec_read(int fd, int64_t deadline_ms, size_t (*max_for_type)(char type),
                      char *type, char **data, size_t *len);

int64_t sandbox__now_ms(void);

#endif
