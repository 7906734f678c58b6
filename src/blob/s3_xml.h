/*
 * s3_xml.h - the little XML reading the S3 backend needs (internal to src/blob): the text of the
 * first <TAG>...</TAG> in an S3 answer (UploadId, Code, ETag). S3 answers are small, flat and
 * written by the store; this is deliberately not an XML parser: no entities, no attributes on
 * the looked-up tags, first match wins. Input is a NUL-terminated text of any content (fuzzed:
 * tests/fuzz/fuzz_s3_xml.c).
 * Errors: NOTFOUND (no such element), TOOBIG (the text does not fit cap bytes with its NUL),
 * INVAL (tag longer than S3_XML_TAG_MAX or empty). Pure and thread-safe.
 */
#ifndef RR_BLOB_S3_XML_H
#define RR_BLOB_S3_XML_H

#include <stddef.h>

#define S3_XML_TAG_MAX 48

int s3_xml_text(const char *xml, const char *tag, char *out, size_t cap);

#endif
