/* json_out.c - the two json_out functions that are more than a rename of rr_json (json_out.h). */
#include "http/json_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rr_error.h"

void json_out_real(struct json_out *o, double v, int precision)
{
    if (!isfinite(v)) {
        rr_json_fail(&o->j, RR_ERR_INVAL);
        return;
    }
    rr_json_real_digits(&o->j, v, precision);
}

void json_out_jansson(struct json_out *o, const json_t *v, size_t flags)
{
    if (!v) {
        rr_json_null(&o->j);
        return;
    }
    if (rr_json_error(&o->j))
        return;
    char *s = json_dumps(v, flags | JSON_ENCODE_ANY);
    if (!s) {
        rr_json_fail(&o->j, RR_ERR_INVAL);
        return;
    }
    rr_json_verbatim(&o->j, s, strlen(s));
    free(s);
}
