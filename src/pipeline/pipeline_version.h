/*
 * pipeline_version.h - the product version string shared by the CLI, the server and reports.
 * Pure data; thread-safe.
 */
#ifndef RR_PIPELINE_VERSION_H
#define RR_PIPELINE_VERSION_H

#define RR_VERSION "0.1.0"

/* "0.1.0": never NULL, static storage. */
const char *pipeline_version(void);

#endif
