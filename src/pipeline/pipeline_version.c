/* pipeline_version.c - the product version string (see pipeline_version.h). */
#include "pipeline/pipeline_version.h"

const char *pipeline_version(void)
{
    return RR_VERSION;
}
