/* options.c - flag values shared by the commands (see commands.h). */
#include "cli/commands.h"

#include <stdlib.h>
#include <string.h>

int cli_parse_int(const char *s, int min, int max, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_backend(const char *s, enum net_backend *out)
{
    if (strcmp(s, "xnnpack") == 0)
        *out = NET_BACKEND_XNN;
    else if (strcmp(s, "reference") == 0)
        *out = NET_BACKEND_REF;
    else
        return -1;
    return 0;
}
