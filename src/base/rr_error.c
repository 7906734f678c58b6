/* rr_error.c - text for the error table in rr_error.h. */
#include "base/rr_error.h"

const char *rr_strerror(int err)
{
    switch (err) {
#define RR__ERR_TEXT(name, code, text)                                                             \
    case code:                                                                                     \
        return text;
        RR_ERR_MAP(RR__ERR_TEXT)
#undef RR__ERR_TEXT
    default:
        return "unknown error";
    }
}

const char *rr_errname(int err)
{
    switch (err) {
#define RR__ERR_NAME(name, code, text)                                                             \
    case code:                                                                                     \
        return #name;
        RR_ERR_MAP(RR__ERR_NAME)
#undef RR__ERR_NAME
    default:
        return "UNKNOWN";
    }
}
