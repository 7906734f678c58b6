/*
 * exif.h - the EXIF orientation tag of a JPEG, and applying it to RGB pixels (internal to
 * src/video; image_load() uses both).
 *
 * Phones store the sensor's pixels as they were read out and record how to turn them upright
 * in the EXIF "Orientation" tag (0x0112, values 1..8). exif_orientation() reads that tag from
 * the payload of an APP1 segment ("Exif\0\0" + a TIFF header + IFD0); anything that does not
 * follow the format exactly (short, wrong identifiers, offsets or counts past the end, wrong
 * type, a value outside 1..8) reads as "no orientation" (0): a bad tag must never make an image
 * unusable, and every offset is checked against the payload length before it is read.
 * Ownership: no allocation; exif_orient() writes into the caller's buffer.
 * Errors: exif_orientation() returns 0 when absent or malformed; exif_orient() returns
 * RR_ERR_INVAL (bad arguments) or RR_ERR_TOOBIG / RR_ERR_NOMEM from growing dst.
 * Thread-safety: reentrant.
 */
#ifndef RR_VIDEO_EXIF_H
#define RR_VIDEO_EXIF_H

#include <stddef.h>
#include <stdint.h>

#include "base/rr_image.h"

/* Orientation 1..8 from an APP1 payload (the bytes after the 2-byte length field), else 0. */
int exif_orientation(const uint8_t *app1, size_t len);

/* Width and height after applying orientation o to a w x h image (5..8 swap them). */
void exif_oriented_size(int o, int w, int h, int *ow, int *oh);

/* Write src (packed RGB, w x h, stride 3*w) turned upright for orientation o into dst (resized).
 * o = 1 (or 0) copies. Mirrored orientations (2, 4, 5, 7) are applied too. */
int exif_orient(const uint8_t *src, int w, int h, int o, struct rr_rgbbuf *dst);

#endif
