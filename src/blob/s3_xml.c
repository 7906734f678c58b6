/* s3_xml.c - see s3_xml.h. */
#include "blob/s3_xml.h"

#include <stdio.h>
#include <string.h>

#include "base/rr_error.h"

int s3_xml_text(const char *xml, const char *tag, char *out, size_t cap)
{
    char open[S3_XML_TAG_MAX + 3], close_[S3_XML_TAG_MAX + 4];
    size_t tl = tag ? strlen(tag) : 0;
    if (!xml || tl == 0 || tl > S3_XML_TAG_MAX || !out || cap == 0)
        return RR_ERR_INVAL;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close_, sizeof close_, "</%s>", tag);
    const char *a = strstr(xml, open);
    if (!a)
        return RR_ERR_NOTFOUND;
    a += tl + 2;
    const char *b = strstr(a, close_);
    if (!b)
        return RR_ERR_NOTFOUND;
    size_t n = (size_t)(b - a);
    if (n >= cap)
        return RR_ERR_TOOBIG;
    memcpy(out, a, n);
    out[n] = '\0';
    return 0;
}
